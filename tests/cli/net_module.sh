#!/usr/bin/env bash
# The PostgreSQL audit store, the CDS Hooks fhirServer fetcher, SHA-256 and the server as modules
# (src/cli/net_module.c, crypto_module.c, serve_module.c, module.c; docs/PERFORMANCE.md, sessions 18 and 19): the
# program links neither libpq, libcurl, libcrypto nor libmicrohttpd; a postgresql:// store loads mednec-pg.so,
# every store mednec-crypto.so, `serve` mednec-serve.so, the server's first fetch from a fhirServer mednec-fetch.so,
# from beside the program or from ../lib/mednec/. Without mednec-crypto.so every command given a store stops with
# exit 69 and the reason before any work (without a store they work); without mednec-pg.so every command given a
# postgresql:// store does (sqlite: stores work); without mednec-serve.so `serve` does; without mednec-fetch.so the
# server answers as when a fetch fails: 200, the card says the prefetch could not be fetched. (The real PostgreSQL
# store through the module: cli_audit; the fetcher against a fixture server: test_service.)
. "$(dirname "$0")/common.bash" "$@"
. "$(dirname "$0")/server.bash"
cd "${MN_SOURCE_DIR:?}"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
build=$(dirname "$(realpath "$mednec")")
for m in pg fetch crypto serve; do
  [ -f "$build/mednec-$m.so" ] || { echo "FAIL: $build/mednec-$m.so not built beside $mednec"; exit 1; }
done
det=(determine examples/crps-ii-drg-trial.json --policy drg-stimulation-trial --as-of 2026-11-20)
pgurl="postgresql://mednec@127.0.0.1:1/mednec?connect_timeout=2"

# the program itself needs neither libpq, libcurl, libcrypto nor libmicrohttpd; the modules do
needed=$(readelf -d "$mednec" | grep NEEDED)
if echo "$needed" | grep -Eq 'libpq|libcurl|libcrypto|libmicrohttpd|libgnutls'; then
  bad "mednec links libpq, libcurl, libcrypto or libmicrohttpd: $needed"
else ok; fi
readelf -d "$build/mednec-pg.so" | grep -q 'libpq\.so' && ok || bad "mednec-pg.so does not link libpq"
readelf -d "$build/mednec-fetch.so" | grep -q 'libcurl\.so' && ok || bad "mednec-fetch.so does not link libcurl"
readelf -d "$build/mednec-crypto.so" | grep -q 'libcrypto\.so' && ok || bad "mednec-crypto.so does not link libcrypto"
readelf -d "$build/mednec-serve.so" | grep -q 'libmicrohttpd\.so' && ok || bad "mednec-serve.so does not link libmicrohttpd"
# the serve module exports its entry only (its copy of the library stays inside it)
exported=$(nm -D --defined-only "$build/mednec-serve.so" | awk '{print $3}')
[ "$exported" = mn_serve_module_v1 ] && ok || bad "mednec-serve.so exports more than its entry: $(echo $exported | head -c 300)"

# with the module: a postgresql:// store is opened through it (no server on port 1: libpq's own error, not 69)
"$mednec" "${det[@]}" --store "$pgurl" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 69 ] && grep -q 'audit (postgresql): cannot connect' "$tmp/err" && ok ||
  { bad "with the module, no server: exit $rc"; cat "$tmp/err"; }

# a program alone: exit 69 and the reason, before any work, nothing written
mkdir -p "$tmp/alone"
cp "$mednec" "$tmp/alone/mednec"
# without mednec-crypto.so no store can be used (SHA-256), every other command works
"$tmp/alone/mednec" "${det[@]}" --store "sqlite:$tmp/c.db" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 69 ] && [ ! -s "$tmp/out" ] && [ ! -e "$tmp/c.db" ] && ok || bad "no crypto module: determine --store exit $rc, want 69"
grep -q 'SHA-256 (for the audit trail) is not available: mednec-crypto.so is neither in' "$tmp/err" && ok ||
  { bad "no crypto module: message"; cat "$tmp/err"; }
"$tmp/alone/mednec" audit verify --store "sqlite:$tmp/c.db" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 69 ] && [ ! -s "$tmp/out" ] && ok || bad "no crypto module: audit verify exit $rc, want 69"
"$tmp/alone/mednec" "${det[@]}" >"$tmp/out" 2>/dev/null && grep -q '^Determination: meets-criteria' "$tmp/out" && ok ||
  bad "no crypto module: determine without a store"
# without mednec-serve.so, serve stops with 69 and the reason
"$tmp/alone/mednec" serve --listen 127.0.0.1:0 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 69 ] && grep -q 'serve is not available: mednec-serve.so is neither in' "$tmp/err" && ok ||
  { bad "no serve module: serve exit $rc, want 69"; cat "$tmp/err"; }
cp "$build/mednec-crypto.so" "$tmp/alone/"
"$tmp/alone/mednec" "${det[@]}" --store "$pgurl" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 69 ] && ok || bad "no module: determine --store exit $rc, want 69"
grep -q 'the PostgreSQL audit store is not available: mednec-pg.so is neither in' "$tmp/err" && ok ||
  { bad "no module: message"; cat "$tmp/err"; }
[ ! -s "$tmp/out" ] && ok || bad "no module: determine printed something"
for cmd in "audit verify" "audit show some-id"; do
  # shellcheck disable=SC2086
  "$tmp/alone/mednec" $cmd --store "$pgurl" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [ $rc -eq 69 ] && [ ! -s "$tmp/out" ] && ok || bad "no module: $cmd exit $rc, want 69"
done
cp "$build/mednec-serve.so" "$tmp/alone/"   # the server's module, without the PostgreSQL store's
"$tmp/alone/mednec" serve --listen 127.0.0.1:0 --store "$pgurl" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 69 ] && grep -q 'mednec-pg.so' "$tmp/err" && ok || { bad "no module: serve exit $rc, want 69"; cat "$tmp/err"; }
# a sqlite: store needs no other module
"$tmp/alone/mednec" "${det[@]}" --store "sqlite:$tmp/a.db" >"$tmp/out" 2>/dev/null && [ -s "$tmp/out" ] &&
  "$tmp/alone/mednec" audit verify --store "sqlite:$tmp/a.db" >/dev/null 2>&1 && ok || bad "no module: sqlite store"
# a file of that name that is not the module
yaml=$(ldd "$mednec" | awk '/libyaml/ {print $3; exit}')
cp "${yaml:-/bin/true}" "$tmp/alone/mednec-pg.so"
"$tmp/alone/mednec" "${det[@]}" --store "$pgurl" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 69 ] && [ ! -s "$tmp/out" ] && grep -q 'the PostgreSQL audit store is not available' "$tmp/err" && ok ||
  { bad "not the module: exit $rc, want 69"; cat "$tmp/err"; }
rm -f "$tmp/alone/mednec-pg.so"

# the fetcher: an order-sign request without prefetch, with a loopback fhirServer that has nothing (404)
command -v curl >/dev/null && command -v python3 >/dev/null || { echo "SKIPPED: no curl or python3 for the fetcher part"; finish net_module; }
mkdir -p "$tmp/fhir" "$tmp/policies"
cp policies/drg-stimulation-trial.yaml "$tmp/policies/"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$tmp/fhir" >"$tmp/fhir.log" 2>&1 &
pids+=($!)
fport=
for _ in $(seq 100); do
  fport=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$tmp/fhir.log" | head -1)
  [ -n "$fport" ] && break
  sleep 0.1
done
python3 - "$fport" >"$tmp/req.json" <<'PY'
import json, sys
d = json.load(open("tests/cli/data/serve/order-sign-crps.json"))
d["prefetch"] = {}
d["fhirServer"] = "http://127.0.0.1:%s/r4" % sys.argv[1]
d["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer", "expires_in": 300, "scope": "user/*.read",
                          "subject": "mednec"}
print(json.dumps(d))
PY
# serve PROGRAM NAME: POST the request; the status, the body in $tmp/NAME.body, the log in $tmp/NAME.log
serve() {
  local prog=$1 name=$2 base= pid
  "$prog" serve --listen 127.0.0.1:0 --as-of 2026-11-20 --store "sqlite:$tmp/$name.db" --policies "$tmp/policies" \
    2>"$tmp/$name.log" &
  pid=$!
  pids+=("$pid")
  listening "$tmp/$name.log" "$pid"
  curl -s -o "$tmp/$name.body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary "@$tmp/req.json" "$base/cds-services/mednec-order-sign"
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
if [ -z "$fport" ]; then
  echo "SKIPPED: the fixture HTTP server (python3 -m http.server) did not start"
else
  code=$(serve "$mednec" with)
  [ "$code" = 200 ] && grep -q 'could not be fetched from fhirServer (HTTP status 404)' "$tmp/with.body" && ok ||
    { bad "with the module: $code $(head -c 300 "$tmp/with.body")"; cat "$tmp/with.log"; }
  grep -q 'GET /r4/' "$tmp/fhir.log" && ok || bad "with the module: the fhirServer was not asked"
  : >"$tmp/fhir.log"
  code=$(serve "$tmp/alone/mednec" alone)
  [ "$code" = 200 ] && grep -q 'could not be fetched from fhirServer (the fhirServer fetcher mednec-fetch.so is not available on this server)' "$tmp/alone.body" && ok ||
    { bad "no module: $code $(head -c 300 "$tmp/alone.body")"; cat "$tmp/alone.log"; }
  grep -q 'the fhirServer fetcher is not available: mednec-fetch.so is neither in' "$tmp/alone.log" && ok ||
    { bad "no module: the reason is not in the server's log"; cat "$tmp/alone.log"; }
  ! grep -q 'GET /r4/' "$tmp/fhir.log" && ok || bad "no module: the fhirServer was asked"
fi

finish net_module
