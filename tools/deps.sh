#!/usr/bin/env bash
# Install the Debian 12 packages mednec needs to build and test, when missing.
# Runs apt-get as root (directly, or through sudo when not root).
set -euo pipefail
pkgs=(gcc make cmake pkg-config libyaml-dev libpcre2-dev valgrind locales
      libsqlite3-dev sqlite3 libpq-dev libssl-dev postgresql  # the audit trail (docs/SERVICE.md)
      libcurl4-openssl-dev)  # the service fetches what CDS Hooks prefetch lacks (docs/SERVICE.md)
pkgs+=(libmicrohttpd-dev curl wrk python3)  # mednec serve: HTTP server, its tests (python3: a fixture FHIR server) and bench
pkgs+=(jq)  # tests/cli/bulk.sh and impact.sh read the NDJSON and JSON output
pkgs+=(time)  # bench/bulk.sh: CPU time of whole processes (GNU time)
pkgs+=(strace)  # tests/cli/audit_flush.sh: the order of the audit store's writes and flushes
pkgs+=(postgresql-server-dev-15)  # the PostgreSQL extension pg/ (PGXS, docs/POSTGRESQL.md)
pkgs+=(chromium)  # the reviewer page's browser test (tests/browser: headless Chromium driven by playwright-core)
command -v npm >/dev/null || pkgs+=(nodejs npm)  # tests/browser installs playwright-core with npm (a node that has its own npm needs neither)
pkgs+=(libcairo2-dev libpango1.0-dev fonts-dejavu-core poppler-utils)  # letters as PDF (pango on cairo) and its tests (pdftotext, pdftoppm, pdffonts, pdfinfo)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# A comma-decimal locale, for the tests that check numbers do not depend on the process locale
# (test_util, test_policies; they report "skipped" loudly without it).
if ! locale -a 2>/dev/null | grep -qiE '^de_DE\.utf-?8$'; then
  "${sudo_cmd[@]}" localedef -i de_DE -f UTF-8 de_DE.UTF-8 || echo "deps: could not generate de_DE.UTF-8" >&2
fi
