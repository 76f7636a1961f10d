#!/usr/bin/env bash
# bench/decide.sh: one policy decision on the loaded example case, in-process (docs/PERFORMANCE.md,
# "One decision"): mn_determine_flags with every criterion, the as-of view and the clinical scores, no
# rendering, on examples/crps-ii-drg-trial.json under drg-stimulation-trial as of 2026-11-20.
#
#   bench/decide.sh [BUILD...]     BUILD: build folders holding libmednec.a (default: build)
#
# Environment: MN_BENCH_BASE=REV also measures revision REV (exported clean and built, Release, in
# build-bench-base/obj, as bench/whole.sh does); MN_BENCH_DECISIONS (default 2000 per timed batch).
# For each build: the median time per decision over 5 batches (wall clock: noise on a shared machine) and the
# instructions per decision (valgrind callgrind, counting inside the bench's one call of mn_determine_flags, or
# of mn_determine_ex for a library without it; 6 decisions: their mean, the first on the freshly loaded record,
# and the mean of the 5 after it), which do not move with the load. The decision
# computes only the clinical scores the policy reads (MN_DETERMINE_POLICY_SCORES) where the library can;
# MN_BENCH_ALL_SCORES=1 computes them all. MN_BENCH_PROFILE=1 prints the inclusive callgrind profile of the
# last build.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
builds=("$@")
[ ${#builds[@]} -eq 0 ] && builds=("$repo/build")
if [ -n "${MN_BENCH_BASE:-}" ]; then
  base=$(git -C "$repo" rev-parse --short "$MN_BENCH_BASE^{commit}")
  bdir=$repo/build-bench-base
  if [ ! -f "$bdir/obj/libmednec.a" ] || [ "$(cat "$bdir/rev" 2>/dev/null)" != "$base" ]; then
    rm -rf "$bdir"
    mkdir -p "$bdir/src"
    git -C "$repo" archive "$base" | tar -x -C "$bdir/src"
    cmake -S "$bdir/src" -B "$bdir/obj" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER_LAUNCHER="$here/no-werror.sh" >/dev/null
    cmake --build "$bdir/obj" -j2 --target mednec_lib >/dev/null
    echo "$base" >"$bdir/rev"
  fi
  builds=("$bdir/obj" "${builds[@]}")
fi
n=${MN_BENCH_DECISIONS:-2000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
libs=$(pkg-config --libs yaml-0.1 libpcre2-8 sqlite3 libpq libcrypto libcurl)
args=("$repo" "$repo/examples/crps-ii-drg-trial.json" drg-stimulation-trial 2026-11-20)
for b in "${builds[@]}"; do
  [ -f "$b/libmednec.a" ] || { echo "decide.sh: $b/libmednec.a is not built" >&2; exit 66; }
  # the bench includes only public headers: those of the tree the library was built from
  inc=$repo/include
  [ -d "$b/../src/include" ] && inc=$b/../src/include
  gcc -O2 -g -std=c11 -D_POSIX_C_SOURCE=200809L -I"$inc" "$here/bench_decide.c" "$b/libmednec.a" $libs \
    -lpthread -lm -o "$tmp/bench_decide"
  timed=$("$tmp/bench_decide" "${args[@]}" "$n")
  rm -f "$tmp"/cg*
  valgrind --tool=callgrind --toggle-collect=bench_decision --dump-after=bench_decision \
    --callgrind-out-file="$tmp/cg" "$tmp/bench_decide" "${args[@]}" 1 >/dev/null 2>"$tmp/log"
  total=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/log")
  # 6 batches of 1 decision under callgrind, one dump after each: the first decision on the freshly loaded
  # record pays for what the record keeps for the next ones (its index by code, the entries' texts)
  first=$(sed -n 's/^summary: //p' "$tmp/cg.1")
  echo "RESULT $b: $timed; $((total / 6)) instructions per decision (mean of 6); the first on the record" \
    "$first, the next 5 $(((total - first) / 5)) each"
done
if [ -n "${MN_BENCH_PROFILE:-}" ]; then
  callgrind_annotate --inclusive=yes "$tmp/cg" | sed -n '20,70p'
fi
