#!/usr/bin/env bash
# bench/flush.sh: what bounds mednec serve's p99 with a durable audit store (docs/PERFORMANCE.md). A measurement,
# not a test. Every answer waits for the disk flush of its row's commit, so no answer is faster than a flush:
# this measures the flush alone (bench/flush.py: a 96 KiB write and fdatasync, in a loop, on the disk of the
# build folder, where bench/serve.sh's store lives) twice, on the machine as it is, and while mednec serve answers
# the example order-sign request under wrk with its audit store on tmpfs (so the server's CPU load is there but its
# own flushes are not).
#
#   bench/flush.sh [MEDNEC]     MEDNEC: the program (default build/mednec)
#
# Environment: MN_BENCH_SECONDS (default 10, each part), MN_BENCH_CONNECTIONS (default 4).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
mednec=${1:-$repo/build/mednec}
secs=${MN_BENCH_SECONDS:-10}
conns=${MN_BENCH_CONNECTIONS:-4}
command -v wrk >/dev/null || { echo "bench/flush.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$mednec" ] || { echo "bench/flush.sh: $mednec is not built" >&2; exit 1; }
disk=$(mktemp -d "$repo/build/flush.XXXXXX")
tmp=$(mktemp -d)
shm=$(mktemp -d /dev/shm/mednec-flush.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$disk" "$tmp" "$shm"; }
trap cleanup EXIT
echo "flush alone ($(df --output=source "$disk" | tail -1), load average $(cut -d' ' -f1-3 /proc/loadavg)):"
python3 "$here/flush.py" "$disk" "$secs"
. "$here/serve-start.bash"
serve_start "$mednec" "$tmp" "sqlite:$shm/audit.db"
MN_BENCH_BODY="$repo/tests/cli/data/serve/order-sign-crps.json" wrk -t1 -c"$conns" -d"$((secs + 2))s" --latency \
  -s "$here/serve-post.lua" "$base/cds-services/mednec-order-sign" >"$tmp/wrk" &
wpid=$!
sleep 1
echo "flush while mednec serve answers under wrk -c$conns, store on tmpfs (load average $(cut -d' ' -f1-3 /proc/loadavg)):"
python3 "$here/flush.py" "$disk" "$secs"
wait "$wpid"
echo "the server meanwhile: $(sed -n 's/^Requests\/sec: *//p' "$tmp/wrk") requests/s, p99 $(awk '$1 == "99%" {print $2}' "$tmp/wrk")"
