"""Pages of the hall board and the desk displays (contract section 4); their static files and
templates live in ``counter_display/``, the screens' folder.

    /display/hall?token=DISPLAY_TOKEN          the waiting-area board (a display of kind "hall")
    /display/desk/N?token=DISPLAY_TOKEN        the screen above desk N (a display of kind "desk" for N)
    /display/silence.wav                       0.1 s of silence: how a page learns whether it may autoplay
    /display/audio/batch.wav?c=A012-3&c=...&token=DISPLAY_TOKEN   several calls said in one go

The pages are static HTML plus vanilla JS (no build step, no CDN; the Socket.IO client is the
project's vendored copy at /static/vendor/socket.io.min.js). Everything the server knows about
the display goes into the page as one JSON block (``tojson`` escapes ``<``, ``>`` and ``&``); the
scripts insert every name as text, never as HTML. A wrong or missing token gets a polite page
in Vietnamese with status 403, never a trace.
"""
from __future__ import annotations

import io
import re
import time
import wave
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request, send_file

import counter_display

from .. import i18n
from ..announce import SpeechError, spoken_text
from .audio import was_called
from .pages import render_page

DISPLAY_DIR = Path(counter_display.__file__).resolve().parent   # the screens' folder: static files, templates
display = Blueprint("counter_display", __name__, static_folder=str(DISPLAY_DIR / "static"),
                    static_url_path="/display-static", template_folder=str(DISPLAY_DIR / "templates"))

MAX_TOKEN_LENGTH = 512
BATCH_MAX = 6
BATCH_ITEM = re.compile(r"^((?:[A-Z]{1,3}|[1-9])\d{3,6})-(\d{1,6})$")


def _hub():
    return current_app.extensions["hangdoi"]


def _device_for(token: str | None):
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    device = _hub().devices.find(token)
    return device if device is not None and device.kind == "display" else None


def _forbidden(key: str, **params):
    """The polite 403 page: why (desk_display.forbidden.<key>), in Vietnamese and in English. A
    parameter given as (key, {params}) is itself said in each language."""
    def text(lang):
        words = {k: i18n.t(v[0], lang, **v[1]) if isinstance(v, tuple) else v for k, v in params.items()}
        return i18n.t("desk_display.forbidden." + key, lang, **words)

    return render_page("display/forbidden.html", status=403, reason=text("vi"), detail_en=text("en"),
                       center_name=_hub().config.center.name)


def _page_config(device, **extra) -> dict:
    """What the page's script needs, besides what Socket.IO sends (names come from the config)."""
    hub = _hub()
    config = hub.config
    return {
        "center": {"name": config.center.name, "notice": config.center.notice, "timezone": config.center.timezone},
        "display": {"id": device.id, "name": device.name, "kind": device.display_kind, "desk": device.desk,
                    "audio": bool(device.audio)},
        "agencies": [{"code": a.code, "name": a.name, "services": [s.code for s in a.services]}
                     for a in config.agencies],
        "services": {s.code: {"name": s.name, "agency": s.agency} for s in config.services.values()},
        "desks": [{"number": d.number, "name": d.name, "agency": d.agency} for d in config.desks],
        "server_time_ms": int(time.time() * 1000),
        "socket_path": "/socket.io",
        **extra,
    }


@display.get("/display/hall")
def hall():
    device = _device_for(request.args.get("token"))
    if device is None:
        return _forbidden("unknown_token")
    if device.display_kind != "hall":
        return _forbidden("desk_token_at_hall", desk=device.desk)
    config = _hub().config
    # `[[displays]] english = false`: this board shows no English subtitles
    english = next((d.english for d in config.displays if d.id == device.id), True)
    return render_page("display/hall.html", page_config=_page_config(device, english=english),
                       center_name=config.center.name, notice=config.center.notice, english=english)


@display.get("/display/desk/<int:number>")
def desk(number: int):
    device = _device_for(request.args.get("token"))
    if device is None:
        return _forbidden("unknown_token")
    if device.display_kind != "desk" or device.desk != number:
        where = (("desk_display.forbidden.where_desk", {"desk": device.desk}) if device.display_kind == "desk"
                 else ("desk_display.forbidden.where_hall", {}))
        return _forbidden("wrong_desk", where=where, number=number)
    config = _hub().config
    desk_config = config.desk(number)
    if desk_config is None:
        return _forbidden("no_desk", number=number)
    agency = config.agency(desk_config.agency)
    return render_page("display/desk.html", page_config=_page_config(device), center_name=config.center.name,
                       desk_number=number, desk_name=desk_config.name, agency_name=agency.name if agency else "")


def _silent_wav(seconds: float = 0.1, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(2 * int(seconds * rate)))
    return buffer.getvalue()


SILENCE = _silent_wav()


@display.get("/display/silence.wav")
def silence():
    response = Response(SILENCE, mimetype="audio/wav")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@display.get("/display/audio/batch.wav")
def batch_audio():
    """A backlog of calls said in one file: the chime once, then each sentence once.

    ``c`` is ``CODE-DESK``, given 2 to 6 times; only desks of the config are accepted, and only a
    display's ``token`` may ask (each new combination costs a synthesis and a cached file). The
    synthesis runs in the one speech worker and is cached like every announcement.
    """
    hub = _hub()
    if _device_for(request.args.get("token")) is None:
        abort(403)
    items = request.args.getlist("c")
    if not 2 <= len(items) <= BATCH_MAX or hub.voice is None:
        abort(404)
    sentences = []
    for item in items:
        match = BATCH_ITEM.match(item)
        if not match or hub.config.desk(int(match[2])) is None or not was_called(hub, match[1], int(match[2])):
            abort(404)          # only calls that happened, as /audio/call/: no WAV for made-up codes
        sentences.append(spoken_text(hub.config.announce.template, match[1], int(match[2])))
    try:
        path = hub.voice.wav_for(". ".join(sentences), 0, timeout=20)
    except (SpeechError, TimeoutError, ValueError) as err:
        current_app.logger.error("batch announcement %s failed: %s", items, err)
        abort(503)
    return send_file(path, mimetype="audio/wav", max_age=86400, conditional=True)


@display.after_request
def _static_headers(response):
    if request.path.startswith("/display-static/"):
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def register(app, hub) -> None:
    """Called by the application factory: add this package's routes."""
    app.register_blueprint(display)
