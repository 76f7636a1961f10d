#!/usr/bin/env bash
# Build and run every test: a normal build, a Release build (compile only),
# an AddressSanitizer + UndefinedBehaviorSanitizer build, and the unit tests
# and the CLI under valgrind. Shared data (FHIRPath suite, Synthea, JSONTestSuite) is read from
# MN_DATA_DIR (default ../shared/data); tests that need it say "skipped"
# when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
data="${MN_DATA_DIR:-$(cd .. && pwd)/shared/data}"
jobs=2

echo "== build and test (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMN_DATA_DIR="$data" >/dev/null
cmake --build build -j$jobs >/dev/null
ctest --test-dir build --output-on-failure -j$jobs

echo "== Release build (-O3 warnings differ from -O2; all are errors)"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DMN_DATA_DIR="$data" >/dev/null
cmake --build build-release -j$jobs >/dev/null

echo "== build and test under AddressSanitizer and UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMN_SANITIZE=ON -DMN_DATA_DIR="$data" >/dev/null
cmake --build build-asan -j$jobs >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j$jobs

echo "== valgrind (memcheck) on the unit tests and the CLI"
export MN_SOURCE_DIR="$PWD" MN_DATA_DIR="$data"
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
fail=0
for t in build/tests/test_*; do
  [ -x "$t" ] || continue
  case "$(basename "$t")" in test_fhirpath_suite|test_robustness) continue ;; esac  # the suite is slow and the robustness test has time budgets: ASan covers both
  (cd build/tests && "${vg[@]}" "./$(basename "$t")" >/dev/null) || { rc=$?; [ $rc -eq 77 ] || { echo "valgrind: $t failed ($rc)"; fail=1; }; }
done
for cmd in determine letter; do
  "${vg[@]}" build/mednec $cmd examples/crps-ii-drg-trial.json --policy drg-stimulation-trial \
    --as-of 2026-11-20 >/dev/null || { echo "valgrind: mednec $cmd failed"; fail=1; }
done
"${vg[@]}" build/mednec determine tests/cli/data/malformed.json --policy drg-stimulation-trial \
  --as-of 2026-11-20 >/dev/null 2>&1 && { echo "valgrind: malformed input was accepted"; fail=1; }
# bulk and impact on two threads (exit 2: the test export has bad records, skipped by design)
for cmd in bulk impact; do
  pol=(--policy drg-trial-bcbsa); [ $cmd = impact ] && pol+=(--policy tests/data/bulk/policies/next.yaml)
  rc=0
  "${vg[@]}" build/mednec $cmd "${pol[@]}" --as-of 2026-11-20 --threads 2 tests/data/bulk/export >/dev/null 2>&1 || rc=$?
  [ $rc -eq 2 ] || { echo "valgrind: mednec $cmd failed ($rc)"; fail=1; }
done
[ $fail -eq 0 ] || exit 1
echo "valgrind: clean"
echo "all tests passed"
