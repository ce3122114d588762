#!/usr/bin/env bash
# Install Hàng Đợi and start the demo center (Thái Nguyên, config.toml) with a preview print agent
# that writes every printed ticket as a PNG into ./preview/. Ctrl-C stops both.
#
# Phones on the same network can open the QR code of a ticket: when this machine has a LAN
# address, the server listens on every interface and the QR links use that address.
#   HANGDOI_PUBLIC_URL=http://192.168.1.20:5000 scripts/demo.sh    another address for the QR links
#   DEMO_LAN=0 scripts/demo.sh                                      this machine only (127.0.0.1)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
PY=.venv/bin/python
PORT=5000

"$PY" -m server.cli check-config config.toml
# the demo accounts (created once; their passwords are for the demo only): scripts/demo_info.py
"$PY" scripts/demo_info.py users config.toml

LOCAL="http://127.0.0.1:$PORT"
PUBLIC="${HANGDOI_PUBLIC_URL:-}"
if [ -z "$PUBLIC" ] && [ "${DEMO_LAN:-1}" != 0 ]; then
  LAN=$("$PY" scripts/demo_info.py lan)
  [ -n "$LAN" ] && PUBLIC="http://$LAN:$PORT"
fi
SERVE=(--config config.toml --port "$PORT")
if [ -n "$PUBLIC" ]; then
  # other machines must reach it: every interface, and the QR links on the public address
  SERVE+=(--host 0.0.0.0 --public-url "$PUBLIC")
else
  PUBLIC="$LOCAL"
fi

"$PY" -m server.cli serve "${SERVE[@]}" &
SERVER=$!
trap 'kill $SERVER ${AGENT:-} 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fs "$LOCAL/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.1
done
mkdir -p preview
KIOSK_TOKEN=$("$PY" -c 'import sys; from server.config import load_config; print(load_config("config.toml").kiosks[0].token)')
"$PY" -m server.cli kiosk --server "$LOCAL" --token "$KIOSK_TOKEN" --printer "preview:$PWD/preview" &
AGENT=$!

"$PY" scripts/demo_info.py show config.toml "$PUBLIC"
if [ "$PUBLIC" != "$LOCAL" ]; then
  cat <<MSG
  Điện thoại, máy tính bảng trong cùng mạng mở được các địa chỉ trên và mã QR trên phiếu ($PUBLIC).
  Phones and tablets on this network can open these addresses and the tickets' QR codes.
  Máy chủ nghe trên mọi giao diện mạng, với mật khẩu demo: chỉ dùng trong mạng tin cậy.
  The server listens on every interface with demo passwords: use it on a trusted network only.
  Đổi địa chỉ / another address:  HANGDOI_PUBLIC_URL=http://ĐỊA-CHỈ:$PORT scripts/demo.sh
  Chỉ máy này / this machine only: DEMO_LAN=0 scripts/demo.sh
MSG
else
  cat <<MSG
  Chỉ mở được trên máy này (không tìm thấy địa chỉ mạng LAN) / this machine only (no LAN address found).
  Để điện thoại quét được mã QR / for phones to open the QR: HANGDOI_PUBLIC_URL=http://ĐỊA-CHỈ:$PORT scripts/demo.sh
MSG
fi
cat <<MSG
  Phiếu đã in (PNG) / printed tickets: $PWD/preview/

  Ctrl-C để dừng / to stop.
MSG
wait $SERVER
