"""The print agent's side of Socket.IO: each kiosk's print jobs go to its agent (``hangdoi kiosk``,
``kiosk.agent``) and the agent's answers and printer states are recorded (``server.printing.jobs``).

Socket.IO, the print agent (``hangdoi kiosk``, ``kiosk.agent``), connected with the kiosk token::

    agent → server  agent_hello   {"version", "printer", "width", "state"?, "detail"?}
                                  "I print for this kiosk": the server moves the connection out of
                                  the screens' rooms, makes it the kiosk's active agent and sends
                                  every unacknowledged job younger than printing.max_delay_s again
                                  (older ones become "expired": never printed late)
    server → agent  print_job     {"job_id", "ticket": T, "center_name", "priority_label", "source_label",
                                   "attempt", "expires_in_s"}
    agent → server  print_ack     {"job_id", "ok", "error"?, "state"?, "detail"?}
    agent → server  printer_state {"state": online|paper_low|paper_out|offline|unknown, "detail"?}
                                  on every change and every minute

and the screens::

    server → kiosk:ID   printer_state {"kiosk", "state", "detail", "since", "agent": bool}
    server → kiosk:ID   print_status  {"ticket", "code", "job_id", "status": printed|failed|expired, "error"}
    server → staff      device_state  {"device", "kind": "printer", "state", "detail", "since", "updated_at", "agent"}
    kiosk page → server kiosk_status  (no payload): answered with printer_state

A kiosk whose agent is gone counts as "offline" (after a grace period when the server starts,
so agents can reconnect). Printing never blocks issuing: jobs are handed over after the ticket's
commit by a background worker, and an absent agent only leaves the job pending.
"""
from __future__ import annotations

import logging
import queue
import threading
import time

from flask import request
from flask_socketio import emit, leave_room

from . import jobs as pj
from ..rules import events as ev

log = logging.getLogger("hangdoi.kiosk")

AGENT_GRACE_S = 15.0       # after the server starts, before a kiosk without agent counts as offline
MONITOR_INTERVAL_S = 1.0
EXPIRE_INTERVAL_S = 15.0
SWEEP_INTERVAL_S = 2.0     # scale-out: jobs of this process's agents still waiting are handed over
RESEND_AFTER_S = 10.0      # scale-out: a job sent but not acknowledged after this long is sent again


class PrintRelay:
    """Hands each kiosk's print jobs to its agent and records the agent's answers and printer states."""

    def __init__(self, hub):
        self.hub = hub
        self.sio = hub.realtime.socketio
        self.max_delay_s = hub.config.printing.max_delay_s
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._send_lock = threading.RLock()
        self.agents: dict[str, str] = {}          # sid → kiosk id
        self.active: dict[str, str] = {}          # kiosk id → sid that gets the jobs
        self._outbox: "queue.Queue[int | None]" = queue.Queue()
        self._kiosks = {k.id for k in hub.config.kiosks}
        hub.bus.on(ev.ISSUED, self.on_issued)
        for name, handler in (("agent_hello", self.on_hello), ("print_ack", self.on_ack),
                              ("printer_state", self.on_state), ("kiosk_status", self.on_kiosk_status)):
            self.sio.on_event(name, handler)
        self.sio.start_background_task(self._send_loop)

    def start_monitor(self) -> None:
        """The agents' heartbeat check, the expiry of old jobs and (scale-out) the sweep of jobs
        sent by a process that died: a background task started by ``server.bootstrap``."""
        self.sio.start_background_task(self._monitor_loop)

    # -- helpers
    def _client(self):
        realtime = self.hub.realtime
        return realtime.clients.get(request.sid) if realtime is not None else None

    def _agent_kiosk(self) -> str | None:
        with self._lock:
            return self.agents.get(request.sid)

    def _now(self) -> float:
        return self.hub.clock.now()

    def _journal(self, kiosk: str | None = None) -> ev.Journal:
        """The event log, in the name of the kiosk whose agent answered (or of the system)."""
        actor = ev.Actor(kind="device", role="kiosk", device=kiosk, name=kiosk) if kiosk else ev.SYSTEM
        return ev.Journal(self.hub.clock, actor)

    # -- issuing → jobs
    def on_issued(self, event) -> None:
        if event.ticket is not None:
            self._outbox.put(event.ticket)

    def _send_loop(self) -> None:
        while True:
            ticket_id = self._outbox.get()
            if ticket_id is None:
                return
            try:
                self._send_new(ticket_id)
            except Exception:
                log.exception("print job of ticket %s could not be handed over", ticket_id)

    def _send_new(self, ticket_id: int) -> None:
        with self._send_lock:                       # one sender at a time: a job is never sent twice at once
            with self.hub.storage.read() as db:
                job = pj.job_for_ticket(db, ticket_id)
            if job is None or job["status"] != "pending":
                return                              # a staff-issued ticket, or already handed over
            with self._lock:
                sid = self.active.get(job["kiosk"])
            if sid is not None and sid not in self.hub.realtime.clients:
                self._check_agents()                # the agent just left: do not talk to a ghost
                with self._lock:
                    sid = self.active.get(job["kiosk"])
            if sid is None and self.hub.realtime.scale_out:
                # scale-out: the agent may be connected to another process; the emit to its sid
                # goes there through the message queue
                sid = self.hub.realtime.remote_agents().get(job["kiosk"])
            if sid is None:
                return                              # sent when the kiosk's agent connects
            self._deliver(sid, [job])

    def _deliver(self, sid: str, jobs: list[dict]) -> None:
        now = self._now()
        with self.hub.storage.read() as db:
            payloads = [pj.job_payload(db, self.hub.service.ctx, self.hub.config.center.name, job, now,
                                       self.max_delay_s) for job in jobs]
        for payload in payloads:
            if payload is not None:
                self.sio.emit("print_job", payload, to=sid)
        with self.hub.storage.write() as db:
            for payload in payloads:
                if payload is not None:
                    pj.mark_sent(db, payload["job_id"], now)

    # -- agent events
    def on_hello(self, data=None):
        client = self._client()
        if client is None or client.role != "kiosk" or not client.device:
            emit("error", {"code": "forbidden", "message": "only a kiosk's print agent may say agent_hello"})
            return
        kiosk = client.device
        info = data if isinstance(data, dict) else {}
        for room in (f"kiosk:{kiosk}", "kiosks", "queues"):   # the agent needs none of the screens' pushes
            leave_room(room)
        sid = request.sid
        with self._send_lock:          # no new job reaches this agent before the backlog has
            with self._lock:
                previous = self.active.get(kiosk)
                self.agents[sid] = kiosk
                self.active[kiosk] = sid
            if previous and previous != sid and previous in self.hub.realtime.clients:
                log.warning("kiosk %s: a second print agent connected; the newest one prints", kiosk)
            self.hub.realtime.presence_changed()
            log.info("kiosk %s: print agent connected (%s, %s dots)", kiosk,
                     str(info.get("printer", "?"))[:120], info.get("width", "?"))
            with self.hub.storage.write() as db:
                expired = pj.expire_old(db, self._now(), self.max_delay_s, kiosk, self._journal())
                todo = pj.open_jobs(db, kiosk, self._now(), self.max_delay_s, self._journal())
            if expired:
                log.info("kiosk %s: %d print jobs expired unprinted (older than %ss)", kiosk, len(expired),
                         self.max_delay_s)
            if todo:
                log.info("kiosk %s: sending %d unprinted jobs again", kiosk, len(todo))
                self._deliver(sid, todo)
        state = info.get("state")
        self._apply_state(kiosk, state if state in pj.PRINTER_STATES else "unknown", info.get("detail"), force=True)
        return {"ok": True, "kiosk": kiosk, "resent": len(todo), "max_delay_s": self.max_delay_s}

    def on_ack(self, data=None):
        kiosk = self._agent_kiosk()
        if kiosk is None:
            emit("error", {"code": "forbidden", "message": "say agent_hello first"})
            return
        if not isinstance(data, dict) or not isinstance(data.get("job_id"), int) or isinstance(data.get("job_id"), bool):
            emit("error", {"code": "invalid_ack", "message": "print_ack needs job_id (integer) and ok (boolean)"})
            return
        ok = data.get("ok") is True
        error = data.get("error") if isinstance(data.get("error"), str) else None
        with self.hub.storage.write() as db:
            job = pj.acknowledge(db, data["job_id"], kiosk, ok, error, self._now(), self._journal(kiosk))
            code = db.execute("SELECT code FROM tickets WHERE id = ?", [job["ticket"]]).fetchone()[0] if job else None
        if job is None:
            emit("error", {"code": "unknown_job", "message": f"job {data['job_id']} is not this kiosk's"})
            return
        if ok:
            log.info("kiosk %s: printed %s (job %s)", kiosk, code, job["id"])
        else:
            log.warning("kiosk %s: %s not printed (job %s): %s", kiosk, code, job["id"], error)
        self.sio.emit("print_status", {"ticket": job["ticket"], "code": code, "job_id": job["id"],
                                       "status": job["status"], "error": job["error"]}, to=f"kiosk:{kiosk}")
        state = data.get("state")
        if state in pj.PRINTER_STATES:
            self._apply_state(kiosk, state, data.get("detail") if not ok else None)

    def on_state(self, data=None):
        kiosk = self._agent_kiosk()
        if kiosk is None:
            emit("error", {"code": "forbidden", "message": "say agent_hello first"})
            return
        state = data.get("state") if isinstance(data, dict) else None
        if state not in pj.PRINTER_STATES:
            emit("error", {"code": "invalid_state", "message": f"state must be one of {', '.join(pj.PRINTER_STATES)}"})
            return
        self._apply_state(kiosk, state, data.get("detail"))

    def on_kiosk_status(self, data=None):
        client = self._client()
        if client is None or client.role != "kiosk" or not client.device:
            return
        emit("printer_state", self.printer_state(client.device))

    # -- printer states
    def _apply_state(self, kiosk: str, state: str, detail, force: bool = False) -> None:
        detail = detail if isinstance(detail, str) else None
        with self.hub.storage.write() as db:
            changed = pj.set_device_state(db, kiosk, state, detail, self._now(), self._journal(kiosk))
        if changed or force:
            self._push_state(kiosk)

    def has_agent(self, kiosk: str) -> bool:
        """Whether the kiosk's print agent is connected (scale-out: to any process)."""
        with self._lock:
            if kiosk in self.active:
                return True
        return self.hub.realtime.scale_out and kiosk in self.hub.realtime.remote_agents()

    def printer_state(self, kiosk: str) -> dict:
        """The printer as the kiosk's screen should see it (no agent connected: offline)."""
        with self.hub.storage.read() as db:
            row = pj.device_state(db, kiosk)
        agent = self.has_agent(kiosk)
        if agent:
            state, detail = (row["state"], row["detail"]) if row else ("unknown", None)
        else:
            state = "offline"
            detail = row["detail"] if row and row["state"] == "offline" and row["detail"] else "print agent not connected"
        return {"kiosk": kiosk, "state": state, "detail": detail,
                "since": self.hub.clock.iso(row["updated_at"]) if row else None, "agent": agent}

    def _push_state(self, kiosk: str) -> None:
        state = self.printer_state(kiosk)
        self.sio.emit("printer_state", state, to=f"kiosk:{kiosk}")
        with self.hub.storage.read() as db:
            row = pj.device_state(db, kiosk)
        self.sio.emit("device_state", {"device": kiosk, "kind": "printer", "state": state["state"],
                                       "detail": state["detail"], "since": state["since"],
                                       "updated_at": row["updated_at"] if row else None, "agent": state["agent"]},
                      to="staff")

    # -- housekeeping: agents that left, jobs too old
    def _monitor_loop(self) -> None:
        last_expire = last_sweep = 0.0
        while True:
            self.sio.sleep(MONITOR_INTERVAL_S)
            try:
                self._check_agents()
                if self.hub.realtime.scale_out and time.monotonic() - last_sweep >= SWEEP_INTERVAL_S:
                    last_sweep = time.monotonic()
                    self._sweep()
                if time.monotonic() - last_expire >= EXPIRE_INTERVAL_S:
                    last_expire = time.monotonic()
                    with self.hub.storage.write() as db:
                        expired = pj.expire_old(db, self._now(), self.max_delay_s, journal=self._journal())
                    if expired:
                        log.info("%d print jobs expired unprinted (no agent printed them within %ss)",
                                 len(expired), self.max_delay_s)
            except Exception:
                log.exception("print agent check failed")

    def _sweep(self) -> None:
        """Scale-out: hand this process's agents the jobs still pending (issued on another process
        while this agent's arrival was not yet known there) or sent and not answered for
        ``RESEND_AFTER_S`` (sent to an agent that had just moved). The agent prints a job once
        whatever number of times it gets it (it answers repeats from its memory)."""
        with self._lock:
            active = dict(self.active)
        if not active:
            return
        now = self._now()
        with self._send_lock:
            with self.hub.storage.read() as db:
                rows = db.execute(
                    f"SELECT id FROM print_jobs WHERE kiosk IN ({', '.join('?' * len(active))}) AND "
                    "(status = 'pending' OR (status = 'sent' AND sent_at < ?)) AND created_at >= ? ORDER BY id",
                    [*active, now - RESEND_AFTER_S, now - self.max_delay_s]).fetchall()
                jobs = [pj.job_row(db, r[0]) for r in rows]
            by_kiosk: dict[str, list[dict]] = {}
            for job in jobs:
                if job is not None:
                    by_kiosk.setdefault(job["kiosk"], []).append(job)
            for kiosk, todo in by_kiosk.items():
                with self._lock:
                    sid = self.active.get(kiosk)
                if sid is not None and sid in self.hub.realtime.clients:
                    self._deliver(sid, todo)

    def _check_agents(self) -> None:
        clients = self.hub.realtime.clients
        lost: list[str] = []
        with self._lock:
            for sid, kiosk in list(self.agents.items()):
                if sid in clients:
                    continue
                del self.agents[sid]
                if self.active.get(kiosk) == sid:
                    others = [s for s, k in self.agents.items() if k == kiosk]
                    if others:
                        self.active[kiosk] = others[-1]
                    else:
                        del self.active[kiosk]
                        lost.append(kiosk)
        if lost:
            self.hub.realtime.presence_changed()
        for kiosk in lost:
            log.warning("kiosk %s: print agent disconnected", kiosk)
            if self.hub.realtime.scale_out and self.has_agent(kiosk):
                continue                            # it is back already, on another process
            self._apply_state(kiosk, "offline", "print agent not connected", force=True)
        if time.monotonic() - self.started >= AGENT_GRACE_S:
            for kiosk in self._kiosks:
                if self.has_agent(kiosk):
                    continue
                with self.hub.storage.read() as db:
                    row = pj.device_state(db, kiosk)
                if row is not None and row["state"] != "offline":
                    self._apply_state(kiosk, "offline", "print agent not connected")
