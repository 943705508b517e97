#!/usr/bin/env bash
# Writes over HTTP with real round trips between the nodes: each of 3 KV server processes (fsync
# on) runs in its own network namespace with its own address (10.77.0.1-3/24), joined by a veth
# pair per node to a bridge that lives in a fourth namespace, so nothing is added to the root
# namespace. Every frame the bridge forwards is held for half the round trip asked for, so
# node-to-node pings see that round trip (measured with ping, idle and under load, and printed):
# with `tc netem delay` on the bridge's end of each veth when the kernel has sch_netem, else
# with zab-examples/scripts/nfqueue-delay.py, a delay line in user space fed by an iptables
# NFQUEUE rule on the bridge's FORWARD chain (br_netfilter), its delay trimmed once so that the
# idle ping matches. The delay sits on the bridge, not on the nodes' own ends, because a packet
# held on its sender's host still counts against its TCP socket (TCP small queues): held there
# by NFQUEUE for 5 ms, one connection moved 1 MB/s; held on the bridge, 240 MB/s.
#
# For each RTT the script starts a fresh cluster, loads the leader from wrk run inside the
# leader's own namespace (client to leader stays local; only replication crosses the delay):
# keep-alive connections (CONNECTIONS, each count in turn), 2 threads, PUTs of 1 KiB values,
# a warm-up, then a measured period; it samples the leader's /status once a second meanwhile
# (bytes proposed and not applied, txns each learner has not acknowledged). Then failover:
# kill -9 of the leader, and the time until a PUT through a surviving node commits (pollers in
# each survivor's namespace, PUTs answered at commit); the killed node restarts on its data
# and rejoins before the next round. The table goes to stdout and to BENCH_DIR/results.md.
#
# Why a script and not a `bench` option: a process lives in one network namespace, so three
# nodes with their own delayed links need three processes; the KV server processes are that,
# and bench-http.sh already drives them with wrk. ip, tc, iptables and namespaces need root.
#
# Usage: zab-examples/bench-netem.sh [RTT_MS...]   (default: 0 0.5 10; 0 adds no delay)
#   0line: the delay line (or netem) in place with no delay, to tell what it costs itself.
#   From the repository root, after mvn -DskipTests package. Environment: DURATION (20 s),
#   WARMUP (30 s), CONNECTIONS ("64 256"), FAILOVERS (3 rounds per RTT), ZAB_JAVA_OPTS,
#   BENCH_DIR (kept data directories, logs and results; default a new temporary directory).
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "skipped: needs root for network namespaces"; exit 0
fi
rtts=("$@")
[ ${#rtts[@]} -gt 0 ] || rtts=(0 0.5 10)
duration=${DURATION:-20}; warmup=${WARMUP:-30}; failovers=${FAILOVERS:-3}
read -r -a conn_counts <<< "${CONNECTIONS:-64 256}"
threads=2; value_bytes=1024; keys=1000
jar=zab-examples/target/zab-examples.jar
java_opts=${ZAB_JAVA_OPTS:--Xms1g -Xmx1g}
prefix=zabnetem
ns_br="$prefix-$$-br"
ns() { echo "$prefix-$$-$1"; }       # the namespace of node $1
addr() { echo "10.77.0.$1"; }         # its address; quorum port 7000, HTTP port 8000
for r in "${rtts[@]}"; do
  [[ $r =~ ^([0-9]+(\.[0-9]+)?|0line)$ ]] || { echo "not an RTT in ms: $r" >&2; exit 2; }
done

missing=()
command -v ip > /dev/null && command -v tc > /dev/null || missing+=(iproute2)
command -v wrk > /dev/null || missing+=(wrk)
command -v ping > /dev/null || missing+=(iputils-ping)
command -v curl > /dev/null || missing+=(curl)
command -v iptables-legacy > /dev/null || missing+=(iptables)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update && apt-get install -y "${missing[@]}"
fi
[ -f "$jar" ] || { echo "$jar is missing: run mvn -DskipTests package first" >&2; exit 1; }

# Removes namespace $1 after killing, by pid, what still runs in it (only our servers do).
drop_ns() {
  local p
  for p in $(ip netns pids "$1" 2> /dev/null); do kill -9 "$p" 2> /dev/null || true; done
  ip netns del "$1" 2> /dev/null || true
}

# Leftovers of a run of this script that was killed (its pid is gone): removed first.
for n in $(ip netns list | awk '{print $1}' | grep "^$prefix-" || true); do
  owner=${n#"$prefix"-}; owner=${owner%%-*}
  if ! grep -qs bench-netem "/proc/$owner/cmdline"; then
    echo "removing leftover namespace $n"; drop_ns "$n"
  fi
done

dir=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$dir"
pids=(0 0 0 0)   # pids[i]: node i's server process, 0 when none

stop_node() {  # $1: node id; SIGTERM, up to 10 s, then SIGKILL
  local p=${pids[$1]}
  [ "$p" != 0 ] || return 0
  kill "$p" 2> /dev/null || true
  for _ in $(seq 1 100); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
  kill -9 "$p" 2> /dev/null || true
  wait "$p" 2> /dev/null || true
  pids[$1]=0
}
cleanup() {
  local i
  for i in 1 2 3; do stop_node "$i"; done
  for i in 1 2 3; do drop_ns "$(ns "$i")"; done
  drop_ns "$ns_br"  # and the delay line in it
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The network: a bridge in its own namespace, a veth pair per node (eth0 in the node's one).
ip netns add "$ns_br"
ip -n "$ns_br" link set lo up
ip -n "$ns_br" link add br0 type bridge
ip -n "$ns_br" link set br0 up
for i in 1 2 3; do
  ip netns add "$(ns "$i")"
  ip -n "$(ns "$i")" link set lo up
  ip -n "$ns_br" link add "n$i" type veth peer name eth0 netns "$(ns "$i")"
  ip -n "$ns_br" link set "n$i" master br0 up
  ip -n "$(ns "$i")" addr add "$(addr "$i")/24" dev eth0
  ip -n "$(ns "$i")" link set eth0 up
done
in_br() { ip netns exec "$ns_br" "$@"; }
if in_br tc qdisc add dev n1 root netem delay 1ms 2> /dev/null; then
  delay_kind=netem
  in_br tc qdisc del dev n1 root
else
  delay_kind=nfqueue
  in_br sysctl -qw net.bridge.bridge-nf-call-iptables=0
fi
echo "delay: $delay_kind"
delayer=0  # the pid of nfqueue-delay.py, 0 when none

no_delay() {
  local i
  if [ "$delay_kind" = netem ]; then
    for i in 1 2 3; do in_br tc qdisc del dev "n$i" root 2> /dev/null || true; done
  else
    in_br iptables-legacy -F FORWARD
    in_br sysctl -qw net.bridge.bridge-nf-call-iptables=0
    if [ "$delayer" != 0 ]; then kill "$delayer"; wait "$delayer" || true; delayer=0; fi
  fi
}

# Holds every frame the bridge forwards for $1 microseconds (a frame crosses the bridge once
# each way, so the round trip gains twice that); 0 puts no delay in place, unless $2 is force.
# The netem queue holds 100,000 packets rather than its default 1,000, so that the delay line
# itself never drops at these rates.
delay_us() {
  local i
  no_delay
  [ "$1" -gt 0 ] || [ "${2:-}" = force ] || return 0
  if [ "$delay_kind" = netem ]; then
    for i in 1 2 3; do
      in_br tc qdisc add dev "n$i" root netem delay "${1}us" limit 100000
    done
    return 0
  fi
  # Real-time priority: at normal priority, on 2 cores under load, the delay line waited for
  # the CPU and added milliseconds to a 0.5 ms round trip. Started directly (not through a
  # function) so that $! is its own pid.
  ip netns exec "$ns_br" chrt -f 50 python3 zab-examples/scripts/nfqueue-delay.py "$1" 0 86400 \
    > "$dir/delay.log" 2>&1 &
  delayer=$!
  for _ in $(seq 1 100); do grep -qs bound "$dir/delay.log" && break; sleep 0.1; done
  grep -qs bound "$dir/delay.log" || { cat "$dir/delay.log" >&2; return 1; }
  in_br sysctl -qw net.bridge.bridge-nf-call-iptables=1
  in_br iptables-legacy -A FORWARD -j NFQUEUE --queue-num 0
}

# Sets the round trip between nodes to $1 ms and sets measured to the idle ping's averages.
# The user-space delay line adds its own time (a few hundred us on a busy machine): its delay
# is trimmed once by what the first measurement overshot.
set_rtt() {
  local half_us first
  if [ "$1" = 0line ]; then
    delay_us 0 force
    measured=$(measure_rtt)
    return 0
  fi
  half_us=$(python3 -c "print(round($1 * 500))")
  delay_us "$half_us"
  measured=$(measure_rtt)
  if [ "$delay_kind" = nfqueue ] && [ "$half_us" -gt 0 ]; then
    first=${measured%% *}
    half_us=$(python3 -c "print(max(0, round($half_us - ($first - $1) * 500)))")
    echo "RTT $1 ms: first ping $first ms, delay per crossing trimmed to $half_us us"
    delay_us "$half_us"
    measured=$(measure_rtt)
  fi
  measured=${measured:-? ?}
}

# Prints the average round trip in ms from node 1 to node 2 and from node 2 to node 3.
measure_rtt() {
  local a b out pair
  for pair in "1 2" "2 3"; do
    read -r a b <<< "$pair"
    out=$(ip netns exec "$(ns "$a")" ping -c 5 -i 0.2 -q "$(addr "$b")")
    echo "$out" | awk -F/ '/^rtt/ {print $5}'
  done | paste -sd' '
}

start_node() {  # $1: node id, its data directory kept if present
  local peers="" j
  for j in 1 2 3; do peers+="${peers:+,}$j=$(addr "$j"):7000"; done
  # shellcheck disable=SC2086
  ip netns exec "$(ns "$1")" java $java_opts -jar "$jar" server --id "$1" --peers "$peers" \
    --data-dir "$dir/zab$1" --http "$(addr "$1"):8000" >> "$dir/zab$1.log" 2>&1 &
  pids[$1]=$!
}

status() {  # $1: node id; its /status, or nothing
  ip netns exec "$(ns "$1")" curl -s -m 1 "http://$(addr "$1"):8000/status" || true
}

# Sets leader to the id of the leading node among the running ones, waiting up to 60 s.
find_leader() {
  local i
  leader=""
  for _ in $(seq 1 300); do
    for i in 1 2 3; do
      [ "${pids[$i]}" != 0 ] || continue
      if status "$i" | grep -q '"role":"LEADING"'; then leader=$i; return 0; fi
    done
    sleep 0.2
  done
  echo "no leader within 60 s (logs in $dir)" >&2; return 1
}

wait_following() {  # $1: node id; up to 60 s for it to follow a leader again
  for _ in $(seq 1 300); do
    status "$1" | grep -q '"role":"FOLLOWING"' && return 0
    sleep 0.2
  done
  echo "node $1 did not rejoin within 60 s (logs in $dir)" >&2; return 1
}

# wrk's Lua script: keys k0..k999 in turn, the same value each time, one RESULT line.
cat > "$dir/put.lua" <<EOF
wrk.method = "PUT"
wrk.body = string.rep("v", $value_bytes)
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/kv/k" .. (n % $keys))
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOF

# The failover poller, one in each survivor's namespace: it waits for the go file (the kill's
# time in ns, written right after the kill), then PUTs until one is answered 2xx (the KV server
# answers a write when it has committed here; without a leader it waits for one up to half its
# timeout) and prints the ms from the kill. Bounded: 30 s, 100,000 attempts.
cat > "$dir/failover.py" <<'EOF'
import http.client, os, sys, time
host, go, key = sys.argv[1], sys.argv[2], sys.argv[3]
end = time.monotonic() + 30
while not os.path.exists(go):
    if time.monotonic() > end:
        sys.exit(1)
    time.sleep(0.001)
killed_ns = int(open(go).read())
for _ in range(100_000):
    if time.monotonic() > end:
        sys.exit(1)
    try:
        c = http.client.HTTPConnection(host, 8000, timeout=2)
        c.request("PUT", "/kv/" + key, body=b"after-failover")
        status = c.getresponse().status
        c.close()
        if 200 <= status < 300:
            print((time.time_ns() - killed_ns) / 1e6)
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.005)
sys.exit(1)
EOF

# One failover round at RTT $1: kill -9 the leader, time the first committed write through a
# survivor, restart the killed node on its data and wait until it follows again.
failover() {
  local victim=$leader i t0 poll=() best election
  local go="$dir/go.$1.$2"
  rm -f "$go" "$go.tmp"
  for i in 1 2 3; do
    [ "$i" = "$victim" ] && continue
    ip netns exec "$(ns "$i")" python3 "$dir/failover.py" "$(addr "$i")" "$go" "f$2" \
      > "$go.out$i" 2> /dev/null &
    poll+=($!)
  done
  sleep 1  # the pollers are up and waiting for the go file
  t0=$(date +%s%N)
  kill -9 "${pids[$victim]}"
  echo "$t0" > "$go.tmp" && mv "$go.tmp" "$go"
  for i in "${poll[@]}"; do wait "$i" || true; done
  wait "${pids[$victim]}" 2> /dev/null || true
  pids[$victim]=0
  best=$(cat "$go".out* 2> /dev/null | sort -g | head -1)
  find_leader
  election=$(status "$leader" | python3 -c 'import json, sys
print(json.load(sys.stdin).get("lastElectionMs", -1))' 2> /dev/null || echo -1)
  echo "$1 F ${best:-none} $election" >> "$results"
  echo "  failover $2: killed node $victim, first write committed after ${best:-no write} ms;" \
    "node $leader leads, its election took $election ms"
  start_node "$victim"
  wait_following "$victim"
  find_leader
}

# Samples the leader's /status once a second for $2 s: prints the largest inflightBytes and the
# largest lagTxns of any learner.
sample_leader() {
  for _ in $(seq 1 "$2"); do status "$1"; echo; sleep 1; done | python3 -c '
import json, sys
infl, lag = 0, 0
for line in sys.stdin:
    try:
        s = json.loads(line)
    except ValueError:
        continue
    infl = max(infl, s.get("inflightBytes", 0))
    lag = max([lag] + [l.get("lagTxns", 0) for l in s.get("learners", {}).values()])
print(infl, lag)'
}

# Prints the average round trip from another node to leader $1 over $2 s, five pings a second.
ping_loaded() {
  local from=$(( $1 % 3 + 1 ))
  ip netns exec "$(ns "$from")" ping -q -i 0.2 -c $(( $2 * 5 - 5 )) -w "$2" "$(addr "$1")" \
    | awk -F/ '/^rtt/ {print $5}' || true
}

load() {  # $1: connections, $2: seconds; prints wrk's RESULT line
  ip netns exec "$(ns "$leader")" wrk -t "$threads" -c "$1" -d "${2}s" --timeout 10s \
    -s "$dir/put.lua" "http://$(addr "$leader"):8000" | grep '^RESULT' \
    || { echo "wrk failed against node $leader" >&2; return 1; }
}

echo "load before: $(uptime)"
echo "data and logs: $dir ($(df -T "$dir" | awk 'NR == 2 {print $2}'))"
results="$dir/results.txt"
: > "$results"
for rtt in "${rtts[@]}"; do
  set_rtt "$rtt"
  echo "RTT $rtt ms: ping 1->2 and 2->3 average $measured ms"
  for i in 1 2 3; do rm -rf "$dir/zab$i"; start_node "$i"; done
  find_leader
  for c in "${conn_counts[@]}"; do
    load "$c" "$warmup" > /dev/null
    sample_leader "$leader" "$duration" > "$dir/sample" &
    sampler=$!
    ping_loaded "$leader" "$duration" > "$dir/ping" &
    pinger=$!
    line=$(load "$c" "$duration")
    wait "$sampler" "$pinger" || true
    loaded=$(cat "$dir/ping"); loaded=${loaded:-?}
    echo "$rtt W $c ${measured// /,},$loaded ${line#RESULT } $(cat "$dir/sample")" \
      >> "$results"
    echo "  $c connections: $(tail -1 "$results")"
  done
  for round in $(seq 1 "$failovers"); do failover "$rtt" "$round"; done
  for i in 1 2 3; do stop_node "$i"; rm -rf "$dir/zab$i"; done  # ~1 GB a run; logs stay
done
echo "load after: $(uptime)"

python3 - "$results" "$*" <<'PY' | tee "$dir/results.md"
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print("| RTT ms | ping ms: idle 1-2 / 2-3 / loaded | connections | writes/s | p50 ms | p99 ms "
      "| leader in flight max | learner lag max (txns) | failover ms median [min-max] "
      "| its election ms (where told) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if r[1] != "W":
        continue
    rtt, conns, ping, reqs, dur, p50, p99, non2xx, errs, infl, lag = r[0], *r[2:]
    ok = (int(reqs) - int(non2xx)) / (int(dur) / 1e6)
    fo = [float(x[2]) for x in rows if x[0] == rtt and x[1] == "F" and x[2] != "none"]
    el = [float(x[3]) for x in rows if x[0] == rtt and x[1] == "F" and float(x[3]) >= 0]
    lost = sum(1 for x in rows if x[0] == rtt and x[1] == "F" and x[2] == "none")
    fo_text = (f"{statistics.median(fo):.0f} [{min(fo):.0f}-{max(fo):.0f}]" if fo else "-")
    el_text = (f"{statistics.median(el):.0f} [{min(el):.0f}-{max(el):.0f}]" if el else "-")
    fo_text += f" ({lost} without a write in 30 s)" if lost else ""
    err = f" ({non2xx} non-2xx, {errs} socket errors)" if int(non2xx) or int(errs) else ""
    print(f"| {rtt} | {ping.replace(',', ' / ')} | {conns} | {ok:,.0f}{err} | "
          f"{int(p50) / 1000:.2f} | {int(p99) / 1000:.2f} | {int(infl) / 1024:,.0f} KiB | "
          f"{lag} | {fo_text} | {el_text} |")
PY
echo "command: DURATION=$duration WARMUP=$warmup CONNECTIONS=\"${conn_counts[*]}\"" \
  "FAILOVERS=$failovers zab-examples/bench-netem.sh ${rtts[*]}"
