#!/usr/bin/env bash
# mednec bulk (docs/BULK.md) over the hand-made populations of tests/data/bulk (make.py): four patients made
# from examples whose drg-trial-bcbsa determinations as of 2026-11-20 are known (tests/golden/cases/):
#   p-alpha  examples/crps-ii-drg-trial.json                          meets-criteria
#   p-beta   examples/crps-ii-drg-trial-untreated-sud.json            does-not-meet (Condition oud-2024)
#   p-gamma  examples/crps-ii-drg-trial-little-conservative-care.json does-not-meet (refractory-last-resort)
#   p-delta  examples/crps-ii-upper-limb-drg-trial.json               meets-criteria
# In the Bulk Data export, beta's oud-2024 line is cut short: without it beta would meet the criteria, so
# the bad record must hold beta's decision (never meets-criteria).
. "$(dirname "$0")/common.bash" "$@"
cd "${MN_SOURCE_DIR:?}"
command -v jq >/dev/null || { echo "SKIPPED: jq is not installed (tools/deps.sh)"; exit 77; }
d=tests/data/bulk
args=(--policy drg-trial-bcbsa --as-of 2026-11-20)
# field $2 (jq path) of patient $3's line in NDJSON file $1
field() { jq -r "select(.patient == \"Patient/$3\") | $2" "$1"; }

# ---- the Bulk Data export ----
"$mednec" bulk "${args[@]}" $d/export >"$tmp/e1.ndjson" 2>"$tmp/e1.err"; rc=$?
[ $rc -eq 2 ] && ok || bad "export: exit $rc, want 2 (bad records skipped)"
[ "$(wc -l <"$tmp/e1.ndjson")" -eq 4 ] && ok || bad "export: $(wc -l <"$tmp/e1.ndjson") lines, want 4"
[ "$(jq -r .patient "$tmp/e1.ndjson" | tr '\n' ' ')" = "Patient/p-alpha Patient/p-beta Patient/p-delta Patient/p-gamma " ] \
  && ok || bad "export: order $(jq -r .patient "$tmp/e1.ndjson" | tr '\n' ' ')"
[ "$(field "$tmp/e1.ndjson" .determination p-alpha)" = meets-criteria ] && ok || bad "alpha not meets-criteria"
[ "$(field "$tmp/e1.ndjson" .determination p-delta)" = meets-criteria ] && ok || bad "delta not meets-criteria"
[ "$(field "$tmp/e1.ndjson" .determination p-gamma)" = does-not-meet ] && ok || bad "gamma not does-not-meet"
[ "$(field "$tmp/e1.ndjson" '.criteria[] | select(.id == "refractory-last-resort") | .status' p-gamma)" = not-met ] \
  && ok || bad "gamma: refractory-last-resort not not-met"
# beta: held (its OUD line is corrupt): pend, never approve, and the line says why
[ "$(field "$tmp/e1.ndjson" .determination p-beta)" = insufficient-documentation ] && ok || bad "beta: $(field "$tmp/e1.ndjson" .determination p-beta)"
[ "$(field "$tmp/e1.ndjson" .action p-beta)" = pend ] && ok || bad "beta: action not pend"
[ "$(field "$tmp/e1.ndjson" .dataQuality.heldFrom p-beta)" = meets-criteria ] && ok || bad "beta: heldFrom"
[ "$(field "$tmp/e1.ndjson" .dataQuality.firstSkipped p-beta)" = "$d/export/Condition.ndjson:3" ] && ok || bad "beta: firstSkipped"
[ "$(field "$tmp/e1.ndjson" .dataQuality p-alpha)" = null ] && ok || bad "alpha has dataQuality"
# ... and that hold matters: beta's record without the OUD is met
sed -n 2p $d/bundles.ndjson | jq '.entry |= map(select(.resource.id != "beta-oud-2024"))' >"$tmp/beta-no-oud.json"
[ "$("$mednec" determine "$tmp/beta-no-oud.json" "${args[@]}" --format json 2>/dev/null | jq -r .determination)" = meets-criteria ] \
  && ok || bad "beta without its OUD is not meets-criteria (the test's premise)"
# bad records on stderr with file and line
grep -q "^mednec: $d/export/Condition.ndjson:3: not valid JSON .*Patient/p-beta's decisions are held" "$tmp/e1.err" && ok || bad "no report of Condition.ndjson:3: $(cat "$tmp/e1.err")"
grep -q "^mednec: $d/export/Condition.ndjson:6: refers to Patient/p-nobody, which is not in the input; skipped" "$tmp/e1.err" && ok || bad "no report of the unknown patient"
# summary on stderr (counts by outcome and criterion), no progress line when stderr is not a terminal
grep -q "4 patients, 4 decided, 0 not loaded; 4 lines written; 2 bad records skipped; 1 patient held" "$tmp/e1.err" && ok || bad "summary line: $(cat "$tmp/e1.err")"
grep -Eq "^  meets-criteria +2$" "$tmp/e1.err" && ok || bad "summary: meets-criteria 2"
grep -Eq "^  does-not-meet +1$" "$tmp/e1.err" && ok || bad "summary: does-not-meet 1"
grep -Eq "^  insufficient-documentation +1 +\(1 held" "$tmp/e1.err" && ok || bad "summary: insufficient 1 (1 held)"
grep -Eq "^  refractory-last-resort +3 +1 +0$" "$tmp/e1.err" && ok || bad "summary: refractory-last-resort 3 1 0"
grep -q "ETA" "$tmp/e1.err" && bad "progress line on a non-terminal" || ok
# every reference resolves: Practitioners and the Organization chain (Patient -> org-pain-clinic ->
# org-health-system) were pulled in from the shared data (a determination warns of an unresolved one)
[ "$(jq -r '.warnings[]' "$tmp/e1.ndjson" | grep -c 'resolve')" -eq 0 ] && ok || bad "export: unresolved references: $(jq -r '.warnings[]' "$tmp/e1.ndjson")"

# ---- threads: byte-identical; --out ----
"$mednec" bulk "${args[@]}" --threads 2 $d/export >"$tmp/e2.ndjson" 2>/dev/null
cmp -s "$tmp/e1.ndjson" "$tmp/e2.ndjson" && ok || bad "export: 1 and 2 threads differ"
"$mednec" bulk "${args[@]}" --threads 3 --out "$tmp/e3.ndjson" $d/export >"$tmp/e3.stdout" 2>/dev/null
cmp -s "$tmp/e1.ndjson" "$tmp/e3.ndjson" && ok || bad "--out with 3 threads differs"
[ -s "$tmp/e3.stdout" ] && bad "--out: stdout not empty" || ok

# ---- the NDJSON of Bundles: no bad records; each line equals mednec determine of that Bundle ----
"$mednec" bulk "${args[@]}" $d/bundles.ndjson >"$tmp/b1.ndjson" 2>/dev/null; rc=$?
[ $rc -eq 0 ] && ok || bad "bundles.ndjson: exit $rc"
[ "$(field "$tmp/b1.ndjson" .determination p-beta)" = does-not-meet ] && ok || bad "bundles: beta not does-not-meet (golden)"
[ "$(field "$tmp/b1.ndjson" .determination p-alpha)" = meets-criteria ] && ok || bad "bundles: alpha"
n=0
while IFS= read -r line; do
  n=$((n+1))
  printf '%s\n' "$line" >"$tmp/one.json"
  id=$(jq -r '.entry[] | select(.resource.resourceType == "Patient") | .resource.id' "$tmp/one.json")
  "$mednec" determine "$tmp/one.json" "${args[@]}" --format json 2>/dev/null | jq -cS 'del(.case)' >"$tmp/det"
  field "$tmp/b1.ndjson" . "$id" | jq -cS 'del(.case, .patient)' >"$tmp/blk"
  cmp -s "$tmp/det" "$tmp/blk" && ok || bad "bundle line $n ($id): bulk differs from determine"
done <$d/bundles.ndjson
[ $n -eq 4 ] && ok || bad "bundles.ndjson has $n lines"
# the export's unheld patients decide as their Bundles do (same resources, shared ones pulled in)
for p in p-alpha p-delta p-gamma; do
  [ "$(field "$tmp/e1.ndjson" . $p | jq -cS 'del(.case)')" = "$(field "$tmp/b1.ndjson" . $p | jq -cS 'del(.case)')" ] \
    && ok || bad "$p: export line differs from its Bundle's"
done
"$mednec" bulk "${args[@]}" --threads 2 $d/bundles.ndjson 2>/dev/null | cmp -s - "$tmp/b1.ndjson" && ok || bad "bundles: 1 and 2 threads differ"

# ---- Bundle files ----
"$mednec" bulk "${args[@]}" $d/bundles/beta.json $d/bundles/alpha.json >"$tmp/f.ndjson" 2>/dev/null; rc=$?
[ $rc -eq 0 ] && ok || bad "bundle files: exit $rc"
[ "$(jq -r '.patient + " " + .determination' "$tmp/f.ndjson" | tr '\n' ' ')" = "Patient/p-alpha meets-criteria Patient/p-beta does-not-meet " ] \
  && ok || bad "bundle files: $(jq -r '.patient + " " + .determination' "$tmp/f.ndjson" | tr '\n' ' ')"
# a patient given twice: the second record is skipped and the patient held
"$mednec" bulk "${args[@]}" $d/bundles.ndjson $d/bundles/alpha.json >"$tmp/dup.ndjson" 2>"$tmp/dup.err"; rc=$?
[ $rc -eq 2 ] && ok || bad "duplicate: exit $rc"
grep -q "^mednec: $d/bundles/alpha.json:1: a second record for Patient/p-alpha" "$tmp/dup.err" && ok || bad "duplicate not reported: $(cat "$tmp/dup.err")"
[ "$(field "$tmp/dup.ndjson" .determination p-alpha)" = insufficient-documentation ] && ok || bad "duplicate: alpha not held"

# ---- a bad line that names no patient holds every patient; a resource without id holds its patient ----
cp -r $d/export "$tmp/x"
echo '{"resourceType": "Observation", "status": "final", "code": {"text": "no id"}, "subject": {"reference": "Patient/p-delta"}}' >>"$tmp/x/Observation.ndjson"
"$mednec" bulk "${args[@]}" "$tmp/x" >"$tmp/x1.ndjson" 2>"$tmp/x1.err"
[ "$(field "$tmp/x1.ndjson" .determination p-delta)" = insufficient-documentation ] && ok || bad "no id: delta not held"
[ "$(field "$tmp/x1.ndjson" .determination p-alpha)" = meets-criteria ] && ok || bad "no id: alpha held"
grep -q "Observation.ndjson:93: Observation without id; skipped (Patient/p-delta's decisions are held)" "$tmp/x1.err" && ok || bad "no id: report $(cat "$tmp/x1.err")"
echo '{"resourceType": "Observation", "id": "x", "status": "fin' >>"$tmp/x/Observation.ndjson"
"$mednec" bulk "${args[@]}" "$tmp/x" >"$tmp/x2.ndjson" 2>"$tmp/x2.err"; rc=$?
[ $rc -eq 2 ] && ok || bad "no patient: exit $rc"
[ "$(jq -r .determination "$tmp/x2.ndjson" | grep -c meets-criteria)" -eq 0 ] && ok || bad "no patient: a line meets criteria"
[ "$(jq -r .dataQuality.heldFrom "$tmp/x2.ndjson" | grep -c meets-criteria)" -eq 3 ] && ok || bad "no patient: alpha, beta and delta not held from meets-criteria"
grep -q "Observation.ndjson:94: not valid JSON .*(it names no patient: every patient's decisions are held)" "$tmp/x2.err" && ok || bad "no patient: report"

# ---- patient assignment and shared data, on a tiny export under a one-criterion test policy (has-dx:
# Condition.exists(), evidence: the Conditions) ----
mkdir "$tmp/m"
cat >"$tmp/m/Patient.ndjson" <<'NDJSON'
{"resourceType":"Patient","id":"q1","managingOrganization":{"reference":"Organization/o1"}}
{"resourceType":"Patient","id":"q2"}
NDJSON
cat >"$tmp/m/Condition.ndjson" <<'NDJSON'
{"resourceType":"Condition","id":"c1","subject":{"reference":"http://example.org/fhir/Patient/q1/_history/3"},"asserter":{"reference":"Practitioner/pr1"},"code":{"text":"one"}}
{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/q2"},"code":{"text":"two"}}
NDJSON
printf '%s\n' '{"resourceType":"Practitioner","id":"pr1"}' >"$tmp/m/Practitioner.ndjson"
printf '%s\n' '{"resourceType":"Organization","id":"o1","partOf":{"reference":"Organization/o2"}}' \
  '{"resourceType":"Organization","id":"o2"}' >"$tmp/m/Organization.ndjson"
vp=(--policy tests/data/versions/policies/vpol.yaml --as-of 2026-11-20)
"$mednec" bulk "${vp[@]}" "$tmp/m" >"$tmp/m1.ndjson" 2>/dev/null; rc=$?
[ $rc -eq 0 ] && ok || bad "tiny export: exit $rc"
# an absolute reference with _history assigns c1 to q1; c2 goes to q2 only
[ "$(field "$tmp/m1.ndjson" '[.criteria[].evidence[].reference] | join(",")' q1)" = "Condition/c1" ] && ok || bad "q1's evidence"
[ "$(field "$tmp/m1.ndjson" '[.criteria[].evidence[].reference] | join(",")' q2)" = "Condition/c2" ] && ok || bad "q2's evidence"
# Practitioner/pr1 and the Organization chain o1 -> o2 resolve (pulled in from the shared data); only the
# absolute Patient URL does not resolve within the record (the letter's own warnings, "letter: ...", for parts
# such as a Coverage this tiny record lacks, are not about references and are left out of the count)
[ "$(field "$tmp/m1.ndjson" '[.warnings[] | select(startswith("letter:") | not)] | length' q1)" = 1 ] && ok || bad "q1 warnings: $(field "$tmp/m1.ndjson" .warnings q1)"
field "$tmp/m1.ndjson" '.warnings[0]' q1 | grep -q "1 reference does not resolve .*: http://example.org/fhir/Patient/q1/_history/3 at" && ok || bad "q1: the unresolved reference"
# without o2 the chain breaks and the determination says so
sed -i '/"id":"o2"/d' "$tmp/m/Organization.ndjson"
"$mednec" bulk "${vp[@]}" "$tmp/m" 2>/dev/null | jq -r 'select(.patient == "Patient/q1") | .warnings[0]' | grep -q "Organization/o2" \
  && ok || bad "without o2: no unresolved-reference warning"
# a compartment resource whose subject is no Patient: may belong to anyone, so every patient is held
echo '{"resourceType":"Condition","id":"c3","subject":{"reference":"Group/g1"}}' >>"$tmp/m/Condition.ndjson"
"$mednec" bulk "${vp[@]}" "$tmp/m" >"$tmp/m2.ndjson" 2>"$tmp/m2.err"; rc=$?
[ $rc -eq 2 ] && ok || bad "Group subject: exit $rc"
[ "$(jq -r .determination "$tmp/m2.ndjson" | sort -u)" = insufficient-documentation ] && ok || bad "Group subject: not everyone held"
grep -q "Condition.ndjson:3: Condition/c3 belongs to the patient compartment but its subject/patient reference names no Patient" "$tmp/m2.err" \
  && ok || bad "Group subject: report"

# a resource the case loader refuses (a wrong JSON shape: code as a string) is left out, reported with its file
# and line, and its patient held; a Bundle that does not load at all gives no line
sed -i '/"id":"c3"/d' "$tmp/m/Condition.ndjson"
echo '{"resourceType":"Condition","id":"c4","subject":{"reference":"Patient/q2"},"code":"not an object"}' >>"$tmp/m/Condition.ndjson"
"$mednec" bulk "${vp[@]}" "$tmp/m" >"$tmp/m3.ndjson" 2>"$tmp/m3.err"; rc=$?
[ $rc -eq 2 ] && ok || bad "refused resource: exit $rc"
grep -q "Condition.ndjson:3: /entry/[0-9]*/resource/code: .*left out of Patient/q2's record" "$tmp/m3.err" && ok || bad "refused resource: report $(cat "$tmp/m3.err")"
[ "$(field "$tmp/m3.ndjson" .dataQuality.heldFrom q2)" = meets-criteria ] && ok || bad "refused resource: q2 not held"
[ "$(field "$tmp/m3.ndjson" '[.criteria[].evidence[].reference] | join(",")' q2)" = "Condition/c2" ] && ok || bad "refused resource: q2's evidence"
[ "$(field "$tmp/m3.ndjson" .determination q1)" = meets-criteria ] && ok || bad "refused resource: q1 held"
printf '%s\n' '{"resourceType":"Bundle","type":5,"entry":[{"resource":{"resourceType":"Patient","id":"z"}}]}' >"$tmp/z.ndjson"
"$mednec" bulk "${vp[@]}" "$tmp/z.ndjson" $d/bundles/alpha.json >"$tmp/z.out" 2>"$tmp/z.err"; rc=$?
[ $rc -eq 2 ] && ok || bad "Bundle that does not load: exit $rc"
[ "$(jq -r .patient "$tmp/z.out")" = "Patient/p-alpha" ] && ok || bad "Bundle that does not load: lines $(cat "$tmp/z.out")"
grep -q "z.ndjson:1: /type: " "$tmp/z.err" && ok || bad "Bundle that does not load: report $(cat "$tmp/z.err")"
grep -q "2 patients, 1 decided, 1 not loaded; 1 line written; 1 bad record skipped" "$tmp/z.err" && ok || bad "Bundle that does not load: summary"

# ---- --policy all: the drg-trial-bcbsa lines are those of --policy drg-trial-bcbsa; no implant policy applies ----
"$mednec" bulk --policy all --as-of 2026-11-20 $d/bundles.ndjson >"$tmp/all.ndjson" 2>/dev/null
jq -c 'select(.policy == "drg-trial-bcbsa")' "$tmp/all.ndjson" | cmp -s - <(jq -c . "$tmp/b1.ndjson") && ok || bad "--policy all: drg-trial-bcbsa lines differ"
grep -q '"policy":"drg-implant' "$tmp/all.ndjson" && bad "--policy all: an implant policy applied to trial requests" || ok

# ---- usage and input errors ----
"$mednec" bulk --policy drg-trial-bcbsa $d/export >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] && ok || bad "no --as-of: exit $rc"
"$mednec" bulk "${args[@]}" --threads 0 $d/export >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] && ok || bad "--threads 0: exit $rc"
"$mednec" bulk "${args[@]}" "$tmp/missing" >/dev/null 2>&1; rc=$?
[ $rc -eq 66 ] && ok || bad "missing input: exit $rc"
"$mednec" bulk --policy no-such-policy --as-of 2026-11-20 $d/export >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] && ok || bad "unknown policy: exit $rc"

"$mednec" bulk "${args[@]}" --format json $d/export >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] && ok || bad "bulk --format json: exit $rc (bulk writes NDJSON only)"

finish bulk
