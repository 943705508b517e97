#!/usr/bin/env bash
# Runs the benchmark matrix of the README: payloads 128 B and 1 KiB, windows 1, 100 and 1000,
# fsync on and off, zab against a 3-server ZooKeeper ensemble on the same machine; RUNS runs each.
# Usage: zab-examples/scripts/bench-matrix.sh [RUNS] [DURATION_S] [WARMUP_S]  (after mvn package)
set -euo pipefail
runs=${1:-1}; duration=${2:-10}; warmup=${3:-5}
jar=zab-examples/target/zab-examples.jar
out=$(mktemp -d)
for fsync in on off; do
  for payload in 128 1024; do
    for window in 1 100 1000; do
      for run in $(seq 1 "$runs"); do
        clients=4; [ "$window" = 1 ] && clients=1
        flag=""; [ "$fsync" = off ] && flag="--no-fsync"
        f="$out/p${payload}-w${window}-f${fsync}-r${run}.json"
        java -jar "$jar" bench --payload "$payload" --window "$window" --clients "$clients" \
          --duration "$duration" --warmup "$warmup" $flag --compare zookeeper --json "$f" \
          > "$out/p${payload}-w${window}-f${fsync}-r${run}.log" 2>&1 || echo "run failed: $f" >&2
        python3 - "$f" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); z = r["zookeeper"]
print(f"| {r['payload']} | {r['window']} | {'on' if r['fsync'] else 'off'} | "
      f"{r['ops_per_sec']:,.0f} | {z['ops_per_sec']:,.0f} | {r['ops_per_sec']/z['ops_per_sec']:.1f}x | "
      f"{r['p50_ms']:.2f} / {z['p50_ms']:.2f} | {r['p99_ms']:.1f} / {z['p99_ms']:.1f} |")
PY
      done
    done
  done
done
echo "raw results: $out"
