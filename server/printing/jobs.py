"""Print jobs and device states over a sqlite-utils connection (call inside ``storage.write()``
for the functions that change rows)."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from server import i18n

from ..rules import events as ev

OPEN = ("pending", "sent")
PRINTER_STATES = ("online", "paper_low", "paper_out", "offline", "unknown")
MAX_DETAIL = 200

def _clean(text: str | None) -> str | None:
    """An agent's words (an error, a printer's detail) as stored and shown: one line, no control
    characters, at most MAX_DETAIL characters."""
    if text is None:
        return None
    text = " ".join("".join(" " if unicodedata.category(c) in ("Cc", "Cs") or c in "\u2028\u2029" else c
                             for c in text).split())
    return text[:MAX_DETAIL] or None


def priority_label(priority: str | None) -> str | None:
    """The line printed under the code of a priority ticket: ``Ưu tiên: Người cao tuổi``."""
    if not priority:
        return None
    return i18n.t("priority.label", p=i18n.priority_label(priority))


def source_label(source: str | None, slot: str | None) -> str | None:
    """The line printed under the code of a booked or remote ticket: ``Đặt lịch 08:00–08:30``,
    ``Từ xa``; None for a walk-in."""
    if source == "booked":
        if slot:
            return i18n.t("source.booked", slot="\u2013".join(part.strip() for part in re.split("[-\u2013]", slot, maxsplit=1)))
        return i18n.t("source.booked_plain")
    if source == "remote":
        return i18n.t("source.remote")
    return None


def create_job(db, ticket_id: int, kiosk: str, now: float) -> int:
    """The print job of a kiosk's ticket (one per ticket)."""
    return db.execute(
        "INSERT INTO print_jobs (ticket, kiosk, created_at, status) VALUES (?, ?, ?, 'pending') "
        "ON CONFLICT (ticket) DO UPDATE SET kiosk = kiosk RETURNING id", [ticket_id, kiosk, now]).fetchone()[0]


def _rows(cur) -> list[dict]:
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def job_row(db, job_id: int) -> dict | None:
    rows = _rows(db.execute("SELECT * FROM print_jobs WHERE id = ?", [job_id]))
    return rows[0] if rows else None


def job_for_ticket(db, ticket_id: int) -> dict | None:
    rows = _rows(db.execute("SELECT * FROM print_jobs WHERE ticket = ?", [ticket_id]))
    return rows[0] if rows else None


EXPIRED_ERROR = "not printed within the time limit"


def _ended(journal, db, job_id: int, ticket: int, kiosk: str, status: str, error: str | None) -> None:
    """The event of a job's end (printed, failed, expired): every change is an event (issue 11)."""
    if journal is not None:
        journal.write(db, ev.PRINT_JOB, ticket=ticket, job=job_id, kiosk=kiosk, status=status, error=error)


def expire_old(db, now: float, max_delay_s: float, kiosk: str | None = None, journal=None) -> list[dict]:
    """Mark open jobs older than ``max_delay_s`` expired (they are never printed late); return them."""
    cur = db.execute(
        "UPDATE print_jobs SET status = 'expired', done_at = ?, error = ? "
        "WHERE status IN ('pending', 'sent') AND created_at < ? AND (? IS NULL OR kiosk = ?) "
        "RETURNING id, ticket, kiosk", [now, EXPIRED_ERROR, now - max_delay_s, kiosk, kiosk])
    expired = _rows(cur)
    for job in expired:
        _ended(journal, db, job["id"], job["ticket"], job["kiosk"], "expired", EXPIRED_ERROR)
    return expired


def open_jobs(db, kiosk: str, now: float, max_delay_s: float, journal=None) -> list[dict]:
    """Every job of ``kiosk`` still to print, oldest first, after expiring the ones too old."""
    expire_old(db, now, max_delay_s, kiosk, journal)
    return _rows(db.execute(
        "SELECT * FROM print_jobs WHERE kiosk = ? AND status IN ('pending', 'sent') ORDER BY id", [kiosk]))


def mark_sent(db, job_id: int, now: float) -> None:
    """The job was handed to an agent (it may already have answered: that answer stays)."""
    db.execute(
        "UPDATE print_jobs SET attempts = attempts + 1, sent_at = ?, "
        "status = CASE WHEN status = 'pending' THEN 'sent' ELSE status END WHERE id = ?", [now, job_id])


def acknowledge(db, job_id: int, kiosk: str, ok: bool, error: str | None, now: float, journal=None) -> dict | None:
    """Record an agent's answer. Returns the job after it, or None when the job is not this kiosk's.

    ``ok``: printed (even if the server had meanwhile given up on it: the paper is out, that is
    the truth). Not ok: ``failed`` with the error, or ``expired`` when the agent found the job too
    old to print. A job already printed stays printed (a repeated answer changes nothing).
    """
    job = job_row(db, job_id)
    if job is None or job["kiosk"] != kiosk:
        return None
    if ok:
        if job["status"] != "printed":
            db.execute("UPDATE print_jobs SET status = 'printed', done_at = ?, error = NULL WHERE id = ?",
                       [now, job_id])
            _ended(journal, db, job_id, job["ticket"], kiosk, "printed", None)
    elif job["status"] in OPEN:
        status = "expired" if error == "expired" else "failed"
        db.execute("UPDATE print_jobs SET status = ?, done_at = ?, error = ? WHERE id = ?",
                   [status, now, _clean(error) or "failed", job_id])
        _ended(journal, db, job_id, job["ticket"], kiosk, status, _clean(error) or "failed")
    return job_row(db, job_id)


def set_device_state(db, device: str, state: str, detail: str | None, now: float, journal=None) -> bool:
    """Store a device's state; True when it changed (``updated_at`` = since when it is so). A
    change (of the state or of its wording) is a ``device_state`` event in ``journal``."""
    if state not in PRINTER_STATES:
        raise ValueError(f"unknown printer state {state!r}")
    detail = _clean(detail)
    row = db.execute("SELECT state, detail FROM device_states WHERE device = ?", [device]).fetchone()
    if row is not None and row[0] == state and row[1] == detail:
        return False
    if row is not None and row[0] == state:  # same state, new wording: keep "since"
        db.execute("UPDATE device_states SET detail = ? WHERE device = ?", [detail, device])
        if journal is not None:
            journal.write(db, ev.DEVICE_STATE, device=device, state=state, detail=detail)
        return True
    db.execute("INSERT INTO device_states (device, state, detail, updated_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (device) DO UPDATE SET state = excluded.state, detail = excluded.detail, "
               "updated_at = excluded.updated_at", [device, state, detail, now])
    if journal is not None:
        journal.write(db, ev.DEVICE_STATE, device=device, state=state, detail=detail)
    return True


def device_state(db, device: str) -> dict | None:
    rows = _rows(db.execute("SELECT device, state, detail, updated_at FROM device_states WHERE device = ?", [device]))
    return rows[0] if rows else None


def job_payload(db, ctx, center_name: str, job: dict, now: float, max_delay_s: float) -> dict[str, Any] | None:
    """What the agent needs to print a job: the ticket (contract shape) and the ticket's other lines."""
    from ..rules.shapes import ticket_row, ticket_view

    row = ticket_row(db, job["ticket"])
    if row is None:
        return None
    ticket = ticket_view(db, ctx, row)
    if row["status"] != "waiting":           # printed late or after a call: print what it was at issue
        ticket["waiting_ahead"] = 0
    if row.get("issue_estimate_s") is not None:
        ticket["estimated_wait_s"] = row["issue_estimate_s"]
    return {
        "job_id": job["id"],
        "ticket": ticket,
        "center_name": center_name,
        "priority_label": priority_label(ticket["priority"]),
        "source_label": source_label(ticket.get("source"), ticket.get("slot")),
        "attempt": job["attempts"] + 1,
        "expires_in_s": max(0.0, round(job["created_at"] + max_delay_s - now, 3)),
    }
