#!/usr/bin/env bash
# mednec brief: the one-page peer-to-peer brief. Golden files for the example (with and without a denial),
# and expectations worked by hand from the case data and the policy file (policies/drg-stimulation-trial.yaml):
#   - the example meets all 16 criteria on 2026-11-20 (the policy's own test case);
#   - strongest points = met criteria with record entries, most payer sources first, policy order among equals.
#     Counting each criterion's `cite:` entries that are policy sources (author requirements count 0):
#     no-untreated-sud 4, refractory-last-resort 3, psych-clearance 2, facilities-available 2, then the 1-source
#     criteria in policy order, first crps-budapest: five points, printed in policy order;
#   - live objections without a denial: the rules whose answer statements apply on this record: an implanted
#     stimulator with failed reprogramming (existing-stimulator), a CRPS diagnosis (not-proven), epidural injections
#     on record (conservative-care), the request (guideline-against), a reviewed reassuring drug screen
#     (substance-use); the other rules concern only met criteria and have no answer statement;
#   - examples/crps-ii-drg-trial-untreated-sud.json: an active opioid use disorder (Condition/oud-2024) with no
#     treatment naming it, so no-untreated-sud is not met; like the other variants it has no cardiac-device check
#     (no Observation cardiac-device-check), so no-cardiac-device is not documented: 14 of 16 met;
#   - examples/crps-ii-drg-trial-little-conservative-care.json: only 12 weeks of physical therapy (2026-08-03 to
#     2026-10-30), no failed medication: refractory-last-resort and conservative-6mo not met; no cardiac check:
#     13 of 16 met;
#   - the request (ServiceRequest/drg-trial-request) is authored 2026-11-05: as of 2026-11-04 there is none.
# Regenerate the goldens after an intended change with: UPDATE_GOLDEN=1 ctest -R brief
. "$(dirname "$0")/common.bash" "$@"
cd "${MN_SOURCE_DIR:?}"
args=(--policy drg-stimulation-trial --as-of 2026-11-20)
ex=examples/crps-ii-drg-trial.json
brief() { "$mednec" brief "$@"; }
body() { sed '/^## References$/,$d' "$1"; }           # the page before the reference lists
section() { sed -n "/^## $2\$/,/^## /p" "$1" | sed '1d;$d'; }  # the lines of one section
has() { grep -qF -- "$2" "$1"; }

# ---- goldens, determinism ------------------------------------------------------------------------------------
golden() {  # name, args...
  local name=$1; shift
  if ! brief "$@" >"$tmp/$name" 2>"$tmp/$name.err"; then bad "$name: exit $?: $(cat "$tmp/$name.err")"; return; fi
  brief "$@" >"$tmp/$name.again" 2>/dev/null
  cmp -s "$tmp/$name" "$tmp/$name.again" && ok || bad "$name: two runs differ"
  if [ -n "${UPDATE_GOLDEN:-}" ]; then cp "$tmp/$name" "tests/golden/$name"; fi
  diff -u "tests/golden/$name" "$tmp/$name" && ok || bad "$name differs from tests/golden/$name"
}
golden brief.md $ex "${args[@]}"
golden brief-denial.md $ex "${args[@]}" --denial examples/denials/drg-trial-claimresponse.json
golden brief-open.md examples/crps-ii-drg-trial-untreated-sud.json "${args[@]}"
# --name=value gives the same bytes
brief $ex --policy=drg-stimulation-trial --as-of=2026-11-20 | cmp -s - "$tmp/brief.md" && ok || bad "--name=value differs"

# ---- every brief: resolvable numbers, no program or file names, never an approval ----------------------------
brief $ex "${args[@]}" --denial examples/denials/drg-trial-denial.txt >"$tmp/brief-text.md" 2>/dev/null || bad "text denial"
brief examples/crps-ii-drg-trial-little-conservative-care.json "${args[@]}" >"$tmp/brief-lcc.md" || bad "little conservative care"
for f in brief.md brief-denial.md brief-open.md brief-text.md brief-lcc.md; do
  nrefs=$(section "$tmp/$f" References | grep -cE '^[0-9]+\. ')
  maxcite=$(grep -oE '\[[0-9]+(, [0-9]+)*\]' "$tmp/$f" | grep -oE '[0-9]+' | sort -n | tail -1)
  [ -n "$maxcite" ] && [ "$maxcite" -le "$nrefs" ] && ok || bad "$f: citation $maxcite but $nrefs references"
  nrec=$(grep -cE '^- R[0-9]+\. ' "$tmp/$f")
  maxrec=$(grep -oE '\[R[0-9]+(, R[0-9]+)*\]' "$tmp/$f" | grep -oE '[0-9]+' | sort -n | tail -1)
  [ -n "$maxrec" ] && [ "$maxrec" -le "$nrec" ] && ok || bad "$f: record R$maxrec but $nrec entries"
  # every reference and every record entry listed is cited in the page
  for n in $(seq 1 "$nrefs"); do grep -qE "\[([0-9]+, )*$n(, [0-9]+)*\]" "$tmp/$f" || bad "$f: reference $n listed, never cited"; done
  for n in $(seq 1 "$nrec"); do grep -qE "\[(R[0-9]+, )*R$n(, R[0-9]+)*\]" "$tmp/$f" || bad "$f: R$n listed, never cited"; done
  grep -nE 'mednec|examples/|\.json|\.yaml' "$tmp/$f" && bad "$f names the program or a project file" || ok
  grep -niE 'approv' "$tmp/$f" && bad "$f speaks of approval" || ok
  # every item of the page carries a citation or a record entry
  body "$tmp/$f" | grep -E '^- ' | grep -vE '\[R?[0-9]+(, R?[0-9]+)*\]$' && bad "$f: an item without a source" || ok
done

# ---- the example: all 16 met, five points, five live objections, at most 450 words --------------------------
f=$tmp/brief.md
words=$(body "$f" | wc -w)
[ "$words" -le 450 ] && ok || bad "brief.md: $words words before the references (at most 450)"
echo "brief.md: $words words before the references; $(wc -w <"$f") in all"
has "$f" "The record meets all 16 criteria (determination: meets criteria); none is open." && ok || bad "brief.md: all 16 met"
grep -q '^## What would settle' "$f" && bad "brief.md: nothing is open, nothing to settle" || ok
grep -qE 'Conceded|pended' "$f" && bad "brief.md: concedes or pends although all is met" || ok
points=$(section "$f" "Strongest points" | grep -oE '^- \*\*[^*]+\*\*' | sed 's/^- \*\*//; s/\*\*$//')
# By hand from policies/drg-stimulation-trial.yaml (payer sources cited per criterion): no-untreated-sud 3;
# refractory-last-resort and facilities-available 2; then, in policy order, the first two of those with 1
# (crps-budapest, indication-neuropathic-pain). psych-clearance has 1 since the unnumbered CMS LCD text is no
# longer cited (not a full citation), so it is answered from the record below instead.
expected="CRPS type I or II meeting the Budapest clinical criteria at one evaluation:
Severe chronic neuropathic pain of the trunk or a limb (record: a confirmed, active CRPS diagnosis):
Last resort, refractory to other modalities: a medication and a non-drug treatment given for the CRPS both failed:
No untreated substance use disorder: substance use assessed within the last 12 months (window: policy parameter), no active untreated use disorder, no unexpected drug screen result:
Facilities available for proper patient selection, treatment and follow-up (record: the request names who will perform it):"
[ "$points" = "$expected" ] && ok || bad "brief.md: points are
$points"
# the psychological clearance is not a point (see above)
section "$f" "Strongest points" | grep -q 'Psychological clearance' && bad "psych point" || ok
# the substance-use point quotes the reviewed report, not one of its analytes
section "$f" "Strongest points" | grep -q '2026-09-15: Urine drug screen (immunoassay): Reviewed' && ok || bad "drug screen point"
objections=$(section "$f" "Anticipated objections" | grep -oE '^- \*\*[^*]+\*\*' | sed 's/^- \*\*//; s/:\*\*$//')
expected="An existing spinal cord stimulator is given as a reason
The service is called experimental, investigational or unproven
Less invasive or conservative treatment is said to be needed first
A guideline is cited against dorsal root ganglion treatment
Substance use or drug screening is given as a reason"
[ "$objections" = "$expected" ] && ok || bad "brief.md: objections are
$objections"
# answers: the failed stimulator from the record; "investigational" from ACCURATE (evidence/findings.yaml)
section "$f" "Anticipated objections" | grep 'existing spinal cord' | grep -q '2026-11-05: Relief from existing spinal cord stimulator: Inadequate relief' && ok || bad "stimulator answer"
section "$f" "Anticipated objections" | grep 'investigational' | grep -q '81.2% with DRG stimulation versus 55.7%' && ok || bad "evidence answer"
section "$f" References | grep -q 'Deer TR, Levy RM' && ok || bad "ACCURATE cited"
[ "$(section "$f" "Anticipated objections" | grep -c '^- ')" -eq 5 ] && ok || bad "one line per objection"

# ---- open criteria: named, conceded, and what would settle them ---------------------------------------------
f=$tmp/brief-open.md
words=$(body "$f" | wc -w)
[ "$words" -le 620 ] && ok || bad "brief-open.md: $words words (at most 620)"
echo "brief-open.md (untreated SUD): $words words before the references"
has "$f" "The record meets 14 of the 16 criteria; 1 is not met and 1 is not documented (determination: does not meet). The request is pended for physician review." && ok || bad "14 of 16"
section "$f" "Decision at stake" | grep -q 'Open: No untreated substance use disorder: .* (not met); No implanted cardiac pacemaker or defibrillator .* (not documented)\.' && ok || bad "open criteria named"
[ "$(section "$f" "Strongest points" | grep -c '^- ')" -eq 3 ] && ok || bad "three points when a criterion is open"
section "$f" "Strongest points" | grep -q 'No untreated substance use' && bad "an open criterion is a point" || ok
section "$f" "Anticipated objections" | grep -q '^- \*\*Substance use or drug screening is given as a reason:\*\* Conceded: not met on the record' && ok || bad "SUD conceded"
section "$f" "Anticipated objections" | grep -q '^- \*\*An implanted cardiac device is given as a reason:\*\* Conceded: not documented' && ok || bad "cardiac conceded"
settle=$(section "$f" "What would settle the open criteria")
grep -q '^- \*\*No untreated substance use disorder.*Not met. Needed: A substance use assessment within the last 12 months finding no substance use disorder' <<<"$settle" && ok || bad "SUD: what settles it"
grep -q '^- \*\*No implanted cardiac pacemaker.*Not documented. Needed: A documented check for an implanted cardiac pacemaker or defibrillator that finds none' <<<"$settle" && ok || bad "cardiac: what settles it"
[ "$(grep -c '^- ' <<<"$settle")" -eq 2 ] && ok || bad "two open criteria to settle"
grep -q '^- R[0-9]*\. `Condition/oud-2024`, 2024-05: Opioid use disorder$' "$f" && ok || bad "the untreated disorder is cited"

f=$tmp/brief-lcc.md
has "$f" "The record meets 13 of the 16 criteria; 2 are not met and 1 is not documented (determination: does not meet)." && ok || bad "13 of 16"
settle=$(section "$f" "What would settle the open criteria")
grep -q '^- \*\*Last resort, refractory to other modalities.*Not met. Needed: A medication and a non-drug treatment' <<<"$settle" && ok || bad "refractory: what settles it"
grep -q '^- \*\*At least 6 months of failed conservative therapy for the CRPS:\*\* Not met. Needed: .*covering at least 183 days together' <<<"$settle" && ok || bad "6 months: what settles it"
# the rule concerns conservative-6mo and refractory-last-resort, both open here
section "$f" "Anticipated objections" | grep -q '^- \*\*Less invasive or conservative treatment is said to be needed first:\*\* Conceded: 2 of its criteria are open on the record' && ok || bad "conservative care conceded"
grep -q '`Procedure/pt-2026`, 2026-08-03 to 2026-10-30' "$f" && ok || bad "the 12 weeks of therapy are cited"
grep -q 'Physical therapy for CRPS: desensitization' "$f" && bad "the example's 2025 therapy is not in this record" || ok

# ---- with a denial: every reason is an objection with its answer ---------------------------------------------
f=$tmp/brief-denial.md
words=$(body "$f" | wc -w)
[ "$words" -le 600 ] && ok || bad "brief-denial.md: $words words (at most 600)"
echo "brief-denial.md: $words words before the references"
has "$f" "**Denial:** ClaimResponse/drg-trial-denial, decision: Not Certified; 5 reasons given." && ok || bad "denial line"
obj=$(section "$f" "Anticipated objections")
for reason in 'The member already has an implanted spinal cord stimulator.' \
              'Conservative treatment has not been exhausted; further epidural injections are recommended.' \
              'No psychological evaluation was submitted.' 'The requested facility is out of network.' \
              'Not certified: service considered investigational'; do
  grep -qF -- "- **The denial says \"$reason\"" <<<"$obj" && ok || bad "reason not an objection: $reason"
done
grep -F 'implanted spinal cord stimulator.' <<<"$obj" | grep -q 'Inadequate relief despite reprogramming' && ok || bad "stimulator reason answered from the record"
grep -F 'investigational"' <<<"$obj" | grep -q '81.2%' && ok || bad "investigational answered from ACCURATE"
# not a strongest point: answered from the record with the clearance (2026-03-12; of the two entries that day,
# the one that says more)
grep -F 'psychological evaluation was submitted' <<<"$obj" |
  grep -q 'Met on the record, 2026-03-12: Psychological clearance for neuromodulation: Cleared' && ok ||
  bad "psychological reason answered from the record"
section "$f" References | grep -q '^[0-9]*\. The denial: ClaimResponse/drg-trial-denial, created 2026-11-12T14:30:00-05:00$' && ok || bad "the denial is a reference"
# a rule the denial raised is not anticipated again; the ones it did not raise still are
grep -q '^- \*\*An existing spinal cord stimulator is given as a reason' <<<"$obj" && bad "raised rule repeated" || ok
grep -q '^- \*\*A guideline is cited against dorsal root ganglion treatment' <<<"$obj" && ok || bad "unraised live rule kept"
[ "$(grep -c '^- ' <<<"$obj")" -eq 7 ] && ok || bad "5 reasons and 2 anticipated objections"
# text denial: a reason that matches no rule is named for the physician, not argued around
printf '# test denial\nThe member plan year has ended.\n- Dorsal root ganglion stimulation is considered experimental and investigational.\n' >"$tmp/denial.txt"
brief $ex "${args[@]}" --denial "$tmp/denial.txt" >"$tmp/brief-un.md" 2>/dev/null || bad "text denial run"
grep -q '^- \*\*The denial says "The member plan year has ended." (line 2):\*\* It matches no criterion and no known reason of the policy; the physician answers it. \[[0-9]*\]$' "$tmp/brief-un.md" && ok || bad "unmatched reason"
grep -q '^- \*\*The denial says "Dorsal root ganglion stimulation is considered experimental and investigational." (line 3):\*\* In ACCURATE' "$tmp/brief-un.md" && ok || bad "text reason answered"

# ---- exit codes --------------------------------------------------------------------------------------------------
run() { "$mednec" brief "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
rc=$(run $ex --policy drg-stimulation-trial --as-of 2026-11-04)
[ "$rc" -eq 3 ] && [ ! -s "$tmp/out" ] && grep -q 'no brief written: the record holds no active request for Dorsal root ganglion (DRG) stimulation trial' "$tmp/err" && ok || bad "no request: exit $rc $(cat "$tmp/err")"
[ "$(run $ex --as-of 2026-11-20)" -eq 64 ] && ok || bad "no --policy"
[ "$(run $ex --policy drg-stimulation-trial)" -eq 64 ] && ok || bad "no --as-of"
[ "$(run $ex "${args[@]}" --format json)" -eq 64 ] && ok || bad "--format json"
[ "$(run $ex --policy all --as-of 2026-11-20)" -eq 64 ] && ok || bad "--policy all"
[ "$(run $ex --policy no-such-policy --as-of 2026-11-20)" -eq 64 ] && ok || bad "unknown policy"
[ "$(run $ex "${args[@]}" --strict=x)" -eq 64 ] && ok || bad "--strict=x"
[ "$(run $ex "${args[@]}" --denial /nonexistent/denial.txt)" -eq 66 ] && [ ! -s "$tmp/out" ] && ok || bad "missing denial file"
printf '{"resourceType": "ClaimResponse", "status": ' >"$tmp/broken.json"
[ "$(run $ex "${args[@]}" --denial "$tmp/broken.json")" -eq 65 ] && [ ! -s "$tmp/out" ] && ok || bad "malformed denial"
[ "$(run /nonexistent/case.json "${args[@]}")" -eq 66 ] && ok || bad "missing case"
"$mednec" --help | grep -q '^  brief CASE --policy ID --as-of YYYY-MM-DD \[--denial FILE\]' && ok || bad "usage text"

# ---- out of memory: exit 71 with nothing written, or the same brief ---------------------------------------------
# the brief's allocations come last in a run: find the run's total by bisection, then fail every 11th of the
# last 800 and n=1
runs=0 oomfail=0
oom() { MN_TEST_FAIL_ALLOCATION=$1 "$mednec" brief $ex "${args[@]}" --denial examples/denials/drg-trial-claimresponse.json >"$tmp/oom" 2>/dev/null; }
lo=1 hi=100000000
while [ $((hi - lo)) -gt 1 ]; do m=$(((lo + hi) / 2)); if oom $m && cmp -s "$tmp/oom" "$tmp/brief-denial.md"; then hi=$m; else lo=$m; fi; done
for n in 1 $(seq "$lo" -11 $((lo > 800 ? lo - 800 : 1))); do
  runs=$((runs+1)); oom "$n"; rc=$?
  if ! { [ $rc -eq 0 ] && cmp -s "$tmp/oom" "$tmp/brief-denial.md"; } && ! { [ $rc -eq 71 ] && [ ! -s "$tmp/oom" ]; }; then
    oomfail=$((oomfail+1)); echo "FAIL: allocation $n failing: exit $rc, $(wc -c <"$tmp/oom") bytes"
  fi
done
echo "out of memory: $lo allocations in the run; $runs failures injected, $oomfail wrong"
[ $oomfail -eq 0 ] && ok || bad "out of memory"

finish brief
