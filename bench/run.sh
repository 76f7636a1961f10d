#!/usr/bin/env bash
# bench/run.sh: mednec vs fhirpath.js (HL7) side by side, and JSON loading vs
# jansson, in one run. See docs/PERFORMANCE.md.
#
#   bench/run.sh                 everything (about 4 minutes)
#   MN_BENCH_QUICK=1 bench/run.sh  short batches: a smoke run, not for figures
#
# Environment:
#   MN_DATA_DIR         shared data (default: ../shared/data beside the repo)
#   MN_BENCH_BATCH_MS   minimum time of one timed batch (default 5)
#   MN_BENCH_BATCHES    batches per measurement, the median is kept (default 5)
#   MN_BENCH_OUT        output folder (default bench/out; git-ignored)
#   MN_BENCH_BUILD      build folder (default build-bench)
#   MN_BENCH_REV        the mednec revision measured (default HEAD, exported
#                       clean into MN_BENCH_BUILD/src); "worktree" measures the
#                       working tree as it is, uncommitted changes included
#
# Steps: install fhirpath.js from package-lock.json into bench/node_modules,
# install libjansson-dev when missing, build the mednec library (Release) of
# MN_BENCH_REV, compile bench_fhirpath.c against it, write the manifest (prepare.mjs), run
# the two engines alternately per workload (mednec a, fhirpath.js a, mednec b,
# fhirpath.js b, then the load part), print the ratios (report.mjs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
export MN_DATA_DIR=${MN_DATA_DIR:-$repo/../shared/data}
out=${MN_BENCH_OUT:-$here/out}
build=${MN_BENCH_BUILD:-$repo/build-bench}
if [ -n "${MN_BENCH_QUICK:-}" ]; then
  export MN_BENCH_BATCH_MS=${MN_BENCH_BATCH_MS:-0.5} MN_BENCH_BATCHES=${MN_BENCH_BATCHES:-3}
fi
mkdir -p "$out"

step() { printf '== %s\n' "$*" >&2; }

if [ ! -f "$MN_DATA_DIR/fhirpath-r4/tests-fhir-r4.xml" ] || [ ! -d "$MN_DATA_DIR/synthea" ]; then
  echo "run.sh: shared data not found under $MN_DATA_DIR (set MN_DATA_DIR)" >&2
  exit 66
fi

step "npm dependencies (fhirpath.js)"
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

step "jansson"
if ! dpkg-query -W -f='${Status}' libjansson-dev 2>/dev/null | grep -q "install ok installed"; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq libjansson-dev >/dev/null
fi

rev=${MN_BENCH_REV:-HEAD}
if [ "$rev" = worktree ]; then
  src=$repo
  commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)+working tree"
else
  # A clean export of the revision: edits in progress in the working tree
  # (files not committed yet) neither break nor change the measurement.
  commit=$(git -C "$repo" rev-parse --short "$rev^{commit}")
  src=$build/src
  rm -rf "$src"
  mkdir -p "$src"
  git -C "$repo" archive "$commit" | tar -x -C "$src"
fi
obj=$build/obj

step "mednec library (Release) at $commit in $obj"
# The launcher is reset so that the fallback's (below) does not stay cached.
cmake -S "$src" -B "$obj" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER_LAUNCHER= \
  -DMN_DATA_DIR="$MN_DATA_DIR" >/dev/null
if ! cmake --build "$obj" -j2 --target mednec_lib mednec >"$out/build.log" 2>&1; then
  # Warnings that only an optimized build reports must not stop a measurement:
  # rebuild with them as warnings (bench/no-werror.sh), and say which they were.
  echo "run.sh: the Release build failed with -Werror on:" >&2
  grep -E 'error: .*\[-Werror' "$out/build.log" | sed 's/^/  /' | sort -u >&2 || tail -20 "$out/build.log" >&2
  echo "run.sh: rebuilding with those as warnings (bench/no-werror.sh)" >&2
  cmake -S "$src" -B "$obj" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER_LAUNCHER="$here/no-werror.sh" >/dev/null
  cmake --build "$obj" -j2 --target mednec_lib mednec >>"$out/build.log" 2>&1 ||
    { tail -20 "$out/build.log" >&2; exit 70; }
fi
cc=${CC:-cc}
# every library libmednec.a needs (the regex engine, the audit stores, libcurl for the service)
lib_deps=$(pkg-config --libs yaml-0.1 libpcre2-8 sqlite3 libpq libcrypto libcurl)
"$cc" -std=c11 -O2 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -I"$src/include" \
  "$here/bench_fhirpath.c" "$obj/libmednec.a" -ljansson $lib_deps -lpthread -lm -o "$out/bench_fhirpath"
loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }
load_before=$(loadavg)

step "manifest"
MN_BENCH_SRC=$src node "$here/prepare.mjs" "$out/manifest.json"

step "side by side: (a) suite, (b) clinical, then load"
node "$here/side_by_side.mjs" "$out/manifest.json" "$out/bench_fhirpath" "$out/side.json"
printf '{"commit":"%s","date":"%s","cpus":%s,"loadavg":"%s before, %s after"}\n' "$commit" \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$load_before" "$(loadavg)" >"$out/meta.json"

step "report ($out/report.md)"
node "$here/report.mjs" "$out"
