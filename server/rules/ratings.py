"""Satisfaction ratings (đánh giá mức độ hài lòng): one per finished ticket, stored with the
ticket, the desk that served it and the officer who did.

Who may rate (staff, that desk's display, the visitor's phone with the ticket's secret) is the
web layer's business; here a rating is only refused for what the ticket is: not done yet, or
already rated. The rating is filed under the ticket's own day, so a report over a day counts
the ratings of that day's tickets even when a phone rates after midnight.
"""
from __future__ import annotations

from .. import i18n
from . import events as ev
from .context import RuleContext
from .errors import Conflict, Invalid, NotFound

SCORES = range(1, 6)
LEVELS = (5, 3)                 # [ratings] levels: both scales are in use in Vietnam
MAX_REASON = 200
SOURCES = ("desk_display", "phone", "staff")
MAX_COMMENT = 500

#: the five faces, from "very dissatisfied" to "very satisfied" (the wording Vietnamese centers use: rating.N)
SCORE_LABELS = {score: i18n.rating_label(score) for score in SCORES}
#: the three faces of a 3-level center (Không hài lòng / Hài lòng / Rất hài lòng: rating.2, rating.4, rating.5)
SCORE_LABELS_3 = {1: i18n.rating_label(2), 2: i18n.rating_label(4), 3: i18n.rating_label(5)}


def labels(levels: int) -> dict[int, str]:
    return SCORE_LABELS_3 if levels == 3 else SCORE_LABELS


def on_five(score: int, levels: int) -> float:
    """A score on the 1–5 scale, so that 3-level and 5-level ratings average together (3 → 1, 3, 5)."""
    return score if levels != 3 else 1 + (score - 1) * 2


def rate(db, ctx: RuleContext, actor: ev.Actor, ticket_id: int, score: int, comment: str | None, source: str,
         reason: str | None = None, levels: int = 5):
    """Store the rating of a finished ticket; returns (the rating, events). ``levels``: the scale the
    center runs ([ratings] levels, 5 or 3), stored with the score, which stays on its own scale."""
    if levels not in LEVELS:
        raise Invalid("invalid_levels", "ratings have 5 or 3 levels")
    if isinstance(score, bool) or not isinstance(score, int) or score not in range(1, levels + 1):
        raise Invalid("invalid_score", f"the score must be a whole number from 1 (dissatisfied) to {levels} "
                                       "(very satisfied)")
    reason = " ".join((reason or "").split()) or None
    if reason is not None and len(reason) > MAX_REASON:
        raise Invalid("invalid_reason", f"the reason may have at most {MAX_REASON} characters")
    if source not in SOURCES:
        raise Invalid("invalid_source", f"unknown rating source {source!r}")
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT:
        raise Invalid("invalid_comment", f"the comment may have at most {MAX_COMMENT} characters")
    row = db.execute("SELECT id, code, status, desk, officer, service, day FROM tickets WHERE id = ?",
                     [ticket_id]).fetchone()
    if row is None:
        raise NotFound("unknown_ticket", f"there is no ticket {ticket_id}")
    tid, code, status, desk, officer, service, day = row
    if status != "done":
        raise Conflict("not_done", f"ticket {code} is {status}; only a finished ticket can be rated")
    if db.execute("SELECT 1 FROM ratings WHERE ticket = ?", [tid]).fetchone():
        raise Conflict("already_rated", f"ticket {code} has already been rated")
    now = ctx.clock.now()
    db.execute("INSERT INTO ratings (ticket, score, comment, desk, officer, source, at, day, levels, reason) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [tid, score, comment, desk, officer, source, now, day, levels, reason])
    data = {"code": code, "score": score, "source": source}
    if levels != 5 or reason:
        data.update(levels=levels, reason=reason)
    event = ev.record(db, day, actor, ev.Event(ev.RATED, now, ticket=tid, desk=desk, service=service, data=data))
    rating = {"ticket": tid, "code": code, "score": score, "label": labels(levels)[score], "comment": comment,
              "desk": desk, "source": source, "rated_at": ctx.clock.iso(now), "levels": levels, "reason": reason}
    return rating, [event]


def ticket_desk(db, ticket_id: int) -> tuple[int | None, float | None]:
    """The desk that served the ticket and when it finished (None, None for no such ticket)."""
    row = db.execute("SELECT desk, finished_at FROM tickets WHERE id = ?", [ticket_id]).fetchone()
    return (row[0], row[1]) if row else (None, None)
