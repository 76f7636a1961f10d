#!/usr/bin/env bash
# bench/run.sh: mednec vs fhirpath.js (HL7) side by side, and JSON loading vs
# jansson, in one run. See docs/PERFORMANCE.md.
#
#   bench/run.sh                 everything (about 10 minutes on 2 cores)
#   MN_BENCH_QUICK=1 bench/run.sh  short batches: a smoke run, not for figures
#
# Environment:
#   MN_DATA_DIR         shared data (default: ../shared/data beside the repo)
#   MN_BENCH_BATCH_MS   minimum time of one timed batch (default 5)
#   MN_BENCH_BATCHES    batches per measurement, the median is kept (default 5)
#   MN_BENCH_OUT        output folder (default bench/out; git-ignored)
#   MN_BENCH_BUILD      build folder (default build-bench)
#
# Steps: install fhirpath.js from package-lock.json into bench/node_modules,
# install libjansson-dev when missing, build the mednec library (Release),
# compile bench_fhirpath.c against it, write the manifest (prepare.mjs), run
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

step "mednec library (Release) in $build"
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
if ! cmake --build "$build" -j2 --target mednec_lib >"$out/build.log" 2>&1; then
  # -O3 warnings that -Werror turns into errors must not stop a measurement;
  # the code is the same, only the warning policy differs.
  echo "run.sh: the Release build failed (see $out/build.log); retrying with the -O3-only warnings (maybe-uninitialized, ...) not fatal" >&2
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_FLAGS=-Wno-error=maybe-uninitialized -Wno-error=uninitialized -Wno-error=stringop-overflow -Wno-error=stringop-truncation -Wno-error=array-bounds" >/dev/null
  cmake --build "$build" -j2 --target mednec_lib >>"$out/build.log" 2>&1 ||
    { tail -20 "$out/build.log" >&2; exit 70; }
fi
cc=${CC:-cc}
yaml_libs=$(pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml)
"$cc" -std=c11 -O2 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -I"$repo/include" \
  "$here/bench_fhirpath.c" "$build/libmednec.a" -ljansson $yaml_libs -lm -o "$out/bench_fhirpath"

commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$repo" status --porcelain -- src include 2>/dev/null)" ]; then
  commit="$commit+local changes in src/include"
fi
printf '{"commit":"%s","date":"%s"}\n' "$commit" "$(date -u +%Y-%m-%dT%H:%MZ)" >"$out/meta.json"

step "manifest"
node "$here/prepare.mjs" "$out/manifest.json"

step "workload (a): mednec"
MN_BENCH_ONLY=a "$out/bench_fhirpath" "$out/manifest.json" "$out/mednec-a.json"
step "workload (a): fhirpath.js"
MN_BENCH_ONLY=a node "$here/bench_fhirpathjs.mjs" "$out/manifest.json" "$out/fhirpathjs-a.json"
step "workload (b): mednec"
MN_BENCH_ONLY=b "$out/bench_fhirpath" "$out/manifest.json" "$out/mednec-b.json"
step "workload (b): fhirpath.js"
MN_BENCH_ONLY=b node "$here/bench_fhirpathjs.mjs" "$out/manifest.json" "$out/fhirpathjs-b.json"
step "load: jansson, mn_json_parse, mn_case_load"
MN_BENCH_ONLY=load "$out/bench_fhirpath" "$out/manifest.json" "$out/mednec-load.json"

step "report ($out/report.md)"
node "$here/report.mjs" "$out"
