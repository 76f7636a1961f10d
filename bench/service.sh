#!/usr/bin/env bash
# bench/service.sh: instructions per CRD order-sign decision in the service layer, without HTTP or audit
# (docs/PERFORMANCE.md "mednec serve"). A measurement, not a test. Instruction counts (valgrind callgrind) are
# stable on a loaded machine where wall-clock time is not.
#
#   bench/service.sh [N]     N: requests counted (default 10); build first (cmake --build build)
#
# Compiles bench/bench_service.c against build/libmednec.a, opens the service like bench/serve.sh does
# (--as-of 2026-11-20, the one-policy folder tests/data/service-policies) and posts
# tests/cli/data/serve/order-sign-crps.json to /cds-services/mednec-order-sign N times under callgrind,
# counting only inside mn_service_handle. Prints instructions per request.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}
command -v valgrind >/dev/null || { echo "bench/service.sh: valgrind is not installed" >&2; exit 1; }
[ -f build/libmednec.a ] || { echo "bench/service.sh: build/libmednec.a is not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -g -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude bench/bench_service.c -Wl,--start-group build/libmednec.a build/libmednec_net.a build/libmednec_crypto.a -Wl,--end-group \
  $(pkg-config --libs yaml-0.1 libpcre2-8 sqlite3 libpq libcrypto libcurl) -lpthread -lm -o "$tmp/bench_service"
"$tmp/bench_service" . tests/data/service-policies tests/cli/data/serve/order-sign-crps.json 1
valgrind --tool=callgrind --toggle-collect=mn_service_handle --callgrind-out-file="$tmp/cg" \
  "$tmp/bench_service" . tests/data/service-policies tests/cli/data/serve/order-sign-crps.json "$n" 2>"$tmp/log" >/dev/null
total=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/log")
echo "RESULT mn_service_handle: $((total / n)) instructions per order-sign request ($total for $n)"
if [ -n "${MN_BENCH_PROFILE:-}" ]; then
  callgrind_annotate --inclusive=yes "$tmp/cg" | sed -n '20,60p'
fi
