"""What a call looks like on screens (``C`` of contract section 5): one call, today's recent
calls for a screen's snapshot, and a call with its ticket's secret taken out."""
from __future__ import annotations

from urllib.parse import quote

from ..announce import announcement_text
from ..rules import calls as call_reads
from ..rules.shapes import ticket_row, ticket_view


def audio_url(hub, code: str, desk: int) -> str:
    return f"{hub.config.center.public_url}/audio/call/{quote(code)}/{desk}.wav"


def call_payload(db, hub, ticket_id: int, desk: int, at: float, recall: bool) -> dict | None:
    row = ticket_row(db, ticket_id)
    if row is None:
        return None
    name = call_reads.desk_name(db, desk)
    template = hub.config.announce.template
    return {
        "ticket": ticket_view(db, hub.service.ctx, row),
        "desk": {"number": desk, "name": name or f"Quầy {desk}"},
        "called_at": hub.clock.iso(at),
        "recall": recall,
        "announcement": {"text": announcement_text(template, row["code"], desk),
                         "audio_url": audio_url(hub, row["code"], desk)},
    }


def recent_calls(db, hub, limit: int = 20) -> list[dict]:
    """Today's calls, newest first, one per ticket (its latest call or recall)."""
    day = hub.clock.day_of(hub.clock.now())
    rows = call_reads.recent_call_events(db, day, limit * 5)
    seen, calls = set(), []
    for ticket, desk, at, type_ in rows:
        if ticket in seen:
            continue
        seen.add(ticket)
        payload = call_payload(db, hub, ticket, desk, at, recall=type_ == "recalled")
        if payload:
            calls.append(payload)
        if len(calls) == limit:
            break
    return calls


def public_call(call: dict) -> dict:
    """A call as shown on screens: the ticket's ``status_url`` without its secret (``?t=``)."""
    ticket = dict(call["ticket"])
    if ticket.get("status_url"):
        ticket["status_url"] = ticket["status_url"].split("?", 1)[0]
    return {**call, "ticket": ticket}
