#!/usr/bin/env bash
# The commands besides determine and letter: policies, check, --policy all,
# appeal, eval, help and version, with their exit codes.
set -u
mednec="$1"
cd "${MN_SOURCE_DIR:?}"
pass=0 fail=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }
ex=examples/crps-ii-drg-trial.json

out=$("$mednec" policies) && [ -n "$out" ] && ! grep -qvE '^[a-z0-9-]+$' <<<"$out" && ok || bad "policies: $out"
for id in $out; do
  "$mednec" check "$id" >/tmp/mn_check.$$ 2>&1 && tail -1 /tmp/mn_check.$$ | grep -q "^$id: ok" && ok || { bad "check $id"; cat /tmp/mn_check.$$; }
done
rm -f /tmp/mn_check.$$
"$mednec" check drg-stimulation-trial >/dev/null && ok || bad "check by the drg-stimulation-trial id"
MEDNEC_HOME=tests/data "$mednec" check mini | grep -q "mini: ok (0 problems)" && ok || bad "check mini"

json=$("$mednec" determine $ex --policy all --as-of 2026-11-20 --format json) && [ "${json:0:1}" = "[" ] && grep -q '"policy": "' <<<"$json" && ok || bad "--policy all json"
text=$("$mednec" determine $ex --policy all --as-of 2026-11-20) && head -1 <<<"$text" | grep -q '^policy ' && ok || bad "--policy all text"
"$mednec" letter $ex --policy all --as-of 2026-11-20 >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "letter --policy all must be a usage error"

app=$(MEDNEC_HOME=tests/data "$mednec" appeal tests/data/cases/mini-met.json --policy mini --as-of 2026-02-01 --denial tests/data/cases/denial.txt) \
  && grep -q '^# Appeal of the denial' <<<"$app" && grep -q 'Not answered' <<<"$app" && ok || bad "appeal: $app"
MEDNEC_HOME=tests/data "$mednec" appeal tests/data/cases/mini-met.json --policy mini --as-of 2026-02-01 >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "appeal without --denial"
MEDNEC_HOME=tests/data "$mednec" appeal tests/data/cases/mini-met.json --policy mini --as-of 2026-02-01 --denial /nonexistent >/dev/null 2>&1; [ $? -eq 66 ] && ok || bad "appeal with a missing denial file"
"$mednec" determine $ex --policy drg-stimulation-trial --as-of 2026-11-20 --denial x >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "--denial outside appeal"

[ "$("$mednec" eval -e '1 + 1' -e "'a' & 'b'")" = $'[2]\n["ab"]' ] && ok || bad "eval literals"
[ "$("$mednec" eval -e 'today()' --as-of 2026-11-20)" = '["@2026-11-20"]' ] && ok || bad "eval today()"
"$mednec" eval -e 'today()' >/dev/null 2>&1; [ $? -eq 65 ] && ok || bad "today() without a clock must fail"
"$mednec" --help | grep -q '^usage: mednec' && ok || bad "help"
"$mednec" --version | grep -qE '^mednec [0-9]+\.[0-9]+\.[0-9]+$' && ok || bad "version"
"$mednec" >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "no command"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
