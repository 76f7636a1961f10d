#!/usr/bin/env bash
# bench/bulk.sh: patients per second of `mednec bulk` on a synthetic population, on 1 and 2 threads, against the
# time to only parse (and load) the same records (issue 9 item 5; goal: within 1.5x of parse time, linear in
# threads). Not a test: a measurement, printed as a table for docs/PERFORMANCE.md.
#
#   bench/bulk.sh [-n N] [--policy ID] [--as-of DATE] [--sample S] [--mednec PATH] [--keep DIR]
#
#   -n N        patients (default 100000), from tools/make-population --seed 1 (Bulk Data layout, one NDJSON
#               file per resource type; about 38 MB per 1,000 patients, so 3.8 GB for the default)
#   --policy    default scs-trial-aetna-summary; --as-of default 2034-12-20 (after every shifted date: the
#               generator moves each patient's dates forward by 0, 4 or 8 years from examples dated up to
#               2026-12-18, so the whole record is in view)
#   --sample S  patients whose Bundles the parse baselines read (default 2000, see below)
#   --keep DIR  generate into DIR and keep it (a second run reuses it when it holds N patients)
#
# What it runs, each timed with /usr/bin/time (wall, user CPU, maximum RSS):
#   1. bulk, 1 thread:  mednec bulk --policy P --as-of D --threads 1 --out FILE POP
#   2. bulk, 2 threads: the same with --threads 2; both outputs must be byte-identical
#   3. parse baselines, on the Bundles of the first S patients (tools/make-population --bundles, split into one
#      file per patient, since mednec eval reads JSON documents and not NDJSON): one process per 250 files,
#      run one at a time (1 thread) and two at a time (2 threads):
#        json: mednec eval --model none -e 'true' FILES   parse the JSON only
#        load: mednec eval -e 'true' FILES                parse, validate against the FHIR R4 model and index
#                                                         each record, as bulk loads every patient's record
#      Per-patient cost from the sample, times N, is the parse time of the population: the population repeats
#      the 13 examples in turn, so every block of 13 patients costs the same to parse. (bulk reads the Bulk
#      layout and assembles each patient's Bundle itself; the baselines read the assembled Bundles: the
#      difference, bulk's grouping, is part of what bulk costs over parsing.)
# Prints patients/s for each, and bulk's time over the load baseline's (the issue's "within 1.5x of parse time"),
# in wall time and in user CPU (the figure that means something on a loaded machine).
# Needs python3 and GNU time (/usr/bin/time, Debian package time). Until `mednec bulk` exists (the bulk helper's
# branch), step 1 fails with mednec's usage error and the script stops there.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=100000 policy=scs-trial-aetna-summary as_of=2034-12-20 sample=2000 mednec=$here/build/mednec keep=
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=$2; shift 2 ;;
    --policy) policy=$2; shift 2 ;;
    --as-of) as_of=$2; shift 2 ;;
    --sample) sample=$2; shift 2 ;;
    --mednec) mednec=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "bench/bulk.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "bench/bulk.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
[ -x "$mednec" ] || { echo "bench/bulk.sh: no $mednec (build first)" >&2; exit 1; }
[ "$sample" -le "$n" ] || sample=$n
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pop=${keep:-$tmp/pop}

echo "bench/bulk.sh: $n patients, policy $policy as of $as_of; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$keep" ] && [ -f "$pop/Patient.ndjson" ] && [ "$(wc -l <"$pop/Patient.ndjson")" -eq "$n" ]; then
  echo "population: reusing $pop"
else
  rm -rf "$pop"
  t0=$(date +%s.%N)
  "$here/tools/make-population" -n "$n" --seed 1 -o "$pop"
  echo "population: generated in $(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)") s"
fi
echo "population: $(cat "$pop"/*.ndjson | wc -l) resources, $(du -sh "$pop" | cut -f1)"

# run NAME COMMAND...: time it; sets wall (seconds) and prints a line
run() {
  local name=$1; shift
  /usr/bin/time -o "$tmp/time" -f "%e %U %M" "$@" >"$tmp/out.$name" 2>"$tmp/err.$name" ||
    { echo "bench/bulk.sh: $name failed:" >&2; tail -5 "$tmp/err.$name" >&2; exit 1; }
  read -r wall user rss <"$tmp/time"
}
rate() { python3 -c "import sys; w = float(sys.argv[2]); print('%.0f' % (float(sys.argv[1]) / w) if w > 0 else 'inf')" "$@"; }

printf '%-34s %10s %10s %12s %12s\n' "run" "wall s" "user s" "max RSS KB" "patients/s"
declare -A walls users
for t in 1 2; do
  run "bulk$t" "$mednec" bulk --policy "$policy" --as-of "$as_of" --threads "$t" --out "$tmp/bulk$t.ndjson" "$pop"
  walls[bulk$t]=$wall
  users[bulk$t]=$user
  printf '%-34s %10s %10s %12s %12s\n' "mednec bulk --threads $t" "$wall" "$user" "$rss" "$(rate "$n" "$wall")"
done
cmp -s "$tmp/bulk1.ndjson" "$tmp/bulk2.ndjson" || { echo "bench/bulk.sh: 1 and 2 threads wrote different output" >&2; exit 1; }
lines=$(wc -l <"$tmp/bulk1.ndjson")
[ "$lines" -eq "$n" ] || echo "bench/bulk.sh: warning: $lines output lines for $n patients (see $tmp/err.bulk1)" >&2

# the parse baselines on a sample of Bundles, one file per patient
"$here/tools/make-population" -n "$sample" --seed 1 --bundles -o "$tmp/sample.ndjson"
mkdir "$tmp/b"
python3 - "$tmp/sample.ndjson" "$tmp/b" <<'EOF'
import sys
for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    with open("%s/%07d.json" % (sys.argv[2], i), "w", encoding="utf-8") as f:
        f.write(line)
EOF
for mode in json load; do
  args=(eval -e true)
  [ $mode = json ] && args=(eval --model none -e true)
  for t in 1 2; do
    run "$mode$t" sh -c 'cd "$1" && shift && ls | xargs -n 250 -P "$@"' sh "$tmp/b" "$t" "$mednec" "${args[@]}"
    scaled=$(python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) * int(sys.argv[2]) / int(sys.argv[3])))" "$wall" "$n" "$sample")
    uscaled=$(python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) * int(sys.argv[2]) / int(sys.argv[3])))" "$user" "$n" "$sample")
    walls[$mode$t]=$scaled
    users[$mode$t]=$uscaled
    printf '%-34s %10s %10s %12s %12s\n' "parse baseline $mode, $t process(es)" "$scaled" "$uscaled" "$rss" "$(rate "$sample" "$wall")"
  done
done
echo "(baseline times are the sample's, wall and user CPU scaled to $n patients; user CPU includes the eval processes)"
for t in 1 2; do
  echo "bulk over load baseline, $t thread(s): wall $(python3 -c "import sys; print('%.2fx' % (float(sys.argv[1]) / float(sys.argv[2])))" "${walls[bulk$t]}" "${walls[load$t]}"), user CPU $(python3 -c "import sys; print('%.2fx' % (float(sys.argv[1]) / float(sys.argv[2])))" "${users[bulk$t]}" "${users[load$t]}") (goal <= 1.5x)"
done
echo "bulk speedup 1 -> 2 threads: $(python3 -c "import sys; print('%.2fx' % (float(sys.argv[1]) / float(sys.argv[2])))" "${walls[bulk1]}" "${walls[bulk2]}") (linear: 2x)"
grep -h "patients/s\|decided" "$tmp/err.bulk1" | head -3 || true
