#!/usr/bin/env bash
# bench/whole.sh: the whole-process workload of docs/PERFORMANCE.md: `mednec eval -e EXPR --repeat N` over
# the Synthea bundles against the same loop in fhirpath.js (bench/whole.mjs), with expressions that start
# at the Bundle root as users and policies write them. Each run is a whole process: start, read and parse
# the 9 bundles (11.9 MB), compile, N passes of the expression over every bundle, print the first pass.
#
#   bench/whole.sh [MEDNEC...]     MEDNEC: binaries to measure (default build/mednec; build it first)
#
# Environment:
#   MN_BENCH_REPEAT   N, passes over the bundles per process (default 20)
#   MN_BENCH_ROUNDS   rounds; each runs every expression once in each engine, in alternating order (default 3)
#                     (a mednec binary that follows fhirpath.js's process is first run once unmeasured: see below)
#   MN_BENCH_BASE     a revision to measure beside MEDNEC in the same rounds (before/after in one run): it is
#                     exported clean (git archive) and built (Release) in build-bench-base/
#   MN_DATA_DIR       shared data (default ../shared/data)
#   MN_BENCH_OUT      output folder (default bench/out): whole.json, whole.md
#
# The ratio of an expression is fhirpath.js's time over mednec's, per round; the report gives its median
# over the rounds and the spread (lowest and highest round), then the median of the per-expression medians.
# The answers are compared: the same number of items per bundle, and the same values where they are
# primitives. Times are CPU time (user + system, bench/cputime.py): wall-clock time on a shared machine is mostly
# waiting. Even CPU time moves with the load (caches, the sibling hyperthread): read the ratios and the spread.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
export MN_DATA_DIR=${MN_DATA_DIR:-$repo/../shared/data}
out=${MN_BENCH_OUT:-$here/out}
[ $# -eq 0 ] && set -- "$repo/build/mednec"
repeat=${MN_BENCH_REPEAT:-20}
rounds=${MN_BENCH_ROUNDS:-3}
mkdir -p "$out"
for m in "$@"; do
  [ -x "$m" ] || { echo "whole.sh: $m is not built" >&2; exit 66; }
done
if [ ! -f "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
mapfile -t bundles < <(ls "$MN_DATA_DIR"/synthea/*.json "$MN_DATA_DIR"/synthea/large/*.json)

engines=()
bins=()
for m in "$@"; do
  bins+=("$(realpath "$m")")
  # named by the commit of the tree it was built in, when it is a git work tree
  rev=$(git -C "$(dirname "$(realpath "$m")")" rev-parse --short HEAD 2>/dev/null || echo "$m")
  engines+=("mednec-$rev")
done
if [ -n "${MN_BENCH_BASE:-}" ]; then
  base=$(git -C "$repo" rev-parse --short "$MN_BENCH_BASE^{commit}")
  bdir=$repo/build-bench-base
  rm -rf "$bdir"
  mkdir -p "$bdir/src"
  git -C "$repo" archive "$base" | tar -x -C "$bdir/src"
  echo "== building the base $base (Release) in $bdir" >&2
  cmake -S "$bdir/src" -B "$bdir/obj" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER_LAUNCHER="$here/no-werror.sh" \
    -DMN_DATA_DIR="$MN_DATA_DIR" >/dev/null
  cmake --build "$bdir/obj" -j2 --target mednec >"$out/whole-base-build.log" 2>&1 ||
    { tail -20 "$out/whole-base-build.log" >&2; exit 70; }
  engines+=("base-$base")
  bins+=("$bdir/obj/mednec")
fi

exprs=(
  "Bundle.entry.resource.count()"
  "Bundle.entry.resource.ofType(Observation).where(code.coding.where(system='http://loinc.org' and code='8867-4').exists())"
  "Bundle.entry.resource.where(resourceType='Condition').code.coding.code"
  "Bundle.entry.resource.ofType(Condition).where(clinicalStatus.coding.code = 'active').code.coding.display"
  "Bundle.entry.resource.ofType(Observation).where(code.coding.code = '39156-5').value.ofType(Quantity).value"
  "Bundle.entry.resource.ofType(Observation).where(code.coding.code = '72166-2').value.coding.code"
  "Bundle.entry.resource.ofType(MedicationRequest).where(status = 'active').count()"
  "Bundle.entry.resource.ofType(Patient).birthDate"
  "Bundle.entry.resource.ofType(Procedure).where(status = 'completed').code.coding.code"
  "Bundle.entry.resource.ofType(Encounter).count()"
  "Bundle.entry.resource.ofType(Immunization).vaccineCode.coding.code"
  "Bundle.entry.where(resource.resourceType = 'AllergyIntolerance').count()"
)

# CPU time (user + system) of the process in microseconds: on this shared machine wall-clock time is mostly
# waiting for a CPU; CPU time moves much less with the load (bench/cputime.py: the kernel's count, to the
# microsecond; GNU time's hundredths of a second were too coarse once mednec's processes took 20-60 ms)
cpu_us() { cat "$tmp/time"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
results=$out/whole.tsv
: >"$results"
loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }
load_before=$(loadavg)
for ((r = 1; r <= rounds; r++)); do
  for i in "${!exprs[@]}"; do
    e=${exprs[$i]}
    order=(node "${!bins[@]}")
    (( (r + i) % 2 )) && order=("${!bins[@]}" node)
    prev=
    for who in "${order[@]}"; do
      # right after fhirpath.js's process (a GB of memory freed), the next process pays for its first touches of
      # fresh memory (measured here: the same mednec run 45-49 ms of CPU right after node, 29 ms after another
      # mednec): an unmeasured run of the binary first, so that no engine is charged for the one before it
      if [ "$who" != node ] && [ "$prev" = node ]; then
        "${bins[$who]}" eval -e "$e" "${bundles[@]}" >/dev/null
      fi
      prev=$who
      if [ "$who" = node ]; then
        python3 "$here/cputime.py" "$tmp/time" node "$here/whole.mjs" "$e" "$repeat" "${bundles[@]}" >"$tmp/node.$i"
        printf '%s\t%s\t%s\t%s\n' "$r" "$i" fhirpath.js "$(cpu_us)" >>"$results"
      else
        python3 "$here/cputime.py" "$tmp/time" "${bins[$who]}" eval -e "$e" --repeat "$repeat" "${bundles[@]}" \
          >"$tmp/mn.$who.$i"
        printf '%s\t%s\t%s\t%s\n' "$r" "$i" "${engines[$who]}" "$(cpu_us)" >>"$results"
      fi
    done
  done
  echo "== round $r of $rounds done" >&2
done
printf '%s\n' "${exprs[@]}" >"$tmp/exprs"
node - "$tmp" "$results" "$out" "$repeat" "${#bins[@]}" "$load_before" "$(loadavg)" "${engines[@]}" <<'EOF'
const fs = require('fs');
const [tmp, results, out, repeat, nbins, loadBefore, loadAfter, ...engines] = process.argv.slice(2);
const exprs = fs.readFileSync(tmp + '/exprs', 'utf8').trim().split('\n');
const rows = fs.readFileSync(results, 'utf8').trim().split('\n').map((l) => l.split('\t'));
const t = {};  // t[engine][expr][round] = microseconds
for (const [r, i, who, us] of rows) ((t[who] ??= {})[i] ??= {})[r] = Number(us);
const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const prim = (v) => v === null || typeof v !== 'object';
// answers: one JSON array per bundle in both
const mismatches = [];
for (let b = 0; b < Number(nbins); b++) for (let i = 0; i < exprs.length; i++) {
  const a = fs.readFileSync(`${tmp}/mn.${b}.${i}`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const j = fs.readFileSync(`${tmp}/node.${i}`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (let k = 0; k < Math.max(a.length, j.length); k++) {
    const x = a[k] ?? [], y = j[k] ?? [];
    let same = x.length === y.length;
    for (let q = 0; same && q < x.length; q++)
      if (prim(x[q]) && prim(y[q])) same = String(x[q]).replace(/^@/, '') === String(y[q]);  // mednec writes dates as @2020-01-01
    if (!same) mismatches.push(`${engines[b]} expression ${i + 1} bundle ${k + 1}: ${JSON.stringify(x).slice(0, 80)} vs ${JSON.stringify(y).slice(0, 80)}`);
  }
}
const fmt = (x) => x >= 100 ? x.toFixed(0) : x.toFixed(1);
const lines = [];
lines.push(`whole process, ${repeat} passes over 9 Synthea bundles per process; load average ${loadBefore} before, ${loadAfter} after`);
lines.push('');
lines.push('| # | expression | fhirpath.js CPU ms | ' + engines.map((e) => `${e} CPU ms | ratio (median, low-high)`).join(' | ') + ' |');
lines.push('| --- | --- | ---: | ' + engines.map(() => '---: | ---:').join(' | ') + ' |');
const summary = {};
for (let i = 0; i < exprs.length; i++) {
  const js = t['fhirpath.js'][i];
  const cells = [`${i + 1}`, '`' + exprs[i] + '`', fmt(median(Object.values(js)) / 1000)];
  for (const e of engines) {
    const ratios = Object.keys(js).map((r) => js[r] / t[e][i][r]);
    (summary[e] ??= []).push(median(ratios));
    cells.push(fmt(median(Object.values(t[e][i])) / 1000), `${fmt(median(ratios))}x (${fmt(Math.min(...ratios))}-${fmt(Math.max(...ratios))})`);
  }
  lines.push('| ' + cells.join(' | ') + ' |');
}
lines.push('');
for (const e of engines) {
  const m = summary[e];
  lines.push(`${e}: median of the per-expression ratios ${fmt(median(m))}x (lowest ${fmt(Math.min(...m))}x, highest ${fmt(Math.max(...m))}x)`);
}
lines.push(mismatches.length ? `answers that differ (${mismatches.length}):\n` + mismatches.join('\n') : 'answers: the same in every engine (item counts per bundle, primitive values)');
fs.writeFileSync(out + '/whole.md', lines.join('\n') + '\n');
console.log(lines.join('\n'));
process.exit(mismatches.length ? 1 : 0);
EOF
