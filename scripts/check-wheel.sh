#!/usr/bin/env bash
# The complete packaging check (issue 18), slower than tests/test_wheel.py: build the wheel from
# the checkout, install it with the lock file into a brand-new venv, and run the demo from an
# empty folder outside the checkout. Usage: scripts/check-wheel.sh [python3.11]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python="${1:-${PYTHON:-python3.11}}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$here"
rm -rf "$here/build"  # setuptools' in-tree build folder
"$work/venv/bin/python" -m pip install --quiet -r "$here/requirements.lock"
"$work/venv/bin/python" -m pip install --quiet --no-deps "$work"/dist/lac_health-*.whl
mkdir "$work/elsewhere"
cd "$work/elsewhere"
where="$("$work/venv/bin/python" -c 'import pipelines.paths as p; print(p.SQL_DIR)')"
case "$where" in "$work/venv/"*) ;; *) echo "pipelines reads $where, not the installed wheel" >&2; exit 1;; esac
"$work/venv/bin/lac-health" demo --out "$work/elsewhere/demo-output" "${@:2}"
test -s "$work/elsewhere/demo-output/kpis.csv"
echo "wheel check passed: $(ls "$work"/dist) ran the demo from $work/elsewhere"
