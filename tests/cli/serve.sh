#!/usr/bin/env bash
# mednec serve over real HTTP on 127.0.0.1 (docs/SERVICE.md), driven with curl: discovery, the DRG example as a
# CRD order-sign request (covered, prior authorization satisfied) and a variant without the psychological
# evaluation (auth-needed, the evaluation listed as missing), a shared PAS example, /healthz and /metrics
# counters, 404/405/413/400, CDS Hooks JWT (accepted, expired, wrong audience, replayed, absent), SIGTERM with a
# request in flight, and kill -9 in the middle of a stream of requests: after a restart the audit chain verifies
# and every request the client saw acknowledged has its row.
set -u
mednec="$1"
src="${MN_SOURCE_DIR:?}"
data="${MN_DATA_DIR:-$src/../shared/data}"
cd "$src"
for tool in curl openssl basenc; do
  command -v $tool >/dev/null || { echo "skipped: $tool is not installed (tools/deps.sh)"; exit 77; }
done
d=tests/cli/data/serve
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0
ok() {  # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then pass=$((pass+1)); else echo "FAIL: $what"; fail=$((fail+1)); fi
}
# One policy per service (a payer's deployment): the repository holds several payers' DRG trial policies.
mkdir -p "$tmp/policies"
cp policies/drg-stimulation-trial.yaml "$tmp/policies/"
store="sqlite:$tmp/audit.db"

. "$(dirname "$0")/server.bash"
# start LOGNAME [serve options...]: sets pid and base (http://127.0.0.1:PORT); waits for "listening on"
start() {
  local log=$tmp/$1.log; shift
  "$mednec" serve --listen 127.0.0.1:0 --as-of 2026-11-20 --store "$store" --policies "$tmp/policies" "$@" 2>"$log" &
  pid=$!
  pids+=("$pid")
  listening "$log" "$pid"
}
# req [curl args...]: prints the status; body in $tmp/body, headers in $tmp/hdr
req() { curl -s -o "$tmp/body" -D "$tmp/hdr" -w '%{http_code}' "$@"; }
flat() { tr -d ' \n' <"$tmp/body"; }
header() { sed -n "s/^$1: *\\([^\r]*\\)\r\?$/\\1/Ip" "$tmp/hdr" | head -1; }
post() { req -X POST -H 'Content-Type: application/json' --data-binary "@$1" "$base$2"; }

# ---- refusing to start ---------------------------------------------------------------------------------------
"$mednec" serve --listen 0.0.0.0:0 --store "$store" 2>"$tmp/err"; rc=$?
ok "non-loopback without --jwks exits 64 ($rc)" [ $rc -eq 64 ]
ok "non-loopback without --jwks says why: $(cat "$tmp/err")" grep -q 'refusing to listen on .0\.0\.0\.0. without --jwks' "$tmp/err"
"$mednec" serve --store "$store" 2>/dev/null; rc=$?
ok "no --listen exits 64 ($rc)" [ $rc -eq 64 ]

start main
# ---- discovery -------------------------------------------------------------------------------------------------
ok "GET /cds-services is 200" [ "$(req "$base/cds-services")" = 200 ]
ok "discovery lists order-sign" grep -q '"hook":"order-sign","id":"mednec-order-sign"' <(flat)
ok "discovery lists order-select" grep -q '"hook":"order-select","id":"mednec-order-select"' <(flat)
ok "discovery has the patient prefetch" grep -q '"patient":"Patient/{{context.patientId}}"' <(flat)

# ---- the example as order-sign: covered, prior authorization satisfied (CRD ext-coverage-information) ----------
decided=0
ok "order-sign example is 200" [ "$(post $d/order-sign-crps.json /cds-services/mednec-order-sign)" = 200 ]
decided=$((decided+1))
id1=$(header X-Request-Id)
ok "X-Request-Id is a UUID ($id1)" grep -qE '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' <<<"$id1"
ok "the order comes back with ext-coverage-information" \
  grep -q '"url":"http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"' <(flat)
ok "covered" grep -q '{"url":"covered","valueCode":"covered"}' <(flat)
ok "prior authorization satisfied" grep -q '{"url":"pa-needed","valueCode":"satisfied"}' <(flat)
ok "no documentation needed" bash -c "! grep -q '\"url\":\"doc-needed\"' <(tr -d ' \n' <'$tmp/body')"
"$mednec" audit show "$id1" --store "$store" >"$tmp/row" 2>"$tmp/err"
ok "audit show finds the decision by its request id: $(cat "$tmp/err")" grep -q "$id1" "$tmp/row"
ok "the stored row has the endpoint and outcome" grep -q 'meets-criteria' "$tmp/row"
want_sha=$(sha256sum <$d/order-sign-crps.json | cut -d' ' -f1)
ok "the stored input hash is the SHA-256 of the request body as sent" grep -q "$want_sha" "$tmp/row"

# ---- a variant: the psychological evaluation missing -> auth-needed, doc-needed clinical, the item listed --------
ok "order-sign variant is 200" [ "$(post $d/order-sign-crps-no-psych.json /cds-services/mednec-order-sign)" = 200 ]
decided=$((decided+1))
ok "variant: prior authorization needed" grep -q '{"url":"pa-needed","valueCode":"auth-needed"}' <(flat)
ok "variant: clinical documentation needed" grep -q '{"url":"doc-needed","valueCode":"clinical"}' <(flat)
ok "variant: never not-covered for a clinical reason" bash -c "! grep -q 'not-covered' '$tmp/body'"
ok "variant: the card names the missing evaluation" \
  grep -qF '**Missing:**\n\n- Psychological evaluation with clearance for neuromodulation' "$tmp/body"

# ---- a shared PAS example (Da Vinci PAS) ---------------------------------------------------------------------------
pas="$data/davinci/pas/Bundle-SurgicalRequestBundleExample.json"
if [ -f "$pas" ]; then
  st=$(post "$pas" '/Claim/$submit')
  ok "PAS \$submit of the shared surgical example is 200 ($st)" [ "$st" = 200 ]
  ok "PAS response is a Bundle with a ClaimResponse" grep -q '"resourceType":"ClaimResponse"' <(flat)
  ok "PAS response never certifies adversely (no A3)" bash -c "! grep -q '\"code\":\"A3\"' <(tr -d ' \n' <'$tmp/body')"
  ok "PAS: no mednec policy for the item's code (HCPCS 33510): pended, A4" \
    grep -q '"system":"https://codesystem.x12.org/005010/306","code":"A4"' <(flat)
  [ "$st" = 200 ] && decided=$((decided+1))
  ref=$(flat | grep -o '"preAuthRef":"[^"]*"' | head -1 | cut -d'"' -f4)
  ok "PAS: a preAuthRef is given ($ref)" [ -n "$ref" ]
  sed "s/PREAUTHREF/$ref/" $d/pas-inquire.json >"$tmp/inquire.json"
  ok "PAS \$inquire by that preAuthRef is 200" [ "$(post "$tmp/inquire.json" '/Claim/$inquire')" = 200 ]
  ok "PAS \$inquire answers with the stored ClaimResponse (same preAuthRef)" grep -q "\"preAuthRef\":\"$ref\"" <(flat)
  sed "s/PREAUTHREF/mednec-0000000000000000/" $d/pas-inquire.json >"$tmp/inquire.json"
  ok "PAS \$inquire for an unknown preAuthRef is 404" [ "$(post "$tmp/inquire.json" '/Claim/$inquire')" = 404 ]
else
  echo "SKIPPED (loudly): no shared PAS example at $pas; the PAS case is not tested here"
fi

# ---- /healthz, bad input -----------------------------------------------------------------------------------------
for _ in 1 2 3; do ok "/healthz is 200" [ "$(req "$base/healthz")" = 200 ]; done
ok "/healthz says ok" grep -q '"status":"ok"' <(flat)
ok "unknown path is 404" [ "$(req "$base/no/such/thing")" = 404 ]
ok "unknown hook is 404" [ "$(post $d/order-sign-crps.json /cds-services/no-such-service)" = 404 ]
ok "POST /healthz is 405" [ "$(req -X POST --data-binary x "$base/healthz")" = 405 ]
ok "405 names the allowed methods" [ "$(header Allow)" = "GET, HEAD" ]
ok "GET on a hook is 405" [ "$(req "$base/cds-services/mednec-order-sign")" = 405 ]
printf '{"hook": "order-sign",\n  "hookInstance": }' >"$tmp/malformed.json"
ok "malformed JSON is 400" [ "$(post "$tmp/malformed.json" /cds-services/mednec-order-sign)" = 400 ]
ok "malformed JSON: line and column given" grep -q 'line 2, column 19' "$tmp/body"
head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$tmp/big.json"
ok "a body over the 4 MiB cap is 413" [ "$(post "$tmp/big.json" /cds-services/mednec-order-sign)" = 413 ]
ok "413 says the cap" grep -q 'larger than 4194304 bytes' "$tmp/body"
ok "a chunked body over the cap is 413" \
  [ "$(req -X POST -H 'Transfer-Encoding: chunked' --data-binary "@$tmp/big.json" "$base/cds-services/mednec-order-sign")" = 413 ]
# libmicrohttpd's memory per connection is 256 KiB (docs/SERVICE.md, Limits): headers of 100 KB fit, 300 KB do not
printf 'X-Filler: %s\n' "$(head -c 100000 /dev/zero | tr '\0' x)" >"$tmp/hdr100k"
printf 'X-Filler: %s\n' "$(head -c 300000 /dev/zero | tr '\0' x)" >"$tmp/hdr300k"
ok "a 100 KB header fits in a connection's memory" [ "$(req -H "@$tmp/hdr100k" "$base/healthz")" = 200 ]
ok "a 300 KB header does not: 431" [ "$(req -H "@$tmp/hdr300k" "$base/healthz")" = 431 ]

# ---- /metrics ------------------------------------------------------------------------------------------------------
ok "/metrics is 200" [ "$(req "$base/metrics")" = 200 ]
ok "metrics: text exposition content type" grep -qi '^Content-Type: text/plain; version=0.0.4' "$tmp/hdr"
ok "metrics: 5 healthz answers counted (4 x 200, 1 x 405; the 431 is libmicrohttpd's own)" \
  grep -q '^mednec_http_requests_total{endpoint="/healthz",status="200"} 4$' "$tmp/body"
ok "metrics: the 405 counted" grep -q '^mednec_http_requests_total{endpoint="/healthz",status="405"} 1$' "$tmp/body"
ok "metrics: two 200 order-sign answers" \
  grep -q '^mednec_http_requests_total{endpoint="/cds-services/{id}",status="200"} 2$' "$tmp/body"
ok "metrics: the two 413s" grep -q '^mednec_http_requests_total{endpoint="/cds-services/{id}",status="413"} 2$' "$tmp/body"
ok "metrics: one meets-criteria determination" grep -q '^mednec_determinations_total{outcome="meets-criteria"} 1$' "$tmp/body"
ok "metrics: one insufficient-documentation determination" \
  grep -q '^mednec_determinations_total{outcome="insufficient-documentation"} 1$' "$tmp/body"
ok "metrics: histogram +Inf bucket equals the count" \
  grep -q '^mednec_http_request_duration_seconds_bucket{endpoint="/healthz",le="+Inf"} 5$' "$tmp/body"
ok "metrics: histogram count" grep -q '^mednec_http_request_duration_seconds_count{endpoint="/healthz"} 5$' "$tmp/body"

# ---- no patient data in the log -----------------------------------------------------------------------------------
ok "log: one line per answered request with id, endpoint, status, latency" \
  grep -qE "^mednec: request id=$id1 endpoint=/cds-services/\{id\} status=200 outcome=meets-criteria latency_ms=[0-9.]+$" "$tmp/main.log"
ok "log: no patient data (name, birth date, id)" bash -c "! grep -qE 'Dana|1971-04-12|pat-crps-001|FICTIONAL' '$tmp/main.log'"
ok "log: no raw path of an unknown endpoint" bash -c "! grep -q 'no/such/thing' '$tmp/main.log'"

# ---- SIGTERM with a request in flight: it finishes, then the server exits 0 --------------------------------------
curl -s -o "$tmp/slow.body" -w '%{http_code}' --limit-rate 16K -X POST --data-binary @$d/order-sign-crps.json \
  "$base/cds-services/mednec-order-sign" >"$tmp/slow.status" &
slow=$!
sleep 1.5
kill -TERM "$pid"
wait "$slow"
wait "$pid"; rc=$?
decided=$((decided+1))
ok "SIGTERM: the server exits 0 ($rc)" [ $rc -eq 0 ]
ok "SIGTERM: the request in flight was answered 200 ($(cat "$tmp/slow.status"))" [ "$(cat "$tmp/slow.status")" = 200 ]
ok "SIGTERM: the log says it stopped accepting, then stopped" grep -q 'no longer accepting; 1 request(s) in flight' "$tmp/main.log"
ok "SIGTERM: new connections are refused" bash -c "! curl -s -o /dev/null '$base/healthz'"
"$mednec" audit verify --store "$store" >"$tmp/verify" 2>&1; rc=$?
ok "audit verify after a clean stop: exit 0 ($rc) $(cat "$tmp/verify")" [ $rc -eq 0 ]
ok "audit verify counts the $decided decisions" grep -q "$decided rows" "$tmp/verify"

# ---- JWT (CDS Hooks 2.0): keys generated now with the openssl command line, tokens signed here (RS384) ----------
b64u() { basenc --base64url -w0 | tr -d '='; }
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/ehr.pem" 2>/dev/null
# RSAPublicKey DER of a 2048-bit key: 30 82 01 0a 02 82 01 01 00 <256 bytes n> 02 03 01 00 01
n=$(openssl rsa -in "$tmp/ehr.pem" -RSAPublicKey_out -outform DER 2>/dev/null | tail -c +10 | head -c 256 | b64u)
iss="https://ehr.example.org"
printf '{"keys":[{"kty":"RSA","kid":"ehr-1","alg":"RS384","iss":"%s","n":"%s","e":"AQAB"}]}\n' "$iss" "$n" >"$tmp/jwks.json"
token() {  # aud exp-offset jti
  local now h p
  now=$(date +%s)
  h=$(printf '{"alg":"RS384","typ":"JWT","kid":"ehr-1"}' | b64u)
  p=$(printf '{"iss":"%s","aud":"%s","exp":%d,"iat":%d,"jti":"%s"}' "$iss" "$1" $((now + $2)) "$now" "$3" | b64u)
  printf '%s.%s.%s' "$h" "$p" "$(printf '%s.%s' "$h" "$p" | openssl dgst -sha384 -sign "$tmp/ehr.pem" -binary | b64u)"
}
start jwt --jwks "$tmp/jwks.json"
hook="$base/cds-services/mednec-order-sign"
auth() { req -X POST -H "Authorization: Bearer $1" --data-binary @$d/order-sign-crps.json "$hook"; }
t=$(token "$hook" 300 "jti-1")
ok "JWT: a valid RS384 token is accepted" [ "$(auth "$t")" = 200 ]
decided=$((decided+1))
ok "JWT: the same token replayed is 401" [ "$(auth "$t")" = 401 ]
ok "JWT: replay named" grep -q 'replayed' "$tmp/body"
ok "JWT: expired is 401" [ "$(auth "$(token "$hook" -120 jti-2)")" = 401 ]
ok "JWT: expired named" grep -q 'expired' "$tmp/body"
ok "JWT: wrong audience is 401" [ "$(auth "$(token "$base/cds-services/mednec-order-select" 300 jti-3)")" = 401 ]
ok "JWT: 401 carries a Bearer challenge" grep -qi '^WWW-Authenticate: Bearer error="invalid_token"' "$tmp/hdr"
ok "JWT: absent is 401" [ "$(req -X POST --data-binary @$d/order-sign-crps.json "$hook")" = 401 ]
ok "JWT: a token signed by another key is 401" [ "$(auth "$(token "$hook" 300 jti-4 | sed 's/\.[^.]*$/.AAAA/')")" = 401 ]
ok "JWT: /healthz needs no token" [ "$(req "$base/healthz")" = 200 ]
kill -TERM "$pid"; wait "$pid"

# ---- limits: idle timeout (slow clients), connection count, a smaller body cap -------------------------------------
start limits --timeout 2 --max-connections 2 --max-body 1000
port=${base##*:}
exec 3<>/dev/tcp/127.0.0.1/"$port"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&3          # headers never finished
exec 4<>/dev/tcp/127.0.0.1/"$port"                               # an idle second connection
sleep 0.5
ok "a third connection over --max-connections 2 is not served while two are open" \
  bash -c "! curl -s -m 1 -o /dev/null '$base/healthz'"
t0=$(date +%s)
got=$(timeout 10 cat <&3); rc=$?
ok "a client that stalls mid-request is disconnected after the idle timeout (rc $rc, $(( $(date +%s) - t0 )) s)" \
  [ $rc -eq 0 ] && [ $(( $(date +%s) - t0 )) -le 6 ] && [ -z "$got" ]
exec 3<&- 4<&-
sleep 2.5
ok "after the idle connections are gone, a new request is answered" [ "$(req "$base/healthz")" = 200 ]
head -c 1001 /dev/zero | tr '\0' ' ' >"$tmp/1001.json"
ok "--max-body 1000: 1001 bytes is 413" [ "$(post "$tmp/1001.json" /cds-services/mednec-order-sign)" = 413 ]
ok "--max-body 1000: 413 says the cap" grep -q 'larger than 1000 bytes' "$tmp/body"
ok "--max-body 1000: 1000 bytes is read (400: not a CDS Hooks request)" \
  [ "$(head -c 1000 "$tmp/1001.json" | req -X POST --data-binary @- "$base/cds-services/mednec-order-sign")" = 400 ]
kill -TERM "$pid"; wait "$pid"

# ---- kill -9 in the middle of a stream of requests; restart; every acknowledged decision is stored ----------------
start crash
client() {  # n: posts until told to stop; records "STATUS ID" of each answer
  local i=0
  while [ ! -e "$tmp/stop" ] && [ $i -lt 400 ]; do
    curl -s -o /dev/null -D "$tmp/c$1.hdr" -w '%{http_code}\n' -X POST --data-binary @$d/order-sign-crps.json \
      "$base/cds-services/mednec-order-sign" >"$tmp/c$1.st" 2>/dev/null
    echo "$(cat "$tmp/c$1.st") $(sed -n 's/^X-Request-Id: *\([^\r]*\)\r\?$/\1/Ip' "$tmp/c$1.hdr")" >>"$tmp/acks"
    i=$((i+1))
  done
}
: >"$tmp/acks"
for c in 1 2 3 4; do client $c & done
sleep 2
kill -9 "$pid"
touch "$tmp/stop"
wait
acked=$(grep -c '^2[0-9][0-9] ' "$tmp/acks")
ok "the stream got acknowledged answers before the crash ($acked)" [ "$acked" -gt 0 ]
echo "kill -9: $acked of $(wc -l <"$tmp/acks") requests acknowledged before and around the crash"
start restarted
"$mednec" audit verify --store "$store" >"$tmp/verify" 2>&1; rc=$?
ok "after kill -9 and restart, audit verify passes ($rc): $(cat "$tmp/verify")" [ $rc -eq 0 ]
missing=0
while read -r st id; do
  case "$st" in 2??) "$mednec" audit show "$id" --store "$store" >/dev/null 2>&1 || missing=$((missing+1)) ;; esac
done <"$tmp/acks"
ok "every acknowledged decision ($acked) has its audit row ($missing missing)" [ $missing -eq 0 ]
ok "the restarted server decides and extends the chain" [ "$(post $d/order-sign-crps.json /cds-services/mednec-order-sign)" = 200 ]
kill -TERM "$pid"; wait "$pid"; rc=$?
ok "restarted server stops cleanly ($rc)" [ $rc -eq 0 ]
"$mednec" audit verify --store "$store" >"$tmp/verify" 2>&1; rc=$?
ok "audit verify at the end ($rc): $(cat "$tmp/verify")" [ $rc -eq 0 ]

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
