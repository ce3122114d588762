"""Socket.IO (contract section 5): who may connect, which rooms they join, and what they are sent.

Rooms: ``hall`` (hall displays), ``desk:N`` (desk N's display), ``desk-staff:N`` (the consoles
watching desk N: they see secrets, and get each push once though they are in ``staff`` too), ``kiosk:ID``,
``staff``, ``agency:CODE``, ``queues`` (everyone shown waiting counts), ``ticket:ID``
(followers of one ticket). Pushes leave from one worker in commit order, after the commit;
``queues`` updates are coalesced to at most a few a second.

Followers of a waiting ticket get a ``ticket`` whenever its place (``waiting_ahead``) or its
estimate changes because of something else: a call, a transfer, a cancel, a desk opening,
pausing or closing, a priority ticket taken. The services touched since the last round are
gathered and, at most every ``FOLLOWERS_MIN_INTERVAL_S``, the followed waiting tickets of those
services (and of the services sharing desks with them) are recomputed together, one replay per
group of services (``views.waiting_views``); only those whose place or estimate differs from what
they were last sent get one (measured in bench/realtime_bench.py --followers).

A ticket's secret (the ``?t=`` of its ``status_url``) lets anyone follow and rate it, so it is
only ever sent to that ticket's followers and to staff. Every push leaves through ``emit``, which
strips it (``without_secrets``) for every room but ``staff``, ``agency:*`` and ``ticket:*``: the
``snapshot``, ``call``, ``desk``, ``desks`` and ``queues`` of hall and desk displays and kiosks
carry ``status_url`` without it. Hall displays also get ``desks``
(``{"desks": [row]}``, rows shaped as in ``snapshot``) whenever a desk changes, so "now
serving" stays true after a finish, a pause or a transfer.

Scale-out (``[server] message_queue = "redis://..."``): several server processes share the
database, and every emit goes through Redis to the clients of every process (Flask-SocketIO's
message queue, on a channel named after the database, so two installations may share one Redis).
What one process cannot see of the others is then handled so:

* a room's members are known only locally, so pushes are built and sent even when this process
  has nobody in the room (a hall display on another process still gets the call);
* which devices are connected where (displays, kiosks, print agents, speaking screens) is kept in
  ``Presence``: each process writes its own row in ``settings`` every few seconds and soon after
  a change; rows of processes that stopped writing are ignored after ``PRESENCE_TTL_S``;
* ``queues`` pushes are coalesced per process, and each process sends one more a second after its
  last one, so a screen that got two processes' pushes in the wrong order still ends right;
* calls keep their commit order within a process; across processes Redis keeps the order in
  which they were published.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import request
from flask_socketio import SocketIO, emit, join_room

from ..announce import spoken_text
from ..rules import Outcome
from ..rules import events as ev
from ..rules.errors import NotFound
from ..storage import presence as presence_rows
from .calls import call_payload, public_call, recent_calls
from .auth import actor_for_token
from ..rules.shapes import waiting_views
from .desk_snapshot import compact_desk, snapshot_desks

log = logging.getLogger("hangdoi.realtime")

QUEUES_MIN_INTERVAL_S = 0.3
FOLLOWERS_MIN_INTERVAL_S = 0.25   # followers' place and estimate: recomputed at most this often
QUEUES_SETTLE_S = 1.0         # scale-out: one more `queues` this long after a process's last one
PRESENCE_INTERVAL_S = 3.0     # scale-out: each process rewrites its presence row this often
PRESENCE_MIN_GAP_S = 0.5      # ... and soon after a change, but not more often than this
PRESENCE_TTL_S = 12.0         # a presence row older than this belongs to a process that is gone
PRESENCE_READ_CACHE_S = 0.5
RATING_TIMEOUT_S = 30
STAFF_RECHECK_S = 5.0         # a staff socket whose token was revoked or expired is cut this soon
DESK_EVENTS = {ev.CALLED, ev.RECALLED, ev.STARTED, ev.FINISHED, ev.NO_SHOW, ev.TRANSFERRED, ev.PAUSED,
               ev.RESUMED, ev.DESK_OPENED, ev.DESK_CLOSED, ev.CANCELLED, ev.DESK_TAKEN_OVER}
QUEUE_EVENTS = {ev.ISSUED, ev.CALLED, ev.TRANSFERRED, ev.DESK_OPENED, ev.DESK_CLOSED, ev.FINISHED, ev.NO_SHOW,
                ev.PAUSED, ev.RESUMED, ev.CANCELLED, ev.REACTIVATED, ev.CLOSED_END_OF_DAY}


#: the rooms whose members may see a ticket's secret: staff (all, or an agency's), and the
#: followers of that ticket (``ticket:ID``, joined with its secret)
SECRET_ROOMS = ("staff", "agency:", "ticket:", "desk-staff:")


def without_secrets(payload):
    """``payload`` as a screen may see it: every ``status_url`` without its query (the ``?t=``
    secret) and no ``secret`` key, at any depth. The payload itself is left as it was."""
    if isinstance(payload, dict):
        out = {}
        for key, value in payload.items():
            if key == "secret":
                continue
            if key == "status_url" and isinstance(value, str):
                out[key] = value.split("?", 1)[0]
            else:
                out[key] = without_secrets(value)
        return out
    if isinstance(payload, (list, tuple)):
        return [without_secrets(v) for v in payload]
    return payload


def may_see_secrets(room: str) -> bool:
    return room == "staff" or room.startswith(SECRET_ROOMS[1:])


@dataclass
class Client:
    sid: str
    role: str                 # kiosk | display | officer | supervisor | admin | visitor
    device: str | None = None
    user_id: int | None = None
    connected_at: float = 0.0
    token: str | None = field(default=None, repr=False)    # a user's, checked again every few seconds
    agency: str | None = None                               # an officer's, when his rooms were joined


def channel_for(database) -> str:
    """The Redis channel of one installation: every process on the same database file shares it."""
    digest = hashlib.sha256(os.path.realpath(database).encode()).hexdigest()[:16]
    return f"hangdoi-{digest}"


class Presence:
    """Scale-out only: which devices are connected to which server process.

    Each process keeps one row in ``presence`` (``storage.presence``; JSON ``{"at", "pid",
    "devices": {device: role}, "agents": {kiosk: sid}, "speaking": bool}``), rewritten every
    ``PRESENCE_INTERVAL_S`` and soon after a change, removed on a clean stop. The others read the
    rows written in the last ``PRESENCE_TTL_S``: a process killed outright drops out by itself."""

    def __init__(self, realtime: "Realtime", host_id: str):
        self.realtime = realtime
        self.host = host_id
        self._dirty = threading.Event()
        self._cache: tuple[float, list[dict]] = (0.0, [])
        self._stopped = False

    def changed(self) -> None:
        self._dirty.set()

    def mine(self) -> dict:
        rt = self.realtime
        printing = getattr(rt.hub, "printing", None)
        agents = dict(printing.active) if printing is not None else {}
        return {"at": time.time(), "pid": os.getpid(), "devices": rt.local_devices(),
                "agents": agents, "speaking": bool(rt._speaking)}

    def write(self) -> None:
        with self.realtime.hub.storage.write() as db:
            presence_rows.write(db, self.host, self.mine(), forget_before=time.time() - 10 * PRESENCE_TTL_S)

    def remove(self) -> None:
        self._stopped = True
        with self.realtime.hub.storage.write() as db:
            presence_rows.remove(db, self.host)

    def others(self) -> list[dict]:
        """The fresh rows of the other processes (read at most every PRESENCE_READ_CACHE_S)."""
        now = time.monotonic()
        at, rows = self._cache
        if 0 <= now - at < PRESENCE_READ_CACHE_S:
            return rows
        with self.realtime.hub.storage.read() as db:
            rows = presence_rows.others(db, self.host, fresh_after=time.time() - PRESENCE_TTL_S)
        self._cache = (now, rows)
        return rows

    def merged(self, field: str) -> dict:
        """The ``field`` dicts of the other processes' fresh rows, merged oldest row first."""
        merged: dict = {}
        for row in sorted(self.others(), key=lambda r: r["at"]):
            if isinstance(row.get(field), dict):
                merged.update(row[field])
        return merged

    def loop(self) -> None:
        sleep = self.realtime.socketio.sleep
        while not self._stopped:
            self._dirty.wait(PRESENCE_INTERVAL_S)
            self._dirty.clear()
            if self._stopped:
                return
            try:
                self.write()
            except Exception:
                log.exception("presence row could not be written")
            sleep(PRESENCE_MIN_GAP_S)


class Realtime:
    def __init__(self, app, hub, async_mode: str):
        self.hub = hub
        message_queue = hub.config.server.message_queue
        self.scale_out = bool(message_queue)
        queue_options = {}
        if self.scale_out:
            # built here rather than from message_queue=: Flask-SocketIO would hand a unix:// URL
            # (Redis on a local socket) to kombu instead of Redis
            from socketio import RedisManager

            queue_options["client_manager"] = RedisManager(message_queue,
                                                           channel=channel_for(hub.config.server.database))
        # cors_allowed_origins=None: a browser may connect only from a page of this server (its
        # Origin must match Host, or X-Forwarded-Proto/Host behind nginx); devices without a
        # browser (print agents) send no Origin and are let through, as before.
        self.socketio = SocketIO(app, async_mode=async_mode, cors_allowed_origins=None, logger=False,
                                 engineio_logger=False, ping_interval=10, ping_timeout=10, max_http_buffer_size=16_384,
                                 **queue_options)
        self.clients: dict[str, Client] = {}
        self.presence = Presence(self, uuid.uuid4().hex) if self.scale_out else None
        self._speaking: set[str] = set()      # sids of connected displays with audio = true
        self._outbox: "queue.Queue[Outcome | None]" = queue.Queue()
        self._queues_dirty = threading.Event()
        self._last_queues = 0.0
        self._followers_dirty = threading.Event()
        self._dirty_services: set[str] = set()
        self._dirty_desks: set[int] = set()
        self._last_followers = 0.0
        self._sent: dict[int, tuple] = {}     # ticket id → (ahead, estimate, kind) its followers were last sent
        self._register_handlers()
        hub.bus.on_every_outcome(self._outbox.put)
        self.socketio.start_background_task(self._push_loop)
        self.socketio.start_background_task(self._queues_loop)
        self.socketio.start_background_task(self._followers_loop)
        self.socketio.start_background_task(self._staff_recheck_loop)
        # scale-out: the presence row and its loop are started by server.bootstrap (hangdoi serve)

    def shutdown(self) -> None:
        """On a clean stop: other processes stop counting this one's devices at once."""
        if self.presence is not None:
            try:
                self.presence.remove()
            except Exception:
                log.exception("presence row could not be removed")

    def presence_changed(self) -> None:
        if self.presence is not None:
            self.presence.changed()

    def local_devices(self) -> dict[str, str]:
        """device id → role of every device connected to this process."""
        return {c.device: c.role for c in list(self.clients.values()) if c.device}

    def connected_devices(self) -> dict[str, str]:
        """device id → role of every device with a live connection (to any process)."""
        devices = self.presence.merged("devices") if self.presence is not None else {}
        devices.update(self.local_devices())
        return devices

    def remote_agents(self) -> dict[str, str]:
        """kiosk id → sid of its print agent connected to another process (scale-out only)."""
        return self.presence.merged("agents") if self.presence is not None else {}

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
                if actor.user_id is not None:
                    client.token, client.agency = token, actor.agency
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
            if client.device:
                self.presence_changed()
            # to this client only, which is here: not through the message queue
            emit("snapshot", without_secrets(self.snapshot()), ignore_queue=True)

        @sio.on("disconnect")
        def on_disconnect(*_):
            client = self.clients.pop(request.sid, None)
            self._speaking.discard(request.sid)
            if client is not None and client.device:
                self.presence_changed()

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
            self._note_sent(ticket)
            emit("ticket", {"ticket": ticket}, ignore_queue=True)

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
            # its own room, not the desk display's ``desk:N``: a console may see the ticket's secret,
            # and is in ``staff`` too, which gets every ``desk`` (one push to both rooms: once)
            join_room(f"desk-staff:{number}")

    # ---- staff whose access ended -----------------------------------------------------------
    def _staff_recheck_loop(self) -> None:
        while True:
            self.socketio.sleep(STAFF_RECHECK_S)
            try:
                self.cut_revoked_staff()
            except Exception:
                log.exception("staff sockets could not be checked")

    def cut_revoked_staff(self) -> list[str]:
        """Disconnect this process's staff sockets whose token no longer holds: expired,
        revoked by a password reset, or the user disabled (in any process: it is read from the
        database). A reconnect with that token is refused, so the page signs out. An officer moved
        to another agency is cut too: his page reconnects and joins that agency's rooms instead.
        Returns the sids cut."""
        cut = []
        for client in list(self.clients.values()):
            if client.token is None:
                continue
            actor = actor_for_token(client.token, self.hub)
            if actor is not None and (actor.role, actor.agency) == (client.role, client.agency):
                continue
            log.info("staff socket of user %s cut: %s", client.user_id,
                     "its access ended" if actor is None else "the user's agency changed")
            self.socketio.server.disconnect(client.sid, namespace="/")
            cut.append(client.sid)
        return cut

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

    def emit(self, event: str, payload: dict, room: str | list[str]) -> None:
        """The one way a push leaves: to a screen's room without any ticket's secret. ``room`` may
        be a list of rooms of one kind (all may see secrets, or none): a socket in several of them
        gets the push once."""
        rooms = [room] if isinstance(room, str) else room
        secret = [may_see_secrets(r) for r in rooms]
        if any(secret) and not all(secret):
            raise ValueError(f"one push to rooms that may and may not see secrets: {rooms}")
        self.socketio.emit(event, payload if secret[0] else without_secrets(payload), to=room)

    def _push(self, outcome: Outcome) -> None:
        sio = self.socketio
        emit_to = self.emit
        touched_tickets, touched_desks, called_desks, to_say = [], [], set(), []
        changed_tickets = set()     # touched by more than being issued (nobody follows a ticket being issued)
        for event in outcome.events:
            if event.ticket is not None and event.ticket not in touched_tickets:
                touched_tickets.append(event.ticket)
            if event.ticket is not None and event.type != ev.ISSUED:
                changed_tickets.add(event.ticket)
            if event.desk is not None and event.type in DESK_EVENTS and event.desk not in touched_desks:
                touched_desks.append(event.desk)
            if event.type in QUEUE_EVENTS:
                self._queues_dirty.set()
                self._followers_changed(event)
            if event.type in (ev.CALLED, ev.RECALLED):
                called_desks.add(event.desk)
            if event.type == ev.FINISHED and event.desk is not None and self._has_members(f"desk:{event.desk}"):
                # the desk's display turns to its satisfaction rating for this visitor
                emit_to("rating_request", {"ticket": {"id": event.ticket, "code": event.data.get("code")},
                                           "desk": event.desk, "timeout_s": RATING_TIMEOUT_S}, f"desk:{event.desk}")
            if event.type in (ev.CALLED, ev.RECALLED) and any(
                    self._has_members(r) for r in ("hall", f"desk:{event.desk}", f"ticket:{event.ticket}",
                                                   f"desk-staff:{event.desk}")):
                payload = self._call_payload(event)
                if payload is not None:
                    to_say.append((payload["ticket"]["code"], event.desk))
                    emit_to("call", payload, ["hall", f"desk:{event.desk}"])
                    emit_to("call", payload, [f"ticket:{event.ticket}", f"desk-staff:{event.desk}"])
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
            if self.scale_out and ticket_id not in changed_tickets:
                continue
            if not self._has_members(f"ticket:{ticket_id}"):
                continue
            try:
                ticket, _ = self.hub.service.ticket(ticket_id)
            except NotFound:
                continue
            self._note_sent(ticket)
            emit_to("ticket", {"ticket": ticket}, f"ticket:{ticket_id}")
        for number in touched_desks:
            # The hall learns a call's desk from the `call` itself; `desks` is for the other changes.
            to_hall = number not in called_desks and self._has_members("hall")
            if not (to_hall or self._has_members("staff") or self._has_members(f"desk:{number}")):
                continue
            try:
                desk = self.hub.service.desk(number)
            except NotFound:
                continue
            emit_to("desk", {"desk": desk}, ["staff", f"desk-staff:{number}"])   # once to a console in both
            emit_to("desk", {"desk": desk}, f"desk:{number}")
            if to_hall:
                emit_to("desks", {"desks": [compact_desk(desk)]}, "hall")

    # ---- followers of waiting tickets ---------------------------------------------------------
    def _followers_changed(self, event: ev.Event) -> None:
        """Note what ``event`` may have moved: its service (both, for a transfer) and its desk."""
        for service in (event.service, event.data.get("from_service"), event.data.get("to_service")):
            if isinstance(service, str):
                self._dirty_services.add(service)
        if event.desk is not None:
            self._dirty_desks.add(event.desk)
        self._followers_dirty.set()

    @staticmethod
    def _signature(ticket: dict) -> tuple:
        return (ticket.get("status"), ticket.get("waiting_ahead"), ticket.get("estimated_wait_s"),
                (ticket.get("estimate") or {}).get("kind"))

    def _note_sent(self, ticket: dict) -> None:
        if len(self._sent) > 50_000:          # tickets of earlier days: forget them all now and then
            self._sent.clear()
        self._sent[ticket["id"]] = self._signature(ticket)

    def _followed_tickets(self) -> set[int] | None:
        """Ids of the tickets somebody follows on this process (None in scale-out: not known here)."""
        if self.scale_out:
            return None
        try:
            rooms = self.socketio.server.manager.rooms.get("/", {})
        except AttributeError:
            return None
        out = set()
        for room, members in list(rooms.items()):
            if members and isinstance(room, str) and room.startswith("ticket:"):
                try:
                    out.add(int(room[7:]))
                except ValueError:
                    pass
        return out

    def _followers_loop(self) -> None:
        while True:
            self._followers_dirty.wait()
            wait = self._last_followers + FOLLOWERS_MIN_INTERVAL_S - time.monotonic()
            if wait > 0:
                self.socketio.sleep(wait)
            self._followers_dirty.clear()
            services, desks = self._dirty_services, self._dirty_desks
            self._dirty_services, self._dirty_desks = set(), set()
            self._last_followers = time.monotonic()
            try:
                self.push_followers(services, desks)
            except Exception:
                log.exception("followers' update failed")

    def push_followers(self, services: set[str], desks: set[int]) -> int:
        """Send each followed waiting ticket of ``services`` (and of ``desks``' services, and of the
        services sharing desks with them) whose place or estimate changed. Returns how many were sent."""
        followed = self._followed_tickets()
        if followed is not None and not followed:
            return 0
        ctx = self.hub.service.ctx
        with self.hub.storage.read() as db:
            services_of, groups = ctx.service_times.layout(db)
            wanted: set[str] = set()
            for service in services | {s for d in desks for s in services_of.get(d, ())}:
                wanted |= groups.get(service, {service})
            views = waiting_views(db, ctx, wanted, followed)
        sent = 0
        for ticket_id, ticket in views.items():
            # scale-out: another process may have sent these followers something newer meanwhile
            if not self.scale_out and self._sent.get(ticket_id) == self._signature(ticket):
                continue
            self._note_sent(ticket)
            self.socketio.emit("ticket", {"ticket": ticket}, to=f"ticket:{ticket_id}")
            sent += 1
        return sent

    def _call_payload(self, event: ev.Event) -> dict | None:
        with self.hub.storage.read() as db:
            return call_payload(db, self.hub, event.ticket, event.desk, event.at, recall=event.type == ev.RECALLED)

    def _audio_display_connected(self) -> bool:
        """Synthesise the voice ahead only when a display that speaks is there to ask for it
        (kept up to date on connect and disconnect: no walk over every client on each call).
        Scale-out: a speaking display on another process counts too; the WAV lands in the cache
        folder beside the database, which every process of the host reads."""
        if self._speaking:
            return True
        return self.presence is not None and any(row.get("speaking") for row in self.presence.others())

    def _has_members(self, room: str) -> bool:
        """Whether anybody is in ``room`` (skip building payloads nobody will receive). Scale-out:
        always, since the room's members on the other processes are not known here."""
        if self.scale_out:
            return True
        try:
            return bool(self.socketio.server.manager.rooms.get("/", {}).get(room))
        except AttributeError:
            return True

    def _queues_loop(self) -> None:
        settle_at = None        # scale-out: when to send the settling push
        while True:
            timeout = None if settle_at is None else max(0.0, settle_at - time.monotonic())
            if not self._queues_dirty.wait(timeout):
                settle_at = None
                try:
                    self.emit("queues", {"services": self.hub.service.queues()}, "queues")
                except Exception:
                    log.exception("queues push failed")
                continue
            if self.scale_out:
                settle_at = time.monotonic() + QUEUES_SETTLE_S
            wait = self._last_queues + QUEUES_MIN_INTERVAL_S - time.monotonic()
            if wait > 0:
                self.socketio.sleep(wait)
            self._queues_dirty.clear()
            self._last_queues = time.monotonic()
            try:
                self.emit("queues", {"services": self.hub.service.queues()}, "queues")
            except Exception:
                log.exception("queues push failed")
