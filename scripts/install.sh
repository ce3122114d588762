#!/usr/bin/env bash
# Install what Hàng Đợi needs on a Debian machine: the Debian packages (voice, fonts, browser for
# the tests, QR reader) and the Python package with its dependencies, in a virtual environment
# `.venv` inside this checkout (Debian's own python3 refuses system-wide pip: PEP 668).
#   scripts/install.sh          the server, the print agent and the voice
#   scripts/install.sh --test   the same plus what the test suite needs (chromium, playwright, ...)
# PYTHON=/path/to/python3 picks the interpreter the environment is made from (default: python3).
# Afterwards `.venv/bin/hangdoi` is the command; every script of this folder uses it.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

PY="${PYTHON:-python3}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

debs=(espeak-ng fonts-dejavu-core alsa-utils libzbar0 curl)
[ "$want_tests" = 1 ] && debs+=(chromium sox redis-server faketime)
# the venv module (and pip inside it) comes from python3-venv on Debian's own python3
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  debs+=("python${ver}-venv")
fi

missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "==> $PY -m venv .venv"
  rm -rf .venv
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
extra=""
[ "$want_tests" = 1 ] && extra="[test]"
echo "==> .venv: pip install -e .$extra"
"$VPY" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
"$VPY" -m pip install -q --disable-pip-version-check -e ".$extra"
