#!/usr/bin/env bash
# Install Hàng Đợi and start the Thái Nguyên province demo: the provincial hub (hub.toml, port
# 6080), the provincial center TN-TT (config.toml plus a [site] table, port 5000) and two commune
# centers (sites/*.toml, ports 5001 and 5002), each with a preview print agent that writes every
# printed ticket as a PNG into ./preview/SITE/. Prints every address and every demo account.
# Ctrl-C stops everything.
#
#   scripts/demo.sh --busy    issue a few tickets at every site and call some, so the pages have something to show
#
# Phones on the same network can open the QR code of a ticket: when this machine has a LAN
# address, the servers listen on every interface and the QR links use that address.
#   HANGDOI_LAN=192.168.1.20 scripts/demo.sh   another address for the QR links
#   DEMO_LAN=0 scripts/demo.sh                 this machine only (127.0.0.1)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
PY=.venv/bin/python
BUSY=0
[ "${1:-}" = "--busy" ] && BUSY=1

# TN-TT is config.toml as it is, plus [site]: a copy beside it (same relative paths: its database
# data/hangdoi.db, its procedures.json), made anew at each start and ignored by git
TT=.demo-tn-tt.toml
{ cat config.toml; printf '\n[site]\ncode = "TN-TT"\nkind = "province"\nhub_url = "http://127.0.0.1:6080"\nhub_token = "demo-hub-token-tn-tt-0001"\n'; } > "$TT"
SITES=("$TT 5000 TN-TT" "sites/phuong-phan-dinh-phung.toml 5001 TN-PDP" "sites/xa-than-sa.toml 5002 TN-TS")
"$PY" -m server.cli check-config hub.toml
for s in "${SITES[@]}"; do set -- $s; "$PY" -m server.cli check-config "$1"; done

# the demo accounts (created once; their passwords are for the demo only): scripts/demo_info.py
"$PY" scripts/demo_info.py hub-users hub.toml
for s in "${SITES[@]}"; do set -- $s; "$PY" scripts/demo_info.py users "$1"; done

HOST=""
if [ -n "${HANGDOI_LAN:-}" ]; then
  HOST="$HANGDOI_LAN"
elif [ "${DEMO_LAN:-1}" != 0 ]; then
  HOST=$("$PY" scripts/demo_info.py lan)
fi
LISTEN=()
[ -n "$HOST" ] && LISTEN=(--host 0.0.0.0)    # other machines must reach it: every interface

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
wait_for() { for _ in $(seq 1 150); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

"$PY" -m server.cli hub --config hub.toml "${LISTEN[@]}" & PIDS+=($!)
wait_for http://127.0.0.1:6080/hub/v1/health
for s in "${SITES[@]}"; do
  set -- $s
  public=()
  [ -n "$HOST" ] && public=(--public-url "http://$HOST:$2")
  "$PY" -m server.cli serve --config "$1" "${LISTEN[@]}" "${public[@]}" & PIDS+=($!)
done
for s in "${SITES[@]}"; do
  set -- $s
  wait_for "http://127.0.0.1:$2/api/v1/health"
  mkdir -p "preview/$3"
  token=$("$PY" scripts/demo_info.py kiosk-token "$1")
  "$PY" -m server.cli kiosk --server "http://127.0.0.1:$2" --token "$token" --printer "preview:$PWD/preview/$3" & PIDS+=($!)
done

if [ "$BUSY" = 1 ]; then
  for s in "${SITES[@]}"; do set -- $s; "$PY" scripts/demo_info.py busy "$1" "http://127.0.0.1:$2"; done
fi

BASE="http://${HOST:-127.0.0.1}"
"$PY" scripts/demo_info.py show-hub hub.toml "$BASE:6080"
for s in "${SITES[@]}"; do set -- $s; "$PY" scripts/demo_info.py show "$1" "$BASE:$2"; done
if [ -n "$HOST" ]; then
  cat <<MSG
  Điện thoại, máy tính bảng trong cùng mạng mở được các địa chỉ trên và mã QR trên phiếu ($HOST).
  Phones and tablets on this network can open these addresses and the tickets' QR codes.
  Các máy chủ nghe trên mọi giao diện mạng, với mật khẩu demo: chỉ dùng trong mạng tin cậy.
  The servers listen on every interface with demo passwords: use them on a trusted network only.
  Đổi địa chỉ / another address:  HANGDOI_LAN=ĐỊA-CHỈ scripts/demo.sh
  Chỉ máy này / this machine only: DEMO_LAN=0 scripts/demo.sh
MSG
else
  cat <<MSG
  Chỉ mở được trên máy này (không tìm thấy địa chỉ mạng LAN) / this machine only (no LAN address found).
  Để điện thoại quét được mã QR / for phones to open the QR: HANGDOI_LAN=ĐỊA-CHỈ scripts/demo.sh
MSG
fi
cat <<MSG
  Phiếu đã in (PNG) / printed tickets: $PWD/preview/TN-TT, TN-PDP, TN-TS
  Tắt một điểm (kill) để xem /province báo mất kết nối sau 60 giây; khi bật lại, điểm đó gửi bù.
  Stop a site (kill it) and /province marks its link down after 60 s; it catches up when it returns.

  Ctrl-C để dừng / to stop.
MSG
wait "${PIDS[0]}"
