"""Socket.IO (contract section 5): who may connect, which rooms they join, and what they are sent.

Rooms: ``hall`` (hall displays), ``desk:N`` (desk N's display and console), ``kiosk:ID``,
``staff``, ``agency:CODE``, ``queues`` (everyone shown waiting counts), ``ticket:ID``
(followers of one ticket). Pushes leave from one worker in commit order, after the commit;
``queues`` updates are coalesced to at most a few a second.

A ticket's secret (the ``?t=`` of its ``status_url``) lets anyone follow and rate it, so it is
only ever sent to that ticket's followers and to staff: ``snapshot`` and the ``call`` events of
hall and desk displays carry ``status_url`` without it. Hall displays also get ``desks``
(``{"desks": [row]}``, rows shaped as in ``snapshot``) whenever a desk changes, so "now
serving" stays true after a finish, a pause or a transfer.
"""
from __future__ import annotations

import hmac
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_socketio import SocketIO, emit, join_room

from ..announce import spoken_text
from ..rules import Outcome
from ..rules import events as ev
from ..rules.errors import NotFound
from .announcements import call_payload
from .auth import actor_for_token
from .views import compact_desk, public_call, recent_calls, snapshot_desks

log = logging.getLogger("hangdoi.realtime")

QUEUES_MIN_INTERVAL_S = 0.3
RATING_TIMEOUT_S = 30
DESK_EVENTS = {ev.CALLED, ev.RECALLED, ev.STARTED, ev.FINISHED, ev.NO_SHOW, ev.TRANSFERRED, ev.PAUSED,
               ev.RESUMED, ev.DESK_OPENED, ev.DESK_CLOSED, ev.CANCELLED}
QUEUE_EVENTS = {ev.ISSUED, ev.CALLED, ev.TRANSFERRED, ev.DESK_OPENED, ev.DESK_CLOSED, ev.FINISHED, ev.NO_SHOW,
                ev.PAUSED, ev.RESUMED, ev.CANCELLED, ev.REACTIVATED, ev.CLOSED_END_OF_DAY}


@dataclass
class Client:
    sid: str
    role: str                 # kiosk | display | officer | supervisor | admin | visitor
    device: str | None = None
    user_id: int | None = None
    connected_at: float = 0.0


class Realtime:
    def __init__(self, app, hub, async_mode: str):
        self.hub = hub
        self.socketio = SocketIO(app, async_mode=async_mode, cors_allowed_origins=[], logger=False,
                                 engineio_logger=False, ping_interval=10, ping_timeout=10, max_http_buffer_size=16_384)
        self.clients: dict[str, Client] = {}
        self._speaking: set[str] = set()      # sids of connected displays with audio = true
        self._outbox: "queue.Queue[Outcome | None]" = queue.Queue()
        self._queues_dirty = threading.Event()
        self._last_queues = 0.0
        self._register_handlers()
        hub.subscribers.append(self._outbox.put)
        self.socketio.start_background_task(self._push_loop)
        self.socketio.start_background_task(self._queues_loop)

    # ---- connections --------------------------------------------------------------------
    def _register_handlers(self) -> None:
        sio = self.socketio

        @sio.on("connect")
        def on_connect(auth=None):
            token = auth.get("token") if isinstance(auth, dict) else None
            client = Client(sid=request.sid, role="visitor", connected_at=time.time())
            rooms: list[str] = []
            if token:
                if not isinstance(token, str):
                    raise ConnectionRefusedError("invalid_token")
                actor = actor_for_token(token)
                if actor is None:
                    raise ConnectionRefusedError("invalid_token")
                client.role, client.device, client.user_id = actor.role, actor.device, actor.user_id
                rooms.append("queues")
                if actor.role == "display":
                    device = self.hub.devices.by_id(actor.device)
                    rooms.append("hall" if device.display_kind == "hall" else f"desk:{device.desk}")
                elif actor.role == "kiosk":
                    rooms += [f"kiosk:{actor.device}", "kiosks"]
                else:
                    rooms += ["staff"] + ([f"agency:{actor.agency}"] if actor.agency else [])
            for room in rooms:
                join_room(room)
            self.clients[request.sid] = client
            if client.role == "display":
                device = self.hub.devices.by_id(client.device)
                if device is not None and device.audio:
                    self._speaking.add(request.sid)
            emit("snapshot", self.snapshot())

        @sio.on("disconnect")
        def on_disconnect(*_):
            self.clients.pop(request.sid, None)
            self._speaking.discard(request.sid)

        @sio.on("follow")
        def on_follow(data=None):
            try:
                ticket_id = int(data["ticket"]) if isinstance(data, dict) and not isinstance(data["ticket"], bool) else None
                secret = data.get("t") if isinstance(data, dict) else None
                if ticket_id is None or not isinstance(secret, str) or not 0 < ticket_id < 2 ** 31:
                    raise ValueError
                ticket, real = self.hub.service.ticket(ticket_id)
            except (KeyError, TypeError, ValueError, NotFound):
                emit("error", {"code": "invalid_secret", "message": "this link is not valid for any ticket"})
                return
            if not hmac.compare_digest(secret.encode(), real.encode()):
                emit("error", {"code": "invalid_secret", "message": "this link is not valid for any ticket"})
                return
            join_room(f"ticket:{ticket_id}")
            emit("ticket", {"ticket": ticket})

        @sio.on("watch_desk")
        def on_watch_desk(data=None):
            """A signed-in officer's console joins its desk's room (its own agency's desks only)."""
            client = self.clients.get(request.sid)
            number = data.get("desk") if isinstance(data, dict) else None
            if client is None or client.user_id is None or not isinstance(number, int) or isinstance(number, bool):
                emit("error", {"code": "forbidden", "message": "sign in to follow a desk"})
                return
            user = self.hub.user(client.user_id)
            agency = self.hub.service.desk_agency(number) if 0 < number < 2 ** 31 else None
            if user is None or agency is None or (user.role == "officer" and user.agency != agency):
                emit("error", {"code": "forbidden", "message": f"you may not follow desk {number}"})
                return
            join_room(f"desk:{number}")

    def snapshot(self) -> dict[str, Any]:
        with self.hub.storage.read() as db:
            calls = [public_call(c) for c in recent_calls(db, self.hub, limit=20)]
            desks = snapshot_desks(db, self.hub)
        return {"calls": calls, "queues": self.hub.service.queues(), "desks": desks}

    # ---- pushes -------------------------------------------------------------------------
    def _push_loop(self) -> None:
        while True:
            outcome = self._outbox.get()
            if outcome is None:
                return
            try:
                self._push(outcome)
            except Exception:
                log.exception("push failed for %s", [e.type for e in outcome.events])

    def _push(self, outcome: Outcome) -> None:
        sio = self.socketio
        touched_tickets, touched_desks, called_desks, to_say = [], [], set(), []
        for event in outcome.events:
            if event.ticket is not None and event.ticket not in touched_tickets:
                touched_tickets.append(event.ticket)
            if event.desk is not None and event.type in DESK_EVENTS and event.desk not in touched_desks:
                touched_desks.append(event.desk)
            if event.type in QUEUE_EVENTS:
                self._queues_dirty.set()
            if event.type in (ev.CALLED, ev.RECALLED):
                called_desks.add(event.desk)
            if event.type == ev.FINISHED and event.desk is not None and self._has_members(f"desk:{event.desk}"):
                # the desk's display turns to its satisfaction rating for this visitor
                sio.emit("rating_request", {"ticket": {"id": event.ticket, "code": event.data.get("code")},
                                            "desk": event.desk, "timeout_s": RATING_TIMEOUT_S}, to=f"desk:{event.desk}")
            if event.type in (ev.CALLED, ev.RECALLED) and any(
                    self._has_members(r) for r in ("hall", f"desk:{event.desk}", f"ticket:{event.ticket}")):
                payload = self._call_payload(event)
                if payload is not None:
                    to_say.append((payload["ticket"]["code"], event.desk))
                    public = public_call(payload)
                    sio.emit("call", public, to="hall")
                    sio.emit("call", public, to=f"desk:{event.desk}")
                    sio.emit("call", payload, to=f"ticket:{event.ticket}")
        if called_desks:
            # Let the sockets' writers send the call now, before the slower desk and ticket views,
            # and before the voice starts: the speech thread's Python callbacks would compete for
            # the GIL with the writers (measured: 50% longer fan-out to 500 displays).
            sio.sleep(0)
        if to_say and self.hub.voice is not None and self._audio_display_connected():
            template, repeat = self.hub.config.announce.template, self.hub.config.announce.repeat
            for code, desk in to_say:
                self.hub.voice.submit(spoken_text(template, code, desk), repeat)
        for ticket_id in touched_tickets:
            if not self._has_members(f"ticket:{ticket_id}"):
                continue
            try:
                ticket, _ = self.hub.service.ticket(ticket_id)
            except NotFound:
                continue
            sio.emit("ticket", {"ticket": ticket}, to=f"ticket:{ticket_id}")
        for number in touched_desks:
            # The hall learns a call's desk from the `call` itself; `desks` is for the other changes.
            to_hall = number not in called_desks and self._has_members("hall")
            if not (to_hall or self._has_members("staff") or self._has_members(f"desk:{number}")):
                continue
            try:
                desk = self.hub.service.desk(number)
            except NotFound:
                continue
            sio.emit("desk", {"desk": desk}, to="staff")
            sio.emit("desk", {"desk": desk}, to=f"desk:{number}")
            if to_hall:
                sio.emit("desks", {"desks": [compact_desk(desk)]}, to="hall")

    def _call_payload(self, event: ev.Event) -> dict | None:
        with self.hub.storage.read() as db:
            return call_payload(db, self.hub, event.ticket, event.desk, event.at, recall=event.type == ev.RECALLED)

    def _audio_display_connected(self) -> bool:
        """Synthesise the voice ahead only when a display that speaks is there to ask for it
        (kept up to date on connect and disconnect: no walk over every client on each call)."""
        return bool(self._speaking)

    def _has_members(self, room: str) -> bool:
        """Whether anybody is in ``room`` (skip building payloads nobody will receive)."""
        try:
            return bool(self.socketio.server.manager.rooms.get("/", {}).get(room))
        except AttributeError:
            return True

    def _queues_loop(self) -> None:
        while True:
            self._queues_dirty.wait()
            wait = self._last_queues + QUEUES_MIN_INTERVAL_S - time.monotonic()
            if wait > 0:
                self.socketio.sleep(wait)
            self._queues_dirty.clear()
            self._last_queues = time.monotonic()
            try:
                self.socketio.emit("queues", {"services": self.hub.service.queues()}, to="queues")
            except Exception:
                log.exception("queues push failed")
