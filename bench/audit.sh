#!/usr/bin/env bash
# Appends per second to the audit trail (docs/SERVICE.md "Audit trail"), not a test: an SQLite file in a
# temporary directory on the disk of $TMPDIR (default /tmp), and a throwaway PostgreSQL 15 (tools/pg-tmp.sh),
# each with 1, 4, 16 and 64 threads sharing one store handle. Usage: bench/audit.sh [N]  (default 2000 appends)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target mednec_lib mednec_crypto >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mn-bench-audit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude bench/bench_audit.c build/libmednec.a build/libmednec_crypto.a \
  $(pkg-config --libs yaml-0.1 libpcre2-8 sqlite3 libpq libcrypto libcurl) -lpthread -lm -o "$tmp/bench_audit"
for t in 1 4 16 64; do
  echo "sqlite ($t thread(s)): $("$tmp/bench_audit" "sqlite:$tmp/a$t.db" "$n" "$t" | tr '\n' ' ')"
done
cat >"$tmp/pg.sh" <<PG
for t in 1 4 16 64; do echo "postgresql (\$t thread(s)): \$("$tmp/bench_audit" "\$MN_PG_URL" "$n" "\$t" | tr '\n' ' ')"; done
PG
tools/pg-tmp.sh bash "$tmp/pg.sh" || echo "postgresql: not measured (tools/pg-tmp.sh could not start a server)"
