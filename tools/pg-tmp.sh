#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 server (Debian's postgresql-15 package) for tests, in a temporary directory,
# listening only on 127.0.0.1 on a free port, with a random password; stop it and remove the directory on exit.
#
#   tools/pg-tmp.sh COMMAND [ARG]...   run COMMAND with MN_PG_URL=postgresql://... in its environment; the
#                                      script exits with COMMAND's status
#   tools/pg-tmp.sh                    print the URL on standard output and keep the server until SIGINT/SIGTERM
#
# When it cannot start a server (no PostgreSQL 15 binaries, no unprivileged user to run it as, initdb or pg_ctl
# failing) it says so on standard error and exits 77, the status ctest counts as skipped.
# PostgreSQL refuses to run as root: as root, the server runs as the user nobody (runuser, else setpriv).
set -uo pipefail
bin=${MN_PG_BIN:-/usr/lib/postgresql/15/bin}
skip() { echo "SKIPPED: pg-tmp: cannot start PostgreSQL: $*"; exit 77; }
[ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] || skip "no $bin/initdb or $bin/pg_ctl (Debian package postgresql-15)"

as_user=()
if [ "$(id -u)" -eq 0 ]; then
  if runuser -u nobody -- true 2>/dev/null; then
    as_user=(runuser -u nobody --)
  elif setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  else
    skip "running as root and cannot switch to the user nobody"
  fi
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/mednec-pg.XXXXXX") || skip "mktemp failed"
chmod 755 "$dir"
[ ${#as_user[@]} -gt 0 ] && chown nobody "$dir"
run() { (cd "$dir" && "${as_user[@]}" "$@"); }
started=0
cleanup() {
  [ $started -eq 1 ] && run "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$password" >"$dir/pw"
[ ${#as_user[@]} -gt 0 ] && chown nobody "$dir/pw"
run "$bin/initdb" -D "$dir/data" -U mednec --pwfile="$dir/pw" --auth=scram-sha-256 -E UTF8 --locale=C --no-sync \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; skip "initdb failed"; }
rm -f "$dir/pw"

# a free port: ask the kernel for one, then let the server take it (retry if another process took it first)
for attempt in 1 2 3 4 5; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
         echo $((20000 + RANDOM % 40000)))
  if run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
       -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on -c synchronous_commit=on" start >/dev/null 2>&1; then
    started=1
    break
  fi
done
[ $started -eq 1 ] || { tail -5 "$dir/server.log" >&2 2>/dev/null; skip "pg_ctl start failed"; }

url="postgresql://mednec:$password@127.0.0.1:$port/postgres"
if [ $# -gt 0 ]; then
  MN_PG_URL=$url "$@"
  exit $?
fi
echo "$url"
while :; do sleep 3600 & wait $!; done
