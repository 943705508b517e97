#!/usr/bin/env python3
"""Times how long a wiped follower takes to catch up a large KV state by SNAP.

Starts three KV server processes from the built jar on 127.0.0.1 (fsync on), writes
STATE_MIB values of 1,000,000 bytes through the leader's HTTP API, kills one follower with
SIGKILL, wipes its data directory, restarts it as joining an existing cluster, and reports the
seconds until its digest equals the leader's, the leader's peak heap (jcmd GC.heap_info,
sampled during the catch-up), and the bytes of its live objects (jcmd GC.class_histogram,
which collects first) before and during the transfer. Every loop is bounded in count and
time; everything it starts is killed at the end.

usage: snap-catchup.py [STATE_MIB] [HEAP]   (defaults 1024 and 3g)
With SNAP_HISTOGRAM=1 in the environment it also prints the leader's largest classes each time
its live objects reach a new peak during the transfer.
"""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

JAR = os.path.join(os.path.dirname(__file__), "..", "target", "zab-examples.jar")
STATE_MIB = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
HEAP = sys.argv[2] if len(sys.argv) > 2 else "3g"
QUORUM = {1: 7311, 2: 7312, 3: 7313}
HTTP = {1: 8311, 2: 8312, 3: 8313}
ROOT = tempfile.mkdtemp(prefix="snap-catchup-")
procs = {}


def start(i, existing=False):
    peers = ",".join(f"{n}=127.0.0.1:{p}" for n, p in QUORUM.items())
    args = ["java", f"-Xmx{HEAP}", "-Dzab.log.level=INFO", "-jar", JAR, "server", "--id", str(i), "--peers", peers,
            "--data-dir", os.path.join(ROOT, f"n{i}"), "--http", f"127.0.0.1:{HTTP[i]}"]
    if existing:
        args += ["--initial-cluster-state", "existing"]
    log = open(os.path.join(ROOT, f"n{i}.log"), "a")
    procs[i] = subprocess.Popen(args, stdout=log, stderr=log)


def call(i, method, path, body=None, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", HTTP[i], timeout=timeout)
    try:
        c.request(method, path, body=body)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def status(i):
    try:
        code, body = call(i, "GET", "/status", timeout=5)
        return json.loads(body) if code == 200 else None
    except OSError:
        return None


def leader(deadline_s=120):
    end = time.time() + deadline_s
    while time.time() < end:
        for i in procs:
            s = status(i)
            if s and s.get("role") == "LEADING" and s.get("leader") is not None:
                return i
        time.sleep(0.2)
    raise SystemExit("no leader within %d s" % deadline_s)


def heap_used_mib(pid):
    out = subprocess.run(["jcmd", str(pid), "GC.heap_info"], capture_output=True, text=True,
                         timeout=20).stdout
    m = re.search(r"used (\d+)K", out)
    return int(m.group(1)) // 1024 if m else -1


def live_heap_mib(pid):
    """The bytes of live objects (jcmd GC.class_histogram runs a full collection first).

    Not "used" after a GC: G1 counts whole regions there, and with values of a megabyte
    (humongous objects) that figure swung by hundreds of MiB while the live objects did not
    change by one."""
    out = subprocess.run(["jcmd", str(pid), "GC.class_histogram"], capture_output=True,
                         text=True, timeout=120).stdout
    m = re.search(r"^Total\s+\d+\s+(\d+)", out, re.MULTILINE)
    return int(m.group(1)) // (1 << 20) if m else -1


def main():
    try:
        for i in QUORUM:
            start(i)
        lead = leader()
        value = b"v" * 1_000_000

        def put(k):
            for _ in range(20):
                code, body = call(lead, "PUT", f"/kv/k{k}", value)
                if code == 200:
                    return
                time.sleep(0.5)
            raise SystemExit(f"PUT k{k} failed: {code} {body[:200]}")

        t0 = time.time()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(put, range(STATE_MIB)))
        print(f"loaded {STATE_MIB} values of 1,000,000 bytes in {time.time() - t0:.1f} s")
        victim = next(i for i in QUORUM if i != lead)
        procs[victim].send_signal(signal.SIGKILL)
        procs[victim].wait(30)
        shutil.rmtree(os.path.join(ROOT, f"n{victim}"))
        target = status(lead)["digest"]
        live_before = live_heap_mib(procs[lead].pid)
        t1 = time.time()
        start(victim, existing=True)
        peak = 0
        live_peak = 0
        caught = None
        while time.time() - t1 < 600:
            peak = max(peak, heap_used_mib(procs[lead].pid))
            live = live_heap_mib(procs[lead].pid)
            if live > live_peak and os.environ.get("SNAP_HISTOGRAM"):
                histo = subprocess.run(["jcmd", str(procs[lead].pid), "GC.class_histogram"],
                                       capture_output=True, text=True, timeout=60).stdout
                print(f"leader live heap {live} MiB; largest classes:")
                print("\n".join(histo.splitlines()[:12]))
            live_peak = max(live_peak, live)
            s = status(victim)
            if s and s.get("digest") == target:
                caught = time.time() - t1
                break
            time.sleep(0.5)
        if caught is None:
            raise SystemExit("the wiped follower did not catch up within 600 s; logs in " + ROOT)
        print(f"wiped follower {victim} caught up {STATE_MIB} MiB in {caught:.1f} s"
              f" (restart included); leader {lead} heap used peaked at {peak} MiB (-Xmx{HEAP})")
        print(f"leader {lead} live objects (class histogram): {live_before} MiB before the"
              f" transfer, at most {live_peak} MiB during it"
              f" ({live_peak - live_before:+d} MiB for the transfer)")
        snaps = open(os.path.join(ROOT, f"n{lead}.log")).read().count("SNAP for learner")
        print(f"leader log: {snaps} SNAP decision(s); oom: "
              f"{'OutOfMemoryError' in open(os.path.join(ROOT, f'n{lead}.log')).read()}")
    finally:
        for p in procs.values():
            p.kill()
        for p in procs.values():
            p.wait(30)
        if os.environ.get("KEEP") is None:
            shutil.rmtree(ROOT, ignore_errors=True)


if __name__ == "__main__":
    main()
