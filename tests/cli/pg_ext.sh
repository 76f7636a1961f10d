#!/usr/bin/env bash
# The PostgreSQL extension (pg/, docs/POSTGRESQL.md) in a real PostgreSQL 15 that tools/pg-tmp.sh starts:
#   - CREATE EXTENSION mednec; the functions are STABLE and PARALLEL SAFE in pg_proc;
#   - mednec.fhirpath over an example Bundle equals `mednec eval` (parsed JSON) for expressions that return
#     numbers, codes, dates, quantities, whole resources, resolve() and memberOf(); today() is the transaction's
#     date; fhirpath_bool: true, false, NULL for an empty result, an error for two items;
#   - mednec.determine equals `mednec determine --format json` (parsed JSON; "case" names the file in the CLI and
#     "jsonb" in the server) for the example and two variants with other outcomes;
#   - errors (bad expression, unknown policy, not FHIR, infinite date) are SQL errors with the library's message,
#     and the backend survives them (same pg_backend_pid() after);
#   - 200 generated patients (tools/make-population --bundles) in a table, decided in one query with parallel
#     workers (EXPLAIN ANALYZE: Workers Launched >= 1): each patient's outcome equals `mednec determine` on it.
# The extension is installed into the server's directories (pg_config --pkglibdir, --sharedir; this tree's
# policies/, evidence/, knowledge/ into SHAREDIR/mednec, mednec.home's default): root only; it is
# built only where MN_PG is on (not in the sanitizer build: the server is not ASan-built). Otherwise SKIPPED.
# Usage: pg_ext.sh MEDNEC
set -u
if [ "${1:-}" != "--inner" ]; then
  mednec="$1"
  src="${MN_SOURCE_DIR:?}"
  so="$(dirname "$mednec")/pg/mednec.so"
  [ -f "$so" ] || { echo "SKIPPED: pg_ext: $so not built (MN_PG off: no postgresql-server-dev-15, or the sanitizer build)"; exit 77; }
  command -v pg_config >/dev/null && command -v psql >/dev/null || { echo "SKIPPED: pg_ext: no pg_config or psql"; exit 77; }
  command -v python3 >/dev/null || { echo "SKIPPED: pg_ext: no python3"; exit 77; }
  [ "$(id -u)" -eq 0 ] || { echo "SKIPPED: pg_ext: installing the extension into $(pg_config --pkglibdir) needs root"; exit 77; }
  # as `make -C pg install` does: the module, the extension files, and the knowledge at mednec.home's default
  home="$(pg_config --sharedir)/mednec"
  install -m 755 "$so" "$(pg_config --pkglibdir)/mednec.so" &&
    install -m 644 "$src/pg/mednec.control" "$src/pg/mednec--0.1.sql" "$(pg_config --sharedir)/extension/" &&
    rm -rf "$home" && mkdir -p "$home" && cp -R "$src/policies" "$src/evidence" "$src/knowledge" "$home/" &&
    chmod -R a+rX "$home" ||
    { echo "SKIPPED: pg_ext: cannot install the extension"; exit 77; }
  exec "$src/tools/pg-tmp.sh" bash "$0" --inner "$mednec"
fi
mednec="$2"
src="${MN_SOURCE_DIR:?}"
cd "$src"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
export PGCONNECT_TIMEOUT=10
sql() { psql "$MN_PG_URL" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# every session reads the knowledge installed at mednec.home's default, SHAREDIR/mednec (a copy of this tree's)
same_json() {  # same_json A B: parsed JSON equal
  python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1]) == json.loads(sys.argv[2]) else 1)' "$1" "$2"
}

sql -c "CREATE EXTENSION mednec" || { echo "FAIL CREATE EXTENSION mednec"; exit 1; }
got=$(sql -c "SELECT string_agg(proname || ':' || provolatile::text || proparallel::text, ' ' ORDER BY proname) FROM pg_proc
              WHERE pronamespace = 'mednec'::regnamespace AND proname <> 'clear_cache'")
[ "$got" = "determine:ss fhirpath:ss fhirpath_bool:ss" ] || bad "volatility/parallel: '$got'"

# ---- fhirpath vs mednec eval
case=examples/crps-ii-scs-trial.json
exprs=(
  "Bundle.entry.resource.ofType(Observation).count()"
  "Bundle.entry.resource.ofType(Condition).code.coding.code"
  "Bundle.entry.resource.ofType(Observation).where(code.coding.code = '72514-3').value"
  "Bundle.entry.resource.ofType(Observation).where(code.coding.code = 'odi-total').value"
  "Bundle.entry.resource.ofType(Patient).birthDate"
  "Bundle.entry.resource.ofType(ServiceRequest).first()"
  "Bundle.entry.resource.ofType(MedicationStatement).subject.resolve().ofType(Patient).id.distinct()"
  "Bundle.entry.resource.ofType(Condition).code.coding.where(memberOf('crps-diagnosis')).code"
  "(1.50 + 2) | 'text' | @2026-11-20"
)
for e in "${exprs[@]}"; do
  want=$("$mednec" eval --as-of 2026-11-20 -e "$e" "$case" 2>"$tmp/err") || { bad "mednec eval -e \"$e\""; cat "$tmp/err"; continue; }
  got=$(sql -v e="$e" -v f="$src/$case" <<'EOF'
\set b `cat :f`
SELECT mednec.fhirpath(:'b'::jsonb, :'e');
EOF
) || { bad "mednec.fhirpath '$e' failed"; continue; }
  [ "$want" != "[]" ] || bad "eval '$e' is empty: the comparison proves nothing"
  same_json "$want" "$got" || bad "fhirpath '$e': '$got', mednec eval: '$want'"
done
got=$(sql -c "SELECT mednec.fhirpath('{\"resourceType\":\"Patient\",\"id\":\"x\"}', 'today()') = jsonb_build_array('@' || current_date)")
[ "$got" = t ] || bad "fhirpath today() is not the transaction's date ($got)"
got=$(sql -c "SELECT mednec.fhirpath_bool(r, 'Patient.gender = ''female''')::text || ' ' ||
                     mednec.fhirpath_bool(r, 'Patient.gender = ''male''')::text || ' ' ||
                     (mednec.fhirpath_bool(r, 'Patient.birthDate') IS NULL)::text
              FROM (SELECT '{\"resourceType\":\"Patient\",\"id\":\"x\",\"gender\":\"female\"}'::jsonb r) t")
[ "$got" = "true false true" ] || bad "fhirpath_bool: '$got', want 'true false true'"

# ---- determine vs mednec determine --format json
for c in crps-ii-scs-trial:meets-criteria crps-ii-scs-trial-low-odi:does-not-meet crps-ii-scs-trial-no-psych-clearance:; do
  f=examples/${c%%:*}.json
  want=$("$mednec" determine "$f" --policy scs-trial-aetna-summary --as-of 2026-11-20 --format json 2>/dev/null)
  got=$(sql -v f="$src/$f" <<'EOF'
\set b `cat :f`
SELECT mednec.determine(:'b'::jsonb, 'scs-trial-aetna-summary', '2026-11-20');
EOF
) || { bad "mednec.determine on $f failed"; continue; }
  python3 - "$want" "$got" "${c#*:}" <<'EOF' || bad "determine $f differs from the CLI"
import json, sys
want, got, outcome = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
if outcome and want["determination"] != outcome:
    print("the CLI says %s, the test expects %s" % (want["determination"], outcome)); sys.exit(1)
if got.pop("case") != "jsonb":
    print("case is not 'jsonb'"); sys.exit(1)
want.pop("case")
if want != got:
    for k in sorted(set(want) | set(got)):
        if want.get(k) != got.get(k):
            print("  %s: cli %s, pg %s" % (k, json.dumps(want.get(k))[:300], json.dumps(got.get(k))[:300]))
    sys.exit(1)
EOF
done

# ---- errors: the library's message as an SQL error; the backend survives
errors=(
  "SELECT mednec.fhirpath('{\"resourceType\":\"Patient\"}', 'Patient.name.where(')|mednec: FHIRPath expression:"
  "SELECT mednec.determine('{\"resourceType\":\"Patient\",\"id\":\"x\"}', 'no-such-policy', '2026-11-20')|no-such-policy"
  "SELECT mednec.determine('{\"resourceType\":\"NotAResource\"}', 'scs-trial-aetna-summary', '2026-11-20')|NotAResource"
  "SELECT mednec.fhirpath('[1, 2]', 'count()')|mednec: FHIRPath input:"
  "SELECT mednec.fhirpath_bool('{\"resourceType\":\"Patient\",\"id\":\"x\",\"name\":[{\"family\":\"a\"},{\"family\":\"b\"}]}', 'Patient.name.family')|not a single boolean"
  "SELECT mednec.determine('{\"resourceType\":\"Patient\",\"id\":\"x\"}', 'scs-trial-aetna-summary', 'infinity')|finite date"
)
for item in "${errors[@]}"; do
  q=${item%|*} msg=${item##*|}
  out=$(psql "$MN_PG_URL" -X -At -c "SELECT pg_backend_pid()" -c "$q" -c "SELECT pg_backend_pid()" 2>&1)
  grep -q "ERROR: .*$(printf '%s' "$msg" | sed 's/[][().*]/\\&/g')" <<<"$out" || bad "'$q': no ERROR naming '$msg': $out"
  pids=$(grep -E '^[0-9]+$' <<<"$out" | sort -u | wc -l)
  n=$(grep -cE '^[0-9]+$' <<<"$out")
  [ "$n" -eq 2 ] && [ "$pids" -eq 1 ] || bad "'$q': the backend did not survive: $out"
done

# ---- a population in a table, decided with parallel workers
tools/make-population -n 200 --seed 3 --bundles -o "$tmp/pop.ndjson" || bad "make-population"
sql -c "CREATE TABLE patients (bundle jsonb)" &&
  sql -c "\\copy patients (bundle) FROM '$tmp/pop.ndjson' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')" ||
  bad "loading the population"
sql -c "ANALYZE patients" -c "ALTER TABLE patients SET (parallel_workers = 2)"
parallel="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
          SET max_parallel_workers_per_gather = 2;"
query="SELECT bundle->>'id', mednec.determine(bundle, 'scs-trial-aetna-summary', '2026-11-20')->>'determination' FROM patients"
plan=$(sql -c "$parallel EXPLAIN (ANALYZE, COSTS OFF) $query")
workers=$(sed -n 's/.*Workers Launched: \([0-9]*\).*/\1/p' <<<"$plan" | head -1)
[ "${workers:-0}" -ge 1 ] || { bad "no parallel workers launched"; echo "$plan"; }
sql -c "$parallel $query ORDER BY 1" | tr '|' ' ' >"$tmp/pg.txt" || bad "the population query failed"
python3 - "$tmp/pop.ndjson" "$tmp" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    b = json.loads(line)
    json.dump(b, open("%s/%s.json" % (sys.argv[2], b["id"]), "w"))
EOF
mkdir "$tmp/cli"
ls "$tmp"/p*.json | xargs -P 2 -I{} sh -c \
  '"$0" determine "$1" --policy scs-trial-aetna-summary --as-of 2026-11-20 --format json >"$2/cli/$(basename "$1")" 2>/dev/null' \
  "$mednec" {} "$tmp"
python3 - "$tmp/cli" >"$tmp/cli.txt" <<'EOF'
import glob, json, os, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.json")):
    print(os.path.basename(f)[:-5], json.load(open(f))["determination"])
EOF
[ "$(wc -l <"$tmp/cli.txt")" -eq 200 ] || bad "the CLI decided $(wc -l <"$tmp/cli.txt") patients, want 200"
cmp -s "$tmp/pg.txt" "$tmp/cli.txt" || { bad "per-patient outcomes differ between the server and the CLI"; diff "$tmp/pg.txt" "$tmp/cli.txt" | head; }
outcomes=$(cut -d' ' -f2 "$tmp/pg.txt" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
[ "$(cut -d' ' -f2 "$tmp/pg.txt" | sort -u | wc -l)" -ge 2 ] || bad "one outcome for all patients ($outcomes): the comparison proves little"
[ $fail -eq 0 ] && echo "pg_ext: functions equal the CLI; errors survive; 200 patients on $workers parallel workers: $outcomes"
exit $fail
