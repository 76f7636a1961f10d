#!/usr/bin/env bash
# The letter, appeal and brief as HTML and PDF (mednec ... --format html|pdf, --paper, -o; docs/LETTERS.md).
# For the example case and two variants (a does-not-meet case that pends for review: little conservative care;
# an insufficient-documentation case under an SCS policy: no psychological clearance):
#   - the PDF (A4 and US Letter for the example, US Letter for the variants) checked against the same
#     document's Markdown by pdf_check.py: page size from pdfinfo (595 x 842 pt, 612 x 792 pt), fonts
#     embedded (pdffonts), every heading, reference and record entry in pdftotext's text, no "[@" or other
#     unresolved marker, every [n] and [Rn] within its list, every page rendered by pdftoppm and not blank;
#   - the HTML checked by html_check.py (well-formed nesting, one h1, every href="#x" has id="x", no script,
#     no external resource, print stylesheet; a criteria table with row headers once the letter has one);
#   - goldens: tests/golden/NAME.html and NAME.pdf.txt (pdftotext -layout) for the three letters;
#   - the appeal and the brief in both formats; two runs give the same PDF bytes; no creation date;
#   - the CLI: a PDF to a terminal is refused (exit 64, nothing written), -o into a missing folder is exit 74
#     and leaves no file, --paper and --format values are checked (64), --paper/-o belong to letter, appeal
#     and brief.
# Needs python3 and poppler-utils (pdftotext, pdftoppm, pdfinfo, pdffonts); skipped (77) without them.
# Regenerate the goldens after an intended change with: UPDATE_GOLDEN=1 ctest -R formats  (and READ the diff)
. "$(dirname "$0")/common.bash" "$@"
src="${MN_SOURCE_DIR:?}"
cd "$src"
for tool in python3 pdftotext pdftoppm pdfinfo pdffonts; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not installed (tools/deps.sh)"; exit 77; }
done
here=tests/cli
ex=examples/crps-ii-drg-trial.json
args=(--policy drg-stimulation-trial --as-of 2026-11-20)

golden() {  # NAME FILE: compare with tests/golden/NAME (or write it under UPDATE_GOLDEN)
  if [ -n "${UPDATE_GOLDEN:-}" ]; then cp "$2" "tests/golden/$1"; fi
  if diff -u "tests/golden/$1" "$2" >"$tmp/diff"; then ok; else head -40 "$tmp/diff"; bad "$1 differs from tests/golden/$1"; fi
}

# NAME CASE PAPER ARGS...: the document in the three formats, checked; COMMAND is the first of ARGS
doc() {
  local name=$1 case=$2 paper=$3; shift 3
  local cmd=$1; shift
  if ! "$mednec" "$cmd" "$case" "$@" >"$tmp/$name.md" 2>/dev/null; then bad "$name: markdown failed"; return; fi
  if "$mednec" "$cmd" "$case" "$@" --format html -o "$tmp/$name.html" 2>/dev/null; then ok; else bad "$name: html failed"; return; fi
  local table=()
  grep -q 'class="criteria"' "$tmp/$name.html" && table=(--table)
  if python3 $here/html_check.py "$tmp/$name.html" "${table[@]}"; then ok; else bad "$name.html: html_check"; fi
  if "$mednec" "$cmd" "$case" "$@" --format pdf --paper "$paper" -o "$tmp/$name.pdf" 2>/dev/null; then ok; else bad "$name: pdf failed"; return; fi
  if python3 $here/pdf_check.py "$tmp/$name.pdf" "$tmp/$name.md" "$paper" >"$tmp/check" 2>&1; then ok; else cat "$tmp/check"; bad "$name.pdf: pdf_check"; fi
  pdftotext -layout "$tmp/$name.pdf" "$tmp/$name.pdf.txt"
}

# the example's letter: goldens, both papers, same bytes twice
doc letter $ex letter letter "${args[@]}"
golden letter.html "$tmp/letter.html"
golden letter.pdf.txt "$tmp/letter.pdf.txt"
"$mednec" letter $ex "${args[@]}" --format pdf --paper letter >"$tmp/again.pdf" 2>/dev/null
cmp -s "$tmp/letter.pdf" "$tmp/again.pdf" && ok || bad "two runs give different PDF bytes (or -o and stdout differ)"
grep -aq '/CreationDate' "$tmp/letter.pdf" && bad "the PDF has a creation date" || ok
doc letter-a4 $ex a4 letter "${args[@]}"
# A4 and Letter: the same text, other line breaks; the paper is what pdf_check checked
[ "$(pdfinfo "$tmp/letter-a4.pdf" | grep -c 'A4')" -ge 1 ] && ok || bad "A4 letter: pdfinfo does not say A4"
# the default paper is US Letter
"$mednec" letter $ex "${args[@]}" --format pdf -o "$tmp/default.pdf" 2>/dev/null
pdfinfo "$tmp/default.pdf" | grep -q '^Page size: *612 x 792 pts' && ok || bad "default paper is not US Letter"

# two variants: a case that does not meet the policy (pends for physician review) and one lacking documentation
v1=examples/crps-ii-drg-trial-little-conservative-care.json
v2=examples/crps-ii-scs-trial-no-psych-clearance.json
doc letter-little-conservative-care $v1 letter letter "${args[@]}"
golden letter-little-conservative-care.html "$tmp/letter-little-conservative-care.html"
golden letter-little-conservative-care.pdf.txt "$tmp/letter-little-conservative-care.pdf.txt"
doc letter-scs-no-psych-clearance $v2 letter letter --policy scs-trial-aetna-summary --as-of 2026-11-20
golden letter-scs-no-psych-clearance.html "$tmp/letter-scs-no-psych-clearance.html"
golden letter-scs-no-psych-clearance.pdf.txt "$tmp/letter-scs-no-psych-clearance.pdf.txt"

# the appeal and the brief in both formats (A4 for the appeal, Letter for the brief)
doc appeal $ex a4 appeal "${args[@]}" --denial examples/denials/drg-trial-claimresponse.json
doc brief $ex letter brief "${args[@]}"

# the CLI: a PDF to a terminal is refused (a pseudo-terminal from script(1)); nothing is written
if command -v script >/dev/null; then
  script -qec "$mednec letter $ex ${args[*]} --format pdf" /dev/null >"$tmp/tty.out" 2>&1
  rc=$?
  [ $rc -eq 64 ] && ok || bad "PDF to a terminal: exit $rc, want 64"
  grep -q 'not written to a terminal' "$tmp/tty.out" && ok || bad "PDF to a terminal: no clear message"
  grep -aq '%PDF' "$tmp/tty.out" && bad "PDF bytes written to the terminal" || ok
else
  echo "NOTE: script(1) not installed; the terminal refusal is not checked"
fi
expect() {  # CODE PATTERN COMMAND...
  local want=$1 pat=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  [ $rc -eq "$want" ] && grep -q -- "$pat" "$tmp/err" && ok || { cat "$tmp/err"; bad "$* -> $rc, want $want and '$pat'"; }
}
expect 74 "cannot write" "$mednec" letter $ex "${args[@]}" --format html -o "$tmp/no/such/dir/x.html"
[ -z "$(ls -A "$tmp/no" 2>/dev/null)" ] && ok || bad "-o left a file behind"
expect 64 "is not md, html or pdf" "$mednec" letter $ex "${args[@]}" --format docx
expect 64 "is not a4 or letter" "$mednec" letter $ex "${args[@]}" --format pdf --paper legal
expect 64 "belongs to letter, appeal and brief" "$mednec" determine $ex "${args[@]}" --paper a4
expect 64 "belongs to letter, appeal and brief" "$mednec" determine $ex "${args[@]}" -o "$tmp/d.txt"
# -o FILE and standard output give the same bytes (HTML)
"$mednec" letter $ex "${args[@]}" --format html 2>/dev/null | cmp -s - "$tmp/letter.html" && ok || bad "-o and stdout differ (HTML)"

finish formats
