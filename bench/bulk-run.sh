#!/usr/bin/env bash
# bench/bulk-run.sh [N] [MEDNEC]: patients per second of `mednec bulk` on 1 and 2 threads (docs/BULK.md,
# "Measured"). Generates N patients (default 2000) with tools/make-population into a temporary directory,
# decides them under drg-trial-bcbsa as of 2027-06-01 (make-population shifts dates forward by up to a year),
# and prints wall time, user CPU, maximum resident size and the summary line for each thread count, then
# checks that both outputs are byte-identical. Needs python3 and GNU time (/usr/bin/time).
set -eu
n="${1:-2000}"
here=$(cd "$(dirname "$0")/.." && pwd)
mednec="${2:-$here/build/mednec}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"
gen="${MAKE_POPULATION:-tools/make-population}"  # the generator (pgext's; another path for a branch without it)
[ -f "$gen" ] || { echo "bench/bulk-run.sh: $gen is missing" >&2; exit 1; }
python3 "$gen" -n "$n" --examples examples -o "$tmp/pop" >/dev/null
echo "population: $n patients, $(cat "$tmp"/pop/*.ndjson | wc -l) lines, $(du -sh "$tmp/pop" | cut -f1); load: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in 1 2; do
  /usr/bin/time -f "threads=$t wall %e s, user %U s, sys %S s, max RSS %M KB" \
    "$mednec" bulk --policy drg-trial-bcbsa --as-of 2027-06-01 --threads $t --out "$tmp/out-$t.ndjson" "$tmp/pop" \
    2>&1 | grep -E '^threads=|patients/s'
done
cmp -s "$tmp/out-1.ndjson" "$tmp/out-2.ndjson" && echo "outputs identical" || { echo "outputs DIFFER"; exit 1; }
