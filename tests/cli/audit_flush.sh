#!/usr/bin/env bash
# The SQLite audit store's flushes, read from the system calls (strace, Debian package): the checkpointer copies
# the WAL's pages into the database file without flushing it (synchronous=OFF, src/audit/sqlite.c), so the one
# moment a copied page could be lost, the WAL starting over and its frames being written over, must come after a
# flush of the database file. The server appends enough rows (about 37 KB of WAL each; the WAL starts over from
# 12 MiB) for the WAL to start over several times; then, in the order the calls were made:
#   - every write at offset 0 of the WAL (its header: the WAL starts over) comes after an fdatasync of the database
#     file that finished after the last write to it began;
#   - the WAL did start over (else nothing was checked), and every commit was flushed (an fdatasync of the WAL per
#     batch at least);
#   - the chain verifies with one row per answered request.
. "$(dirname "$0")/common.bash" "$@"
. "$(dirname "$0")/server.bash"
cd "${MN_SOURCE_DIR:?}"
for tool in strace curl; do
  command -v $tool >/dev/null || { echo "SKIPPED: $tool is not installed (tools/deps.sh)"; exit 77; }
done
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir "$tmp/policies"
cp policies/drg-stimulation-trial.yaml "$tmp/policies/"
db="$tmp/audit.db"
# LeakSanitizer cannot run under ptrace (an ASan build would end with status 1): leaks are cli_serve's to find
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
strace -f -y -qq -o "$tmp/trace" -e trace=pwrite64,pwritev,fdatasync,fsync \
  "$mednec" serve --listen 127.0.0.1:0 --as-of 2026-11-20 --store "sqlite:$db" --policies "$tmp/policies" \
  2>"$tmp/log" &
pid=$!
listening "$tmp/log" "$pid"
n=900
seq $n | xargs -P 4 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
  --data-binary @tests/cli/data/serve/order-sign-crps.json "$base/cds-services/mednec-order-sign" >"$tmp/codes"
# the server (strace's child) stops on SIGTERM; strace then ends with its status
kill -TERM "$(pgrep -P "$pid" | head -1)"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] && ok || bad "the server's exit status $rc"
answered=$(grep -c '^200$' "$tmp/codes")
[ "$answered" -eq $n ] && ok || bad "$answered of $n requests answered 200"
out=$("$mednec" audit verify --store "sqlite:$db" 2>&1)
[ "$out" = "audit chain intact: $answered rows" ] && ok || bad "audit verify: $out"

# the calls in order: a call is either one line, or its start ("<unfinished ...>") and its end ("resumed>") on two
awk -v db="$db" '
  function file(line,   s) { s = line; if (!sub(/^[^(]*\([0-9]+</, "", s)) return ""; sub(/>.*/, "", s); return s }
  {
    p = $1
    if ($0 ~ /resumed>/) { name = pend_name[p]; f = pend_file[p]; start = 0; end = 1 }
    else { name = $2; sub(/\(.*/, "", name); f = file($0); start = 1; end = ($0 !~ /<unfinished \.\.\.>/)
           if (!end) { pend_name[p] = name; pend_file[p] = f } }
    if (name ~ /^pwrite/ && f == db && start) { dirty = 1; dbwrites++ }
    if (name == "fdatasync" && f == db && end) dirty = 0
    if (name == "fdatasync" && f == db "-wal" && end) walsyncs++
    if (name ~ /^pwrite/ && f == db "-wal" && start && $0 ~ /, 0( <unfinished \.\.\.>|\) = )/) {
      restarts++
      if (dirty) { bad++; print "the WAL started over (line " NR ") with database writes not flushed" }
    }
  }
  END { printf "%d %d %d %d\n", restarts, bad, dbwrites, walsyncs > "/dev/stderr" }
' "$tmp/trace" >"$tmp/violations" 2>"$tmp/counts"
read -r restarts violations dbwrites walsyncs <"$tmp/counts"
echo "the WAL started over $restarts times; $dbwrites writes to the database file; $walsyncs flushes of the WAL"
[ "$violations" -eq 0 ] && ok || { bad "database writes not flushed before the WAL started over:"; head -5 "$tmp/violations"; }
[ "$restarts" -ge 3 ] && ok || bad "the WAL started over $restarts times (the run checked nothing)"
[ "$dbwrites" -gt 0 ] && ok || bad "no checkpoint wrote the database file"
[ "$walsyncs" -gt 0 ] && ok || bad "no flush of the WAL"
finish audit_flush
