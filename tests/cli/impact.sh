#!/usr/bin/env bash
# mednec impact (docs/BULK.md, "Policy impact") over the populations of tests/data/bulk with two versions of
# drg-trial-bcbsa (tests/data/bulk/policies, make.py): old.yaml (the shipped criteria) and next.yaml, a
# HYPOTHETICAL test version without no-untreated-sud and with an added lower-limb-only criterion.
# Hand prediction from the examples' known determinations (bulk.sh header) as of 2026-11-20:
#   p-alpha  lower-limb CRPS, meets old                -> meets (lower-limb-only met)
#   p-beta   untreated OUD: does-not-meet old          -> meets (the SUD criterion is gone; lower limb)
#   p-gamma  refractory-last-resort not met            -> does-not-meet (unchanged)
#   p-delta  upper-limb CRPS, meets old                -> does-not-meet (lower-limb-only not met)
# In the Bulk Data export beta's OUD line is corrupt, so beta is held under both: insufficient -> insufficient.
. "$(dirname "$0")/common.bash" "$@"
cd "${MN_SOURCE_DIR:?}"
command -v jq >/dev/null || { echo "SKIPPED: jq is not installed (tools/deps.sh)"; exit 77; }
d=tests/data/bulk
args=(--policy $d/policies/old.yaml --policy $d/policies/next.yaml --as-of 2026-11-20)
m() { jq -r ".matrix[\"$2\"][\"$3\"]" "$1"; }

# ---- the NDJSON of Bundles, JSON ----
"$mednec" impact "${args[@]}" --format json $d/bundles.ndjson >"$tmp/b.json" 2>"$tmp/b.err"; rc=$?
[ $rc -eq 0 ] && ok || bad "bundles: exit $rc $(cat "$tmp/b.err")"
jq -e . "$tmp/b.json" >/dev/null && ok || bad "bundles: not JSON"
[ "$(m "$tmp/b.json" meets-criteria meets-criteria)" = 1 ] && ok || bad "meets -> meets != 1"
[ "$(m "$tmp/b.json" meets-criteria does-not-meet)" = 1 ] && ok || bad "meets -> does-not-meet != 1"
[ "$(m "$tmp/b.json" does-not-meet meets-criteria)" = 1 ] && ok || bad "does-not-meet -> meets != 1"
[ "$(m "$tmp/b.json" does-not-meet does-not-meet)" = 1 ] && ok || bad "does-not-meet -> does-not-meet != 1"
[ "$(jq '[.matrix[][]] | add' "$tmp/b.json")" = 4 ] && ok || bad "matrix total != 4"
[ "$(jq -c '.patients' "$tmp/b.json")" = '{"total":4,"decided":4,"notLoaded":0,"held":0,"changed":2}' ] && ok || bad "patients: $(jq -c .patients "$tmp/b.json")"
[ "$(jq -c '[.transitions[] | [.from, .to, .patients]]' "$tmp/b.json")" = '[["meets-criteria","does-not-meet",1],["does-not-meet","meets-criteria",1]]' ] \
  && ok || bad "transitions: $(jq -c .transitions "$tmp/b.json")"
[ "$(jq -c '[.changes[] | [.patient, .from, .to]]' "$tmp/b.json")" = '[["Patient/p-beta","does-not-meet","meets-criteria"],["Patient/p-delta","meets-criteria","does-not-meet"]]' ] \
  && ok || bad "changes: $(jq -c .changes "$tmp/b.json")"
[ "$(jq -c '.changes[1].criteria' "$tmp/b.json")" = '[{"id":"no-untreated-sud","old":"met","new":"absent"},{"id":"lower-limb-only","old":"absent","new":"not-met"}]' ] \
  && ok || bad "delta's criteria: $(jq -c '.changes[1].criteria' "$tmp/b.json")"
# criteria: old order, then new-only; present in which version; statuses
[ "$(jq -r '[.criteria[] | .id + ":" + .in] | join(" ")' "$tmp/b.json")" = "indication-neuropathic-pain:both pain-severe-chronic:both refractory-last-resort:both no-untreated-sud:old drug-screen-consistent:both facilities-available:both lower-limb-only:new" ] \
  && ok || bad "criteria: $(jq -r '[.criteria[] | .id + ":" + .in] | join(" ")' "$tmp/b.json")"
[ "$(jq -c '.criteria[] | select(.id == "no-untreated-sud") | .statuses' "$tmp/b.json")" = '[{"old":"met","new":"absent","patients":3},{"old":"not-met","new":"absent","patients":1}]' ] \
  && ok || bad "no-untreated-sud statuses"
[ "$(jq -c '.criteria[] | select(.id == "lower-limb-only") | .statuses' "$tmp/b.json")" = '[{"old":"absent","new":"met","patients":3},{"old":"absent","new":"not-met","patients":1}]' ] \
  && ok || bad "lower-limb-only statuses"
[ "$(jq -c '.criteria[] | select(.id == "refractory-last-resort") | [.changed, .statuses]' "$tmp/b.json")" = '[0,[{"old":"met","new":"met","patients":3},{"old":"not-met","new":"not-met","patients":1}]]' ] \
  && ok || bad "refractory-last-resort"
[ "$(jq -r '.old.version + " " + .new.version' "$tmp/b.json")" = "test-old test-next" ] && ok || bad "versions"
"$mednec" impact "${args[@]}" --format json --threads 2 $d/bundles.ndjson 2>/dev/null | cmp -s - "$tmp/b.json" && ok || bad "1 and 2 threads differ"

# ---- text: headings, totals, transitions and patients, readable ----
"$mednec" impact "${args[@]}" $d/bundles.ndjson >"$tmp/b.txt" 2>/dev/null
for h in "POLICY IMPACT" "OUTCOME TRANSITIONS" "CRITERIA" "PATIENTS WHOSE OUTCOME CHANGES (2, by patient id)"; do
  grep -q "^$h" "$tmp/b.txt" && ok || bad "text: no heading $h"
done
grep -q "outcome unchanged: 2; changed: 2" "$tmp/b.txt" && ok || bad "text: unchanged/changed"
grep -Eq "^  total +2 +2 +0 +0 +4$" "$tmp/b.txt" && ok || bad "text: column totals"
grep -q "^    does-not-meet -> meets-criteria: 1$" "$tmp/b.txt" && ok || bad "text: transition line"
grep -q "^  Patient/p-delta: meets-criteria -> does-not-meet$" "$tmp/b.txt" && ok || bad "text: delta"
grep -q "^  lower-limb-only  \[added: new only\]$" "$tmp/b.txt" && ok || bad "text: added criterion"
grep -q "^  no-untreated-sud  \[removed: old only\]$" "$tmp/b.txt" && ok || bad "text: removed criterion"
grep -Eq "^  lower-limb-only +new +- +- +- +- +3 +1 +0$" "$tmp/b.txt" && ok || bad "text: overview row of the added criterion"
grep -Eq "^  no-untreated-sud +old +- +3 +1 +0 +- +- +-$" "$tmp/b.txt" && ok || bad "text: overview row of the removed criterion"

# ---- the export: beta held under both, never meets ----
"$mednec" impact "${args[@]}" --format json $d/export >"$tmp/e.json" 2>"$tmp/e.err"; rc=$?
[ $rc -eq 2 ] && ok || bad "export: exit $rc, want 2"
[ "$(m "$tmp/e.json" insufficient-documentation insufficient-documentation)" = 1 ] && ok || bad "export: beta not insufficient -> insufficient"
[ "$(m "$tmp/e.json" meets-criteria meets-criteria)" = 1 ] && ok || bad "export: meets -> meets"
[ "$(m "$tmp/e.json" meets-criteria does-not-meet)" = 1 ] && ok || bad "export: meets -> does-not-meet"
[ "$(m "$tmp/e.json" does-not-meet does-not-meet)" = 1 ] && ok || bad "export: does-not-meet -> does-not-meet"
[ "$(jq -c '[.changes[].patient]' "$tmp/e.json")" = '["Patient/p-delta"]' ] && ok || bad "export: changes $(jq -c '[.changes[].patient]' "$tmp/e.json")"
[ "$(jq -c '[.patients.held, .badRecords]' "$tmp/e.json")" = '[1,2]' ] && ok || bad "export: held/bad $(jq -c '[.patients.held, .badRecords]' "$tmp/e.json")"
grep -q "Condition.ndjson:3: not valid JSON" "$tmp/e.err" && ok || bad "export: bad record not reported"

# ---- policy by id: the version in force; usage ----
"$mednec" impact --policy drg-trial-bcbsa --policy $d/policies/old.yaml --as-of 2026-11-20 --format json $d/bundles.ndjson 2>/dev/null \
  | jq -e '.patients.changed == 0 and .matrix["meets-criteria"]["meets-criteria"] == 2' >/dev/null \
  && ok || bad "the shipped policy and its copy differ"
"$mednec" impact --policy $d/policies/old.yaml --as-of 2026-11-20 $d/bundles.ndjson >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] && ok || bad "one --policy: exit $rc"
"$mednec" impact "${args[@]}" --format xml $d/bundles.ndjson >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] && ok || bad "--format xml: exit $rc"

finish impact
