#!/usr/bin/env bash
# The province demo (issue 12): the hub of Tỉnh Thái Nguyên (hub.toml, port 6080), the provincial
# center TN-TT (config.toml plus a [site] table, port 5000) and two commune centers (sites/*.toml,
# ports 5001 and 5002), each with a preview print agent writing its tickets as PNGs into
# ./preview/SITE/. Prints every URL and account. Ctrl-C stops everything.
#   --busy   issue a few tickets at every site and call some, so the pages have something to show
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || scripts/install.sh
PY=.venv/bin/python
BUSY=0
[ "${1:-}" = "--busy" ] && BUSY=1

# TN-TT is config.toml as it is, plus [site]: a copy beside its own demo database
mkdir -p data/province
{ cat config.toml; printf '\n[site]\ncode = "TN-TT"\nkind = "province"\nhub_url = "http://127.0.0.1:6080"\nhub_token = "demo-hub-token-tn-tt-0001"\n'; } \
  > data/province/tn-tt.toml
TT=data/province/tn-tt.toml
PDP=sites/phuong-phan-dinh-phung.toml
TS=sites/xa-than-sa.toml
for c in hub.toml "$TT" "$PDP" "$TS"; do "$PY" -m server.cli check-config "$c" >/dev/null; done

add_user() {  # config name role password [agency]
  printf '%s\n' "$4" | "$PY" -m server.cli user add "$2" --role "$3" ${5:+--agency "$5"} --config "$1" >/dev/null 2>&1 || :
}
add_user hub.toml tinh admin "demo-tinh"
add_user hub.toml giamsat-tinh supervisor "demo-giamsat"
add_user "$TT" giamsat supervisor "demo-giamsat"
add_user "$TT" canbo-stp officer "demo-canbo" STP
for c in "$PDP" "$TS"; do
  add_user "$c" giamsat supervisor "demo-giamsat"
  add_user "$c" canbo-ht officer "demo-canbo" HT
  add_user "$c" canbo-dd officer "demo-canbo" DD
done

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
wait_for() { for _ in $(seq 1 150); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

"$PY" -m server.cli hub --config hub.toml & PIDS+=($!)
wait_for http://127.0.0.1:6080/hub/v1/health
"$PY" -m server.cli serve --config "$TT" & PIDS+=($!)
"$PY" -m server.cli serve --config "$PDP" & PIDS+=($!)
"$PY" -m server.cli serve --config "$TS" & PIDS+=($!)
for port in 5000 5001 5002; do wait_for "http://127.0.0.1:$port/api/v1/health"; done
if "$PY" -m server.cli kiosk --help >/dev/null 2>&1; then
  for spec in "5000 demo-kiosk-1-token TN-TT" "5001 demo-kiosk-TN-PDP TN-PDP" "5002 demo-kiosk-TN-TS TN-TS"; do
    set -- $spec
    mkdir -p "preview/$3"
    "$PY" -m server.cli kiosk --server "http://127.0.0.1:$1" --token "$2" --printer "preview:$PWD/preview/$3" & PIDS+=($!)
  done
fi

if [ "$BUSY" = 1 ]; then
  busy() {  # port kiosk-token officer agency-services... ; desk
    local port=$1 token=$2 officer=$3 desk=$4; shift 4
    for i in $(seq 1 12); do
      for s in "$@"; do
        curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/tickets" -H "Authorization: Bearer $token" \
          -H 'Content-Type: application/json' -d "{\"service\": \"$s\", \"priority\": null}" || :
      done
    done
    local access
    access=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
      -d "{\"username\": \"$officer\", \"password\": \"demo-canbo\"}" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    for i in $(seq 1 5); do
      curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/desks/$desk/next" -H "Authorization: Bearer $access" || :
    done
  }
  busy 5000 demo-kiosk-1-token canbo-stp 18 STP-LLTP STP-HT
  busy 5001 demo-kiosk-TN-PDP canbo-ht 1 HT-KS HT-CT DD-GCN
  busy 5002 demo-kiosk-TN-TS canbo-ht 1 HT-KS XH-CS
fi

cat <<MSG

  Hàng Đợi — Tỉnh Thái Nguyên: máy chủ tỉnh và ba trung tâm (demo)

  Công dân: hàng chờ các nơi (public)    http://127.0.0.1:6080/
  Điều hành toàn tỉnh (province)         http://127.0.0.1:6080/province   tinh / demo-tinh  ·  giamsat-tinh / demo-giamsat
  API của máy chủ tỉnh (hub API)         http://127.0.0.1:6080/hub/v1/sites

  TN-TT  Trung tâm PVHCC tỉnh            http://127.0.0.1:5000/kiosk?token=demo-kiosk-1-token
                                         http://127.0.0.1:5000/desk        canbo-stp / demo-canbo (Sở Tư pháp)
                                         http://127.0.0.1:5000/supervisor  giamsat / demo-giamsat
  TN-PDP phường Phan Đình Phùng          http://127.0.0.1:5001/kiosk?token=demo-kiosk-TN-PDP
                                         http://127.0.0.1:5001/display/hall?token=demo-hall-TN-PDP
                                         http://127.0.0.1:5001/desk        canbo-ht / demo-canbo (Tư pháp – Hộ tịch) · canbo-dd
                                         http://127.0.0.1:5001/supervisor  giamsat / demo-giamsat
  TN-TS  xã Thần Sa                      http://127.0.0.1:5002/kiosk?token=demo-kiosk-TN-TS
                                         http://127.0.0.1:5002/display/hall?token=demo-hall-TN-TS
                                         http://127.0.0.1:5002/desk        canbo-ht / demo-canbo · canbo-dd
                                         http://127.0.0.1:5002/supervisor  giamsat / demo-giamsat
  Printed tickets (PNG)                  $PWD/preview/TN-TT, TN-PDP, TN-TS

  Stop a site (Ctrl-Z / kill) and watch /province mark its link down after 60 s; it catches up when it returns.
  Ctrl-C to stop.
MSG
wait "${PIDS[0]}"
