#!/usr/bin/env python3
"""The disk's own durable-write latency, the floor under any commit at synchronous=FULL:
N appends of 4 KiB to a file in DIR, each followed by fdatasync. Prints "BENCH_JSON {...}"."""
import json, os, sys, time

d = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
path = os.path.join(d, "fsync-probe.bin")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
lat = []
for _ in range(n):
    os.write(fd, b"x" * 4096)
    t = time.perf_counter()
    os.fdatasync(fd)
    lat.append((time.perf_counter() - t) * 1000)
os.close(fd)
os.unlink(path)
lat.sort()
pick = lambda p: round(lat[min(n - 1, int(p / 100 * n))], 3)
print("BENCH_JSON " + json.dumps({"n": n, "p50_ms": pick(50), "p90_ms": pick(90), "p99_ms": pick(99),
                                  "max_ms": round(lat[-1], 3)}))
