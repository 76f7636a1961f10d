#!/usr/bin/env bash
# bench/instr.sh: instructions per evaluation of the root-anchored expressions of bench/whole.sh, counted by
# valgrind callgrind inside mn_fp_eval only (no load, no start, no output), for one or more mednec binaries
# (before/after: give both). Instruction counts do not move with the load of the shared machine.
#
#   bench/instr.sh MEDNEC...       prints, per expression, the instructions of one pass over the 9 bundles
#
# MN_BENCH_REPEAT passes are counted (default 3) and divided. The answers of the binaries are compared too.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
export MN_DATA_DIR=${MN_DATA_DIR:-$repo/../shared/data}
repeat=${MN_BENCH_REPEAT:-3}
[ $# -ge 1 ] || { echo "usage: bench/instr.sh MEDNEC..." >&2; exit 64; }
mapfile -t bundles < <(ls "$MN_DATA_DIR"/synthea/*.json "$MN_DATA_DIR"/synthea/large/*.json)
# the expressions of whole.sh, one source of truth
mapfile -t exprs < <(sed -n '/^exprs=(/,/^)/p' "$here/whole.sh" | sed -n 's/^  "\(.*\)"$/\1/p')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '| # | expression |'
for b in "$@"; do printf ' %s |' "$b"; done
printf ' ratio first/last |\n|---|---|'
for b in "$@"; do printf -- '---:|'; done
printf -- '---:|\n'
for i in "${!exprs[@]}"; do
  e=${exprs[$i]}
  printf '| %d | `%s` |' $((i + 1)) "$e"
  first= last=
  for k in $(seq 1 $#); do
    b=${!k}
    valgrind --tool=callgrind --toggle-collect=mn_fp_eval --callgrind-out-file="$tmp/cg" \
      "$b" eval -e "$e" --repeat "$repeat" "${bundles[@]}" >"$tmp/out.$k" 2>"$tmp/log"
    n=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/log")
    per=$((n / repeat))
    printf ' %s |' "$per"
    [ -z "$first" ] && first=$per
    last=$per
    if [ "$k" -gt 1 ] && ! cmp -s "$tmp/out.1" "$tmp/out.$k"; then
      echo; echo "instr.sh: expression $((i + 1)): $b answers differently from $1" >&2
      exit 1
    fi
  done
  awk -v a="$first" -v b="$last" 'BEGIN { printf " %.1fx |\n", a / b }'
done
