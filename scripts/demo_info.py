"""What scripts/demo.sh needs beside the server: the demo accounts, the machine's LAN address, and
the listing of every account and every device address, all read from the center's config.toml
(so the listing cannot drift from it: every desk display with its desk and agency, every officer
with the desks of his agency).

    python scripts/demo_info.py users CONFIG             create the demo accounts that are missing
    python scripts/demo_info.py hub-users HUB_TOML       the same for the hub's accounts
    python scripts/demo_info.py lan                      this machine's LAN address (nothing if none)
    python scripts/demo_info.py kiosk-token CONFIG       the token of the config's first kiosk (its print agent)
    python scripts/demo_info.py show CONFIG URL          the listing, URL = where devices reach the server
    python scripts/demo_info.py show-hub HUB_TOML URL    the hub's pages and accounts
    python scripts/demo_info.py busy CONFIG URL          a few tickets at every service, some called
"""
from __future__ import annotations

import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: (username, role, password, agency): the passwords are for the demo only
ACCOUNTS = (
    ("admin", "admin", "demo-admin", None),
    ("giamsat", "supervisor", "demo-giamsat", None),
    ("canbo-ca", "officer", "demo-canbo", "CA"),
    ("canbo-stp", "officer", "demo-canbo", "STP"),
    ("canbo-ht", "officer", "demo-canbo", "HT"),        # the communes' Tư pháp – Hộ tịch
    ("canbo-dd", "officer", "demo-canbo", "DD"),        # the communes' Đất đai
)
#: the hub's accounts (province-wide: supervisors and admins only)
HUB_ACCOUNTS = (
    ("tinh", "admin", "demo-tinh"),
    ("giamsat-tinh", "supervisor", "demo-giamsat"),
)
ROLE_TEXT = {"admin": "Quản trị (admin)", "supervisor": "Giám sát (supervisor)", "officer": "Cán bộ (officer)"}


def create_users(config) -> list[str]:
    """Create the ``ACCOUNTS`` not yet in the center's database; returns the names created."""
    from server.auth.users import UserError, create_user
    from server.storage import Storage
    from server.storage.sync import sync_config

    storage = Storage(config.server.database)
    created = []
    try:
        sync_config(storage, config)
        for username, role, password, agency in ACCOUNTS:
            if agency is not None and config.agency(agency) is None:
                continue                       # a config without this agency: no officer for it
            try:
                create_user(storage, username, password, role, agency)
                created.append(username)
            except UserError:
                pass                           # made by an earlier run of the demo
    finally:
        storage.close()
    return created


def create_hub_users(hub) -> list[str]:
    """Create the ``HUB_ACCOUNTS`` not yet in the hub's database; returns the names created."""
    from server.auth.users import UserError, create_user
    from server.hub.db import open_hub_storage

    storage = open_hub_storage(hub.database)
    created = []
    try:
        for username, role, password in HUB_ACCOUNTS:
            try:
                create_user(storage, username, password, role, None)
                created.append(username)
            except UserError:
                pass                           # made by an earlier run of the demo
    finally:
        storage.close()
    return created


def hub_listing(hub, url: str) -> str:
    url = url.rstrip("/")
    lines = ["", f"  Hàng Đợi — {hub.hub.name}: máy chủ tỉnh / the provincial hub (demo)", "",
             f"    Công dân: hàng chờ các nơi (public page)   {url}/",
             f"    Điều hành toàn tỉnh (province)             {url}/province",
             f"    API của máy chủ tỉnh (hub API)             {url}/hub/v1/public/sites", "",
             "  Tài khoản máy chủ tỉnh / hub accounts:"]
    for username, role, password in HUB_ACCOUNTS:
        lines.append(f"    {ROLE_TEXT[role]}: {username} / {password}  →  {url}/province")
    lines += ["", "  Các điểm / sites: " + ", ".join(f"{s.code} {s.name}" for s in hub.sites), ""]
    return "\n".join(lines)


def busy(config, url: str) -> None:
    """A few tickets at every service of the config's agencies with a demo officer, some called."""
    import requests

    url = url.rstrip("/")
    kiosk = {"Authorization": f"Bearer {config.kiosks[0].token}"}
    for username, role, password, agency_code in ACCOUNTS:
        agency = config.agency(agency_code) if agency_code else None
        if role != "officer" or agency is None:
            continue
        for _ in range(6):
            for service in agency.services[:3]:
                requests.post(f"{url}/api/v1/tickets", json={"service": service.code}, headers=kiosk, timeout=10)
        token = requests.post(f"{url}/api/v1/auth/login", json={"username": username, "password": password},
                              timeout=10).json()["access_token"]
        desk = next(d.number for d in config.desks if d.agency == agency_code)
        for _ in range(3):
            requests.post(f"{url}/api/v1/desks/{desk}/next", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def lan_address() -> str | None:
    """The address other machines of the local network reach this one at (the source address of
    the default route: no packet is sent), or None without a network."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))        # TEST-NET-1: only picks the route
            address = s.getsockname()[0]
    except OSError:
        return None
    if address.startswith(("127.", "169.254.", "0.")):
        return None
    return address


def ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] → "1–3, 7"."""
    out, run = [], []
    for n in sorted(numbers):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            out.append(f"{run[0]}–{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [n]
    if run:
        out.append(f"{run[0]}–{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(out)


def listing(config, url: str) -> str:
    """Every device address and every demo account, from ``config``."""
    url = url.rstrip("/")
    lines = ["", f"  Hàng Đợi — {config.center.name} (demo)", "",
             "  Thiết bị / devices (mở trên máy tính bảng, TV hoặc trình duyệt / open in a browser):"]
    for k in config.kiosks:
        lines.append(f"    Ki-ốt lấy số (kiosk) {k.name}: {url}/kiosk?token={k.token}")
    for d in config.displays:
        if d.kind == "hall":
            lines.append(f"    Màn hình sảnh (hall board) {d.name}: {url}/display/hall?token={d.token}")
    for d in config.displays:
        if d.kind == "desk":
            desk = config.desk(d.desk)
            agency = config.agency(desk.agency).name if desk else "?"
            lines.append(f"    Màn hình quầy {d.desk} (desk {d.desk} display, {agency}): "
                         f"{url}/display/desk/{d.desk}?token={d.token}")
    lines += ["", "  Tài khoản / accounts (mật khẩu chỉ dùng cho bản demo / demo passwords):"]
    for username, role, password, agency_code in ACCOUNTS:
        agency = config.agency(agency_code) if agency_code else None
        if agency_code and agency is None:
            continue
        page = "/desk" if role == "officer" else "/supervisor"
        where = ""
        if agency is not None:
            desks = [d.number for d in config.desks if d.agency == agency_code]
            where = f" — {agency.name}, quầy / desks {ranges(desks)}"
        lines.append(f"    {ROLE_TEXT[role]}: {username} / {password}{where}  →  {url}{page}")
    lines += ["", f"  API: {url}/api/v1/openapi.json", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    from server.config import ConfigError, load_config

    if argv[:1] == ["lan"]:
        address = lan_address()
        if address:
            print(address)
        return 0
    if len(argv) >= 2 and argv[0] in ("hub-users", "show-hub"):
        from server.hub.config import load_hub_config

        try:
            hub = load_hub_config(argv[1])
        except ConfigError as err:
            print(err, file=sys.stderr)
            return 2
        if argv[0] == "hub-users":
            for name in create_hub_users(hub):
                print(f"demo hub account {name} created")
            return 0
        if len(argv) == 3:
            print(hub_listing(hub, argv[2]))
            return 0
    if len(argv) >= 2 and argv[0] in ("users", "show", "kiosk-token", "busy"):
        try:
            config = load_config(argv[1])
        except ConfigError as err:
            print(err, file=sys.stderr)
            return 2
        if argv[0] == "users":
            for name in create_users(config):
                print(f"demo account {name} created")
            return 0
        if argv[0] == "kiosk-token":
            print(config.kiosks[0].token)
            return 0
        if len(argv) == 3 and argv[0] == "busy":
            busy(config, argv[2])
            return 0
        if len(argv) == 3:
            print(listing(config, argv[2]))
            return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
