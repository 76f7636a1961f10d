#!/usr/bin/env python3
"""bench/flush.py DIR SECONDS [SIZE_KIB]: the latency of a durable write on the disk holding DIR, as the audit
store's commit does one (docs/PERFORMANCE.md, "What bounds p99"): write SIZE_KIB (default 96, about a commit of
two or three decisions' rows) at the next offset of a 32 MiB file, then fdatasync it; again for SECONDS.
Prints the count and the latency percentiles in milliseconds."""
import os
import sys
import time

folder, seconds = sys.argv[1], float(sys.argv[2])
size = int(sys.argv[3]) << 10 if len(sys.argv) > 3 else 96 << 10
path = os.path.join(folder, "flush-probe")
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
block, offset, took = os.urandom(size), 0, []
end = time.monotonic() + seconds
while time.monotonic() < end:
    t0 = time.perf_counter()
    os.pwrite(fd, block, offset)
    os.fdatasync(fd)
    took.append((time.perf_counter() - t0) * 1000)
    offset = (offset + size) % (32 << 20)
os.close(fd)
os.unlink(path)
took.sort()
n = len(took)
q = lambda f: took[min(n - 1, int(n * f))]
print("flushes=%d p50=%.2fms p90=%.2fms p99=%.2fms p99.9=%.2fms max=%.2fms"
      % (n, q(0.5), q(0.9), q(0.99), q(0.999), took[-1]))
