# tests/cli/server.bash: sourced by the tests that start `mednec serve` (not a test itself: the test glob takes
# *.sh only).
#   listening LOG [PID]  wait up to 60 s for the server writing LOG to say where it listens and set base
#                        (http://127.0.0.1:PORT); else (or as soon as process PID is gone) print FAIL with the
#                        log and exit 1
listening() {
  base=
  for _ in $(seq 600); do
    base=$(sed -n 's/^mednec: listening on \(http:[^ ]*\).*/\1/p' "$1")
    [ -n "$base" ] && return 0
    if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "FAIL: the server did not start: $(cat "$1")"
  exit 1
}
