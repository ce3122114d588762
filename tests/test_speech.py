"""The announcement voice, with the real espeak-ng through pyttsx3."""

import array
import math
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import wave
from pathlib import Path
from types import SimpleNamespace

import pytest

from server.announce import CHIME_WAV, SpeechError, SpeechSynthesizer, find_voice_id, spoken_text
from server.announce import speech

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs Debian's espeak-ng (apt install espeak-ng)"
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = "Kính mời công dân có số thứ tự {code} đến quầy số {desk}"
SENTENCE = spoken_text(TEMPLATE, "A012", 12)
RATE = 22050


def _read(path):
    with wave.open(str(path), "rb") as wav:
        params = wav.getparams()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    assert len(samples) == params.nframes, "truncated WAV"
    return params, samples


def _rms(samples):
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def _chime():
    return _read(CHIME_WAV)[1]


@pytest.fixture
def synth(tmp_path):
    return SpeechSynthesizer(tmp_path / "audio", voice="vi", chime_path=CHIME_WAV)


def test_announcement_wav_is_chime_pause_then_audible_speech(synth):
    started = time.perf_counter()
    path = synth.wav_for(SENTENCE, 0)
    took = time.perf_counter() - started
    params, samples = _read(path)
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, RATE)
    duration = params.nframes / RATE
    assert duration >= 1.5
    chime = _chime()
    assert samples[: len(chime)] == chime, "the WAV starts with the chime, unchanged"
    pause = samples[len(chime): len(chime) + int(0.3 * RATE)]
    assert max(map(abs, pause)) == 0, "a pause follows the chime"
    spoken = samples[len(chime) + len(pause):]
    assert len(spoken) / RATE > 3.0, "the whole sentence, not a fragment"
    assert _rms(spoken) > 1000, "speech, not silence"
    print(f"\nrepeat=0: {duration:.2f} s of audio, made in {1000 * took:.0f} ms")


def test_repeat_says_the_sentence_again_after_a_pause(synth):
    once = _read(synth.wav_for(SENTENCE, 0))[1]
    twice = _read(synth.wav_for(SENTENCE, 1))[1]
    thrice = _read(synth.wav_for(SENTENCE, 2))[1]
    sentence = len(once) - len(_chime()) - round(speech.PAUSE_AFTER_CHIME_S * RATE)
    extra = sentence + round(speech.PAUSE_BEFORE_REPEAT_S * RATE)
    assert abs(len(twice) - len(once) - extra) < 0.05 * RATE
    assert abs(len(thrice) - len(twice) - extra) < 0.05 * RATE
    assert len(twice) / RATE > len(once) / RATE + 3.0
    second = twice[len(once) + round(speech.PAUSE_BEFORE_REPEAT_S * RATE):]
    assert _rms(second) > 1000, "the repeat is speech too"
    print(f"\nrepeat=0/1/2: {len(once) / RATE:.2f} / {len(twice) / RATE:.2f} / "
          f"{len(thrice) / RATE:.2f} s")


def test_cache_returns_the_same_file_without_synthesising_again(synth, tmp_path):
    assert synth.path_if_ready(SENTENCE, 1) is None
    first = synth.wav_for(SENTENCE, 1)
    mtime = first.stat().st_mtime_ns
    assert synth.syntheses == 1
    again = synth.wav_for(SENTENCE, 1)
    assert again == first and again.stat().st_mtime_ns == mtime
    assert synth.syntheses == 1
    assert synth.path_if_ready(SENTENCE, 1) == first
    # another process (or a restart) with the same settings reuses the file
    other = SpeechSynthesizer(tmp_path / "audio", voice="vi", chime_path=CHIME_WAV)
    assert other.wav_for(SENTENCE, 1) == first and other.syntheses == 0
    # anything that changes the sound changes the file
    assert SpeechSynthesizer(tmp_path / "audio", chime_path=None).path_for(SENTENCE, 1) != first
    assert synth.path_for(SENTENCE, 2) != first
    # no temporary files are left behind
    assert sorted(p.name for p in first.parent.iterdir()) == [first.name]


def test_submit_prerenders_in_the_background(synth):
    synth.submit(SENTENCE, 1)
    deadline = time.monotonic() + 10
    while synth.path_if_ready(SENTENCE, 1) is None:
        assert time.monotonic() < deadline, "submitted audio never appeared"
        time.sleep(0.005)
    path = synth.wav_for(SENTENCE, 1)
    assert synth.syntheses == 1
    assert _read(path)[0].nframes / RATE > 5


def test_an_empty_file_from_the_engine_is_tried_once_more(synth, monkeypatch):
    real = speech._voice_backend()
    saves = []

    class FirstSaveWritesNothing:
        name = "flaky"

        def save(self, text, path, voice, rate):
            saves.append(text)
            if len(saves) > 1:
                real.save(text, path, voice, rate)

    monkeypatch.setattr(speech, "_voice_backend", FirstSaveWritesNothing)
    path = synth.wav_for(SENTENCE, 0)
    assert len(saves) == 2 and synth.syntheses == 1 and synth.retries == 1
    assert _read(path)[0].nframes / RATE > 2


def test_concurrent_requests_share_one_synthesis_per_text(synth):
    texts = [spoken_text(TEMPLATE, code, desk) for code, desk in
             (("A001", 1), ("B014", 7), ("1023", 48))]
    barrier = threading.Barrier(8)
    results, errors = [None] * 8, []

    def ask(i):
        try:
            barrier.wait()
            results[i] = synth.wav_for(texts[i % 3], 1)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert synth.syntheses == 3
    for i, path in enumerate(results):
        assert path == results[i % 3]
        params, samples = _read(path)
        assert params.framerate == RATE and params.nframes / RATE > 8
        assert _rms(samples[len(_chime()):]) > 800
    assert len(set(results)) == 3


def test_errors_are_clear(tmp_path):
    tmp = tmp_path
    synth = SpeechSynthesizer(tmp / "audio", voice="no-such-voice")
    with pytest.raises(SpeechError, match="no voice matching 'no-such-voice'"):
        synth.wav_for("xin chào", 0, timeout=30)
    with pytest.raises(ValueError):
        synth.wav_for("   ", 1)
    with pytest.raises(ValueError):
        synth.wav_for("xin chào", -1)
    with pytest.raises(SpeechError, match="chime"):
        SpeechSynthesizer(tmp / "audio", chime_path=tmp / "missing.wav")


def test_silent_result_is_an_error(tmp_path):
    synth = SpeechSynthesizer(tmp_path)
    with pytest.raises(SpeechError, match="empty or silent"):
        synth.wav_for("...", 0)  # espeak-ng says nothing for bare punctuation
    assert synth.path_if_ready("...", 0) is None


def test_find_voice_id_prefers_the_plain_language():
    voices = [
        SimpleNamespace(id="gmw/en", name="English", languages=["en"]),
        SimpleNamespace(id="aav/vi-vn-x-south", name="Vietnamese (Southern)",
                        languages=["vi-vn-x-south"]),
        SimpleNamespace(id="aav/vi", name="Vietnamese (Northern)", languages=["vi"]),
    ]
    assert find_voice_id(voices, "vi") == "aav/vi"
    assert find_voice_id(voices, "VI") == "aav/vi"
    assert find_voice_id(voices, "aav/vi-vn-x-south") == "aav/vi-vn-x-south"
    assert find_voice_id(voices, "vietnamese (northern)") == "aav/vi"
    assert find_voice_id(voices[:2], "vi") == "aav/vi-vn-x-south"
    assert find_voice_id(voices, "fr") is None


GEVENT_SCRIPT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import sys, tempfile, threading, time
    from pathlib import Path
    import gevent
    from server.announce import CHIME_WAV, SpeechSynthesizer, spoken_text

    synth = SpeechSynthesizer(Path(tempfile.mkdtemp()), chime_path=CHIME_WAV)
    synth.wav_for("xin chào", 0)            # load the engine outside the measurement
    sentence = ". ".join(
        spoken_text("Kính mời công dân có số thứ tự {code} đến quầy số {desk}", f"A{i:03d}", i)
        for i in range(1, 40))
    ticks = []

    def ticker():
        while True:
            ticks.append(time.perf_counter())
            gevent.sleep(0.005)

    tick = gevent.spawn(ticker)
    gevent.sleep(0.05)
    started = time.perf_counter()
    path = synth.wav_for(sentence, 1)
    ended = time.perf_counter()
    tick.kill()
    during = [t for t in ticks if started <= t <= ended]
    times = [started] + during + [ended]
    gap = max(b - a for a, b in zip(times, times[1:]))
    greenlets = gevent.joinall([gevent.spawn(synth.wav_for, f"quầy số {i % 3}", 0)
                                for i in range(6)], raise_error=True)
    print(ended - started, len(during), gap, path.stat().st_size, synth.syntheses)
""")


def test_gevent_loop_keeps_ticking_while_a_long_sentence_is_synthesised():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", GEVENT_SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    took, ticks, gap, size, syntheses = done.stdout.split()
    took, ticks, gap = float(took), int(ticks), float(gap)
    print(f"\ngevent: long sentence made in {1000 * took:.0f} ms, {ticks} ticks meanwhile, "
          f"longest gap {1000 * gap:.0f} ms")
    assert took > 0.15, "the sentence should take long enough to measure"
    assert ticks >= took / 0.005 * 0.3, "the loop was blocked"
    assert gap < min(0.15, took / 3), "the loop stalled"
    assert int(size) > 1_000_000
    assert int(syntheses) == 1 + 1 + 3  # warm-up, long sentence, 3 texts for 6 greenlets


FALLBACK_SCRIPT = textwrap.dedent("""
    import logging, sys, tempfile
    from pathlib import Path
    sys.modules["pyttsx3"] = None          # pyttsx3 cannot be imported
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    from server.announce import SpeechSynthesizer
    path = SpeechSynthesizer(Path(tempfile.mkdtemp())).wav_for("quầy số mười hai", 0)
    print(path.stat().st_size)
""")


def test_command_line_fallback_only_when_pyttsx3_cannot_load():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", FALLBACK_SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "WARNING pyttsx3 failed to load" in done.stderr
    assert "espeak-ng command line" in done.stderr
    assert int(done.stdout) > 20_000
