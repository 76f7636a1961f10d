#!/usr/bin/env bash
# The example letter's shape (issue 11): a body a medical director reads in two minutes, then the signature,
# then the appendix for the reviewer.
#   - the body (everything before the appendix title that follows the signature) is at most 900 words of prose
#     (from the first section to the attestation) and at most 160 words of letterhead and signature fields
#     (issue 8: the fields a payer checks first are counted apart from the prose a medical director reads);
#   - the letterhead names the payer, member id, plan, codes on the order and diagnoses, and the signature block
#     the requesting physician with credentials, NPI and organization, each cited to its record entry (issue 8);
#     a record without them shows them as missing and warns, a Coverage of another patient is not used, and an
#     NPI with a wrong check digit is flagged;
#   - it opens with the summary: age and sex, the diagnosis with its ICD-10-CM code and since when, what failed
#     with the total duration, and the conclusion under the named policy, before the criteria;
#   - it ends with the signature block naming the requester of the record's ServiceRequest;
#   - each evidence finding (statements read from evidence/findings.yaml) and each record entry (summaries read
#     from the letter's own record list) is stated at most once in the body, and the numbers the issue found
#     repeated (81.2%, 152 patients, the 2020 salvage review) appear at most once; each finding at most once in
#     the whole letter;
#   - no policy id or criterion id (read from the policy file) in the body, dates in one style (ISO);
#   - every citation and record number in the whole letter resolves to its list in the appendix.
# Usage: letter_shape.sh MEDNEC [LETTER.md]  (with a file, that letter is checked instead of a new one: run on
# the letter before issue 11, tests/golden/letter.md of commit 6fbe8fa, it fails.)
. "$(dirname "$0")/common.bash" "$@"
src="${MN_SOURCE_DIR:?}"
cd "$src"
policy=policies/drg-stimulation-trial.yaml

if [ $# -ge 2 ]; then
  cp "$2" "$tmp/letter.md"
elif ! "$mednec" letter examples/crps-ii-drg-trial.json --policy drg-stimulation-trial --as-of 2026-11-20 \
     >"$tmp/letter.md" 2>"$tmp/err"; then
  echo "FAIL mednec letter exited nonzero"; cat "$tmp/err"; exit 1
fi
letter="$tmp/letter.md"

# the body: up to (not including) the appendix title, a level-1 heading after the first line
awk 'NR > 1 && /^# / { exit } { print }' "$letter" >"$tmp/body.md"
# the same text without Markdown escapes, for matching plain statements
sed 's/\\\(.\)/\1/g' "$tmp/body.md" >"$tmp/body.txt"

# the prose: from the first section heading to the attestation; the fields: the letterhead before it and the
# attestation and signature block after it
awk '/^## / { p = 1 } /^\*\*Attestation:\*\*/ { p = 0 } p' "$tmp/body.md" >"$tmp/prose.md"
words=$(wc -w <"$tmp/prose.md")
fwords=$(( $(wc -w <"$tmp/body.md") - words ))
echo "body: $words words of prose, $fwords of letterhead and signature"
if [ "$words" -le 900 ]; then ok; else bad "the body's prose has $words words (at most 900)"; fi
if [ "$fwords" -le 160 ]; then ok; else bad "the letterhead and signature have $fwords words (at most 160)"; fi
if [ "$(grep -c '^# ' "$letter")" -ge 2 ]; then ok; else bad "no appendix title after the body"; fi

# the letterhead and the signature block (values by hand from examples/crps-ii-drg-trial.json): each field with
# the record entries it is cited to, by their Type/id in the letter's record list
cited() {  # file, field label -> "value | Type/id Type/id" of the first such field line
  local line num refs=""
  line=$(grep -m1 "^\*\*$2:\*\* " "$1") || { echo "(no field $2)"; return; }
  for num in $(grep -oE '\[R[0-9]+(, R[0-9]+)*\]$' <<<"$line" | grep -oE '[0-9]+'); do
    refs="$refs $(sed -n "s/^- R$num\. \`\([^\`]*\)\`.*/\1/p" "$1")"
  done
  echo "$(sed -E 's/^\*\*[^*]*:\*\* //; s/ \[R[0-9]+(, R[0-9]+)*\]$//' <<<"$line") |$refs"
}
field_is() {  # file, label, expected "value | refs"
  local got; got=$(cited "$1" "$2")
  if [ "$got" = "$3" ]; then ok; else bad "$2: '$got', expected '$3'"; fi
}
field_is "$letter" "To" "Example Health Plan (fictional), Utilization Management, PO Box 0000, Anytown, ZZ 00000 | Organization/org-payer Coverage/cov-001"
field_is "$letter" "Patient" "Dana Example (fictional), born 1971-04-12 | Patient/pat-crps-001"
field_is "$letter" "Member id" "FICTIONAL-MB-0042 | Coverage/cov-001"
field_is "$letter" "Plan" "plan FICT-PPO-01, Example PPO (fictional); group FICT-GRP-100, Example Employer Group (fictional) | Coverage/cov-001"
field_is "$letter" "Codes on the order" "CPT 63650 | ServiceRequest/drg-trial-request"
field_is "$letter" "Diagnoses" "ICD-10-CM G57.72, Causalgia of left lower limb | Condition/crps-ii-left-lower-limb"
field_is "$letter" "Requesting physician" "Dr. Morgan Lee (fictional), pain medicine | Practitioner/prac-pain-001"
field_is "$letter" "Credentials" "MD | Practitioner/prac-pain-001"
field_is "$letter" "NPI" "1234567893 | Practitioner/prac-pain-001"
field_is "$letter" "Organization" "Example Pain Medicine Clinic (fictional), 100 Example Street, Anytown, ZZ 00000 | Organization/org-pain-clinic"
# the letterhead comes before the summary, the signature block closes the body: attestation, physician, lines to sign
head_end=$(grep -n -m1 '^## ' "$tmp/body.md" | cut -d: -f1)
if head -n "$head_end" "$tmp/body.md" | grep -q '^\*\*Member id:\*\*'; then ok; else bad "the member id is not in the letterhead"; fi
if [ "$(grep -c '^\*\*Attestation:\*\* By signing below, I, the requesting physician, attest that the information in this letter is accurate to the best of my knowledge and is taken from the patient'"'"'s medical record\.$' "$tmp/body.md")" -eq 1 ]
then ok; else bad "no attestation for the physician to sign in the body"; fi
grep -v '^$' "$tmp/body.md" | tail -n 7 >"$tmp/sigblock"
if head -n 1 "$tmp/sigblock" | grep -q '^\*\*Attestation:\*\*' &&
   sed -n 2p "$tmp/sigblock" | grep -q '^\*\*Requesting physician:\*\* Dr. Morgan Lee (fictional), pain medicine \[R[0-9]*\]$'; then ok
else bad "the body does not end with the attestation and the requesting physician's signature block: $(cat "$tmp/sigblock")"; fi
if sed -n 6p "$tmp/sigblock" | grep -q '^\*\*Signature:\*\*' && sed -n 7p "$tmp/sigblock" | grep -q '^\*\*Date signed:\*\*'
then ok; else bad "no lines to sign and date"; fi
if grep -q '^letter: ' <(sed -n '/^## Data quality/,/^## /p' "$letter"); then bad "the example warns of a missing letter part"; else ok; fi

# the summary comes first and holds the facts the issue lists (values from examples/crps-ii-drg-trial.json:
# born 1971-04-12, so 55 on 2026-11-20; female; G57.72 since 2016-05; the request's CPT code 63650 on its
# ServiceRequest; the conclusion)
first_heading=$(grep -m1 '^## ' "$tmp/body.md")
if [ "$first_heading" = "## Summary" ]; then ok; else bad "the first section is '$first_heading', not the summary"; fi
summary=$(awk '/^## Summary/ { on = 1; next } /^## / { on = 0 } on' "$tmp/body.txt")
for want in "55-year-old woman" "(CPT 63650 on the order)" "(ICD-10-CM G57.72)" "since 2016-05" "1391 days" "years" \
            "is medically necessary under this policy" \
            "against the policy \"Dorsal root ganglion stimulation, trial (CRPS of the lower extremity)\""; do
  if grep -qF -- "$want" <<<"$summary"; then ok; else bad "the summary lacks '$want'"; fi
done

# each finding statement of the evidence library at most once in the body
grep -E '^  statement: "' evidence/findings.yaml | sed -E 's/^  statement: "(.*)"$/\1/' >"$tmp/findings"
nf=0
while IFS= read -r st; do
  [ -n "$st" ] || continue
  n=$(grep -oF -- "$st" "$tmp/body.txt" | wc -l)
  nf=$((nf + n))
  if [ "$n" -gt 1 ]; then bad "finding stated $n times in the body: ${st:0:80}..."; fi
done <"$tmp/findings"
if [ "$nf" -ge 1 ]; then ok; else bad "no finding of the evidence library in the body at all"; fi
for want in "81.2%" "152 patients" "2020 review of salvage"; do
  n=$(grep -oF -- "$want" "$tmp/body.txt" | wc -l)
  if [ "$n" -le 1 ]; then ok; else bad "'$want' $n times in the body"; fi
done
# and in the whole letter, appendix included, each finding's statement at most once
sed 's/\\\(.\)/\1/g' "$letter" >"$tmp/letter.txt"
while IFS= read -r st; do
  [ -n "$st" ] || continue
  n=$(grep -oF -- "$st" "$tmp/letter.txt" | wc -l)
  if [ "$n" -gt 1 ]; then bad "finding stated $n times in the letter: ${st:0:80}..."; fi
done <"$tmp/findings"
ok

# each record entry's summary (from the letter's record list) at most once in the body
sed -n 's/^- R[0-9]*\. `[^`]*`\(, [^:]*\)\{0,1\}: //p' "$letter" | sed 's/\\\(.\)/\1/g' >"$tmp/entries"
if [ -s "$tmp/entries" ]; then ok; else bad "no record list"; fi
while IFS= read -r e; do
  [ -n "$e" ] || continue
  n=$(grep -oF -- "$e" "$tmp/body.txt" | wc -l)
  if [ "$n" -gt 1 ]; then bad "record entry stated $n times in the body: ${e:0:80}"; fi
done <"$tmp/entries"

# no internal identifiers: the policy id and its criterion ids
ids=$( { echo drg-stimulation-trial; awk '/^criteria:/ { on = 1 } /^letter:/ { on = 0 } on && /^  - id: / { print $3 }' "$policy"; } )
if [ "$(wc -w <<<"$ids")" -ge 10 ]; then ok; else bad "could not read the criterion ids"; fi
for id in $ids; do
  if grep -qwF -- "$id" "$tmp/body.txt"; then bad "internal identifier '$id' in the body"; fi
done
ok
# dates in one style: ISO only (no 11/20/2026, no month names)
if grep -qE '\b[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}\b' "$tmp/body.txt"; then bad "a date with slashes in the body"; else ok; fi
if grep -qwE '(January|February|March|April|June|July|August|September|October|November|December)' "$tmp/body.txt"
then bad "a date with a month name in the body"; else ok; fi

# every number resolves: citations to the references, R-numbers to the record list, in the whole letter
nrefs=$(sed -n '/^## References/,/^## /p' "$letter" | grep -cE '^[0-9]+\. ')
nrec=$(grep -cE '^- R[0-9]+\. ' "$letter")
for c in $(grep -oE '\[[0-9]+(, [0-9]+)*\]' "$letter" | grep -oE '[0-9]+' | sort -un); do
  if [ "$c" -gt "$nrefs" ]; then bad "citation [$c] but $nrefs references"; fi
done
for c in $(grep -oE '\[R[0-9]+(, R[0-9]+)*\]' "$letter" | grep -oE '[0-9]+' | sort -un); do
  if [ "$c" -gt "$nrec" ]; then bad "record R$c but $nrec entries"; fi
done
# and every listed reference and record entry is cited somewhere
used_refs=$(grep -oE '\[[0-9]+(, [0-9]+)*\]' "$letter" | grep -oE '[0-9]+' | sort -un | wc -l)
used_recs=$(grep -oE '\[R[0-9]+(, R[0-9]+)*\]' "$letter" | grep -oE '[0-9]+' | sort -un | wc -l)
if [ "$used_refs" -eq "$nrefs" ] && [ "$nrefs" -gt 0 ]; then ok; else bad "$nrefs references, $used_refs cited"; fi
if [ "$used_recs" -eq "$nrec" ] && [ "$nrec" -gt 0 ]; then ok; else bad "$nrec record entries, $used_recs cited"; fi

# data quality in the appendix (issue 10): the example has none; a record with an unknown element and a dangling
# reference lists both, with their JSON locations, after the signature and not in the body
if [ $# -lt 2 ]; then
  if sed -n '/^## Data quality/,/^## /p' "$letter" | grep -q '^\*\*None found:\*\*'; then ok
  else bad "the example's data-quality section does not say none were found"; fi
  awk '/"resourceType": "Patient"/ && !d { print; print "        \"favouriteColour\": \"blue\","; d = 1; next }
       /"reference": "Practitioner\/prac-pt-001"/ && !r { sub(/prac-pt-001/, "nobody"); r = 1 } { print }' \
    examples/crps-ii-drg-trial.json >"$tmp/dq.json"
  "$mednec" letter "$tmp/dq.json" --policy drg-stimulation-trial --as-of 2026-11-20 >"$tmp/dq.md" 2>/dev/null
  sed -n '/^## Data quality/,/^## /p' "$tmp/dq.md" >"$tmp/dq-section"
  if grep -q '^- 1 data-quality problem in the record, treated as absent: /entry/0/resource/favouriteColour: Patient: unknown element "favouriteColour"$' "$tmp/dq-section"
  then ok; else bad "the unknown element is not in the data-quality appendix: $(cat "$tmp/dq-section")"; fi
  if grep -q '^- 1 reference does not resolve within the record and resolves to nothing: Practitioner/nobody at /entry/' "$tmp/dq-section"
  then ok; else bad "the dangling reference is not in the data-quality appendix"; fi
  if awk 'NR > 1 && /^# / { exit } { print }' "$tmp/dq.md" | grep -q 'favouriteColour\|Practitioner/nobody'; then
    bad "data-quality warnings in the body"; else ok; fi
fi

# every policy's first example letter has the same shape: the summary first, the signature closing the body, no
# finding stated twice in the body, no policy or criterion id in it (a policy whose first example is not written
# as a letter, no request or not covered, is skipped by name)
if [ $# -lt 2 ]; then
  for pf in policies/*.yaml; do
    pid=$(sed -n 's/^id: //p' "$pf")
    c=$(grep -m1 '^  - case: ' "$pf" | sed 's/^  - case: //')
    d=$(grep -m1 '^    asOf: ' "$pf" | sed 's/^    asOf: "\{0,1\}\([0-9-]*\)"\{0,1\}$/\1/')
    if ! "$mednec" letter "$c" --policy "$pid" --as-of "$d" >"$tmp/p.md" 2>/dev/null; then
      echo "skip $pid: no letter for $c"; continue
    fi
    awk 'NR > 1 && /^# / { exit } { print }' "$tmp/p.md" | sed 's/\\\(.\)/\1/g' >"$tmp/p-body"
    [ "$(grep -m1 '^## ' "$tmp/p-body")" = "## Summary" ] && ok || bad "$pid: the body does not open with the summary"
    grep -q '^\*\*Signature:\*\*' "$tmp/p-body" && ok || bad "$pid: no signature closing the body"
    while IFS= read -r st; do
      [ -n "$st" ] || continue
      n=$(grep -oF -- "$st" "$tmp/p-body" | wc -l)
      [ "$n" -le 1 ] || bad "$pid: finding stated $n times in the body: ${st:0:60}..."
    done <"$tmp/findings"
    for id in $pid $(awk '/^criteria:/ { on = 1 } /^letter:/ { on = 0 } on && /^  - id: / { print $3 }' "$pf"); do
      grep -qwF -- "$id" "$tmp/p-body" && bad "$pid: internal identifier '$id' in the body"
    done
    ok
  done
fi

# the mechanism, not only the example's wording: a policy whose body quotes ACCURATE's 3-month result twice
# (a copy of the default policy under MEDNEC_HOME) states it once and refers back the second time, with the
# citation kept; and a request without a requester gets a marked line for the signer, not an invented name
if [ $# -lt 2 ]; then
  home="$tmp/home"; mkdir -p "$home/policies"
  for d in evidence knowledge examples cases; do ln -s "$src/$d" "$home/$d"; done
  awk '{ print } /^    - id: why-not-deny$/ { w = 1 } w && /^      statements:$/ {
         print "        - when: \"%crps.exists()\""; print "          text: \"{@accurate-3mo-success}\""; w = 0 }' \
    "$policy" >"$home/policies/drg-stimulation-trial.yaml"
  MEDNEC_HOME="$home" "$mednec" letter examples/crps-ii-drg-trial.json --policy drg-stimulation-trial \
    --as-of 2026-11-20 >"$tmp/twice.md" 2>"$tmp/twice.err" || bad "the policy with a repeated finding: $(cat "$tmp/twice.err")"
  awk 'NR > 1 && /^# / { exit } { print }' "$tmp/twice.md" >"$tmp/twice-body"
  n=$(grep -oF '81.2% with DRG stimulation' "$tmp/twice-body" | wc -l)
  [ "$n" -eq 1 ] && ok || bad "the repeated finding is stated $n times in the body"
  grep -qxF '(See the finding cited above.) [4]' "$tmp/twice-body" && ok || bad "the second mention does not refer back with its citation"
  # the request's "requester": { "reference": ... }, (three lines) left out
  awk '/"requester": \{/ { skip = 3 } skip { skip--; next } { print }' examples/crps-ii-drg-trial.json >"$tmp/norequester.json"
  if grep -q '"requester"' "$tmp/norequester.json"; then bad "requester not removed"; fi
  "$mednec" letter "$tmp/norequester.json" --policy drg-stimulation-trial --as-of 2026-11-20 >"$tmp/nr.md" 2>"$tmp/nr.err" \
    || bad "the letter without a requester: $(cat "$tmp/nr.err")"
  grep -qxF '**Requesting physician:** to be named by the signer (the record'"'"'s request names no practitioner as its requester)' "$tmp/nr.md" \
    && ok || bad "no marked line for the signer: $(grep -i 'requesting' "$tmp/nr.md")"
  grep -q 'Morgan Lee' <(awk 'NR > 1 && /^# / { exit } { print }' "$tmp/nr.md") && bad "a name in the signature without a requester" || ok
fi

# the parts a payer checks first, adversarially (issue 8): a record without its Coverage shows the payer, member id
# and plan as not in the record and warns, and invents none of them; a Coverage whose beneficiary is another
# patient is not used; an NPI whose check digit is wrong is flagged (by hand: for 123456789 the Luhn sum over
# 80840123456789 is 67, so the check digit is 3 and 1234567890 is invalid; for 155859879 the sum is 73, so
# 1558598797 is valid)
if [ $# -lt 2 ]; then
  ex=examples/crps-ii-drg-trial.json
  args=(--policy drg-stimulation-trial --as-of 2026-11-20)
  # the entry holding the Coverage left out (entries are "    {" ... "    }," in the example)
  awk '/^    \{$/ { buf = $0; inb = 1; next }
       inb { buf = buf "\n" $0; if ($0 ~ /^    \},?$/) { inb = 0; if (buf !~ /"resourceType": "Coverage"/) print buf } next }
       { print }' "$ex" >"$tmp/nocov.json"
  # another patient, and the Coverage's beneficiary pointed at them
  awk '/"beneficiary": \{/ { b = 1 } b && /Patient\/pat-crps-001/ { sub(/pat-crps-001/, "pat-other"); b = 0 }
       { print } /^    \},$/ && !done { print "    {\"resource\": {\"resourceType\": \"Patient\", \"id\": \"pat-other\", \"name\": [{\"text\": \"Other Person (fictional)\"}]}},"; done = 1 }' \
    "$ex" >"$tmp/othercov.json"
  grep -q '"pat-other"' "$tmp/othercov.json" && ok || bad "the other patient was not added"
  for v in nocov othercov; do
    "$mednec" letter "$tmp/$v.json" "${args[@]}" >"$tmp/$v.md" 2>"$tmp/$v.err" || bad "$v: letter failed: $(cat "$tmp/$v.err")"
    "$mednec" determine "$tmp/$v.json" "${args[@]}" --format json >"$tmp/$v.det" 2>>"$tmp/$v.err" || bad "$v: determine failed"
    for f in "To" "Member id" "Plan"; do
      grep -qxF "**$f:** not in the record (no Coverage of the patient)" "$tmp/$v.md" && ok || bad "$v: $f not shown as missing"
    done
    for invented in FICTIONAL-MB-0042 "Example Health Plan" FICT-PPO-01 FICT-GRP-100; do
      grep -qF -- "$invented" "$tmp/$v.md" && bad "$v: '$invented' in the letter without the patient's Coverage" || ok
    done
    grep -qF '"letter: the payer, member id and plan are not in the record: no active Coverage has the patient as its beneficiary' "$tmp/$v.det" \
      && ok || bad "$v: no data-quality warning for the missing Coverage"
    grep -qF -- '- letter: the payer, member id and plan are not in the record' "$tmp/$v.md" && ok || bad "$v: the letter's data-quality appendix lacks it"
  done
  grep -qF 'beneficiary (1 Coverage not used: another beneficiary, not active or ended)' "$tmp/othercov.det" && ok \
    || bad "the other patient's Coverage is not named as not used"
  grep -qF 'Coverage not used' "$tmp/nocov.det" && bad "a Coverage counted as not used where there is none" || ok
  # the outcome does not depend on the letter's parts: still meets the criteria
  grep -q '"determination": "meets-criteria"' "$tmp/nocov.det" && ok || bad "the missing Coverage changed the outcome"
  # NPI check digit
  npi_case() {  # NPI, expected: valid|invalid
    sed 's/"value": "1234567893"/"value": "'"$1"'"/' "$ex" >"$tmp/npi.json"
    "$mednec" letter "$tmp/npi.json" "${args[@]}" >"$tmp/npi.md" 2>/dev/null
    "$mednec" determine "$tmp/npi.json" "${args[@]}" --format json >"$tmp/npi.det" 2>/dev/null
    if [ "$2" = invalid ]; then
      grep -q "^\*\*NPI:\*\* $1 (not a valid NPI: its check digit does not match) \[R[0-9]*\]$" "$tmp/npi.md" && ok || bad "NPI $1 not flagged in the letter"
      grep -qF "\"letter: the requesting physician's NPI $1 is not a valid NPI" "$tmp/npi.det" && ok || bad "NPI $1 not warned"
    else
      grep -q "^\*\*NPI:\*\* $1 \[R[0-9]*\]$" "$tmp/npi.md" && ok || bad "valid NPI $1 not shown plainly"
      grep -qF "NPI $1 is not a valid" "$tmp/npi.det" && bad "valid NPI $1 warned" || ok
    fi
  }
  npi_case 1234567890 invalid
  npi_case 1558598797 valid
  npi_case 123456789 invalid
  npi_case 12345A7893 invalid
  # a record whose requester has no NPI and no organization (a Practitioner, not a PractitionerRole) shows both missing
  sed 's#"reference": "PractitionerRole/role-pain-001"#"reference": "Practitioner/prac-pain-001"#; s/"system": "http:\/\/hl7.org\/fhir\/sid\/us-npi"/"system": "urn:other"/' \
    "$ex" >"$tmp/nonpi.json"
  "$mednec" letter "$tmp/nonpi.json" "${args[@]}" >"$tmp/nonpi.md" 2>/dev/null
  grep -qxF '**NPI:** not in the record' "$tmp/nonpi.md" && ok || bad "a missing NPI is not shown as missing"
  grep -qxF '**Organization:** not in the record' "$tmp/nonpi.md" && ok || bad "a missing organization is not shown as missing"
  grep -qF 'Example Pain Medicine Clinic' "$tmp/nonpi.md" && bad "an organization not linked to the requester is named" || ok
fi

# age and sex in the summary, computed to the letter's date 2026-11-20 (by hand: born 1945-01-01 is 81, "an";
# born 2008-11-20 turns 18 that day; born 2015-11-21 is still 10 the day before; a year alone gives no age; no
# recorded sex gives "patient")
if [ $# -lt 2 ]; then
  age_is() {  # sed program on the example, expected phrase
    sed "$1" examples/crps-ii-drg-trial.json >"$tmp/age.json"
    "$mednec" letter "$tmp/age.json" --policy drg-stimulation-trial --as-of 2026-11-20 2>/dev/null \
      | grep -qF "for Dana Example (fictional), $2 with complex regional pain syndrome" && ok || bad "summary lacks '$2'"
  }
  age_is 's/"birthDate": "1971-04-12"/"birthDate": "1945-01-01"/' "an 81-year-old woman"
  age_is 's/"birthDate": "1971-04-12"/"birthDate": "2008-11-20"/' "an 18-year-old woman"
  age_is 's/"birthDate": "1971-04-12"/"birthDate": "2015-11-21"/' "a 10-year-old girl"
  age_is 's/"birthDate": "1971-04-12"/"birthDate": "1971"/' "a female patient"
  age_is 's/"gender": "female",//' "a 55-year-old patient"
fi

# the new letter keys are checked at load (exit 78, located): entries only on the criteria builtin, one signature,
# and the numbered lists after it
if [ $# -lt 2 ]; then
  home2="$tmp/home2"; mkdir -p "$home2/policies"
  for d in evidence knowledge examples cases; do ln -s "$src/$d" "$home2/$d"; done
  load_error() {  # name, expected message, awk program that alters the default policy
    awk "$3" "$policy" >"$home2/policies/drg-stimulation-trial.yaml"
    MEDNEC_HOME="$home2" "$mednec" check drg-stimulation-trial >/dev/null 2>"$tmp/le.err"; local rc=$?
    if [ $rc -eq 78 ] && grep -q -- "$2" "$tmp/le.err"; then ok; else bad "$1: exit $rc: $(cat "$tmp/le.err")"; fi
  }
  load_error "entries on basis" "entries applies to the builtin section 'criteria' only" \
    '{ print } /^    - builtin: basis$/ { print "      entries: strongest" }'
  load_error "entries value" "entries must be 'all' or 'strongest'" \
    '{ sub(/entries: strongest/, "entries: best"); print }'
  load_error "two signatures" "at most one builtin section 'signature'" \
    '{ print } /^    - builtin: warnings$/ { print "    - builtin: signature" }'
  load_error "record before the signature" "come after the builtin 'signature'" \
    '/^    - builtin: signature$/ { print "    - builtin: record" } { print }'
fi

finish letter_shape
