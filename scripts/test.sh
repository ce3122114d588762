#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine, then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --test
PY="${PYTHON:-python3}"
echo "==> pytest"
exec "$PY" -m pytest -q "$@"
