#!/usr/bin/env bash
# mednec eval: --model none (FHIRPath over any JSON, System types only),
# lenient loading of records (unknown elements are warnings and absent;
# --strict refuses), --lenient names (valueQuantity), and %terminologies over
# the shared value sets. Expected values are read from the JSON written here,
# from examples/crps-ii-drg-trial.json, and from docs/VALUESETS.md.
. "$(dirname "$0")/common.bash" "$@"
cd "${MN_SOURCE_DIR:?}"
# expect OUTPUT of eval ARGS...
expect() {
  local want="$1"; shift
  local got; got=$("$mednec" eval "$@" 2>"$tmp/stderr"); local rc=$?
  [ $rc -eq 0 ] && [ "$got" = "$want" ] && ok || bad "eval $*: exit $rc, got '$got', want '$want' ($(cat "$tmp/stderr"))"
}
# exit code CODE of eval ARGS...
expect_exit() {
  local want="$1"; shift
  "$mednec" eval "$@" >/dev/null 2>"$tmp/stderr"; local rc=$?
  [ $rc -eq "$want" ] && ok || bad "eval $*: exit $rc, want $want ($(cat "$tmp/stderr"))"
}

# ---- 1. --model none: any JSON ------------------------------------------------
cat >"$tmp/plain.json" <<'EOF'
{"store": {"book": [{"title": "A", "price": 8.95, "tags": ["x", "y"]},
                    {"title": "B", "price": 12, "tags": [["z"]]}],
           "open": true, "owner": null},
 "when": "2026-11-30"}
EOF
expect '["A","B"]' --model none -e 'store.book.title' "$tmp/plain.json"
expect '[20.95]' --model none -e 'store.book.price.sum()' "$tmp/plain.json"
expect '["x","y","z"]' --model none -e 'store.book.tags' "$tmp/plain.json"  # nested arrays flatten
expect '[true]' --model none -e 'store.book[1].price.is(Integer)' "$tmp/plain.json"
expect '[true]' --model none -e 'store.book[0].price.is(Decimal)' "$tmp/plain.json"
expect '[true]' --model none -e 'store.open' "$tmp/plain.json"
expect '[false]' --model none -e 'store.owner.exists()' "$tmp/plain.json"
expect '[true]' --model none -e 'when.is(String)' "$tmp/plain.json"
expect '[]' --model none -e 'store.nothing' "$tmp/plain.json"
expect '["B"]' --model none -e "store.book.where(price > 10).title" "$tmp/plain.json"
# the --model=none form, and several files
echo '[1, 2, [3]]' >"$tmp/array.json"
expect $'[3]\n[6]' --model=none -e 'count()' -e 'sum()' "$tmp/array.json"
out=$("$mednec" eval --model none -e 'count()' "$tmp/plain.json" "$tmp/array.json" 2>&1)
[ "$out" = $'[1]\n[3]' ] && ok || bad "two files: '$out'"
# the R4 model (the default) refuses JSON that is not a resource; bad --model is a usage error
expect_exit 65 -e 'store' "$tmp/plain.json"
expect_exit 65 --model r4 -e 'store' "$tmp/plain.json"
expect_exit 64 --model fhir5 -e 'store' "$tmp/plain.json"
# malformed JSON is still an error without the model
echo '{"a": }' >"$tmp/broken.json"
expect_exit 65 --model none -e 'a' "$tmp/broken.json"

# ---- 2. a resource with an element the model does not know --------------------
cat >"$tmp/obs.json" <<'EOF'
{"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "weight"},
 "favouriteColour": "teal",
 "valueQuantity": {"value": 185, "unit": "lb", "system": "http://unitsofmeasure.org", "code": "[lb_av]"}}
EOF
expect '["final"]' -e 'Observation.status' "$tmp/obs.json"
grep -q 'warning: .*obs.json: 1 data-quality problem in the record, treated as absent: /favouriteColour: Observation: unknown element "favouriteColour"' \
  "$tmp/stderr" && ok || bad "no located warning: $(cat "$tmp/stderr")"
# absent from typed navigation: id, status, code, value
expect '[4]' -e 'Observation.children().count()' "$tmp/obs.json"
# --strict refuses the record (exit 65) with the located error
expect_exit 65 --strict -e 'Observation.status' "$tmp/obs.json"
grep -q 'favouriteColour' "$tmp/stderr" && ok || bad "--strict: no location: $(cat "$tmp/stderr")"
# without the model the element is just a member
expect '["teal"]' --model none -e 'Observation.favouriteColour' "$tmp/obs.json"

# ---- 3. --lenient: valueQuantity-style names -----------------------------------
expect_exit 65 -e 'Observation.valueQuantity.value' "$tmp/obs.json"  # per specification: an error
grep -q "'valueQuantity' is not an element of Observation; use 'value'" "$tmp/stderr" && ok || bad "message: $(cat "$tmp/stderr")"
expect '[185]' --lenient -e 'Observation.valueQuantity.value' "$tmp/obs.json"
# a FHIR Quantity element is printed as its JSON
expect '[{"value":185,"unit":"lb","system":"http://unitsofmeasure.org","code":"[lb_av]"}]' --lenient -e 'Observation.valueQuantity.ofType(Quantity)' "$tmp/obs.json"
expect '[true]' --lenient -e 'Observation.valueQuantity.is(Quantity)' "$tmp/obs.json"
expect '[]' --lenient -e 'Observation.valueString' "$tmp/obs.json"
# the example's three ODI Observations (valueQuantity 60, 64, 68 %): the same with either spelling
ex=examples/crps-ii-drg-trial.json
odi="Bundle.entry.resource.ofType(Observation).where(id.startsWith('odi-'))"
expect '[60,64,68]' --lenient -e "$odi.valueQuantity.value" $ex
expect '[60,64,68]' -e "$odi.value.ofType(Quantity).value" $ex
expect '[60,64,68]' --lenient -e "$odi.value.ofType(Quantity).value" $ex

# Lenient names never reach a determination: policies are compiled per specification, so a
# policy written with valueQuantity is refused at load (and determine has no --lenient).
cp -r tests/data "$tmp/home"
sed -i 's/value\.ofType(Quantity)/valueQuantity/' "$tmp/home/policies/mini.yaml"
grep -q 'valueQuantity' "$tmp/home/policies/mini.yaml" && ok || bad "mini variant not made"
MEDNEC_HOME="$tmp/home" "$mednec" check mini >"$tmp/check" 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q "'valueQuantity' is not an element of Observation" "$tmp/check" && ok \
  || bad "policy with valueQuantity accepted: exit $rc $(cat "$tmp/check")"
"$mednec" determine $ex --policy drg-stimulation-trial --as-of 2026-11-20 --lenient >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] && ok || bad "determine --lenient: exit $rc, want 64 (no such option)"

# ---- 4. %terminologies over knowledge/valuesets -----------------------------------
# docs/VALUESETS.md, crps-lower-limb: G90.521, G90.522, G90.523, G90.529, G57.70-G57.73
expect '["G90.521","G90.522","G90.523","G90.529","G57.70","G57.71","G57.72","G57.73"]' \
  -e "%terminologies.expand('crps-lower-limb').expansion.contains.code"
expect '[8]' -e "%terminologies.expand('crps-lower-limb').expansion.total"
# G90.50 (CRPS I, unspecified) is out of crps-lower-limb, in crps-diagnosis
expect '[false]' -e "%terminologies.validateVS('crps-lower-limb', 'G90.50').parameter.where(name = 'result').value"
expect '[true]' -e "%terminologies.validateVS('crps-diagnosis', 'G90.50').parameter.where(name = 'result').value"
# the example's CRPS II Condition is coded G57.72; its display in knowledge/valuesets (source: CMS ACCESS
# ACCESSMSKDiagnosisVS) is "Causalgia of left lower limb"
grep -q '"code": "G57.72"' $ex && ok || bad "the example is not coded G57.72"
expect '[true]' -e "Bundle.entry.resource.ofType(Condition).where(code.coding.code = 'G57.72').code.all(%terminologies.validateVS('crps-lower-limb', \$this).parameter.where(name = 'result').value)" $ex
expect '["Causalgia of left lower limb"]' \
  -e "%terminologies.lookup(Bundle.entry.resource.ofType(Condition).code.coding.where(code = 'G57.72')).parameter.where(name = 'display').value" $ex
# what mednec does not hold is an error that says so (exit 65), never an empty answer
expect_exit 65 -e "%terminologies.expand('substance-use-disorder')"  # defined by prefixes
grep -q 'prefix' "$tmp/stderr" && ok || bad "prefix message: $(cat "$tmp/stderr")"
expect_exit 65 -e "%terminologies.expand('no-such-set')"
grep -q 'mednec holds no such value set' "$tmp/stderr" && ok || bad "unknown set message: $(cat "$tmp/stderr")"
expect_exit 65 -e "%terminologies.subsumes('http://snomed.info/sct', 'a', 'b')"
expect_exit 65 -e "%terminologies.translate('http://example.org/map', 'a')"
expect_exit 65 -e "%terminologies.validateCS('http://loinc.org', '0000-0')"

finish eval_model
