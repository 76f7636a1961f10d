#!/usr/bin/env bash
# The commands besides determine and letter: policies, check, --policy all,
# appeal, eval, help and version, with their exit codes.
. "$(dirname "$0")/common.bash" "$@"
cd "${MN_SOURCE_DIR:?}"
ex=examples/crps-ii-drg-trial.json

# one line per policy file: id, effective period, file name (tab-separated)
lines=$("$mednec" policies) && [ -n "$lines" ] &&
  ! grep -qvP '^[a-z0-9-]+\t[0-9]{4}-[0-9]{2}-[0-9]{2} to ([0-9]{4}-[0-9]{2}-[0-9]{2}|open)\t[a-z0-9@-]+\.yaml$' <<<"$lines" && ok || bad "policies: $lines"
out=$(cut -f1 <<<"$lines" | uniq)
for id in $out; do
  "$mednec" check "$id" >/tmp/mn_check.$$ 2>&1 && tail -1 /tmp/mn_check.$$ | grep -q "^$id: ok" && ok || { bad "check $id"; cat /tmp/mn_check.$$; }
done
rm -f /tmp/mn_check.$$
"$mednec" check drg-stimulation-trial >/dev/null && ok || bad "check by the drg-stimulation-trial id"
# no version in force: the Florida Blue file starts in May 2024
"$mednec" determine $ex --policy drg-trial-florida-blue --as-of 2024-04-30 >/dev/null 2>/tmp/mn_err.$$; rc=$?
[ $rc -eq 78 ] && grep -q "in force" /tmp/mn_err.$$ && ok || bad "no version in force: exit $rc, $(cat /tmp/mn_err.$$)"
"$mednec" determine $ex --policy drg-trial-florida-blue --as-of 2024-05-01 >/dev/null 2>&1 && ok || bad "first day in force"
rm -f /tmp/mn_err.$$
MEDNEC_HOME=tests/data "$mednec" check mini | grep -q "mini: ok (0 problems)" && ok || bad "check mini"

json=$("$mednec" determine $ex --policy all --as-of 2026-11-20 --format json) && [ "${json:0:1}" = "[" ] && grep -q '"policy": "' <<<"$json" && ok || bad "--policy all json"
text=$("$mednec" determine $ex --policy all --as-of 2026-11-20) && head -1 <<<"$text" | grep -q '^policy ' && ok || bad "--policy all text"
"$mednec" letter $ex --policy all --as-of 2026-11-20 >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "letter --policy all must be a usage error"

app=$(MEDNEC_HOME=tests/data "$mednec" appeal tests/data/cases/mini-met.json --policy mini --as-of 2026-02-01 --denial tests/data/cases/denial.txt) \
  && grep -q '^# Appeal of the denial' <<<"$app" && grep -q 'Not answered' <<<"$app" && ok || bad "appeal: $app"
MEDNEC_HOME=tests/data "$mednec" appeal tests/data/cases/mini-met.json --policy mini --as-of 2026-02-01 >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "appeal without --denial"
MEDNEC_HOME=tests/data "$mednec" appeal tests/data/cases/mini-met.json --policy mini --as-of 2026-02-01 --denial /nonexistent >/dev/null 2>&1; [ $? -eq 66 ] && ok || bad "appeal with a missing denial file"
# no request, no approval: every criterion of mini is met, but the record holds no ServiceRequest
nr=tests/cli/data/mini-no-request.json
json=$(MEDNEC_HOME=tests/data "$mednec" determine $nr --policy mini --as-of 2026-02-01 --format json) \
  && grep -q '"determination": "insufficient-documentation"' <<<"$json" && grep -q '"requestFound": false' <<<"$json" \
  && grep -q '"the record holds no active request for Test service"' <<<"$json" && ok || bad "no request: $json"
json=$(MEDNEC_HOME=tests/data "$mednec" determine tests/data/cases/mini-met.json --policy mini --as-of 2026-02-01 --format json) \
  && grep -q '"determination": "meets-criteria"' <<<"$json" && grep -q '"requestFound": true' <<<"$json" && ok || bad "with the request: $json"
for cmd in letter appeal; do
  extra=(); [ $cmd = appeal ] && extra=(--denial tests/data/cases/denial.txt)
  out=$(MEDNEC_HOME=tests/data "$mednec" $cmd $nr --policy mini --as-of 2026-02-01 "${extra[@]}" 2>/tmp/mn_nr_err.$$); rc=$?
  [ $rc -eq 3 ] && [ -z "$out" ] && grep -q "no $cmd written: the record holds no active request for Test service" /tmp/mn_nr_err.$$ \
    && ok || bad "$cmd without a request: exit $rc, stdout '$out', stderr $(cat /tmp/mn_nr_err.$$)"
done
# the request authored after the as-of date is not in the record on that date
MEDNEC_HOME=tests/data "$mednec" letter tests/data/cases/mini-met.json --policy mini --as-of 2026-01-01 >/dev/null 2>&1; [ $? -eq 3 ] && ok || bad "letter before the request was authored"
rm -f /tmp/mn_nr_err.$$
# time: an ODI or a psychological clearance dated after --as-of is not in the record on that date; on its
# own day it is (the positive control, so the negative one cannot pass vacuously)
for pair in "2026-11-05 2026-11-04 Observation/odi-2026-11" "2026-03-12 2026-03-11 Observation/psych-clearance-2026-03"; do
  set -- $pair
  on=$("$mednec" determine $ex --policy drg-stimulation-trial --as-of "$1" --format json)
  before=$("$mednec" determine $ex --policy drg-stimulation-trial --as-of "$2" --format json)
  grep -q "\"$3\"" <<<"$on" && ! grep -q "\"$3\"" <<<"$before" \
    && grep -q "record entries dated after $2 are left out" <<<"$before" && ! grep -q '"meets-criteria"' <<<"$before" \
    && ok || bad "$3 as of $2 must not be in the record"
done
"$mednec" determine $ex --policy drg-stimulation-trial --as-of 2026-11-20 --denial x >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "--denial outside appeal"

[ "$("$mednec" eval -e '1 + 1' -e "'a' & 'b'")" = $'[2]\n["ab"]' ] && ok || bad "eval literals"
[ "$("$mednec" eval -e 'today()' --as-of 2026-11-20)" = '["@2026-11-20"]' ] && ok || bad "eval today()"
# eval is interactive: without --as-of, today() and now() read the system clock
[ "$("$mednec" eval -e 'today().exists()')" = '[true]' ] && ok || bad "eval today() without --as-of uses the clock"
[ "$("$mednec" eval -e 'today()')" = "[\"@$(date +%Y-%m-%d)\"]" ] && ok || bad "eval today() is the system date"
# determine and score still need the date: never the clock
"$mednec" determine $ex --policy drg-stimulation-trial >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "determine without --as-of"
"$mednec" score $ex >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "score without --as-of"

# --name=value is --name value, for every long option of every command
a=$("$mednec" determine $ex --policy drg-stimulation-trial --as-of 2026-11-20)
b=$("$mednec" determine $ex --policy=drg-stimulation-trial --as-of=2026-11-20)
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "determine --as-of=DATE differs from --as-of DATE"
a=$("$mednec" determine $ex --policy drg-stimulation-trial --as-of 2026-11-20 --format json)
b=$("$mednec" determine $ex --policy=drg-stimulation-trial --as-of=2026-11-20 --format=json)
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "determine --format=json differs"
a=$("$mednec" letter $ex --policy drg-stimulation-trial --as-of 2026-11-20)
b=$("$mednec" letter $ex --policy=drg-stimulation-trial --as-of=2026-11-20 --format=md)
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "letter --name=value differs"
a=$("$mednec" score $ex --as-of 2026-11-20 --format json)
b=$("$mednec" score $ex --as-of=2026-11-20 --format=json)
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "score --name=value differs"
[ "$("$mednec" policies --home=tests/data)" = "$("$mednec" policies --home tests/data)" ] && ok || bad "policies --home=DIR"
MEDNEC_HOME=/nonexistent "$mednec" check mini --home=tests/data | grep -q "mini: ok" && ok || bad "check --home=DIR"
[ "$("$mednec" eval --var=name=a=b -e '%name' --as-of=2026-11-20 -e 'today()' --repeat=2)" = $'["a=b"]\n["@2026-11-20"]' ] \
  && ok || bad "eval --var=NAME=VALUE, --as-of=, --repeat="
[ "$("$mednec" eval --expression='1 + 1')" = '[2]' ] && ok || bad "eval --expression=EXPR"
# the value after an option is never split: an expression may hold '--' and '='
[ "$("$mednec" eval -e "'--x=1'")" = '["--x=1"]' ] && ok || bad "eval -e with '--x=1' in the expression"
# an '=' on an option that takes no value is a usage error
"$mednec" eval -e 1 --strict=x >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "--strict=x must be a usage error"
"$mednec" eval -e 1 --strict= >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "--strict= must be a usage error"
"$mednec" determine $ex --policy=drg-stimulation-trial --as-of= >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "--as-of= (empty) must be a usage error"
"$mednec" determine $ex --policy=drg-stimulation-trial --as-of=2026-11-20 --bogus=1 >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "--bogus=1 must be a usage error"

# criteria that hold because the situation does not arise say so (notApplicable), not as an error;
# a record without a request says so right after the Service line
syn=$(ls "${MN_DATA_DIR:-/nonexistent}"/synthea/*.json 2>/dev/null | head -1)
if [ -n "$syn" ]; then
  out=$("$mednec" determine "$syn" --policy drg-stimulation-trial --as-of 2026-11-20 2>/dev/null)
  ! grep -q "met, but the evidence expression found no record entries" <<<"$out" \
    && grep -q "^  \[met\] spine-surgery-6mo" <<<"$out" && grep -q "met because: no spine surgery on record" <<<"$out" \
    && grep -A1 '^Service:' <<<"$out" | grep -q '^Pre-check:     the record holds no request for' \
    && ok || bad "synthea: spine-surgery-6mo must be met because not applicable: $(grep -A3 spine-surgery-6mo <<<"$out")"
  json=$("$mednec" determine "$syn" --policy drg-stimulation-trial --as-of 2026-11-20 --format json 2>/dev/null)
  grep -q '"metBecause": "no spine surgery on record"' <<<"$json" && grep -q '"requestFound": false' <<<"$json" \
    && ok || bad "synthea json: metBecause"
else
  echo "skip: no Synthea bundle under \$MN_DATA_DIR/synthea"
fi
"$mednec" --help | grep -q '^usage: mednec' && ok || bad "help"
"$mednec" --version | grep -qE '^mednec [0-9]+\.[0-9]+\.[0-9]+$' && ok || bad "version"
"$mednec" >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "no command"
finish commands
