#!/usr/bin/env bash
# Installs the tools the user-facing tests drive: Debian chromium (renders the HTML reports),
# LibreOffice Calc (opens the workbooks), poppler-utils (pdftoppm, to look at the pages) and
# axe-core from npm (accessibility checks).
# Never fatal: when a tool cannot be installed (not root, no apt, no registry), the tests that
# need it are skipped with a reason naming the package.
set -u
# axe-core (the accessibility checker the browser tests inject) from npm, into .test-tools/.
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -f "$here/.test-tools/node_modules/axe-core/axe.min.js" ] && command -v npm >/dev/null 2>&1; then
  mkdir -p "$here/.test-tools"
  (cd "$here/.test-tools" && npm install --no-save --no-audit --no-fund --silent axe-core@4.14.1 >/dev/null 2>&1) \
    || echo "note: could not install axe-core from npm: the axe tests will be skipped" >&2
fi
needed=()
command -v chromium >/dev/null 2>&1 || needed+=(chromium)
command -v libreoffice >/dev/null 2>&1 || needed+=(libreoffice-calc-nogui)
command -v pdftoppm >/dev/null 2>&1 || needed+=(poppler-utils)
[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: ${needed[*]} not installed and apt-get not usable here: the tests that need them will be skipped" >&2
  exit 0
fi
echo "installing test tools: ${needed[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${needed[@]}" fonts-dejavu-core; } >/tmp/lac-health-test-tools.log 2>&1 \
  || echo "note: could not install ${needed[*]} (see /tmp/lac-health-test-tools.log): those tests will be skipped" >&2
exit 0
