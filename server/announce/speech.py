"""The announcement voice: pyttsx3 over espeak-ng, in one worker thread, cached.

``SpeechSynthesizer.wav_for(spoken, repeat)`` gives the path of one WAV
(mono, 16-bit, espeak-ng's 22050 Hz) holding: the chime, a short pause, the
sentence, then ``repeat`` times a longer pause and the sentence again.
Files are named by a hash of everything that shapes them and written
atomically (temporary file, then rename): a reader never sees half a file,
and asking again costs nothing.

pyttsx3's espeak engine is one per process and not safe from two threads at
once, so every synthesis of the process runs in ONE worker thread fed by a
queue; a request for a sentence already being made joins that job. Under
gevent the worker is a real OS thread (from the unpatched ``_thread``
module) and a greenlet waiting for a result parks on an ``AsyncResult``
that the worker resolves through ``loop.run_callback_threadsafe``, so the
event loop keeps serving everyone else meanwhile.
"""

from __future__ import annotations

import array
import hashlib
import importlib
import importlib.metadata
import logging
import math
import operator
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

__all__ = ["SpeechError", "SpeechSynthesizer", "find_voice_id"]

log = logging.getLogger(__name__)

FORMAT_VERSION = "1"  # bump when the layout of the WAV changes
WORDS_PER_MINUTE = 150  # espeak-ng's default is 175, pyttsx3 sets 200; a hall needs slower
PAUSE_AFTER_CHIME_S = 0.35
PAUSE_BEFORE_REPEAT_S = 1.0
MAX_REPEAT = 5
MIN_SPEECH_S = 0.2
MIN_SPEECH_RMS = 200.0  # of 32767; espeak-ng's speech is around 3,000-4,000
DEFAULT_TIMEOUT_S = 60.0  # a caller waiting, queue included
SYNTH_TIMEOUT_S = 30.0  # one sentence inside espeak-ng (a call takes ~20 ms)
# The cache of announcement WAVs is bounded (issue 9): after each WAV made, files older than
# CACHE_MAX_AGE_S go, then the oldest until the folder holds at most CACHE_MAX_BYTES. A call's WAV
# is about 0.5-2 MB; a busy day makes a few hundred, a batch one more each. Remade if asked again.
CACHE_MAX_BYTES = 512 * 1024 * 1024
CACHE_MAX_AGE_S = 2 * 24 * 3600


class SpeechError(RuntimeError):
    """The sentence could not be turned into sound."""


# --- threads and greenlets -------------------------------------------------


def _original(module: str, name: str):
    """``module.name`` as it was before any gevent monkey patching."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None:
        return monkey.get_original(module, name)
    return getattr(importlib.import_module(module), name)


def _gevent_hub():
    """The gevent hub to wait on in this thread, or None to block the thread."""
    if "gevent" not in sys.modules:
        return None
    import gevent
    from gevent import monkey

    if monkey.is_module_patched("threading"):
        return gevent.get_hub()
    try:
        from gevent._hub_local import get_hub_if_exists
    except ImportError:  # pragma: no cover - private helper moved
        return None
    return get_hub_if_exists()


# --- logging from the worker thread ----------------------------------------

_LOG_LOOP = None  # the gevent loop of the thread that hands work to the voice (None without gevent)


def _remember_loop() -> None:
    global _LOG_LOOP
    if _LOG_LOOP is None:
        hub = _gevent_hub()
        if hub is not None:
            _LOG_LOOP = hub.loop


def _log(level: int, msg: str, *args, exc_info: bool = False) -> None:
    """Log from the worker thread without taking a lock there.

    Under gevent, logging's handler locks are gevent locks; taking one from this real OS thread
    while a greenlet holds it (or the other way round) stalls request handling (seen by the
    simulation: 30–120 s hangs right after an "announcement audio" line). So the worker hands the
    record to the server's own loop, which writes it.
    """
    if exc_info:
        import traceback

        msg, args = msg + "\n%s", (*args, traceback.format_exc())
    loop = _LOG_LOOP
    if loop is None:
        log.log(level, msg, *args)
    else:
        loop.run_callback_threadsafe(lambda: log.log(level, msg, *args))


class _Worker:
    """The one real thread per process that runs every synthesis, in order."""

    def __init__(self) -> None:
        self._lock = _original("_thread", "allocate_lock")()
        self._queue = None

    def put(self, task: Callable[[], None]) -> None:
        _remember_loop()
        with self._lock:
            if self._queue is None:
                self._queue = _original("queue", "SimpleQueue")()
                _original("_thread", "start_new_thread")(self._run, (self._queue,))
        self._queue.put(task)

    @staticmethod
    def _run(queue) -> None:
        while True:
            task = queue.get()
            try:
                task()  # tasks report their own errors; this is a last resort
            except BaseException:
                _log(logging.ERROR, "speech worker task failed", exc_info=True)

    def forget_after_fork(self) -> None:
        self._lock = _original("_thread", "allocate_lock")()
        self._queue = None  # the thread did not survive the fork


_WORKER = _Worker()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_WORKER.forget_after_fork)


# --- voices (used only from the worker thread) -------------------------------


def _as_text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "ignore")
    return str(value or "").strip().lower()


def find_voice_id(voices, wanted: str) -> str | None:
    """The id of the installed voice that best matches ``wanted`` ("vi"):
    exact id, then the id's last part ("aav/vi"), then a language, then the
    name, then a variant ("vi-vn-x-south")."""
    wanted = wanted.strip().lower()
    rows = [(_as_text(v.id), [_as_text(x) for x in getattr(v, "languages", None) or []],
             _as_text(getattr(v, "name", ""))) for v in voices]
    tests = (
        lambda vid, langs, name: vid == wanted,
        lambda vid, langs, name: vid.rsplit("/", 1)[-1] == wanted,
        lambda vid, langs, name: wanted in langs,
        lambda vid, langs, name: name in (wanted, wanted.replace("_", " ")),
        lambda vid, langs, name: any(x.startswith(wanted + "-")
                                     for x in langs + [vid.rsplit("/", 1)[-1]]),
    )
    for test in tests:
        for row, voice in zip(rows, voices):
            if test(*row):
                return voice.id
    return None


class _Pyttsx3Voice:
    """The path used: pyttsx3's espeak driver, headless ``save_to_file``.

    pyttsx3 2.99 runs espeak-ng in its asynchronous mode: ``runAndWait()``
    can return (after its 10 ms sleep) while espeak's own thread is still
    synthesising, and the driver writes the WAV from that thread when done.
    Read too early, the WAV is missing: that is how one got "lost". So each
    ``save`` also waits for the driver's ``finished-utterance``, which it
    sends after the file is written and closed.
    """

    def __init__(self) -> None:
        import pyttsx3
        import pyttsx3.drivers.espeak as driver

        # The driver print()s "Audio saved to ..." for every file, from
        # espeak's thread; silence it (no logging there: it is not a Python
        # thread and must not touch gevent-patched locks).
        driver.print = lambda *args, **kwargs: None
        self.engine = pyttsx3.init("espeak")  # kept: pyttsx3 holds engines weakly
        self.engine.connect("finished-utterance", self._on_finished)
        self._voices: dict[str, str] = {}
        self._settings: tuple[str, int] | None = None
        self._latch = None
        self._completed = False
        self.name = f"pyttsx3 {_version('pyttsx3')} (espeak-ng)"

    def _voice_id(self, wanted: str) -> str:
        if wanted not in self._voices:
            voices = self.engine.getProperty("voices")
            found = find_voice_id(voices, wanted)
            if found is None:
                known = ", ".join(sorted(v.id for v in voices)) or "none"
                raise SpeechError(f"espeak-ng has no voice matching {wanted!r} (installed: {known})")
            _log(logging.INFO, "speech voice %r is espeak-ng's %s", wanted, found)
            self._voices[wanted] = found
        return self._voices[wanted]

    def _on_finished(self, completed: bool = True, **_) -> None:
        # Runs on espeak-ng's thread: plain attributes and a raw lock only.
        latch, self._latch = self._latch, None
        if latch is not None:
            self._completed = bool(completed)
            latch.release()

    def save(self, text: str, path: Path, voice: str, rate: int) -> None:
        if self._settings != (voice, rate):
            self.engine.setProperty("voice", self._voice_id(voice))
            self.engine.setProperty("rate", rate)
            self._settings = (voice, rate)
        latch = _original("_thread", "allocate_lock")()
        latch.acquire()
        self._completed, self._latch = False, latch
        self.engine.save_to_file(text, str(path))
        self.engine.runAndWait()
        if not latch.acquire(timeout=SYNTH_TIMEOUT_S):
            self._latch = None
            raise SpeechError(f"espeak-ng did not finish within {SYNTH_TIMEOUT_S:g} s: {text!r}")
        if not self._completed:
            raise SpeechError(f"espeak-ng stopped before the end of {text!r}")


class _EspeakCommandVoice:
    """Fallback only when pyttsx3 cannot load: the espeak-ng command line."""

    def __init__(self) -> None:
        self.exe = shutil.which("espeak-ng") or shutil.which("espeak")
        if not self.exe:
            raise SpeechError("neither pyttsx3 nor the espeak-ng command can speak here")
        self.name = f"{self.exe} (command line fallback)"

    def save(self, text: str, path: Path, voice: str, rate: int) -> None:
        cmd = [self.exe, "-v", voice, "-s", str(rate), "-b", "1", "-w", str(path)]
        done = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True,
                              timeout=SYNTH_TIMEOUT_S)
        if done.returncode:
            raise SpeechError(f"espeak-ng failed: {done.stderr.decode(errors='replace').strip()}")


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


_backend = None


def _voice_backend():
    """pyttsx3, loaded once in the worker; the command line if it cannot load."""
    global _backend
    if _backend is None:
        try:
            _backend = _Pyttsx3Voice()
        except Exception as exc:  # ImportError, OSError (no libespeak-ng), RuntimeError
            _log(logging.WARNING, "pyttsx3 failed to load (%s: %s); using the espeak-ng command line",
                        type(exc).__name__, exc)
            _backend = _EspeakCommandVoice()
        _log(logging.INFO, "speech engine: %s", _backend.name)
    return _backend


# --- samples ---------------------------------------------------------------


def _read_wav(path: Path) -> tuple[int, array.array]:
    """(rate, mono 16-bit samples) of a PCM WAV of 8 or 16 bits, any channels."""
    with wave.open(str(path), "rb") as wav:
        rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
        data = wav.readframes(wav.getnframes())
    if width == 2:
        samples = array.array("h", data)
        if sys.byteorder == "big":
            samples.byteswap()
    elif width == 1:
        samples = array.array("h", ((b - 128) << 8 for b in data))
    else:
        raise SpeechError(f"{path}: {8 * width}-bit WAV; use 8- or 16-bit PCM")
    if channels > 1:
        samples = array.array("h", (sum(samples[i:i + channels]) // channels
                                    for i in range(0, len(samples), channels)))
    return rate, samples


def _resample(samples: array.array, src: int, dst: int) -> array.array:
    """Linear interpolation: plenty for a chime."""
    if src == dst or not samples:
        return samples
    last = len(samples) - 1
    out = array.array("h")
    for i in range(max(1, round(len(samples) * dst / src))):
        pos = i * src / dst
        j = min(int(pos), last)
        nxt = samples[min(j + 1, last)]
        out.append(round(samples[j] + (nxt - samples[j]) * (pos - j)))
    return out


def _silence(seconds: float, rate: int) -> array.array:
    return array.array("h", bytes(2 * round(seconds * rate)))


def _rms(samples: array.array, chunk: int = 8192) -> float:
    # In slices: one sum() over minutes of audio would hold the GIL for
    # 100+ ms and stall the gevent loop in the main thread.
    total = 0
    for start in range(0, len(samples), chunk):
        part = samples[start:start + chunk]
        total += sum(map(operator.mul, part, part))
    return math.sqrt(total / len(samples)) if samples else 0.0


def _write_wav_atomic(path: Path, rate: int, samples: array.array) -> None:
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".wav.tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            with wave.open(file, "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(rate)
                wav.writeframes(samples.tobytes())
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prune_cache(folder: Path, max_bytes: int, max_age_s: float, keep: Path | None = None,
                now: float | None = None) -> int:
    """Delete the WAVs of ``folder`` older than ``max_age_s``, then the least recently made until
    the rest fit in ``max_bytes`` (``keep``, the file just made, stays). Returns how many went."""
    now = time.time() if now is None else now
    files = []
    for entry in os.scandir(folder):
        if not entry.name.endswith(".wav") or entry.name.startswith("."):
            continue
        try:
            stat = entry.stat()
        except FileNotFoundError:
            continue
        files.append((stat.st_mtime, stat.st_size, Path(entry.path)))
    files.sort()
    total = sum(size for _, size, _ in files)
    removed = 0
    for mtime, size, path in files:
        if keep is not None and path == keep:
            continue
        if now - mtime <= max_age_s and total <= max_bytes:
            break
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        total -= size
        removed += 1
    return removed


# --- the synthesizer ---------------------------------------------------------


@dataclass(eq=False)
class _Job:
    key: str
    text: str
    repeat: int
    path: Path
    done: bool = False
    error: SpeechError | None = None
    callbacks: list[Callable[[], None]] = field(default_factory=list)


def _check_args(spoken: str, repeat: int) -> str:
    if not isinstance(spoken, str) or not spoken.strip():
        raise ValueError("nothing to say: the spoken text is empty")
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 0 <= repeat <= MAX_REPEAT:
        raise ValueError(f"repeat must be an int from 0 to {MAX_REPEAT}, got {repeat!r}")
    return spoken.strip()


class SpeechSynthesizer:
    """Announcement WAVs, cached in ``cache_dir``, made by the worker thread.

    ``chime_path`` None means no chime; the project's chime is
    ``server.announce.CHIME_WAV``. ``syntheses`` counts the sentences this
    synthesizer actually had synthesised (cache misses, one per WAV made);
    ``retries`` counts the second attempts after the engine handed back an
    empty file, which it rarely does.
    """

    def __init__(self, cache_dir: Path, voice: str = "vi", chime_path: Path | None = None,
                 *, rate: int = WORDS_PER_MINUTE, timeout: float = DEFAULT_TIMEOUT_S,
                 cache_max_bytes: int = CACHE_MAX_BYTES, cache_max_age_s: float = CACHE_MAX_AGE_S) -> None:
        self.cache_max_bytes, self.cache_max_age_s = cache_max_bytes, cache_max_age_s
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.voice, self.rate, self.timeout = voice, rate, timeout
        self._chime: tuple[int, array.array] | None = None
        chime_digest = "none"
        if chime_path is not None:
            try:
                chime_digest = hashlib.sha256(Path(chime_path).read_bytes()).hexdigest()
                self._chime = _read_wav(Path(chime_path))
            except (OSError, EOFError, wave.Error) as exc:
                raise SpeechError(f"cannot read the chime {chime_path}: {exc}") from exc
        self._salt = "\0".join([FORMAT_VERSION, voice, str(rate), chime_digest])
        self._lock = _original("_thread", "allocate_lock")()
        self._jobs: dict[str, _Job] = {}
        self.syntheses = 0
        self.retries = 0

    def key_for(self, spoken: str, repeat: int = 1) -> str:
        """The cache key (and file stem) of that announcement."""
        text = _check_args(spoken, repeat)
        data = "\0".join([self._salt, str(repeat), text]).encode("utf-8")
        return hashlib.sha256(data).hexdigest()[:32]

    def path_for(self, spoken: str, repeat: int = 1) -> Path:
        """Where that announcement's WAV is, or will be."""
        return self.cache_dir / f"{self.key_for(spoken, repeat)}.wav"

    def path_if_ready(self, spoken: str, repeat: int = 1) -> Path | None:
        path = self.path_for(spoken, repeat)
        return path if path.exists() else None

    def submit(self, spoken: str, repeat: int = 1) -> None:
        """Start making that WAV in the background; returns at once."""
        self._enqueue(spoken, repeat)

    def wav_for(self, spoken: str, repeat: int = 1, timeout: float | None = None) -> Path:
        """The WAV of that announcement, made now unless cached. Waits (as a
        greenlet under gevent). Raises SpeechError if it cannot be made."""
        job = self._enqueue(spoken, repeat)
        if job is None:
            return self.path_for(spoken, repeat)
        limit = self.timeout if timeout is None else timeout
        if not self._wait(job, limit):
            raise SpeechError(f"no audio after {limit:g} s for {job.text!r}")
        if job.error is not None:
            raise job.error
        return job.path

    # waiting ----------------------------------------------------------------

    def _enqueue(self, spoken: str, repeat: int) -> _Job | None:
        path = self.path_for(spoken, repeat)
        with self._lock:
            job = self._jobs.get(path.stem)
            if job is not None:
                return job
            if path.exists():
                return None
            job = self._jobs[path.stem] = _Job(path.stem, spoken.strip(), repeat, path)
        _WORKER.put(lambda: self._run(job))
        return job

    def _wait(self, job: _Job, timeout: float) -> bool:
        hub = _gevent_hub()
        if hub is not None:
            from gevent.event import AsyncResult

            result = AsyncResult()
            if self._on_done(job, lambda: hub.loop.run_callback_threadsafe(result.set, True)):
                result.wait(timeout)
        else:
            event = threading.Event()
            if self._on_done(job, event.set):
                event.wait(timeout)
        return job.done

    def _on_done(self, job: _Job, callback: Callable[[], None]) -> bool:
        """Have the worker call ``callback`` when ``job`` ends; False if it has."""
        with self._lock:
            if not job.done:
                job.callbacks.append(callback)
                return True
        return False

    # in the worker ----------------------------------------------------------

    def _run(self, job: _Job) -> None:
        error = None
        try:
            self._render(job)
        except SpeechError as exc:
            error = exc
        except Exception as exc:
            error = SpeechError(f"could not synthesise {job.text!r}: {type(exc).__name__}: {exc}")
            error.__cause__ = exc
        if error is not None:
            _log(logging.ERROR, "%s", error)
        with self._lock:
            job.error, job.done = error, True
            del self._jobs[job.key]
            callbacks, job.callbacks = job.callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # that waiter's hub is gone; wake the others
                _log(logging.ERROR, "could not wake a speech waiter", exc_info=True)

    def _render(self, job: _Job) -> None:
        started = time.perf_counter()
        self.syntheses += 1
        try:
            rate, speech = self._speak(job.text)
        except SpeechError as first:             # the engine rarely hands back an empty file: once more
            _log(logging.WARNING, "%s; trying once more", first)
            self.retries += 1
            rate, speech = self._speak(job.text)
        samples = array.array("h")
        if self._chime is not None:
            chime_rate, chime = self._chime
            samples += _resample(chime, chime_rate, rate)
            samples += _silence(PAUSE_AFTER_CHIME_S, rate)
        samples += speech
        for _ in range(job.repeat):
            samples += _silence(PAUSE_BEFORE_REPEAT_S, rate)
            samples += speech
        _write_wav_atomic(job.path, rate, samples)
        try:
            prune_cache(self.cache_dir, self.cache_max_bytes, self.cache_max_age_s, keep=job.path)
        except OSError as exc:
            _log(logging.WARNING, "could not prune the announcement cache %s: %s", self.cache_dir, exc)
        _log(logging.INFO, "announcement audio %s: %.1f s, made in %.0f ms: %r", job.path.name,
                 len(samples) / rate, 1000 * (time.perf_counter() - started), job.text)

    def _speak(self, text: str) -> tuple[int, array.array]:
        """(rate, samples) of the sentence said once; checks that it is audible."""
        backend = _voice_backend()
        tmp = self.cache_dir / f".speech-{os.getpid()}-{uuid.uuid4().hex}.wav"
        try:
            backend.save(text, tmp, self.voice, self.rate)
            if not tmp.exists():
                raise SpeechError(f"the voice wrote no audio for {text!r}")
            try:
                rate, samples = _read_wav(tmp)
            except (EOFError, wave.Error) as exc:
                raise SpeechError(f"the voice wrote a broken WAV for {text!r}: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)
        seconds = len(samples) / rate if rate else 0.0
        level = _rms(samples)
        if seconds < MIN_SPEECH_S or level < MIN_SPEECH_RMS:
            raise SpeechError(f"the voice gave {seconds:.2f} s of audio at RMS {level:.0f} "
                              f"(empty or silent) for {text!r}")
        return rate, samples
