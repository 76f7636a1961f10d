#!/usr/bin/env bash
# Golden test: the example's determination (text and JSON), letter and appeals are
# byte-identical to tests/golden/, and two runs give identical output.
# Regenerate after an intended change with: UPDATE_GOLDEN=1 ctest -R golden
set -u
mednec="$1"
src="${MN_SOURCE_DIR:?}"
cd "$src"
case=examples/crps-ii-drg-trial.json
args=(--policy drg-stimulation-trial --as-of 2026-11-20)
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() {  # name, command...
  local name=$1; shift
  if ! "$@" >"$tmp/$name" 2>"$tmp/$name.err"; then
    echo "FAIL $name: exit $?"; cat "$tmp/$name.err"; fail=$((fail+1)); return
  fi
  "$@" >"$tmp/$name.again" 2>/dev/null
  if ! cmp -s "$tmp/$name" "$tmp/$name.again"; then
    echo "FAIL $name: two runs differ"; fail=$((fail+1)); return
  fi
  if [ -n "${UPDATE_GOLDEN:-}" ]; then cp "$tmp/$name" "tests/golden/$name"; fi
  if diff -u "tests/golden/$name" "$tmp/$name"; then pass=$((pass+1)); else echo "FAIL $name differs from tests/golden/$name"; fail=$((fail+1)); fi
}
check determination.txt "$mednec" determine "$case" "${args[@]}"
check determination.json "$mednec" determine "$case" "${args[@]}" --format json
check letter.md "$mednec" letter "$case" "${args[@]}"
check appeal.md "$mednec" appeal "$case" "${args[@]}" --denial examples/denials/drg-trial-claimresponse.json
check appeal-text.md "$mednec" appeal "$case" "${args[@]}" --denial examples/denials/drg-trial-denial.txt
# the letter has no unresolved placeholder and every citation number resolves
if grep -q '\[@' "$tmp/letter.md"; then echo "FAIL letter has a [@ placeholder"; fail=$((fail+1)); else pass=$((pass+1)); fi
nrefs=$(sed -n '/^## References/,/^## /p' "$tmp/letter.md" | grep -cE '^[0-9]+\. ')
maxcite=$(grep -oE '\[[0-9]+(, [0-9]+)*\]' "$tmp/letter.md" | grep -oE '[0-9]+' | sort -n | tail -1)
if [ -n "$maxcite" ] && [ "$maxcite" -le "$nrefs" ]; then pass=$((pass+1)); else echo "FAIL citation $maxcite but $nrefs references"; fail=$((fail+1)); fi
nrec=$(grep -cE '^- R[0-9]+\. ' "$tmp/letter.md")
maxrec=$(grep -oE '\[R[0-9]+(, R[0-9]+)*\]' "$tmp/letter.md" | grep -oE '[0-9]+' | sort -n | tail -1)
if [ -n "$maxrec" ] && [ "$maxrec" -le "$nrec" ]; then pass=$((pass+1)); else echo "FAIL record citation R$maxrec but $nrec entries"; fail=$((fail+1)); fi
# no letter talks about the program or the project's files (the denial is cited by its reference, not its path)
for f in letter.md appeal.md appeal-text.md; do
  if grep -nE 'mednec|examples/|\.json|\.yaml' "$tmp/$f"; then echo "FAIL $f names the program or a project file"; fail=$((fail+1)); else pass=$((pass+1)); fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
