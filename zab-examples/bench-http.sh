#!/usr/bin/env bash
# Writes over HTTP, zab's KV server against etcd, on this machine: 3 KV server processes (fsync
# on) on 127.0.0.21-23, then a 3-member etcd (its WAL fsyncs too) on 127.0.0.31-33, each under
# the same load at its leader: 64 keep-alive connections, 2 threads, PUTs of 1 KiB values
# (etcd: POST /v3/kv/put through its JSON gateway, key and value base64 in the body). Each run
# starts both clusters afresh, warms each up, measures each for DURATION_S, and prints writes/s
# (2xx answers only), p50 and p99 and the ratio; at the end, the median and min-max of RUNS runs.
#
# Why wrk: an HTTP/1.1 keep-alive load generator packaged by Debian, so both servers face the
# same client, one that does not pipeline and whose latency histogram is exact enough for a p50
# of a millisecond; a Lua script shapes each request. Installed from Debian when missing.
#
# The warm-up is long because the JVM's optimising compiler is slow to finish on a busy 2-core
# machine: it took over a third of the leader's CPU for the first 20-30 s of load, and the
# writes/s rose by half once it was done. etcd gets the same warm-up (it needs none).
#
# Usage: zab-examples/bench-http.sh [RUNS] [DURATION_S] [WARMUP_S]   (defaults 3 20 30)
#   from the repository root, after mvn -DskipTests package. ZAB_JAVA_OPTS adds JVM options;
#   BENCH_DIR keeps the data directories and logs there (default: a new temporary directory).
set -euo pipefail
runs=${1:-3}; duration=${2:-20}; warmup=${3:-30}
connections=64; threads=2; value_bytes=1024; keys=1000
jar=zab-examples/target/zab-examples.jar
java_opts=${ZAB_JAVA_OPTS:--Xms1g -Xmx1g}

missing=()
command -v wrk > /dev/null || missing+=(wrk)
command -v etcd > /dev/null || missing+=(etcd-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "skipped: ${missing[*]} missing, and only root can apt-get install them"; exit 0
  fi
  apt-get update && apt-get install -y wrk etcd-server
fi
[ -f "$jar" ] || { echo "$jar is missing: run mvn -DskipTests package first" >&2; exit 1; }

dir=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$dir"
pids=()
leader=""
stop_all() {  # only the processes this script started, by pid
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$p" 2> /dev/null || true
  done
  pids=()
}
trap stop_all EXIT

# The load: wrk's Lua scripts, keys k0..k999 in turn, the same value of value_bytes each time.
python3 - "$dir" "$value_bytes" "$keys" <<'PY'
import base64, sys
out, size, keys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
value = "v" * size
done = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
with open(f"{out}/zab.lua", "w") as f:
    f.write(f'wrk.method = "PUT"\nwrk.body = string.rep("v", {size})\n'
            "local n = 0\nrequest = function()\n  n = n + 1\n"
            f'  return wrk.format(nil, "/kv/k" .. (n % {keys}))\nend\n' + done)
with open(f"{out}/etcd.lua", "w") as f:
    v = base64.b64encode(value.encode()).decode()
    ks = ",".join('"%s"' % base64.b64encode(b"k%d" % i).decode() for i in range(keys))
    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"local keys = {{{ks}}}\nlocal n = 0\nrequest = function()\n  n = n + 1\n"
            f'  return wrk.format(nil, "/v3/kv/put", nil, \'{{"key":"\' .. keys[n % {keys} + 1]'
            f' .. \'","value":"{v}"}}\')\nend\n' + done)
PY

# Sets leader to the URL of the zab leader's HTTP API, waiting up to 60 s for one.
start_zab() {
  local peers="" i
  for i in 1 2 3; do peers+="${peers:+,}$i=127.0.0.2$i:7000"; done
  for i in 1 2 3; do
    rm -rf "$dir/zab$i"
    # shellcheck disable=SC2086
    java $java_opts -jar "$jar" server --id "$i" --peers "$peers" --data-dir "$dir/zab$i" \
      --http "127.0.0.2$i:8000" > "$dir/zab$i.log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 1 600); do
    for i in 1 2 3; do
      if curl -s -m 1 "http://127.0.0.2$i:8000/status" | grep -q '"role":"LEADING"'; then
        leader="http://127.0.0.2$i:8000"; return 0
      fi
    done
    sleep 0.1
  done
  echo "no zab leader within 60 s (logs in $dir)" >&2; return 1
}

# Sets leader to the URL of the etcd leader's client API, waiting up to 60 s for one.
start_etcd() {
  local cluster="" i
  for i in 1 2 3; do cluster+="${cluster:+,}e$i=http://127.0.0.3$i:2380"; done
  for i in 1 2 3; do
    rm -rf "$dir/etcd$i"
    etcd --name "e$i" --data-dir "$dir/etcd$i" --initial-cluster "$cluster" \
      --initial-cluster-state new --initial-cluster-token bench-http \
      --listen-peer-urls "http://127.0.0.3$i:2380" \
      --initial-advertise-peer-urls "http://127.0.0.3$i:2380" \
      --listen-client-urls "http://127.0.0.3$i:2379" \
      --advertise-client-urls "http://127.0.0.3$i:2379" > "$dir/etcd$i.log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 1 600); do
    for i in 1 2 3; do
      # The member whose own id is the leader's; ids are JSON numbers, compared as text.
      if curl -s -m 1 -X POST -d '{}' "http://127.0.0.3$i:2379/v3/maintenance/status" \
          | python3 -c 'import json,sys; s=json.load(sys.stdin)
sys.exit(0 if s.get("leader") and s["leader"] == s["header"]["member_id"] else 1)' \
          2> /dev/null; then
        leader="http://127.0.0.3$i:2379"; return 0
      fi
    done
    sleep 0.1
  done
  echo "no etcd leader within 60 s (logs in $dir)" >&2; return 1
}

# Runs wrk against URL with SCRIPT for SECONDS; prints its RESULT line.
load() {
  wrk -t "$threads" -c "$connections" -d "${3}s" --timeout 10s -s "$2" "$1" \
    | grep '^RESULT' || { echo "wrk failed against $1" >&2; return 1; }
}

# The leader's zab_txns_committed_total, from its /metrics.
# A failed scrape prints 0 (the check then reports a mismatch) instead of ending the script:
# under set -e and pipefail a curl timeout here used to stop every later run without a word.
committed() {
  { curl -s -m 10 "$1/metrics" || true; } \
    | awk '/^zab_txns_committed_total/ {print $2; found = 1; exit} END {if (!found) print 0}'
}

# Checks the leader's metrics against what wrk saw: every 2xx PUT of the measured period is a
# txn the leader committed in it; besides those, at most the requests still in flight when wrk
# stopped or when the warm-up stopped (one per connection each) and the refused ones may have
# been counted. Prints one line; a mismatch is reported, not fatal, so the figures of the run
# are still shown.
check_metrics() {
  local before=$1 after=$2 mid=$4 reqs non2xx
  read -r reqs _ _ _ non2xx _ <<< "$3"
  python3 - "$before" "$after" "$reqs" "$non2xx" "$connections" "$mid" <<'PY'
import sys
before, after, reqs, non2xx, conns = (int(float(x)) for x in sys.argv[1:6])
mid = sys.argv[6]
ok = reqs - non2xx
delta = after - before
# Requests cut off when the warm-up ended may commit after "before" was read, too.
verdict = "consistent" if ok <= delta <= ok + non2xx + 2 * conns else "MISMATCH"
print(f"  metrics: leader committed {delta:,} txns while wrk got {ok:,} 2xx answers"
      f" ({verdict}); a /metrics scrape under load took {mid} s")
PY
}

echo "load before: $(uptime)"
echo "data and logs: $dir ($(df -T "$dir" | awk 'NR == 2 {print $2}'))"
results="$dir/results.txt"
: > "$results"
for run in $(seq 1 "$runs"); do
  for system in zab etcd; do
    "start_$system"  # not in a subshell: pids must reach stop_all
    load "$leader" "$dir/$system.lua" "$warmup" > /dev/null
    if [ "$system" = zab ]; then
      before=$(committed "$leader")
      # One scrape in the middle of the load: how long /metrics takes when the node is busy.
      (sleep $((duration / 2)); curl -s -m 10 -o "$dir/mid.prom" -w '%{time_total}' \
        "$leader/metrics" > "$dir/mid.time" || echo failed > "$dir/mid.time") &
      scraper=$!
    fi
    line=$(load "$leader" "$dir/$system.lua" "$duration")
    echo "$run $system ${line#RESULT }" >> "$results"
    if [ "$system" = zab ]; then
      wait "$scraper" || true
      check_metrics "$before" "$(committed "$leader")" "${line#RESULT }" "$(cat "$dir/mid.time")"
    fi
    stop_all
    rm -rf "$dir/${system}1" "$dir/${system}2" "$dir/${system}3"  # data: ~1 GB a run; logs stay
  done
  python3 - "$results" "$run" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.split()[0] == sys.argv[2]]
r = {}
for _, system, reqs, dur, p50, p99, non2xx, errors in rows:
    ok = (int(reqs) - int(non2xx)) / (int(dur) / 1e6)
    r[system] = (ok, int(p50) / 1000, int(p99) / 1000, int(non2xx), int(errors))
line = " | ".join(f"{s} {v[0]:,.0f} writes/s p50 {v[1]:.2f} ms p99 {v[2]:.2f} ms"
                  + (f" ({v[3]} non-2xx, {v[4]} socket errors)" if v[3] or v[4] else "")
                  for s, v in r.items())
print(f"run {sys.argv[2]}: {line} | zab/etcd {r['zab'][0] / r['etcd'][0]:.2f}x")
PY
done
echo "load after: $(uptime)"

python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def col(system, f):
    return [f(r) for r in rows if r[1] == system]
rate = lambda r: (int(r[2]) - int(r[6])) / (int(r[3]) / 1e6)
def show(name, xs, fmt):
    return f"{name} {fmt(statistics.median(xs))} ({fmt(min(xs))}-{fmt(max(xs))})"
ratios = [z / e for z, e in zip(col("zab", rate), col("etcd", rate))]
print(f"medians of {len(ratios)} runs (min-max):")
for s in ("zab", "etcd"):
    print(f"  {s:4}  " + ", ".join([
        show("writes/s", col(s, rate), lambda x: f"{x:,.0f}"),
        show("p50 ms", col(s, lambda r: int(r[4]) / 1000), lambda x: f"{x:.2f}"),
        show("p99 ms", col(s, lambda r: int(r[5]) / 1000), lambda x: f"{x:.2f}")]))
print("  " + show("zab/etcd", ratios, lambda x: f"{x:.2f}x"))
PY
