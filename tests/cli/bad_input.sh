#!/usr/bin/env bash
# Bad input gets a clear, located error and a documented exit code, and never
# a determination.
set -u
mednec="$1"
src="${MN_SOURCE_DIR:?}"
cd "$src"
d=tests/cli/data
ok=(--policy drg-stimulation-trial --as-of 2026-11-20)
pass=0 fail=0
expect() {  # want_exit, stderr_pattern, command...
  local want=$1 pat=$2; shift 2
  local out err rc
  out=$("$@" 2>/tmp/mn_bad_err.$$); rc=$?
  err=$(cat /tmp/mn_bad_err.$$)
  if [ "$rc" -ne "$want" ]; then echo "FAIL ($*): exit $rc, want $want; stderr: $err"; fail=$((fail+1)); return; fi
  if ! grep -qE -- "$pat" <<<"$err"; then echo "FAIL ($*): stderr lacks /$pat/: $err"; fail=$((fail+1)); return; fi
  if [ "$want" -ne 0 ] && [ -n "$out" ]; then echo "FAIL ($*): printed output on error: $out"; fail=$((fail+1)); return; fi
  pass=$((pass+1))
}
expect 65 'malformed\.json:4:[0-9]+: .*json-syntax' "$mednec" determine $d/malformed.json "${ok[@]}"
expect 65 'no-resource-type\.json.*resourceType' "$mednec" determine $d/no-resource-type.json "${ok[@]}"
expect 65 'unknown-resource-type\.json.*Patent' "$mednec" determine $d/unknown-resource-type.json "${ok[@]}"
expect 65 'wrong-shape\.json:[0-9]+:[0-9]+: .*effective' "$mednec" determine $d/wrong-shape.json "${ok[@]}"
# an unknown element or an invalid primitive value inside a resource is a data-quality warning (the
# element is treated as absent); --strict refuses the record as before
expect 0 'warning: .*bad-date\.json: 1 data-quality problem in the record, treated as absent: /entry/1/resource/performedDateTime: .*2024-02-30' "$mednec" determine $d/bad-date.json "${ok[@]}"
expect 65 'bad-date\.json:[0-9]+:[0-9]+: .*2024-02-30' "$mednec" determine $d/bad-date.json "${ok[@]}" --strict
expect 0 'warning: .*unknown-element\.json: 1 data-quality problem .*/entry/0/resource/favouriteColour: Patient: unknown element "favouriteColour"' "$mednec" determine $d/unknown-element.json "${ok[@]}"
expect 65 'unknown-element\.json:[0-9]+:[0-9]+: .*unknown element "favouriteColour"' "$mednec" determine $d/unknown-element.json "${ok[@]}" --strict
expect 65 'unknown-element\.json:[0-9]+:[0-9]+: .*unknown element "favouriteColour"' "$mednec" letter $d/unknown-element.json "${ok[@]}" --strict
expect 65 'unknown-element\.json:[0-9]+:[0-9]+: .*unknown element "favouriteColour"' "$mednec" score $d/unknown-element.json --as-of 2026-11-20 --strict
expect 0 'warning: .*unknown-element\.json: 1 data-quality problem' "$mednec" score $d/unknown-element.json --as-of 2026-11-20
expect 65 'wrong-shape\.json:[0-9]+:[0-9]+: .*effective' "$mednec" determine $d/wrong-shape.json "${ok[@]}" --strict
# a reference that does not resolve is a warning, not a refusal; it resolves to nothing, and the
# record (no request for the service) can never give meets-criteria
expect 0 'warning: .*broken-reference\.json: 1 reference does not resolve .*Patient/nobody at /entry/1/resource/subject/reference' "$mednec" determine $d/broken-reference.json "${ok[@]}"
out=$("$mednec" determine $d/broken-reference.json "${ok[@]}" --format json 2>/dev/null)
if grep -q '"determination": "insufficient-documentation"' <<<"$out" && grep -q '"requestFound": false' <<<"$out" \
   && grep -q '"1 reference does not resolve within the record and resolves to nothing: Patient/nobody at /entry/1/resource/subject/reference"' <<<"$out"; then
  pass=$((pass+1)); else echo "FAIL: broken-reference determination: $out"; fail=$((fail+1)); fi
expect 3 'no letter written: the record holds no active request' "$mednec" letter $d/broken-reference.json "${ok[@]}"
expect 65 'not-fhir\.json.*resourceType' "$mednec" determine $d/not-fhir.json "${ok[@]}"
expect 66 'does-not-exist\.json.*cannot open' "$mednec" determine $d/does-not-exist.json "${ok[@]}"
expect 64 "no policy 'no-such-policy'" "$mednec" determine examples/crps-ii-drg-trial.json --policy no-such-policy --as-of 2026-11-20
expect 64 "no policy" "$mednec" determine examples/crps-ii-drg-trial.json --policy ../evidence/x --as-of 2026-11-20
expect 64 "'2026-02-30' is not a valid date" "$mednec" determine examples/crps-ii-drg-trial.json --policy drg-stimulation-trial --as-of 2026-02-30
expect 64 "--as-of YYYY-MM-DD is required" "$mednec" determine examples/crps-ii-drg-trial.json --policy drg-stimulation-trial
expect 64 "unknown option '--bogus'" "$mednec" determine examples/crps-ii-drg-trial.json --bogus "${ok[@]}"
expect 64 "is not text or json" "$mednec" determine examples/crps-ii-drg-trial.json "${ok[@]}" --format xml
expect 64 "unknown command" "$mednec" decide
expect 78 "bad-policy\.yaml:[0-9]+:[0-9]+: .*unknown key 'critera'" "$mednec" check $d/bad-policy.yaml
expect 65 'column [0-9]+: .*fhirpath-syntax' "$mednec" eval -e "Patient.name.where(" 
echo "$pass passed, $fail failed"
rm -f /tmp/mn_bad_err.$$
[ $fail -eq 0 ]
