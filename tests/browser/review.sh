#!/usr/bin/env bash
# The reviewer page in headless Chromium (docs/REVIEWER.md): runs tests/browser/review.cjs with playwright-core
# from npm (installed with `npm ci` from tests/browser/package-lock.json into OUT/node_modules when missing) and the
# Debian chromium package (tools/deps.sh). Skips loudly (exit 77) when chromium, node, npm or the npm install is
# not to be had. Usage: review.sh MEDNEC OUT   (OUT: a folder of the build directory; screenshots in OUT/screenshots)
set -u
mednec="$1"
out="$2"
src="${MN_SOURCE_DIR:?}"
here="$src/tests/browser"
chromium=
for c in /usr/lib/chromium/chromium "$(command -v chromium 2>/dev/null)" "$(command -v chromium-browser 2>/dev/null)"; do
  [ -n "$c" ] && [ -x "$c" ] && { chromium=$c; break; }
done
[ -n "$chromium" ] || { echo "SKIPPED: chromium is not installed (tools/deps.sh installs Debian's chromium)"; exit 77; }
command -v node >/dev/null || { echo "SKIPPED: node is not installed (tools/deps.sh)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIPPED: python3 is not installed (tools/deps.sh)"; exit 77; }
mkdir -p "$out"
if [ ! -f "$out/node_modules/playwright-core/package.json" ] ||
   ! cmp -s "$here/package-lock.json" "$out/package-lock.json"; then
  command -v npm >/dev/null || { echo "SKIPPED: npm is not installed (tools/deps.sh)"; exit 77; }
  cp "$here/package.json" "$here/package-lock.json" "$out/"
  if ! (cd "$out" && npm ci --no-audit --no-fund --loglevel=error >"$out/npm.log" 2>&1); then
    echo "SKIPPED: npm ci could not install playwright-core: $(tail -3 "$out/npm.log")"
    exit 77
  fi
fi
MEDNEC="$mednec" SRC="$src" OUT="$out" PW_MODULES="$out/node_modules" CHROMIUM="$chromium" \
  node "$here/review.cjs"
