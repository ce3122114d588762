"""The announcement's audio: ``/audio/call/CODE/DESK.wav``, spoken only for calls that happened."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, abort, current_app, send_file

from ..announce import spoken_text
from ..announce import SpeechError
from ..rules import calls as call_reads

audio = Blueprint("audio", __name__)
CODE_RE = re.compile(r"^(?:[A-Z]{1,3}|[1-9])\d{3,6}$")


def was_called(hub, code: str, desk: int) -> bool:
    """Only calls that really happened (today or yesterday) are spoken: nobody can make the server
    synthesise and cache sentences for made-up codes."""
    today = hub.clock.today()
    days = [today.isoformat(), (today - timedelta(days=1)).isoformat()]
    with hub.storage.read() as db:
        return call_reads.was_called(db, days, code, desk)


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
