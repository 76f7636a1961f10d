#!/usr/bin/env bash
# DTR (docs/DTR.md) through the program: `mednec questionnaire` (the Questionnaire of a policy, a response
# prefilled from the example), a completed QuestionnaireResponse in the record read by `determine` and cited by
# `letter`, one that must not count (another patient), and POST /Questionnaire/$questionnaire-package over real
# HTTP on 127.0.0.1 (a package for the order's policy, one for a named questionnaire, a warning for an unknown
# one, 400 OperationOutcomes for bad requests, 405 for GET).
set -u
mednec="$1"
src="${MN_SOURCE_DIR:?}"
cd "$src"
for tool in curl python3; do
  command -v $tool >/dev/null || { echo "skipped: $tool is not installed (tools/deps.sh)"; exit 77; }
done
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0
ok() {
  local what=$1; shift
  if "$@"; then pass=$((pass+1)); else echo "FAIL: $what"; fail=$((fail+1)); fi
}
# py EXPR FILE: a Python expression over the JSON in FILE (as j) must be true
py() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$2"; }

# the policy's version (policies/drg-stimulation-trial.yaml `version:`), part of every canonical
ver=$(sed -n 's/^version: *"\(.*\)"$/\1/p' policies/drg-stimulation-trial.yaml)
[ -n "$ver" ] || { echo "FAIL: no version in policies/drg-stimulation-trial.yaml"; exit 1; }

# ---- the Questionnaire: one group per criterion of the policy (16 criteria in drg-stimulation-trial.yaml) ----
"$mednec" questionnaire --policy drg-stimulation-trial >"$tmp/q.json"; rc=$?
ok "questionnaire exits 0 ($rc)" [ $rc -eq 0 ]
n=$(grep -c '^  - id:' <(sed -n '/^criteria:/,/^[a-z]/p' policies/drg-stimulation-trial.yaml))
ok "one group per criterion ($n)" py "len(j['item']) == $n and all(g['type'] == 'group' for g in j['item'])" "$tmp/q.json"
ok "url and version" py "j['url'] == 'urn:mednec:questionnaire:drg-stimulation-trial' and j['version'] == '$ver'" "$tmp/q.json"
"$mednec" questionnaire --policy drg-stimulation-trial >"$tmp/q2.json"
ok "deterministic" cmp -s "$tmp/q.json" "$tmp/q2.json"

# ---- prefilled from the example (hand check: NRS 9 on 2026-11-05; clearance of 2026-03-12) --------------------
"$mednec" questionnaire --policy drg-stimulation-trial examples/crps-ii-drg-trial.json --as-of 2026-11-20 >"$tmp/qr.json"
ok "prefilled response" py "j['resourceType'] == 'QuestionnaireResponse' and j['status'] == 'in-progress'" "$tmp/qr.json"
ans() { echo "[i['answer'][0] for g in j['item'] for i in g['item'] if i['linkId'] == '$1'][0]"; }
ok "pain rating 9" py "$(ans pain-moderate-severe.rating)['valueInteger'] == 9" "$tmp/qr.json"
ok "evaluation 2026-03-12" py "$(ans psych-clearance.evaluation-date)['valueDate'] == '2026-03-12'" "$tmp/qr.json"
ok "diagnosis G57.72" py "$(ans crps-lower-limb.diagnosis)['valueCoding']['code'] == 'G57.72'" "$tmp/qr.json"
ok "cleared" py "$(ans psych-clearance.clearance)['valueCoding']['code'] == 'cleared'" "$tmp/qr.json"
"$mednec" questionnaire --policy drg-stimulation-trial examples/crps-ii-drg-trial.json 2>"$tmp/err"; rc=$?
ok "a CASE without --as-of is a usage error ($rc)" [ $rc -eq 64 ]

# ---- a completed response as documentation (the pended SCS example + tests/data/dtr/qr-cleared.json's QR) ------
bundle() {  # variant file -> full Bundle
  python3 - "$1" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
b = json.load(open(v["base"]))
b["entry"] += [{"resource": r} for r in v["add"]]
print(json.dumps(b))
PY
}
bundle tests/data/dtr/qr-cleared.json >"$tmp/cleared.json"
bundle tests/data/dtr/qr-other-patient.json >"$tmp/other.json"
p=scs-trial-evicore-summary
"$mednec" determine examples/crps-ii-scs-trial-no-psych-clearance.json --policy $p --as-of 2026-11-20 >"$tmp/d0.txt"
ok "without the response: insufficient documentation" grep -q '^Determination: insufficient-documentation' "$tmp/d0.txt"
"$mednec" determine "$tmp/cleared.json" --policy $p --as-of 2026-11-20 >"$tmp/d1.txt"
ok "with it: meets criteria" grep -q '^Determination: meets-criteria' "$tmp/d1.txt"
ok "the answer is a record entry" grep -q 'Observation/dtr-qr-psych-1 (2026-11-10).*attested in QuestionnaireResponse/qr-psych' "$tmp/d1.txt"
"$mednec" letter "$tmp/cleared.json" --policy $p --as-of 2026-11-20 >"$tmp/l1.md"
ok "the letter cites it" grep -q 'attested in QuestionnaireResponse/qr-psych, item behavioral-health.clearance' "$tmp/l1.md"
"$mednec" determine "$tmp/other.json" --policy $p --as-of 2026-11-20 >"$tmp/d2.txt"
ok "another patient's response: still pended" grep -q '^Determination: insufficient-documentation' "$tmp/d2.txt"
ok "and the warning says why" grep -q "QuestionnaireResponse/qr-psych is not read as documentation: its subject is not the record's patient" "$tmp/d2.txt"

# ---- $questionnaire-package over HTTP ------------------------------------------------------------------------
mkdir -p "$tmp/policies"
cp policies/drg-stimulation-trial.yaml "$tmp/policies/"
"$mednec" serve --listen 127.0.0.1:0 --as-of 2026-11-20 --store "sqlite:$tmp/audit.db" --policies "$tmp/policies" \
  2>"$tmp/serve.log" &
pids+=($!)
. "$(dirname "$0")/server.bash"
listening "$tmp/serve.log" "${pids[-1]}"
op="$base/Questionnaire/\$questionnaire-package"
post() { curl -s -o "$tmp/body" -w '%{http_code}' -X POST -H 'Content-Type: application/fhir+json' --data-binary "$1" "$op"; }
cov='{"name":"coverage","resource":{"resourceType":"Coverage","id":"cov-1","status":"active","beneficiary":{"reference":"Patient/pat-crps-001"},"payor":[{"display":"Example payer"}]}}'
order='{"name":"order","resource":{"resourceType":"ServiceRequest","id":"drg-trial-request","status":"draft","intent":"order","code":{"coding":[{"system":"urn:mednec:local:service","code":"drg-stimulation-trial"}]},"subject":{"reference":"Patient/pat-crps-001"}}}'
ok "package for the order: 200" [ "$(post "{\"resourceType\":\"Parameters\",\"parameter\":[$cov,$order]}")" = 200 ]
cp "$tmp/body" "$tmp/pkg.json"
ok "one packagebundle, a collection" py "[p['name'] for p in j['parameter']] == ['packagebundle'] and j['parameter'][0]['resource']['type'] == 'collection'" "$tmp/pkg.json"
ok "the Questionnaire first, then the draft response" py "[e['resource']['resourceType'] for e in j['parameter'][0]['resource']['entry']][:2] == ['Questionnaire', 'QuestionnaireResponse']" "$tmp/pkg.json"
ok "the same Questionnaire as the CLI's" python3 -c "
import json,sys; j=json.load(open(sys.argv[1])); q=json.load(open(sys.argv[2]))
sys.exit(0 if j['parameter'][0]['resource']['entry'][0]['resource'] == q else 1)" "$tmp/pkg.json" "$tmp/q.json"
ok "the ValueSet the diagnosis item names, expanded" py "[e['resource']['url'] + '|' + e['resource']['version'] for e in j['parameter'][0]['resource']['entry'][2:]] == ['urn:mednec:valueset:crps-diagnosis|$ver'] and 'G57.72' in [c['code'] for c in j['parameter'][0]['resource']['entry'][2]['resource']['expansion']['contains']]" "$tmp/pkg.json"
ok "the response names questionnaire (versioned), subject, coverage and order" py "(lambda r: r['questionnaire'] == 'urn:mednec:questionnaire:drg-stimulation-trial|$ver' and r['subject']['reference'] == 'Patient/pat-crps-001' and {e['url'].rsplit('/',1)[1]: e['valueReference']['reference'] for e in r['extension']} == {'qr-coverage': 'Coverage/cov-1', 'qr-context': 'ServiceRequest/drg-trial-request'} and 'item' not in r)(j['parameter'][0]['resource']['entry'][1]['resource'])" "$tmp/pkg.json"
ok "named questionnaire: 200" [ "$(post "{\"resourceType\":\"Parameters\",\"parameter\":[$cov,{\"name\":\"questionnaire\",\"valueCanonical\":\"urn:mednec:questionnaire:drg-stimulation-trial|$ver\"},{\"name\":\"questionnaire\",\"valueCanonical\":\"urn:mednec:questionnaire:nope\"}]}")" = 200 ]
ok "a package and a warning for the unknown one" py "[p['name'] for p in j['parameter']] == ['packagebundle', 'outcome'] and 'urn:mednec:questionnaire:nope' in j['parameter'][1]['resource']['issue'][0]['diagnostics']" "$tmp/body"
ok "no coverage: 400" [ "$(post "{\"resourceType\":\"Parameters\",\"parameter\":[$order]}")" = 400 ]
ok "an OperationOutcome naming coverage" py "j['resourceType'] == 'OperationOutcome' and 'coverage' in j['issue'][0]['diagnostics']" "$tmp/body"
ok "malformed JSON: 400" [ "$(post '{"resourceType":')" = 400 ]
ok "with line and column" py "'line 1' in j['issue'][0]['diagnostics']" "$tmp/body"
ok "a Bundle instead of Parameters: 400" [ "$(post '{"resourceType":"Bundle","type":"collection"}')" = 400 ]
ok "GET: 405" [ "$(curl -s -o /dev/null -w '%{http_code}' "$op")" = 405 ]
# CRD: an order that needs documentation names the policy's questionnaire in ext-coverage-information
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data-binary @tests/cli/data/serve/order-sign-crps-no-psych.json "$base/cds-services/mednec-order-sign")
ok "CRD order-sign without the psychological evaluation: 200 ($code)" [ "$code" = 200 ]
ok "doc-needed with the questionnaire canonical" py "any({e['url']: e.get('valueCode', e.get('valueCanonical')) for e in x['extension']}.get('questionnaire') == 'urn:mednec:questionnaire:drg-stimulation-trial|$ver' and any(e['url'] == 'doc-needed' for e in x['extension']) for a in j['systemActions'] for x in a['resource'].get('extension', []) if x['url'].endswith('ext-coverage-information'))" "$tmp/body"
ok "metrics count the endpoint" grep -q 'endpoint="/Questionnaire/\$questionnaire-package"' <(curl -s "$base/metrics")

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
