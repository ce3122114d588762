#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine (Debian packages, then .venv), then
# run every test with the linters first. Extra arguments go to pytest (e.g. -k rating, tests/unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --test
PY=.venv/bin/python
echo "==> pytest"
exec "$PY" -m pytest -q "$@"
