#!/usr/bin/env bash
# Citations in the documents people read (issue 8 item 2; docs/POLICY-FORMAT.md, "Citations"):
# 1. no golden letter, appeal or brief (tests/golden/) contains text about how the project keeps its files
#    ("facts.md", "not recorded", "see evidence file", ...);
# 2. the letter and appeal (and for drg-stimulation-trial the brief) of an example case under each of the
#    13 policies contain none either, and every entry of their reference lists
#    is a full citation: an article with its year;volume:pages or DOI, a payer document or web page with the
#    date its address was accessed and the address. (test_citations checks each citation's parts; this checks
#    the documents as printed.)
. "$(dirname "$0")/common.bash" "$@"
cd "${MN_SOURCE_DIR:?}"

# the phrases of mn_housekeeping_phrase (src/knowledge/cite.c), case-insensitive
phrases='facts\.md|shared/clinical|not recorded|not seen|not found|title not|see evidence|evidence file|placeholder|todo:|exact title'

# 1. the golden documents
shopt -s nullglob
goldens=(tests/golden/*.md tests/golden/*.html tests/golden/*.txt)
[ ${#goldens[@]} -gt 0 ] || { echo "skipped: no golden documents"; exit 77; }
for g in "${goldens[@]}"; do
  if grep -niE "$phrases" "$g" >"$tmp/hits"; then bad "$g has project notes:"; sed 's/^/    /' "$tmp/hits"; else ok; fi
done

# The reference list of a Markdown document: the numbered lines after "## References".
refs() { awk '/^## /{on = ($0 ~ /^## References/)} on && /^[0-9]+\. /' "$1"; }

# An entry is full when it is a record of the case (the denial), an article (year;volume or year(issue), and
# pages or a DOI) or a document with its access date and address.
check_refs() {
  local doc=$1 what=$2 n=0
  while IFS= read -r line; do
    n=$((n+1))
    case "$line" in
      *"The denial"*) continue ;;
    esac
    if grep -qE '\. (19|20)[0-9]{2}(;[^:]*)?(\([^)]*\))?:[^ ]+\.|doi:[^ ]+' <<<"$line" ||
       grep -qE '\. Accessed [A-Z][a-z]+ [0-9]{1,2}, (19|20)[0-9]{2}\. https?://[^ ]+' <<<"$line"; then
      ok
    else
      bad "$what: reference not a full citation: $line"
    fi
  done < <(refs "$doc")
  [ "$n" -gt 0 ] || bad "$what: no reference list"
}

# One case per policy: the first line of tests/golden/cases.txt that names it, and the golden example for
# drg-stimulation-trial (tests/cli/golden.sh); every policy of policies/ must be covered.
denial=examples/denials/drg-trial-claimresponse.json
{ echo "examples/crps-ii-drg-trial.json drg-stimulation-trial 2026-11-20"; grep -vE '^(#|$)' tests/golden/cases.txt; } |
  awk '!seen[$2]++' >"$tmp/list"
for p in policies/*.yaml; do
  id=$(basename "$p" .yaml)
  if awk '{print $2}' "$tmp/list" | grep -qx "$id"; then ok; else bad "policy $id has no example case"; fi
done
while read -r case policy asof; do
  cmds=(letter appeal)
  [ "$policy" = drg-stimulation-trial ] && cmds+=(brief)
  for cmd in "${cmds[@]}"; do
    extra=()
    [ "$cmd" = appeal ] && extra=(--denial "$denial")
    out="$tmp/$cmd.md"
    if ! "$mednec" "$cmd" "$case" --policy "$policy" --as-of "$asof" "${extra[@]}" >"$out" 2>"$tmp/err"; then
      bad "$cmd $case $policy: mednec exited $? ($(head -c 300 "$tmp/err"))"; continue
    fi
    if grep -niE "$phrases" "$out" >"$tmp/hits"; then
      bad "$cmd $case $policy has project notes:"; sed 's/^/    /' "$tmp/hits"
    else
      ok
    fi
    check_refs "$out" "$cmd $case $policy"
  done
done <"$tmp/list"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
