#!/usr/bin/env bash
# Golden determinations of the example cases: every line of
# tests/golden/cases.txt ("CASE POLICY AS_OF") must give, byte for byte, the
# JSON in tests/golden/cases/POLICY--CASENAME.json.
# Regenerate after an intended change: UPDATE_GOLDEN=1 ctest -R golden_cases
set -u
mednec="$1"
cd "${MN_SOURCE_DIR:?}"
list=tests/golden/cases.txt
[ -f "$list" ] || { echo "skipped: no $list"; exit 77; }
mkdir -p tests/golden/cases
pass=0 fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
while read -r case policy asof; do
  case "$case" in ''|'#'*) continue ;; esac
  golden="tests/golden/cases/${policy}--$(basename "$case" .json).json"
  "$mednec" determine "$case" --policy "$policy" --as-of "$asof" --format json >"$tmp"
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL $case $policy: mednec exited $rc"; fail=$((fail+1)); continue
  fi
  [ -n "${UPDATE_GOLDEN:-}" ] && cp "$tmp" "$golden"
  if diff -u "$golden" "$tmp"; then pass=$((pass+1)); else echo "FAIL $case under $policy differs from $golden"; fail=$((fail+1)); fi
done < "$list"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
