#!/usr/bin/env bash
# bench/serve.sh: mednec serve under load (docs/PERFORMANCE.md "mednec serve"). A benchmark, not a test.
#
#   bench/serve.sh [MEDNEC]     MEDNEC: the program (default build/mednec; build it first)
#
# Starts the server on 127.0.0.1 (any free port) with the audit store on (SQLite in a temporary folder, WAL,
# a durable commit per decision), the DRG trial policy only and --as-of 2026-11-20, and drives it with wrk
# (Debian package) posting the example order-sign request (tests/cli/data/serve/order-sign-crps.json) to
# /cds-services/mednec-order-sign for a fixed time at each connection count of a sweep (a closed loop: each
# connection sends its next request when the previous is answered, so mean latency = connections / throughput,
# and p99 < 5 ms at 2,000 requests/s needs fewer than 10 connections). Prints requests/s and the latency
# percentiles at each count, checks that every answer was 2xx and that the audit chain verifies with one row per
# answer. Then, for comparison, the HTTP layer alone: GET /healthz for up to 10 s.
#
# Environment: MN_BENCH_SECONDS (default 30, per connection count), MN_BENCH_CONNECTIONS (default "2 4 8": the
# sweep; one number for one run), MN_BENCH_WRK_THREADS
# (default 1), MN_BENCH_SERVER_THREADS (default: the server's, one fewer than the CPUs), MN_BENCH_STORE (default sqlite in a
# temporary folder; a postgresql:// URL measures PostgreSQL).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
mednec=${1:-$repo/build/mednec}
secs=${MN_BENCH_SECONDS:-30}
conns=${MN_BENCH_CONNECTIONS:-2 4 8}
wthreads=${MN_BENCH_WRK_THREADS:-1}
sthreads=${MN_BENCH_SERVER_THREADS:-}   # empty: the server's default
command -v wrk >/dev/null || { echo "bench/serve.sh: wrk is not installed (apt-get install wrk; tools/deps.sh)" >&2; exit 1; }
[ -x "$mednec" ] || { echo "bench/serve.sh: $mednec is not built" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
store=${MN_BENCH_STORE:-sqlite:$tmp/audit.db}
. "$here/serve-start.bash"
serve_start "$mednec" "$tmp" "$store" ${sthreads:+--threads "$sthreads"}
url="$base/cds-services/mednec-order-sign"
body="$repo/tests/cli/data/serve/order-sign-crps.json"
# one request first: it must decide (covered, prior authorization satisfied)
curl -s -X POST --data-binary "@$body" "$url" | tr -d ' \n' | grep -q '{"url":"pa-needed","valueCode":"satisfied"}' \
  || { echo "bench/serve.sh: the example was not decided as covered/satisfied" >&2; exit 1; }
echo "mednec serve: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, server threads ${sthreads:-default};" \
     "wrk -t$wthreads -c{$conns} -d${secs}s each, POST $(wc -c <"$body") bytes, store ${store%%:*}," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$tmp/results"
# the server's CPU time (user and system, in clock ticks) from /proc/PID/stat, fields 14 and 15
cpu_ticks() { awk '{print $14, $15}' "/proc/$pid/stat"; }
tck=$(getconf CLK_TCK)
for c in $conns; do
  read -r u0 s0 < <(cpu_ticks)
  MN_BENCH_BODY="$body" wrk -t"$wthreads" -c"$c" -d"${secs}s" --latency -s "$here/serve-post.lua" "$url" | tee "$tmp/wrk"
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$tmp/wrk")
  p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk")
  non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$tmp/wrk")
  read -r u1 s1 < <(cpu_ticks)
  n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$tmp/wrk")
  # server CPU per answer, in microseconds (the requests wrk left in flight are not counted: a slight overestimate)
  cpu=$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="${n:-0}" -v t="$tck" \
    'BEGIN { if (n > 0) printf "user %.0f us + system %.0f us", u * 1e6 / t / n, s * 1e6 / t / n; else print "?" }')
  echo "RESULT order-sign -c$c: requests/s=$rps p50=$p50 p99=$p99 non-2xx=${non2xx:-0}" \
       "server CPU per request: $cpu (load average $(cut -d' ' -f1 /proc/loadavg))" >>"$tmp/results"
done
# the HTTP layer alone, for comparison: GET /healthz (no decision, no audit row)
last=${conns##* }
wrk -t"$wthreads" -c"$last" -d"$(( secs < 10 ? secs : 10 ))s" --latency "$base/healthz" >"$tmp/wrk-healthz"
kill -TERM "$pid"; wait "$pid" || true; pid=
"$mednec" audit verify --store "$store" >"$tmp/verify"
rows=$(grep -o '[0-9]* rows' "$tmp/verify" | cut -d' ' -f1)
sent=$(grep -c 'status=200 outcome=meets-criteria' "$tmp/log" || true)
cat "$tmp/results"
echo "RESULT audit: rows=$rows (decisions answered: $sent), chain verified"
echo "RESULT /healthz -c$last (HTTP layer only): requests/s=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$tmp/wrk-healthz")" \
     "p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk-healthz") p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk-healthz")"
