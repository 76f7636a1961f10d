#!/usr/bin/env bash
# Lenient loading (the default of determine, letter, appeal, score) never
# turns a criterion met on bad data: an element dropped as a data-quality
# problem is absent, so what depended on it is not met. Variants of
# examples/crps-ii-drg-trial.json (meets-criteria as of 2026-11-20).
. "$(dirname "$0")/common.bash" "$@"
cd "${MN_SOURCE_DIR:?}"
ex=examples/crps-ii-drg-trial.json
args=(--policy drg-stimulation-trial --as-of 2026-11-20 --format json)

# status of criterion $2 in determination JSON $1
status_of() { grep -A3 "\"id\": \"$2\"" <<<"$1" | grep -m1 -o '"status": "[a-z-]*"'; }

base=$("$mednec" determine $ex "${args[@]}" 2>/dev/null)
grep -q '"determination": "meets-criteria"' <<<"$base" && ok || bad "baseline is not meets-criteria"
[ "$(status_of "$base" odi-21-recent)" = '"status": "met"' ] && ok || bad "baseline odi-21-recent not met"
[ "$(status_of "$base" psych-clearance)" = '"status": "met"' ] && ok || bad "baseline psych-clearance not met"

# 1. the ODI Observations' effectiveDateTime is an invalid date: the ODI does not count
awk '/"id": "odi-/{f=1} f && /"effectiveDateTime":/{sub(/"effectiveDateTime": "[^"]*"/, "\"effectiveDateTime\": \"2026-13-45\""); f=0} {print}' \
  $ex >"$tmp/odi.json"
[ "$(grep -c '2026-13-45' "$tmp/odi.json")" -eq 3 ] && ok || bad "odi variant not made"
out=$("$mednec" determine "$tmp/odi.json" "${args[@]}" 2>"$tmp/err"); rc=$?
[ $rc -eq 0 ] && ok || bad "odi variant: exit $rc"
[ "$(status_of "$out" odi-21-recent)" = '"status": "not-documented"' ] && ok || bad "odi variant: odi-21-recent $(status_of "$out" odi-21-recent)"
grep -q '"determination": "meets-criteria"' <<<"$out" && bad "odi variant meets criteria" || ok
grep -q '"3 data-quality problems in the record, treated as absent: /entry/[0-9]*/resource/effectiveDateTime: Observation.effective\[x\] (dateTime): invalid dateTime \\"2026-13-45\\"' <<<"$out" \
  && ok || bad "odi variant: no warning in the determination: $out"
grep -q 'warning: .*odi.json: 3 data-quality problems in the record, treated as absent: /entry/' "$tmp/err" && ok || bad "odi variant: stderr $(cat "$tmp/err")"
"$mednec" determine "$tmp/odi.json" "${args[@]}" --strict >/dev/null 2>&1; rc=$?
[ $rc -eq 65 ] && ok || bad "odi variant --strict: exit $rc, want 65"
# the text form lists the warning as well
"$mednec" determine "$tmp/odi.json" --policy drg-stimulation-trial --as-of 2026-11-20 2>/dev/null \
  | grep -q '3 data-quality problems in the record, treated as absent' && ok || bad "odi variant: text lacks the warning"

# 2. the psychological clearance's valueCodeableConcept replaced by an unknown element: not met
awk '/"id": "psych-clearance-2026-03"/{f=1}
     f && /^        "valueCodeableConcept": \{/{print "        \"valueCleared\": true"; skip=1; next}
     skip{ if ($0 ~ /^        \}/) {skip=0; f=0} ; next} {print}' $ex >"$tmp/psych.json"
grep -q '"valueCleared": true' "$tmp/psych.json" && ok || bad "psych variant not made"
out=$("$mednec" determine "$tmp/psych.json" "${args[@]}" 2>/dev/null); rc=$?
[ $rc -eq 0 ] && ok || bad "psych variant: exit $rc"
s=$(status_of "$out" psych-clearance)
[ -n "$s" ] && [ "$s" != '"status": "met"' ] && ok || bad "psych variant: psych-clearance $s"
grep -q '"determination": "meets-criteria"' <<<"$out" && bad "psych variant meets criteria" || ok
grep -q '"1 data-quality problem in the record, treated as absent: /entry/[0-9]*/resource/valueCleared: Observation: unknown element \\"valueCleared\\""' <<<"$out" \
  && ok || bad "psych variant: no warning: $out"

# 3. an unknown element alone on an unrelated resource: the same determination, one warning
sed 's/"id": "prac-rad-001",/"id": "prac-rad-001", "favouriteColour": "teal",/' $ex >"$tmp/other.json"
out=$("$mednec" determine "$tmp/other.json" "${args[@]}" 2>/dev/null); rc=$?
[ $rc -eq 0 ] && ok || bad "unrelated variant: exit $rc"
grep -q '"determination": "meets-criteria"' <<<"$out" && ok || bad "unrelated variant: not meets-criteria"
[ "$(grep -c 'data-quality problem' <<<"$out")" -eq 1 ] \
  && grep -q '"1 data-quality problem in the record, treated as absent: /entry/[0-9]*/resource/favouriteColour: Practitioner: unknown element \\"favouriteColour\\""' <<<"$out" \
  && ok || bad "unrelated variant: want one warning: $out"
"$mednec" letter "$tmp/other.json" --policy drg-stimulation-trial --as-of 2026-11-20 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] && grep -q 'warning: .*1 data-quality problem' "$tmp/err" && ok || bad "unrelated variant letter: exit $rc, $(cat "$tmp/err")"
"$mednec" letter "$tmp/other.json" --policy drg-stimulation-trial --as-of 2026-11-20 --strict >/dev/null 2>&1; rc=$?
[ $rc -eq 65 ] && ok || bad "unrelated variant letter --strict: exit $rc, want 65"

# appeal loads the same way
sed 's/"id": "p"/"id": "p", "favouriteColour": "teal"/' tests/data/cases/mini-met.json >"$tmp/mini.json"
grep -q favouriteColour "$tmp/mini.json" && ok || bad "mini variant not made"
MEDNEC_HOME=tests/data "$mednec" appeal "$tmp/mini.json" --policy mini --as-of 2026-02-01 --denial tests/data/cases/denial.txt \
  >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] && grep -q 'warning: .*1 data-quality problem.*unknown element "favouriteColour"' "$tmp/err" && ok || bad "appeal: exit $rc, $(cat "$tmp/err")"
MEDNEC_HOME=tests/data "$mednec" appeal "$tmp/mini.json" --policy mini --as-of 2026-02-01 --denial tests/data/cases/denial.txt --strict \
  >/dev/null 2>&1; rc=$?
[ $rc -eq 65 ] && ok || bad "appeal --strict: exit $rc, want 65"

finish lenient
