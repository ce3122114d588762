"""What a call looks like on screens (``C`` of contract section 5) and the audio that says it."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

from flask import Blueprint, abort, current_app, send_file

from ..announce import CHIME_WAV, SpeechError, SpeechSynthesizer, announcement_text, spoken_text
from ..rules.views import ticket_row, ticket_view

audio = Blueprint("audio", __name__)
CODE_RE = re.compile(r"^(?:[A-Z]{1,3}|[1-9])\d{3,6}$")


def make_voice(config) -> SpeechSynthesizer:
    cache = config.server.database.parent / "announcements"
    return SpeechSynthesizer(cache, voice=config.announce.voice, chime_path=CHIME_WAV)


def audio_url(hub, code: str, desk: int) -> str:
    return f"{hub.config.center.public_url}/audio/call/{quote(code)}/{desk}.wav"


def call_payload(db, hub, ticket_id: int, desk: int, at: float, recall: bool, prerender: bool = False) -> dict | None:
    row = ticket_row(db, ticket_id)
    if row is None:
        return None
    name = db.execute("SELECT name FROM desks WHERE number = ?", [desk]).fetchone()
    template = hub.config.announce.template
    if prerender and hub.voice is not None:
        hub.voice.submit(spoken_text(template, row["code"], desk), hub.config.announce.repeat)
    return {
        "ticket": ticket_view(db, hub.service.ctx, row),
        "desk": {"number": desk, "name": name[0] if name else f"Quầy {desk}"},
        "called_at": hub.clock.iso(at),
        "recall": recall,
        "announcement": {"text": announcement_text(template, row["code"], desk),
                         "audio_url": audio_url(hub, row["code"], desk)},
    }


def was_called(hub, code: str, desk: int) -> bool:
    """Only calls that really happened (today or yesterday) are spoken: nobody can make the server
    synthesise and cache sentences for made-up codes."""
    today = hub.clock.today()
    days = [today.isoformat(), (today - timedelta(days=1)).isoformat()]
    with hub.storage.read() as db:
        return db.execute(
            "SELECT 1 FROM tickets t JOIN events e ON e.ticket = t.id WHERE t.day IN (?, ?) AND t.code = ? "
            "AND e.desk = ? AND e.type IN ('called', 'recalled') LIMIT 1", [*days, code, desk]).fetchone() is not None


@audio.get("/audio/call/<code>/<int:desk>.wav")
def call_audio(code: str, desk: int):
    """The announcement of ``code`` to ``desk``: chime, sentence, repeated per announce.repeat."""
    hub = current_app.extensions["hangdoi"]
    if not CODE_RE.match(code) or hub.config.desk(desk) is None or hub.voice is None or not was_called(hub, code, desk):
        abort(404)
    spoken = spoken_text(hub.config.announce.template, code, desk)
    try:
        path = hub.voice.wav_for(spoken, hub.config.announce.repeat, timeout=15)
    except (SpeechError, TimeoutError) as err:
        current_app.logger.error("announcement for %s at desk %s failed: %s", code, desk, err)
        abort(503)
    response = send_file(path, mimetype="audio/wav", max_age=86400, conditional=True)
    return response
