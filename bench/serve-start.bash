# bench/serve-start.bash: sourced by bench/serve.sh and bench/flush.sh (not a benchmark itself).
#   serve_start MEDNEC TMP STORE [OPTION...]
# starts `mednec serve` on a free loopback port with the DRG trial policy alone (copied into TMP/policies),
# --as-of 2026-11-20 and the audit store STORE, its log in TMP/log; sets pid (the server) and base (its URL), or
# prints the log and exits 1 when it does not start within 30 s.
serve_start() {
  local mednec=$1 dir=$2 store=$3
  shift 3
  mkdir -p "$dir/policies"
  cp "$repo/policies/drg-stimulation-trial.yaml" "$dir/policies/"
  "$mednec" serve --listen 127.0.0.1:0 --as-of 2026-11-20 --store "$store" --policies "$dir/policies" "$@" \
    2>"$dir/log" &
  pid=$!
  base=
  for _ in $(seq 300); do
    base=$(sed -n 's/^mednec: listening on \(http:[^ ]*\).*/\1/p' "$dir/log")
    [ -n "$base" ] && return 0
    sleep 0.1
  done
  cat "$dir/log" >&2
  exit 1
}
