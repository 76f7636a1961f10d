#!/usr/bin/env bash
# The PDF writer as a module (src/cli/module.c, pdf_module.c; docs/PERFORMANCE.md, session 18): the program
# does not link pango, cairo or fontconfig; letter --format pdf loads mednec-pdf.so from beside the program,
# or from ../lib/mednec/ (an installed layout); without it (or with a file that is not the module) the PDF
# commands stop with exit 69 and a message before any work and write nothing, and every other command works.
. "$(dirname "$0")/common.bash" "$@"
cd "${MN_SOURCE_DIR:?}"
build=$(dirname "$(realpath "$mednec")")
module="$build/mednec-pdf.so"
[ -f "$module" ] || { echo "FAIL: $module not built beside $mednec"; exit 1; }
args=(examples/crps-ii-drg-trial.json --policy drg-stimulation-trial --as-of 2026-11-20)

# the program itself needs none of the PDF libraries; the module does
needed=$(readelf -d "$mednec" | grep NEEDED)
if echo "$needed" | grep -Eq 'pango|cairo|fontconfig'; then bad "mednec links the PDF libraries: $needed"; else ok; fi
readelf -d "$module" | grep -q 'libpangocairo' && ok || bad "the module does not link pangocairo"

# beside the program (the build folder)
"$mednec" letter "${args[@]}" --format pdf -o "$tmp/a.pdf" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && [ "$(head -c 5 "$tmp/a.pdf")" = "%PDF-" ] && ok || { bad "letter --format pdf: exit $rc"; cat "$tmp/err"; }

# a program alone: exit 69, the reason, nothing written, before any work
mkdir -p "$tmp/alone"
cp "$mednec" "$tmp/alone/mednec"
"$tmp/alone/mednec" letter "${args[@]}" --format pdf -o "$tmp/b.pdf" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 69 ] && ok || bad "no module: exit $rc, want 69"
grep -q 'the PDF writer is not available: mednec-pdf.so is neither in' "$tmp/err" && ok || { bad "no module: message"; cat "$tmp/err"; }
[ ! -e "$tmp/b.pdf" ] && [ ! -s "$tmp/out" ] && ok || bad "no module: something was written"
"$tmp/alone/mednec" appeal "${args[@]}" --denial examples/denials/drg-trial-claimresponse.json --format pdf \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 69 ] && [ ! -s "$tmp/out" ] && ok || bad "no module: appeal --format pdf exit $rc, want 69"
# every other command works without it
"$tmp/alone/mednec" letter "${args[@]}" --format md >"$tmp/md" 2>/dev/null && cmp -s "$tmp/md" <("$mednec" letter "${args[@]}" --format md 2>/dev/null) && ok || bad "no module: letter --format md"
"$tmp/alone/mednec" eval -e "Bundle.entry.count()" examples/crps-ii-drg-trial.json >"$tmp/ev" 2>/dev/null && [ -s "$tmp/ev" ] && ok || bad "no module: eval"

# a file of that name that is not the module
yaml=$(ldd "$mednec" | awk '/libyaml/ {print $3; exit}')
cp "${yaml:-/bin/true}" "$tmp/alone/mednec-pdf.so"
"$tmp/alone/mednec" letter "${args[@]}" --format pdf -o "$tmp/c.pdf" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 69 ] && [ ! -e "$tmp/c.pdf" ] && grep -q 'the PDF writer is not available' "$tmp/err" && ok ||
  { bad "not the module: exit $rc, want 69"; cat "$tmp/err"; }

# the installed layout: bin/mednec and lib/mednec/mednec-pdf.so
mkdir -p "$tmp/inst/bin" "$tmp/inst/lib/mednec"
cp "$mednec" "$tmp/inst/bin/mednec"
cp "$module" "$tmp/inst/lib/mednec/"
"$tmp/inst/bin/mednec" letter "${args[@]}" --format pdf -o "$tmp/d.pdf" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && cmp -s "$tmp/a.pdf" "$tmp/d.pdf" && ok || { bad "installed layout: exit $rc or other bytes"; cat "$tmp/err"; }

finish pdf_module
