#!/usr/bin/env bash
# The audit trail from the command line (docs/CLI.md "audit", docs/SERVICE.md "Audit trail"):
# determine --store stores the determination before printing it, audit verify checks the chain and names a
# tampered row (exit 65), audit show prints a row; on SQLite and, through tools/pg-tmp.sh, on a real
# PostgreSQL server (the whole test reports skipped, loudly, when that server cannot be started).
. "$(dirname "$0")/common.bash" "$@"
cd "${MN_SOURCE_DIR:?}"
ex=examples/crps-ii-drg-trial.json
det=(determine $ex --policy drg-stimulation-trial --as-of 2026-11-20)
# the SHA-256 of the case file, computed by coreutils, not by mednec
want_sha=$(sha256sum $ex | cut -d' ' -f1)

# the checks common to both stores; $1 the store URL, $2 a command that runs SQL on it
exercise() {
  local store=$1 sqlcmd=$2 out err rc id row
  plain=$("$mednec" "${det[@]}")
  out=$("$mednec" "${det[@]}" --store "$store" 2>"$tmp/err"); rc=$?
  [ $rc -eq 0 ] && [ "$out" = "$plain" ] && ok || bad "determine --store: exit $rc, output differs from determine"
  id=$(sed -n 's/^mednec: audit: stored as \(cli-[0-9a-f]\{24\}\)$/\1/p' "$tmp/err")
  [ -n "$id" ] && ok || bad "determine --store: no id on stderr: $(cat "$tmp/err")"
  out=$("$mednec" audit verify --store "$store"); rc=$?
  [ $rc -eq 0 ] && [ "$out" = "audit chain intact: 1 row" ] && ok || bad "verify 1: exit $rc: $out"
  row=$("$mednec" audit show "$id" --store "$store"); rc=$?
  [ $rc -eq 0 ] && grep -q "^{\"seq\":1,\"id\":\"$id\",\"received\":\"20[0-9-]*T[0-9:.]*Z\",\"endpoint\":\"cli/determine\",\"policy_id\":\"drg-stimulation-trial\"," <<<"$row" &&
    grep -q "\"input_sha256\":\"$want_sha\"" <<<"$row" && grep -q '"prev_hash":"",' <<<"$row" && ok || bad "show: exit $rc: ${row:0:300}"
  # the stored determination is the determine --format json output, byte for byte
  stored=$($sqlcmd "SELECT determination FROM mednec_audit WHERE id = '$id'")
  [ "$stored" = "$("$mednec" "${det[@]}" --format json)" ] && ok || bad "stored determination differs from --format json"
  outcome=$($sqlcmd "SELECT outcome FROM mednec_audit WHERE id = '$id'")
  grep -q "\"determination\": \"$outcome\"" <<<"$stored" && ok || bad "stored outcome '$outcome'"
  # several processes at once extend one chain
  for i in 1 2 3 4 5; do "$mednec" "${det[@]}" --store "$store" >/dev/null 2>&1 & done
  wait
  out=$("$mednec" audit verify --store "$store"); rc=$?
  [ $rc -eq 0 ] && [ "$out" = "audit chain intact: 6 rows" ] && ok || bad "verify after 5 parallel: exit $rc: $out"
  [ "$($sqlcmd "SELECT count(*) FROM mednec_audit WHERE prev_hash = ''")" = 1 ] && ok || bad "one chain start"
  # unknown id: exit 64
  "$mednec" audit show no-such-id --store "$store" >/dev/null 2>"$tmp/err"; rc=$?
  [ $rc -eq 64 ] && grep -q "no row has the id" "$tmp/err" && ok || bad "show unknown: exit $rc"
  # tampering: a changed outcome is named by seq and id, exit 65
  id3=$($sqlcmd "SELECT id FROM mednec_audit WHERE seq = 3")
  $sqlcmd "UPDATE mednec_audit SET outcome = 'tampered' WHERE seq = 3" >/dev/null
  "$mednec" audit verify --store "$store" >"$tmp/out" 2>"$tmp/err"; rc=$?
  [ $rc -eq 65 ] && [ ! -s "$tmp/out" ] && grep -q "seq 3 (id $id3)" "$tmp/err" && ok || bad "tampered: exit $rc: $(cat "$tmp/err")"
  $sqlcmd "UPDATE mednec_audit SET outcome = '$outcome' WHERE seq = 3" >/dev/null
  "$mednec" audit verify --store "$store" >/dev/null && ok || bad "restored row verifies again"
  # a removed row: the next one is named
  id5=$($sqlcmd "SELECT id FROM mednec_audit WHERE seq = 5")
  $sqlcmd "DELETE FROM mednec_audit WHERE seq = 4" >/dev/null
  "$mednec" audit verify --store "$store" >/dev/null 2>"$tmp/err"; rc=$?
  [ $rc -eq 65 ] && grep -q "seq 5 (id $id5).*missing" "$tmp/err" && ok || bad "removed: exit $rc: $(cat "$tmp/err")"
}

if [ "${2:-}" = "--pg" ]; then
  # run by tools/pg-tmp.sh below, with MN_PG_URL
  pgsql() { psql "$MN_PG_URL" -X -q -tA -v ON_ERROR_STOP=1 -c "$1"; }
  exercise "$MN_PG_URL" pgsql
  echo "$pass passed, $fail failed (PostgreSQL)"
  [ $fail -eq 0 ]
  exit
fi

db="$tmp/audit.db"
sq() { sqlite3 "$db" "$1"; }
exercise "sqlite:$db" sq
[ "$(sqlite3 "$db" 'PRAGMA journal_mode')" = wal ] && ok || bad "the SQLite store is in WAL mode"

# kill -9 in the middle of a run: the chain stays whole, and every determination whose row was acknowledged
# ("stored as" on stderr; printed only after the commit) is in the store
kdb="$tmp/kill.db"
for i in $(seq 1 12); do
  "$mednec" "${det[@]}" --store "sqlite:$kdb" >/dev/null 2>>"$tmp/kill.err" &
  pid=$!
  sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
done
acked=$(sed -n 's/^mednec: audit: stored as //p' "$tmp/kill.err")
if [ -e "$kdb" ]; then
  out=$("$mednec" audit verify --store "sqlite:$kdb"); rc=$?
  [ $rc -eq 0 ] && grep -q "^audit chain intact: [0-9]* rows\?$" <<<"$out" && ok || bad "after kill -9: exit $rc: $out"
  missing=0
  for id in $acked; do "$mednec" audit show "$id" --store "sqlite:$kdb" >/dev/null 2>&1 || missing=$((missing+1)); done
  [ $missing -eq 0 ] && ok || bad "after kill -9: $missing acknowledged rows missing"
  echo "kill -9: $(wc -w <<<"$acked") of 12 runs acknowledged; $out"
fi

# usage and store errors
"$mednec" audit verify >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "verify without --store"
"$mednec" audit frobnicate --store "sqlite:$db" >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "unknown audit command"
"$mednec" audit show --store "sqlite:$db" >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "show without an id"
"$mednec" audit verify --store "sqlite:$tmp/none.db" >/dev/null 2>&1; rc=$?
[ $rc -eq 66 ] && [ ! -e "$tmp/none.db" ] && ok || bad "verify of a missing store: exit $rc (and must not create it)"
"$mednec" audit verify --store "mysql://x" >/dev/null 2>&1; [ $? -eq 64 ] && ok || bad "unknown store URL"
"$mednec" letter $ex --policy drg-stimulation-trial --as-of 2026-11-20 --store "sqlite:$db" >/dev/null 2>&1
[ $? -eq 64 ] && ok || bad "--store with letter is a usage error"
# a store that cannot be written: nothing is printed (stored before printed), exit 66
out=$("$mednec" "${det[@]}" --store "sqlite:$tmp/no/such/dir/a.db" 2>/dev/null); rc=$?
[ $rc -eq 66 ] && [ -z "$out" ] && ok || bad "unwritable store: exit $rc, printed ${#out} bytes"

echo "$pass passed, $fail failed (SQLite)"
sqlite_fail=$fail
tools/pg-tmp.sh bash "$0" "$mednec" --pg; rc=$?
if [ $rc -eq 77 ]; then
  echo "SKIPPED: the PostgreSQL part of this test (tools/pg-tmp.sh could not start a server)"
  [ $sqlite_fail -eq 0 ] && exit 77
  exit 1
fi
[ $sqlite_fail -eq 0 ] && [ $rc -eq 0 ]
