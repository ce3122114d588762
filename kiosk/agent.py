"""The print agent beside a kiosk's thermal printer: ``hangdoi kiosk --server URL --token TOKEN --printer SPEC``.

It stays connected to the server over Socket.IO with the kiosk's token (reconnecting forever,
with backoff), prints every ticket job of its kiosk through ``kiosk.printers`` (the job is
rendered here, for this printer's paper width and QR support, then cut), acknowledges each job,
and reports the printer's state (online, paper_low, paper_out, offline, unknown) on every change
and every minute. The protocol is described in ``server.printing.relay``.

Nothing is printed twice: the agent remembers the jobs it has answered, so a job the server sends
again after a reconnect (because the answer was lost) is only acknowledged again. A job that
reaches the printer later than the server's ``expires_in_s`` is not printed: the visitor already
read the code on the kiosk's screen.

A printer that cannot be reached at all (switched off, cable out: not one byte went out) does not
fail its jobs: they are held, in order, and tried again at every printer check until they print
or grow older than ``expires_in_s`` (then answered "expired"). A job that failed half-sent is
answered as failed, never sent twice.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any

from .escpos_job import ticket_job
from .printer_spec import PrinterSpec
from .printers import Printer, PrinterError, open_printer
from .ticket_layout import TicketPrint

log = logging.getLogger("hangdoi.agent")

STATUS_INTERVAL_S = 10.0      # how often the printer is asked for its state
HEARTBEAT_S = 60.0            # the state is reported at least this often
REMEMBERED_JOBS = 2000
MAX_BATCH = 10                # jobs sent to the printer in one go when a burst queued up


def agent_version() -> str:
    try:
        from importlib.metadata import version

        return version("hangdoi")
    except Exception:
        return "0"


def ticket_print(payload: dict[str, Any]) -> TicketPrint:
    """The TicketPrint of a ``print_job`` payload (``ValueError``/``KeyError``/``TypeError`` if malformed)."""
    t = payload["ticket"]
    issued = datetime.fromisoformat(t["issued_at"])
    estimate = t.get("estimated_wait_s")
    return TicketPrint(
        center_name=str(payload.get("center_name") or ""),
        agency_name=str(t.get("agency_name") or t.get("agency") or ""),
        service_name=str(t.get("service_name") or t.get("service") or ""),
        code=str(t["code"]),
        issued_at=issued,
        waiting_ahead=int(t.get("waiting_ahead") or 0),
        estimated_wait_s=int(estimate) if estimate is not None else None,
        status_url=str(t["status_url"]),
        priority_label=payload.get("priority_label") or None,
        source_label=payload.get("source_label") or None,
        estimate=t.get("estimate") if isinstance(t.get("estimate"), dict) else None,
    )


class AgentAuthError(Exception):
    """The server refused the kiosk token."""


class PrintAgent:
    def __init__(self, server: str, token: str, printer: Printer | PrinterSpec, *,
                 status_interval_s: float = STATUS_INTERVAL_S, heartbeat_s: float = HEARTBEAT_S,
                 reconnect_delay_s: float = 0.5, reconnect_delay_max_s: float = 2.0):
        import socketio

        self.server = server.rstrip("/")
        self.token = token
        self.printer = open_printer(printer) if isinstance(printer, PrinterSpec) else printer
        self.status_interval_s = status_interval_s
        self.heartbeat_s = heartbeat_s
        self.reconnect_delay_s = reconnect_delay_s
        self.reconnect_delay_max_s = reconnect_delay_max_s
        self.sio = socketio.Client(reconnection=True, reconnection_attempts=0,
                                   reconnection_delay=reconnect_delay_s, reconnection_delay_max=reconnect_delay_max_s,
                                   randomization_factor=0.3, logger=False, engineio_logger=False)
        self._jobs: "queue.Queue[tuple[dict, float] | None]" = queue.Queue()
        self._queued: set[int] = set()
        self._held: list[tuple[dict, float]] = []   # jobs waiting for an unreachable printer, in order
        self._answers: "OrderedDict[int, dict]" = OrderedDict()   # job id → the ack sent
        self._lock = threading.Lock()
        self._printer_lock = threading.Lock()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self.state, self.detail = "unknown", None
        self._reported: tuple[str, str | None, float] | None = None
        self._sensor = True              # False once the printer never answers DLE EOT 4
        self._last_print_ok: bool | None = None
        self.last_connect_error: str | None = None
        self.printed = 0
        self._register()

    # ---- Socket.IO ----------------------------------------------------------------------------
    def _register(self) -> None:
        sio = self.sio

        @sio.event
        def connect():
            self.last_connect_error = None
            self._connected.set()
            log.info("connected to %s", self.server)
            sio.emit("agent_hello", {"version": agent_version(), "printer": str(self.printer.spec),
                                     "width": self.printer.width_dots, "state": self.state, "detail": self.detail})
            self._reported = (self.state, self.detail, time.monotonic())

        @sio.event
        def connect_error(data=None):
            message = data.get("message") if isinstance(data, dict) else data
            self.last_connect_error = str(message or "connection failed")

        @sio.event
        def disconnect(*_):
            self._connected.clear()
            if not self._stop.is_set():
                log.warning("lost the connection to %s; reconnecting", self.server)

        @sio.on("print_job")
        def on_job(payload=None):
            self._receive(payload)

        @sio.on("error")
        def on_error(data=None):
            log.warning("server says: %s", data)

    def _emit(self, event: str, data: dict) -> bool:
        try:
            self.sio.emit(event, data)
            return True
        except Exception as exc:           # not connected: the server resends what we could not answer
            log.debug("could not send %s: %s", event, exc)
            return False

    def _connect_first(self) -> None:
        """Connect, retrying with backoff until it works; a refused token is fatal (AgentAuthError)."""
        import socketio

        delay = self.reconnect_delay_s
        while not self._stop.is_set():
            try:
                self.sio.connect(self.server, auth={"token": self.token}, transports=["websocket"],
                                 wait_timeout=10)
                return
            except socketio.exceptions.ConnectionError as exc:
                reason = self.last_connect_error or str(exc)
                # the server's connect handler said no: with a kiosk token that means the token
                # (the reason is "invalid_token", or python-socketio's generic refusal)
                if "invalid_token" in reason or "refused by server" in reason:
                    raise AgentAuthError(f"the server {self.server} refused the kiosk token") from None
                log.warning("cannot reach %s (%s); trying again in %.1f s", self.server, reason, delay)
            self._stop.wait(delay)
            delay = min(self.reconnect_delay_max_s, delay * 2)

    # ---- jobs ---------------------------------------------------------------------------------
    def _receive(self, payload) -> None:
        job_id = payload.get("job_id") if isinstance(payload, dict) else None
        if not isinstance(job_id, int):
            log.warning("ignored a malformed print job: %r", payload)
            return
        with self._lock:
            answer = self._answers.get(job_id)
            if answer is None and job_id in self._queued:
                return                     # already waiting for the printer
            if answer is None:
                self._queued.add(job_id)
        if answer is not None:             # printed (or refused) before: answer again, never reprint
            self._emit("print_ack", answer)
            return
        self._jobs.put((payload, time.monotonic()))

    def _work(self) -> None:
        """Print jobs in arrival order. Jobs that queued up meanwhile (a burst at the kiosk) go to
        the printer together: one paper check and one connection for the lot, each still cut apart."""
        while True:
            item = self._jobs.get()
            if item is None:
                return
            with self._lock:
                if self._held:             # the printer is away: queue behind the held jobs, keep the order
                    self._held.append(item)
                    continue
            batch = [item]
            while len(batch) < MAX_BATCH and self.printer_batches:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._jobs.put(None)
                    break
                batch.append(more)
            try:
                answers = self._print(batch)
            except Exception as exc:       # never let one job stop the agent
                log.exception("jobs %s failed", [p.get("job_id") for p, _ in batch])
                answers = [{"job_id": p["job_id"], "ok": False, "error": f"agent error: {exc}"[:200]} for p, _ in batch]
            with self._lock:
                for item, answer in zip(batch, answers):
                    if answer.get("hold"):
                        self._held.append(item)
                        continue
                    self._queued.discard(item[0]["job_id"])
                    self._answers[item[0]["job_id"]] = answer
                while len(self._answers) > REMEMBERED_JOBS:
                    self._answers.popitem(last=False)
            for answer in answers:
                if not answer.get("hold"):
                    self._emit("print_ack", answer)
            if answers and answers[-1].get("hold"):
                self._report_state()        # no answer carries it: tell the server the printer is away
            elif answers and "state" in answers[-1]:
                self._reported = (answers[-1]["state"], answers[-1].get("detail"), time.monotonic())

    @property
    def printer_batches(self) -> bool:
        """Whether several jobs may go to the printer in one send (not for preview PNGs or CUPS jobs)."""
        return self.printer.spec.kind in ("network", "usb", "serial", "file")

    def _print(self, batch: list[tuple[dict, float]]) -> list[dict]:
        answers: dict[int, dict] = {}
        todo: list[tuple[dict, bytes]] = []
        for payload, received in batch:
            job_id = payload["job_id"]
            expires = payload.get("expires_in_s")
            code = (payload.get("ticket") or {}).get("code", "?")
            if isinstance(expires, (int, float)) and time.monotonic() - received > expires:
                log.info("job %s (%s) is too old to print; skipped", job_id, code)
                answers[job_id] = {"job_id": job_id, "ok": False, "error": "expired"}
                continue
            try:
                ticket = ticket_print(payload)
                job = ticket_job(ticket, self.printer.width_dots, self.printer.native_qr)
            except (KeyError, TypeError, ValueError) as exc:
                answers[job_id] = {"job_id": job_id, "ok": False, "error": f"malformed job: {exc}"[:200]}
                continue
            todo.append((payload, job))
        if todo:
            answers.update(self._send(todo))
        return [answers[p["job_id"]] for p, _ in batch]

    def _send(self, todo: list[tuple[dict, bytes]]) -> dict[int, dict]:
        codes = ", ".join(str(p["ticket"].get("code")) for p, _ in todo)
        ids = [p["job_id"] for p, _ in todo]
        started = time.perf_counter()
        with self._printer_lock:
            if self._sensor:
                state = self.printer.status()
                if state == "unknown":
                    self._sensor = False   # no paper sensor answer: do not wait for it before every job
                elif state == "paper_out":
                    self._set_state("paper_out", "out of paper")
                    log.warning("%s not printed: the printer is out of paper", codes)
                    return {i: {"job_id": i, "ok": False, "error": "paper_out", "state": "paper_out",
                                "detail": "out of paper"} for i in ids}
            try:
                data = b"".join(job for _, job in todo)
                self.printer.send(data if len(todo) > 1 else todo[0][1], name=todo[0][1].name)
            except PrinterError as exc:
                self._last_print_ok = False
                self._set_state(exc.state, str(exc))
                if exc.unsent:              # nothing went out: keep the jobs for when the printer is back
                    log.warning("%s not printed yet: %s; trying again while they are fresh", codes, exc)
                    return {i: {"job_id": i, "hold": True} for i in ids}
                log.warning("%s not printed: %s", codes, exc)
                return {i: {"job_id": i, "ok": False, "error": str(exc)[:200], "state": exc.state,
                            "detail": str(exc)[:200]} for i in ids}
        self._last_print_ok = True
        self.printed += len(todo)
        if self.state in ("offline", "unknown", "paper_out"):
            self._set_state("online", None)
        log.info("printed %s (job%s %s) in %.0f ms", codes, "s" if len(ids) > 1 else "",
                 ", ".join(map(str, ids)), (time.perf_counter() - started) * 1000)
        return {i: {"job_id": i, "ok": True, "state": self.state, "detail": self.detail} for i in ids}

    # ---- printer state ------------------------------------------------------------------------
    def _set_state(self, state: str, detail: str | None) -> None:
        if (state, detail) != (self.state, self.detail):
            log.info("printer state: %s%s", state, f" ({detail})" if detail else "")
        self.state, self.detail = state, detail

    def check_printer(self) -> str:
        """Ask the printer for its state and report it when it changed (or at the heartbeat)."""
        with self._printer_lock:
            state = self.printer.status()
        if state == "unknown":
            self._sensor = False
            if self._last_print_ok is not None:   # no sensor answer: the last job tells
                state = "online" if self._last_print_ok else self.state
        else:
            self._sensor = True
        detail = {"paper_out": "out of paper", "paper_low": "paper running low",
                  "offline": "the printer does not answer"}.get(state)
        if state == self.state and self.state == "offline" and self.detail:
            detail = self.detail
        self._set_state(state, detail)
        self._report_state()
        return state

    def _report_state(self) -> None:
        """Send the printer's state when it changed since the last report (or at the heartbeat)."""
        state, detail, reported = self.state, self.detail, self._reported
        if (reported is None or reported[:2] != (state, detail)
                or time.monotonic() - reported[2] >= self.heartbeat_s) and self._connected.is_set():
            if self._emit("printer_state", {"state": state, "detail": detail}):
                self._reported = (state, detail, time.monotonic())

    def _retry_held(self) -> None:
        """Give the held jobs to the worker again (expired ones are answered so there)."""
        with self._lock:
            held, self._held = self._held, []
        for item in held:
            self._jobs.put(item)

    def _watch(self) -> None:
        while not self._stop.wait(self.status_interval_s):
            try:
                self.check_printer()
            except Exception:
                log.exception("printer status check failed")
            self._retry_held()

    # ---- life ---------------------------------------------------------------------------------
    def start(self) -> "PrintAgent":
        """Check the printer once, connect (blocking until connected or stopped), start the workers."""
        try:
            self.state = self.printer.status()
            if self.state == "unknown":
                self._sensor = False
        except Exception:
            self.state = "unknown"
        log.info("printer %s: %s", self.printer.spec, self.state)
        threading.Thread(target=self._work, name="print-worker", daemon=True).start()
        self._connect_first()
        threading.Thread(target=self._watch, name="printer-watch", daemon=True).start()
        return self

    def run(self) -> None:
        """Start and stay until ``stop()`` (SIGTERM, Ctrl-C)."""
        self.start()
        self._stop.wait()
        self.close()

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self._jobs.put(None)
        try:
            self.sio.disconnect()
        except Exception:
            pass
        self.printer.close()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()


def run_agent(server: str, token: str, spec: PrinterSpec, *, status_interval_s: float = STATUS_INTERVAL_S) -> int:
    """``hangdoi kiosk``: returns the exit status (0 stopped, 2 token refused)."""
    import signal

    agent = PrintAgent(server, token, spec, status_interval_s=status_interval_s)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: agent.stop())
    try:
        agent.run()
    except AgentAuthError as exc:
        log.error("%s: check --token against [[kiosks]] in the server's config.toml", exc)
        agent.close()
        return 2
    log.info("stopped after printing %d tickets", agent.printed)
    return 0
