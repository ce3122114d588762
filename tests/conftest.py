"""Shared fixtures: a small center config, a real SQLite file, an injected clock."""
from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path

import pytest

from server.clock import FixedClock
from server.config import parse_config
from server.rules import Actor, QueueService, RuleContext
from server.storage import Storage
from server.storage.sync import sync_config

ROOT = Path(__file__).resolve().parent.parent

# The live-server tests run on the real clock in the centers' timezone, and a center's day ends at
# its local midnight (open tickets are closed, numbers start again): a test that straddles it sees
# a different day at its end than at its start. Midnight itself is tested on purpose, under
# libfaketime (test_drills.py) and with an injected clock (test_end_of_day.py). So a run that would
# start in the last minutes of the centers' day waits for the new day first.
CENTER_TIMEZONE = "Asia/Ho_Chi_Minh"
MIDNIGHT_MARGIN_S = 15 * 60


def seconds_to_wait_for_the_new_day(now: datetime) -> float:
    """0, or how long to wait (until 30 s past midnight) when ``now`` is within the margin before it."""
    to_midnight = ((24 * 60 - now.hour * 60 - now.minute) * 60 - now.second - now.microsecond / 1e6)
    return to_midnight + 30 if to_midnight <= MIDNIGHT_MARGIN_S else 0.0


def pytest_sessionstart(session):
    import time
    from zoneinfo import ZoneInfo

    wait = seconds_to_wait_for_the_new_day(datetime.now(ZoneInfo(CENTER_TIMEZONE)))
    if wait and not session.config.getoption("collectonly"):
        print(f"\nthe centers' local midnight ({CENTER_TIMEZONE}) is {wait - 30:.0f} s away: waiting for the new day "
              "so that no test straddles it", flush=True)
        time.sleep(wait)

SMALL_CENTER = {
    "center": {"name": "Trung tâm Phục vụ hành chính công thử nghiệm", "timezone": "Asia/Ho_Chi_Minh",
               "public_url": "http://hangdoi.test"},
    "queue": {"priority_max_in_row": 2},
    "agencies": [
        {"code": "STP", "name": "Sở Tư pháp", "services": [
            {"code": "STP-LLTP", "name": "Lý lịch tư pháp", "prefix": "A", "target_wait_min": 15},
            {"code": "STP-HT", "name": "Hộ tịch", "prefix": "A", "target_wait_min": 20},
        ]},
        {"code": "CA", "name": "Công an tỉnh", "services": [
            {"code": "CA-CC", "name": "Căn cước", "prefix": "C"},
        ]},
    ],
    "desks": [
        {"number": 1, "agency": "STP", "services": ["STP-LLTP", "STP-HT"]},
        {"number": 2, "agency": "STP", "services": ["STP-LLTP"]},
        {"number": 3, "agency": "CA", "services": ["CA-CC"]},
    ],
    "kiosks": [{"id": "kiosk-1", "token": "kiosk-token-1"}],
    "displays": [{"id": "hall-1", "token": "hall-token-1", "kind": "hall"},
                 {"id": "desk-1", "token": "desk-token-1", "kind": "desk", "desk": 1}],
}

#: the staff the in-process API tests sign in as: username -> (password, role[, agency])
STAFF = {"stp1": ("mat-khau-1", "officer", "STP"), "ca1": ("mat-khau-2", "officer", "CA"),
         "gs": ("mat-khau-3", "supervisor"), "root": ("mat-khau-4", "admin")}

TZ_NAME = "Asia/Ho_Chi_Minh"
OFFICER_STP = Actor(kind="user", role="officer", user_id=None, agency="STP", name="officer-stp")
KIOSK = Actor(kind="device", role="kiosk", device="kiosk-1", name="kiosk-1")


def make_config(tmp_path: Path, **overrides):
    data = copy.deepcopy(SMALL_CENTER)
    for key, value in overrides.items():
        data[key] = value
    data.setdefault("server", {})["database"] = str(tmp_path / "hangdoi.db")
    return parse_config(data, tmp_path)


def bearer(token: str | None) -> dict:
    """The Authorization header of ``token``; none at all for None (an anonymous caller)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def add_staff(storage) -> None:
    """Create ``STAFF`` in ``storage``."""
    from server.auth.users import create_user

    for username, spec in STAFF.items():
        create_user(storage, username, *spec)


def staff_tokens(client) -> dict[str, str]:
    """An access token for each of ``STAFF``, signed in through ``client`` (a Flask test client)."""
    tokens = {}
    for username, (password, *_) in STAFF.items():
        r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.get_data(as_text=True)
        tokens[username] = r.get_json()["access_token"]
    return tokens


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path)


@pytest.fixture
def clock(config):
    return FixedClock(config.tz, datetime(2026, 11, 23, 8, 0, tzinfo=config.tz))


@pytest.fixture
def storage(config):
    s = Storage(config.server.database)
    sync_config(s, config)
    yield s
    s.close()


@pytest.fixture
def service(storage, clock, config):
    return QueueService(storage, RuleContext(clock=clock, public_url=config.center.public_url,
                                             priority_max_in_row=config.queue.priority_max_in_row,
                                             default_service_s=config.queue.default_service_min * 60))


@pytest.fixture
def staff_app(config, storage, clock):
    """The app on the test center, its clock fixed, with the ``STAFF`` accounts; no voice."""
    from server.web.app import create_app

    app = create_app(config, storage=storage, clock=clock, voice=False)
    add_staff(storage)
    return app
