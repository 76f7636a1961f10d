#!/usr/bin/env bash
# Out of memory anywhere in a run is an error, never a crash, a shorter document or another error kind:
# `mednec letter` and `mednec determine` for the example are run with their n-th allocation failing
# (MN_TEST_FAIL_ALLOCATION=n, util's test hook). Each run must exit 71 with nothing on standard output,
# or exit 0 with exactly the normal output. What is covered, per command:
#   - n=1 (the very first allocation);
#   - the whole run coarsely: every 97th allocation from 1 to the run's total (loading the evidence
#     library, value sets, policy, record, score configuration and tables; the determination; the
#     output), MN_OOM_STEP=N to step by N instead (1: every allocation, minutes);
#   - letter only: the letter-writing phase densely, every 13th of the last 1400 allocations
#     (MN_OOM_SWEEP=N: the last N instead).
# Each command's total is found by bisection: the smallest n whose failure is never reached.
set -u
mednec="$1"
src="${MN_SOURCE_DIR:?}"
cd "$src"
case_args=(examples/crps-ii-drg-trial.json --policy drg-stimulation-trial --as-of 2026-11-20)
step=${MN_OOM_STEP:-97}
span=${MN_OOM_SWEEP:-1400}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
args=()
run() {  # n -> exit status; output in $tmp/out
  MN_TEST_FAIL_ALLOCATION=$1 "$mednec" "${args[@]}" >"$tmp/out" 2>"$tmp/err"
}
check() {  # n: an error with nothing written, or the normal output
  run "$1"; local rc=$?
  if [ $rc -eq 0 ] && cmp -s "$tmp/out" "$tmp/ref"; then return 0; fi
  if [ $rc -eq 71 ] && [ ! -s "$tmp/out" ]; then return 0; fi
  echo "FAIL ${args[0]} n=$1: exit $rc with $(wc -c <"$tmp/out") bytes of output"; head -3 "$tmp/err"
  return 1
}
sweep() {  # command, dense span (0: none)
  args=("$1" "${case_args[@]}")
  local dense=$2 failed=0 checked=0 n
  "$mednec" "${args[@]}" >"$tmp/ref" 2>/dev/null || { echo "FAIL the normal $1 run"; fail=$((fail+1)); return; }
  local lo=1 hi=1000000000
  while [ $((hi - lo)) -gt 1 ]; do
    local mid=$(((lo + hi) / 2))
    if run $mid && cmp -s "$tmp/out" "$tmp/ref"; then hi=$mid; else lo=$mid; fi
  done
  local total=$lo
  local first=$((total > dense ? total - dense : 1))
  for n in 1 $(seq 1 "$step" "$total") $([ "$dense" -gt 0 ] && seq "$total" -13 "$first"); do
    checked=$((checked+1))
    check "$n" || failed=$((failed+1))
  done
  echo "$1: $total allocations; $checked failures injected (n=1, every $step from 1$([ "$dense" -gt 0 ] && echo ", every 13th of the last $dense")): $failed failed"
  if [ $failed -eq 0 ]; then pass=$((pass+1)); else fail=$((fail+1)); fi
}
sweep letter "$span"
sweep determine 0
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
