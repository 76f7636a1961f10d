# tests/cli/common.bash: what every shell test in this folder starts with, sourced right after its header
# comment (`. "$(dirname "$0")/common.bash" "$@"`; not a test itself: the test glob takes *.sh only).
#   mednec   the program under test (the script's first argument)
#   ok, bad  count a check passed / print "FAIL: ..." and count it failed
#   tmp      a fresh temporary folder, removed on exit; a script with more to clean up replaces the EXIT trap
#            and removes "$tmp" itself
#   finish NAME  print "NAME: P passed, F failed" and exit 0 only when nothing failed
set -u
mednec="$1"
pass=0 fail=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
finish() {
  echo "$1: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
  exit
}
