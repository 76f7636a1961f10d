#!/usr/bin/env python3
"""bench/cputime.py FILE COMMAND [ARG...]: run COMMAND (its standard streams are this one's) and write the CPU
time it used, user + system, in microseconds, to FILE; exit with its status. The kernel keeps a process's CPU
time to the nanosecond (only its split between user and system is sampled), where GNU time prints hundredths of
a second: too coarse for a process of 20 ms (bench/whole.sh)."""
import os
import sys

# posix_spawn (vfork and exec): a forked copy of this interpreter would add its own page faults to the count
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % round((usage.ru_utime + usage.ru_stime) * 1e6))
sys.exit(os.waitstatus_to_exitcode(status))
