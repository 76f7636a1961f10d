#!/usr/bin/env bash
# The reviewer page's routes over real HTTP with curl (docs/REVIEWER.md): the example case and a pended variant
# (no psychological evaluation) go through PAS $submit; the queue lists them by opaque audit ids; unknown or
# malformed ids are 404; a POST without the page's CSRF token (or with another case's) is 403 and stores nothing;
# a denial without a reason, without a criterion, or by a non-physician is 422 and stores nothing; a physician's
# denial is stored (303), shown on the page, in `mednec audit show` and by $inquire (A3 with the reason, A4 before);
# the chain still verifies; an approval gives A1; the access log holds no patient data.
set -u
mednec="$1"
src="${MN_SOURCE_DIR:?}"
cd "$src"
for tool in curl python3; do
  command -v $tool >/dev/null || { echo "SKIPPED: $tool is not installed (tools/deps.sh)"; exit 77; }
done
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0
ok() {  # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then pass=$((pass+1)); else echo "FAIL: $what"; fail=$((fail+1)); fi
}
mkdir -p "$tmp/policies"
cp policies/drg-stimulation-trial.yaml "$tmp/policies/"
store="sqlite:$tmp/audit.db"
python3 tests/cli/data/review/pas-bundle.py >"$tmp/full.json"
python3 tests/cli/data/review/pas-bundle.py psych-eval-2026-03 psych-clearance-2026-03 >"$tmp/pended.json"

"$mednec" serve --listen 127.0.0.1:0 --as-of 2026-11-20 --store "$store" --policies "$tmp/policies" 2>"$tmp/log" &
pid=$!
. "$(dirname "$0")/server.bash"
listening "$tmp/log" "$pid"

req() { curl -s -o "$tmp/body" -D "$tmp/hdr" -w '%{http_code}' "$@"; }
header() { sed -n "s/^$1: *\\([^\r]*\\)\r\?$/\\1/Ip" "$tmp/hdr" | head -1; }
submit() { req -X POST -H 'Content-Type: application/fhir+json' --data-binary "@$1" "$base/Claim/\$submit"; }
ref_of() { grep -o '"preAuthRef":"mednec-[0-9a-f]*"' "$tmp/body" | head -1 | cut -d'"' -f4; }
inquire() { sed "s/PREAUTHREF/$1/" tests/cli/data/serve/pas-inquire.json >"$tmp/inq.json"
            req -X POST -H 'Content-Type: application/fhir+json' --data-binary "@$tmp/inq.json" "$base/Claim/\$inquire"; }
action() { grep -o '"code":"A[0-9]"' "$tmp/body" | head -1 | cut -d'"' -f4; }

ok "\$submit of the example is 200" [ "$(submit "$tmp/full.json")" = 200 ]
full_id=$(header X-Request-Id) full_ref=$(ref_of)
ok "the example is certified (A1)" [ "$(action)" = A1 ]
ok "\$submit of the pended variant is 200" [ "$(submit "$tmp/pended.json")" = 200 ]
pend_id=$(header X-Request-Id) pend_ref=$(ref_of)
ok "the variant is pended (A4)" [ "$(action)" = A4 ]
"$mednec" audit show "$pend_id" --store "$store" >"$tmp/row"
ok "the stored case keeps its as-of date" grep -q '\\"asOf\\":\\"2026-11-20\\"' "$tmp/row"
ok "the stored case keeps its request Bundle" grep -q '\\"request\\":{' "$tmp/row"

# ---- the queue ---------------------------------------------------------------------------------------------------
ok "GET /review is 200" [ "$(req "$base/review")" = 200 ]
ok "the queue is HTML" grep -q '^text/html' <<<"$(header Content-Type)"
ok "the queue page has a Content-Security-Policy" grep -q "default-src 'none'" <<<"$(header Content-Security-Policy)"
ok "the queue links the pended case by its audit id" grep -q "href=\"/review/case/$pend_id\"" "$tmp/body"
ok "the queue links the certified case by its audit id" grep -q "href=\"/review/case/$full_id\"" "$tmp/body"
# the pended case is listed in the Pended table (before the Recent heading), the certified one after it
pend_line=$(grep -n "/review/case/$pend_id" "$tmp/body" | cut -d: -f1)
recent_line=$(grep -n 'id="h-recent"' "$tmp/body" | cut -d: -f1)
full_line=$(grep -n "/review/case/$full_id" "$tmp/body" | cut -d: -f1)
ok "pended case under Pended, certified under Recent" [ "$pend_line" -lt "$recent_line" ] && [ "$full_line" -gt "$recent_line" ]
ok "the queue has a skip link" grep -q '<a class="skip" href="#main">' "$tmp/body"
ok "every link into a case is /review/case/ID with no query string" \
  bash -c "! grep -o 'href=\"/review[^\"]*\"' '$tmp/body' | grep -q '?'"

# ---- 404 and 405 ------------------------------------------------------------------------------------------------
ok "unknown case id is 404" [ "$(req "$base/review/case/00000000-0000-4000-8000-000000000000")" = 404 ]
ok "a malformed id is 404" [ "$(req "$base/review/case/..%2F..%2Fetc")" = 404 ]
ok "a preAuthRef is not a case id (404)" [ "$(req "$base/review/case/$pend_ref")" = 404 ]
ok "an unknown review page is 404" [ "$(req "$base/review/nothing")" = 404 ]
ok "letter of an unknown id is 404" [ "$(req "$base/review/case/00000000-0000-4000-8000-000000000000/letter")" = 404 ]
ok "PUT on a case is 405" [ "$(req -X PUT "$base/review/case/$pend_id")" = 405 ]
ok "POST on the queue is 405" [ "$(req -X POST --data x=1 "$base/review")" = 405 ]

# ---- the case view -------------------------------------------------------------------------------------------------
ok "GET the pended case is 200" [ "$(req "$base/review/case/$pend_id")" = 200 ]
cp "$tmp/body" "$tmp/case.html"
ok "the case view names the psychological evaluation criterion as not documented" \
  grep -q '<span class="status">Not documented:</span> Psychological evaluation' "$tmp/case.html"
ok "the case view lists it under missing documentation" \
  grep -A40 'id="h-missing"' "$tmp/case.html" | grep -q 'Psychological evaluation'
ok "the case view shows a dated record entry (the ODI of 2026-11)" grep -q '<td>2026-11-05</td>' "$tmp/case.html"
ok "the case view has a timeline" grep -q 'id="h-timeline"' "$tmp/case.html"
ok "the case view has the scores (Budapest)" grep -q 'Budapest' "$tmp/case.html"
ok "the case view links the letter PDF" grep -q "href=\"/review/case/$pend_id/letter.pdf\"" "$tmp/case.html"
ok "the case view has the decision form" grep -q "action=\"/review/case/$pend_id/decision\"" "$tmp/case.html"
token=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$tmp/case.html" | sed 's/.*value="//; s/"$//')
ok "the form carries a 64-hex CSRF token" grep -qE '^[0-9a-f]{64}$' <<<"$token"
ok "GET the letter is 200" [ "$(req "$base/review/case/$pend_id/letter")" = 200 ]
ok "the letter names the policy's service" grep -qi 'dorsal root ganglion' "$tmp/body"
ok "the letter is the HTML writer's page (mn_doc_write_html)" grep -qi '<!DOCTYPE html>' "$tmp/body"
ok "the letter page has its own h1" grep -q '<h1' "$tmp/body"
st=$(req "$base/review/case/$pend_id/letter.pdf")
if [ "$st" = 501 ] && grep -q 'PDF writer' "$tmp/body"; then
  echo "NOTE: this build's PDF writer is a stub (src/render/pdf.c): the PDF download answers 501, not checked"
else
  ok "the letter PDF is 200 ($st)" [ "$st" = 200 ]
  ok "the letter PDF is a PDF" [ "$(head -c 5 "$tmp/body")" = "%PDF-" ]
  ok "the letter PDF is a download" grep -q "^attachment; filename=\"letter-$pend_ref.pdf\"" <<<"$(header Content-Disposition)"
  ok "the letter PDF is application/pdf" [ "$(header Content-Type)" = application/pdf ]
  if command -v pdftotext >/dev/null; then
    ok "the letter PDF's text names the service" bash -c "pdftotext '$tmp/body' - | grep -qi 'dorsal root ganglion'"
  fi
fi
ok "the certified case shows no decision form" \
  bash -c "[ \"\$(curl -s -o '$tmp/full.html' -w '%{http_code}' '$base/review/case/$full_id')\" = 200 ] && ! grep -q '/decision\"' '$tmp/full.html'"

# ---- decisions refused --------------------------------------------------------------------------------------------
rows() { "$mednec" audit verify --store "$store" 2>&1 | grep -o '[0-9]* rows' | cut -d' ' -f1; }
before=$(rows)
post() { req -X POST -H 'Content-Type: application/x-www-form-urlencoded' --data "$1" "$base/review/case/$2/decision"; }
good="decision=deny&reviewer=Ada+Quill&credentials=MD&criterion=psych-clearance&reason=No+psychological+evaluation+with+clearance+within+12+months+is+in+the+record"
ok "POST without the CSRF token is 403" [ "$(post "$good" "$pend_id")" = 403 ]
ok "POST with a wrong CSRF token is 403" [ "$(post "csrf=$(printf '0%.0s' $(seq 64))&$good" "$pend_id")" = 403 ]
ok "POST with the token of another case's page is 403" [ "$(post "csrf=$token&$good" "$full_id")" = 403 ]
ok "POST as JSON (not the form) is 400" \
  [ "$(req -X POST -H 'Content-Type: application/json' --data '{}' "$base/review/case/$pend_id/decision")" = 400 ]
ok "deny without a reason is 422" \
  [ "$(post "csrf=$token&decision=deny&reviewer=Ada+Quill&credentials=MD&criterion=psych-clearance&reason=+" "$pend_id")" = 422 ]
ok "... saying a reason is needed" grep -q 'A denial needs a specific reason' "$tmp/body"
ok "deny without a criterion is 422" \
  [ "$(post "csrf=$token&decision=deny&reviewer=Ada+Quill&credentials=MD&reason=Not+documented" "$pend_id")" = 422 ]
ok "... saying a criterion is needed" grep -q 'at least one criterion' "$tmp/body"
ok "deny by a non-physician (RN) is 422" \
  [ "$(post "csrf=$token&decision=deny&reviewer=Bo+Nurse&credentials=RN%2C+BSN&criterion=psych-clearance&reason=x" "$pend_id")" = 422 ]
ok "... citing 42 CFR 422.566(d)" grep -q '422.566(d)' "$tmp/body"
ok "deny naming a criterion the policy lacks is 422" \
  [ "$(post "csrf=$token&decision=deny&reviewer=Ada+Quill&credentials=MD&criterion=made-up&reason=x" "$pend_id")" = 422 ]
ok "a refused form keeps the reason as typed, escaped" \
  bash -c "[ \"\$(curl -s -o '$tmp/b2' -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' \
    --data 'csrf=$token&decision=deny&reviewer=Ada&credentials=MD&reason=%3Cscript%3E' '$base/review/case/$pend_id/decision')\" = 422 ] \
    && grep -q '&lt;script&gt;</textarea>' '$tmp/b2' && ! grep -q '<script>' '$tmp/b2'"
ok "no refused POST stored a row" [ "$(rows)" = "$before" ]
ok "before a decision, \$inquire answers A4 for the pended case" [ "$(inquire "$pend_ref")" = 200 ] && [ "$(action)" = A4 ]

# ---- a physician's denial -------------------------------------------------------------------------------------------
ok "a physician's denial is 303" [ "$(post "csrf=$token&$good" "$pend_id")" = 303 ]
ok "... back to the case page" [ "$(header Location)" = "/review/case/$pend_id" ]
ok "one row more in the chain" [ "$(rows)" = $((before + 1)) ]
ok "the chain verifies" bash -c "\"$mednec\" audit verify --store \"$store\" >/dev/null"
ok "the case page shows the denial" bash -c "curl -s '$base/review/case/$pend_id' | grep -q '<strong>Denied</strong> by Ada Quill, MD'"
ok "a second decision is refused (409)" [ "$(post "csrf=$token&decision=approve&reviewer=Ada+Quill&credentials=MD" "$pend_id")" = 409 ]
"$mednec" audit show "$pend_ref" --store "$store" >"$tmp/row"
ok "audit show KEY shows the decision row" grep -q '"endpoint":"review/decision"' "$tmp/row"
ok "... denied" grep -q '"outcome":"denied"' "$tmp/row"
ok "... with the reviewer, credentials, criterion and reason" \
  grep -q 'Ada Quill.*MD.*psych-clearance\|psych-clearance.*Ada Quill' "$tmp/row"
ok "... naming the case row" grep -q "\\\\\"case\\\\\":\\\\\"$pend_id\\\\\"" "$tmp/row"
ok "\$inquire after the denial is 200" [ "$(inquire "$pend_ref")" = 200 ]
ok "\$inquire answers A3" [ "$(action)" = A3 ]
ok "\$inquire gives the reason" grep -q 'Reason: No psychological evaluation with clearance within 12 months is in the record' "$tmp/body"
ok "\$inquire names the criterion" grep -q 'Criteria concerned: Psychological evaluation' "$tmp/body"
ok "the queue lists the case as denied" \
  bash -c "curl -s '$base/review' | grep \"/review/case/$pend_id\" | grep -q 'Denied by physician reviewer'"

# ---- an approval: A1 --------------------------------------------------------------------------------------------
ok "a second pended case is 200" [ "$(submit "$tmp/pended.json")" = 200 ]
p2_id=$(header X-Request-Id) p2_ref=$(ref_of)
req "$base/review/case/$p2_id" >/dev/null
t2=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$tmp/body" | sed 's/.*value="//; s/"$//')
ok "approval without credentials is 422" [ "$(post "csrf=$t2&decision=approve&reviewer=Ada+Quill" "$p2_id")" = 422 ]
ok "approval is 303" [ "$(post "csrf=$t2&decision=approve&reviewer=Ada+Quill&credentials=DO" "$p2_id")" = 303 ]
ok "\$inquire after the approval answers A1" [ "$(inquire "$p2_ref")" = 200 ] && [ "$(action)" = A1 ]
ok "... with the preAuthRef as the authorization number" grep -q "\"url\":\"number\",\"valueString\":\"$p2_ref\"" "$tmp/body"
# two reviewers posting at once: one decision is stored, the other is refused
ok "a third pended case is 200" [ "$(submit "$tmp/pended.json")" = 200 ]
p3_id=$(header X-Request-Id)
req "$base/review/case/$p3_id" >/dev/null
t3=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$tmp/body" | sed 's/.*value="//; s/"$//')
n3=$(rows)
for k in 1 2 3 4; do
  curl -s -o /dev/null -w '%{http_code}\n' --data "csrf=$t3&decision=approve&reviewer=Rev+$k&credentials=MD" \
    "$base/review/case/$p3_id/decision" >"$tmp/race$k" &
done
wait $(jobs -p | grep -v "^$pid\$")
ok "four concurrent decisions: one 303, three 409 ($(cat "$tmp"/race* | sort | tr '\n' ' '))" \
  [ "$(cat "$tmp"/race* | sort | tr '\n' ' ')" = "303 409 409 409 " ]
ok "... and one row stored" [ "$(rows)" = $((n3 + 1)) ]
ok "the chain verifies after both decisions" bash -c "\"$mednec\" audit verify --store \"$store\" >/dev/null"

# ---- the access log ---------------------------------------------------------------------------------------------
ok "review requests are logged as the endpoint class /review" grep -q 'endpoint=/review status=303 outcome=denied' "$tmp/log"
family=$(python3 -c 'import json; b=json.load(open("examples/crps-ii-drg-trial.json")); print(b["entry"][0]["resource"]["name"][0]["family"])')
for phi in pat-crps-001 "$family" Ada Quill psych-clearance "$pend_ref" csrf reason; do
  ok "no '$phi' in the log" bash -c "! grep -qF -- '$phi' '$tmp/log'"
done
ok "no /review log line names the case it showed" bash -c "! grep 'endpoint=/review' '$tmp/log' | grep -qF '$pend_id'"

kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
ok "the server stops cleanly on SIGTERM (exit $rc)" [ $rc -eq 0 ]
ok "no sanitizer report in the server's log" bash -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$tmp/log'"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
