"""Socket.IO against the real server process (``hangdoi serve``, gevent) with real python-socketio
clients: snapshot on connect, calls to every display exactly once and in order, reconnect after a
restart, followers, refused tokens, coalesced ``queues``, and the announcement's audio."""
from __future__ import annotations

import array
import io
import math
import time
import warnings
import wave
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests
import socketio

from tests.centers import CA, STP, TWO_STP_DESKS_AND_CA, center_toml, desk_display, hall_display, kiosk
from tests.live_server import start_center
from tests.socket_recorder import Recorder

pytestmark = pytest.mark.slow

PASSWORD = "mat-khau-realtime"
KIOSK = {"Authorization": "Bearer kiosk-token-realtime"}
HALL = "hall-token-realtime"

CONFIG = center_toml(
    "data/realtime.db", name="Trung tâm thử thời gian thực",
    limits={"kiosk_tickets_per_minute": 0}, announce={"repeat": 1},
    agencies=[STP, CA], desks=TWO_STP_DESKS_AND_CA,
    kiosks=[kiosk("kiosk-1", "kiosk-token-realtime")],
    displays=[hall_display("hall-1", HALL), desk_display("desk-1", "desk-1-token-realtime", 1)])


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = start_center(tmp_path_factory.mktemp("realtime"), CONFIG,
                          {"stp": (PASSWORD, "officer", "STP"), "ca": (PASSWORD, "officer", "CA")})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def staff(live):
    tokens = {}
    for name in ("stp", "ca"):
        r = requests.post(live.url + "/api/v1/auth/login", json={"username": name, "password": PASSWORD}, timeout=15)
        tokens[name] = r.json()["access_token"]
    return tokens


def issue(live, service="STP-LLTP") -> dict:
    r = requests.post(live.url + "/api/v1/tickets", json={"service": service}, headers=KIOSK, timeout=15)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def call_next(live, token: str, desk: int, session=None) -> dict | None:
    r = (session or requests).post(f"{live.url}/api/v1/desks/{desk}/next",
                                   headers={"Authorization": f"Bearer {token}"}, timeout=15)
    assert r.status_code == 200, r.text
    return r.json()["ticket"]


def secret_of(ticket: dict) -> str:
    return ticket["status_url"].split("?t=")[1]


# ---- snapshot ---------------------------------------------------------------------------------
def test_snapshot_on_connect_carries_calls_queues_and_desks_without_secrets(live, staff):
    issue(live, "CA-CC")
    called = call_next(live, staff["ca"], 3)
    hall = Recorder(live.url, HALL).connect()
    try:
        snap = hall.wait_count("snapshot", 1)[0]
        assert set(snap) >= {"calls", "queues", "desks"}
        newest = snap["calls"][0]
        assert newest["ticket"]["code"] == called["code"] and newest["desk"]["number"] == 3
        assert newest["announcement"]["text"].endswith(f"{called['code']} đến quầy số 3")
        assert set(newest) == {"ticket", "desk", "called_at", "recall", "announcement"}
        assert "?t=" not in newest["ticket"]["status_url"]           # the secret never goes to screens
        assert {q["code"] for q in snap["queues"]} == {"STP-LLTP", "STP-HT", "CA-CC"}
        desk3 = next(d for d in snap["desks"] if d["number"] == 3)
        assert desk3["current"]["code"] == called["code"] and desk3["state"] == "open"
    finally:
        hall.close()


def test_a_bad_token_is_refused_at_connect(live):
    for auth in ({"token": "not-a-token"}, {"token": 12345}, {"token": "x" * 5000}):
        client = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(live.url, auth=auth, transports=["websocket"], wait_timeout=15)
        client.disconnect()


# ---- calls ------------------------------------------------------------------------------------
def test_every_call_reaches_every_display_exactly_once_and_in_order(live, staff):
    halls = [Recorder(live.url, HALL).connect() for _ in range(3)]
    desk1 = Recorder(live.url, "desk-1-token-realtime").connect()
    try:
        for client in halls + [desk1]:
            client.wait_count("snapshot", 1)
        for i in range(20):
            issue(live, ("STP-LLTP", "STP-HT")[i % 2])
        for _ in range(10):
            issue(live, "CA-CC")
        # Three desks call at the same time, 10 calls each, through HTTP.
        answers: dict[int, list[str]] = {}

        def desk_calls(desk, token):
            session = requests.Session()
            answers[desk] = [call_next(live, token, desk, session)["code"] for _ in range(10)]

        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda args: desk_calls(*args), [(1, staff["stp"]), (2, staff["stp"]), (3, staff["ca"])]))
        every = answers[1] + answers[2] + answers[3]
        assert len(set(every)) == 30
        sequences = []
        for hall in halls:
            calls = hall.wait_count("call", 30)
            time.sleep(0.3)                                          # nothing more may come
            calls = hall.of("call")
            codes = [c["ticket"]["code"] for c in calls]
            assert len(codes) == 30 and set(codes) == set(every)     # every call, exactly once
            for desk, expected in answers.items():                   # each desk's calls in its order
                assert [c["ticket"]["code"] for c in calls if c["desk"]["number"] == desk] == expected
            assert all(not c["recall"] and "?t=" not in c["ticket"]["status_url"] for c in calls)
            sequences.append([(c["ticket"]["code"], c["desk"]["number"]) for c in calls])
        assert sequences[0] == sequences[1] == sequences[2]          # one order, the same for all
        # ... and it is the order of the commits, as a display connecting now sees it.
        late = Recorder(live.url, HALL).connect()
        snap = late.wait_count("snapshot", 1)[0]
        late.close()
        assert [(c["ticket"]["code"], c["desk"]["number"]) for c in reversed(snap["calls"])] == sequences[0][-20:]
        # The desk display gets its own desk's calls only, in order.
        desk_codes = [c["ticket"]["code"] for c in desk1.wait_count("call", 10)]
        time.sleep(0.2)
        assert [c["ticket"]["code"] for c in desk1.of("call")] == answers[1]
        assert desk_codes == answers[1]
    finally:
        for client in halls + [desk1]:
            client.close()


def test_a_finished_ticket_leaves_now_serving_on_the_hall(live, staff):
    issue(live, "CA-CC")
    ticket = call_next(live, staff["ca"], 3)
    hall = Recorder(live.url, HALL).connect()
    try:
        hall.wait_count("snapshot", 1)
        r = requests.post(f"{live.url}/api/v1/desks/3/finish", headers={"Authorization": f"Bearer {staff['ca']}"},
                          timeout=15)
        assert r.status_code == 200 and r.json()["ticket"]["code"] == ticket["code"]
        rows = hall.wait_for(lambda h: [d for m in h.of("desks") for d in m["desks"] if d["number"] == 3])
        assert rows[-1]["current"] is None and rows[-1]["state"] == "open"
    finally:
        hall.close()


def test_recall_is_sent_again_marked_as_a_recall(live, staff):
    issue(live, "CA-CC")
    hall = Recorder(live.url, HALL).connect()
    try:
        hall.wait_count("snapshot", 1)
        ticket = call_next(live, staff["ca"], 3)
        r = requests.post(f"{live.url}/api/v1/desks/3/recall", headers={"Authorization": f"Bearer {staff['ca']}"},
                          timeout=15)
        assert r.status_code == 200
        calls = hall.wait_count("call", 2)
        assert [(c["ticket"]["code"], c["recall"]) for c in calls] == [(ticket["code"], False), (ticket["code"], True)]
    finally:
        hall.close()


# ---- reconnect --------------------------------------------------------------------------------
def test_reconnect_after_a_server_restart_restores_the_state(live, staff):
    hall = Recorder(live.url, HALL, reconnect=True).connect()
    try:
        hall.wait_count("snapshot", 1)
        issue(live)
        issue(live, "CA-CC")
        a = call_next(live, staff["stp"], 1)
        c = call_next(live, staff["ca"], 3)
        hall.wait_count("call", 2)
        live.stop()
        hall.wait_for(lambda h: not h.sio.connected, timeout=10)
        live.start()
        snap = hall.wait_count("snapshot", 2, timeout=20)[1]         # a fresh snapshot, no reload
        assert [x["ticket"]["code"] for x in snap["calls"][:2]] == [c["code"], a["code"]]
        desks = {d["number"]: d for d in snap["desks"]}
        assert desks[1]["current"]["code"] == a["code"] and desks[3]["current"]["code"] == c["code"]
        # ... and the connection works as before.
        issue(live)
        again = call_next(live, staff["stp"], 1)
        assert hall.wait_for(lambda h: [x for x in h.of("call") if x["ticket"]["code"] == again["code"]])
    finally:
        hall.close()


# ---- followers --------------------------------------------------------------------------------
def test_a_follower_sees_only_its_own_ticket(live, staff):
    mine = issue(live, "STP-HT")
    other = issue(live, "STP-HT")
    phone = Recorder(live.url).connect()                               # a visitor: no token
    try:
        phone.wait_count("snapshot", 1)
        phone.sio.emit("follow", {"ticket": mine["id"], "t": secret_of(mine)})
        first = phone.wait_count("ticket", 1)[0]["ticket"]
        assert first["code"] == mine["code"] and first["status"] == "waiting"
        # Desk 2 takes the tickets in order until it reaches both.
        codes = []
        while other["code"] not in codes:
            codes.append(call_next(live, staff["stp"], 2)["code"])
        calls = phone.wait_count("call", 1)
        time.sleep(0.4)
        calls = phone.of("call")
        assert [c["ticket"]["code"] for c in calls] == [mine["code"]]
        assert calls[0]["ticket"]["status_url"] == mine["status_url"]    # its own link, secret included
        tickets = [t["ticket"] for t in phone.of("ticket")]
        assert {t["code"] for t in tickets} == {mine["code"]}
        assert [t["status"] for t in tickets][-2:] == ["called", "done"]  # called, then finished by the next call
        assert phone.of("queues") == [] and phone.of("desk") == [] and phone.of("desks") == []
        assert phone.of("error") == []
    finally:
        phone.close()


def test_a_wrong_secret_gets_an_error_and_nothing_else(live, staff):
    ticket = issue(live, "CA-CC")
    phone = Recorder(live.url).connect()
    try:
        phone.wait_count("snapshot", 1)
        for bad in ({"ticket": ticket["id"], "t": "wrong-secret"}, {"ticket": 10 ** 12, "t": "x"},
                    {"ticket": "abc"}, "nonsense", None):
            phone.sio.emit("follow", bad)
        errors = phone.wait_count("error", 5)
        assert all(e["code"] == "invalid_secret" for e in errors)
        while call_next(live, staff["ca"], 3)["code"] != ticket["code"]:
            pass
        time.sleep(0.4)
        assert phone.of("ticket") == [] and phone.of("call") == []
    finally:
        phone.close()


def test_an_officer_console_watches_only_its_agencys_desks(live, staff):
    console = Recorder(live.url, staff["stp"]).connect()
    try:
        console.wait_count("snapshot", 1)
        console.sio.emit("watch_desk", {"desk": 3})                    # a CA desk
        assert console.wait_count("error", 1)[0]["code"] == "forbidden"
        console.sio.emit("watch_desk", {"desk": 1})
        issue(live)
        ticket = call_next(live, staff["stp"], 1)
        desk = console.wait_for(lambda c: [m["desk"] for m in c.of("desk")
                                           if m["desk"]["number"] == 1 and m["desk"]["current_ticket"]
                                           and m["desk"]["current_ticket"]["code"] == ticket["code"]])[-1]
        assert desk["current_ticket"]["status"] == "called" and "officer_served_today" in desk
        assert console.wait_for(lambda c: [x for x in c.of("call") if x["ticket"]["code"] == ticket["code"]])
    finally:
        console.close()


# ---- queues -----------------------------------------------------------------------------------
def test_queues_updates_are_coalesced_and_end_right(live):
    kiosk = Recorder(live.url, "kiosk-token-realtime").connect()
    try:
        kiosk.wait_count("snapshot", 1)
        time.sleep(0.5)
        before = len(kiosk.of("queues"))
        start = requests.get(live.url + "/api/v1/queues", timeout=15).json()
        waiting0 = next(s["waiting"] for s in start["services"] if s["code"] == "STP-LLTP")
        session = requests.Session()
        started = time.monotonic()
        for _ in range(100):
            r = session.post(live.url + "/api/v1/tickets", json={"service": "STP-LLTP"}, headers=KIOSK, timeout=15)
            assert r.status_code == 201
        elapsed = time.monotonic() - started
        expected = waiting0 + 100
        last = kiosk.wait_for(lambda k: [m for m in k.of("queues")[before:]
                                         if next(s["waiting"] for s in m["services"] if s["code"] == "STP-LLTP")
                                         == expected])
        time.sleep(0.8)
        updates = kiosk.of("queues")[before:]
        assert last and len(updates) < 100 / 4, len(updates)
        # at most about 4 a second, and the last one says how many wait now
        assert len(updates) <= elapsed / 0.3 + 3, (len(updates), elapsed)
        final = {s["code"]: s["waiting"] for s in updates[-1]["services"]}
        assert final["STP-LLTP"] == expected
    finally:
        kiosk.close()


# ---- audio ------------------------------------------------------------------------------------
def wav_stats(data: bytes) -> tuple[float, float]:
    with wave.open(io.BytesIO(data)) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        seconds = w.getnframes() / w.getframerate()
        samples = array.array("h", w.readframes(w.getnframes()))
    return seconds, math.sqrt(sum(s * s for s in samples) / len(samples))


def test_the_audio_url_serves_a_real_spoken_wav(live, staff):
    hall = Recorder(live.url, HALL).connect()
    try:
        hall.wait_count("snapshot", 1)
        issue(live, "CA-CC")
        ticket = call_next(live, staff["ca"], 3)
        call = hall.wait_for(lambda h: [c for c in h.of("call") if c["ticket"]["code"] == ticket["code"]])[0]
        url = call["announcement"]["audio_url"]
        assert urlsplit(url).path == f"/audio/call/{ticket['code']}/3.wav"
        r = requests.get(live.url + urlsplit(url).path, timeout=30)
        if r.status_code == 503:
            # The speech module (server/announce/speech.py) now and then gets 0 s of audio from
            # pyttsx3 for a sentence and says so (about 1 in 300 here); a failure is not cached and
            # the displays ask again once. Seen here, it must not go unnoticed:
            warnings.warn(f"announcement synthesis failed once for {url}; asked again")
            r = requests.get(live.url + urlsplit(url).path, timeout=30)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("audio/wav")
        seconds, rms = wav_stats(r.content)
        assert seconds >= 1.5 and rms > 500, (seconds, rms)
        # A backlog said in one go: one chime, each sentence once.
        r2 = requests.get(live.url + f"/display/audio/batch.wav?c={ticket['code']}-3&c={ticket['code']}-3&token={HALL}",
                          timeout=30)
        assert r2.status_code == 200
        seconds2, rms2 = wav_stats(r2.content)
        assert seconds2 >= 3 and rms2 > 500, (seconds2, rms2)
    finally:
        hall.close()
