#!/usr/bin/env bash
# Install what Hàng Đợi needs on a Debian machine: the Debian packages (voice, fonts, browser for
# the tests, QR reader) and the Python package with its dependencies.
#   scripts/install.sh          the server, the print agent and the voice
#   scripts/install.sh --test   the same plus what the test suite needs (chromium, playwright, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

debs=(espeak-ng fonts-dejavu-core alsa-utils libzbar0)
[ "$want_tests" = 1 ] && debs+=(chromium sox redis-server faketime)

missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "==> apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
echo "==> pip install $( [ "$want_tests" = 1 ] && echo '-e .[test]' || echo '-e .' )"
if [ "$want_tests" = 1 ]; then
  "$PY" -m pip install -q --disable-pip-version-check -e ".[test]"
else
  "$PY" -m pip install -q --disable-pip-version-check -e .
fi
