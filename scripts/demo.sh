#!/usr/bin/env bash
# Install Hàng Đợi and start the demo center (Thái Nguyên, config.toml) with a preview print agent
# that writes every printed ticket as a PNG into ./preview/. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
PY=.venv/bin/python

"$PY" -m server.cli check-config config.toml
# demo accounts (created once; the passwords are for the demo only)
add_user() {  # name role password [agency]
  if printf '%s\n' "$3" | "$PY" -m server.cli user add "$1" --role "$2" ${4:+--agency "$4"} --config config.toml 2>/dev/null; then :; fi
}
add_user admin admin "demo-admin"
add_user giamsat supervisor "demo-giamsat"
add_user canbo-stp officer "demo-canbo" STP
add_user canbo-ca officer "demo-canbo" CA

URL="http://127.0.0.1:5000"
"$PY" -m server.cli serve --config config.toml &
SERVER=$!
trap 'kill $SERVER ${AGENT:-} 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fs "$URL/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.1
done
mkdir -p preview
if "$PY" -m server.cli kiosk --help >/dev/null 2>&1; then
  "$PY" -m server.cli kiosk --server "$URL" --token demo-kiosk-1-token --printer "preview:$PWD/preview" &
  AGENT=$!
fi
cat <<MSG

  Hàng Đợi — Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên (demo)

  Ki-ốt lấy số (kiosk)        $URL/kiosk?token=demo-kiosk-1-token
  Màn hình sảnh (hall board)  $URL/display/hall?token=demo-hall-1-token
  Màn hình quầy 1 (desk 1)    $URL/display/desk/1?token=demo-desk-1-token
  Bàn làm việc cán bộ (desk)  $URL/desk          canbo-stp / demo-canbo  (Sở Tư pháp, quầy 18–21)
  Giám sát (supervisor)       $URL/supervisor    giamsat / demo-giamsat
  API                         $URL/api/v1/openapi.json
  Printed tickets (PNG)       $PWD/preview/

  Ctrl-C to stop.
MSG
wait $SERVER
