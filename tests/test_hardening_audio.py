"""Hardening (issue 9, item 8): ``batch.wav`` says only calls that happened (as ``/audio/call/``
does), and the announcement cache is bounded by size and age."""
from __future__ import annotations

import os
import time

import pytest
import requests

from server.announce.speech import SpeechSynthesizer, prune_cache
from tests.centers import TWO_STP_DESKS_AND_CA, center_toml, hall_display, kiosk
from tests.live_server import start_center

HALL = "audio-hall-token-1"


@pytest.mark.slow
def test_batch_audio_for_codes_never_called_makes_no_wav(tmp_path):
    toml = center_toml("data/audio.db", desks=TWO_STP_DESKS_AND_CA, kiosks=[kiosk("kiosk-1", "audio-kiosk-token-1")],
                       displays=[hall_display("hall-1", HALL, audio=True)])
    with start_center(tmp_path, toml) as live:
        cache = live.database.parent / "announcements"
        before = sorted(p.name for p in cache.glob("*.wav")) if cache.exists() else []
        answers = [requests.get(live.url + f"/display/audio/batch.wav?c=A{100 + i:03d}-1&c=B{200 + i:03d}-2"
                                f"&token={HALL}", timeout=30).status_code for i in range(30)]
        assert answers == [404] * 30
        after = sorted(p.name for p in cache.glob("*.wav")) if cache.exists() else []
        assert after == before, f"{len(after) - len(before)} WAVs made for codes never called"


def fake_wavs(folder, sizes_and_ages, now):
    paths = []
    for i, (size, age) in enumerate(sizes_and_ages):
        path = folder / f"{i:04d}.wav"
        path.write_bytes(b"\0" * size)
        os.utime(path, (now - age, now - age))
        paths.append(path)
    return paths


def test_the_cache_is_pruned_by_age_then_by_size_oldest_first(tmp_path):
    now = time.time()
    paths = fake_wavs(tmp_path, [(100, 10 * 86400), (100, 3000), (100, 2000), (100, 1000), (100, 0)], now)
    (tmp_path / ".speech-1-tmp.wav").write_bytes(b"\0" * 1000)          # a WAV being made: not touched
    removed = prune_cache(tmp_path, max_bytes=250, max_age_s=86400, keep=paths[-1], now=now)
    left = sorted(p.name for p in tmp_path.glob("*.wav") if not p.name.startswith("."))
    assert removed == 3 and left == ["0003.wav", "0004.wav"]
    assert (tmp_path / ".speech-1-tmp.wav").exists()


def test_many_announcements_keep_the_cache_under_its_bound(tmp_path):
    voice = SpeechSynthesizer(tmp_path, cache_max_bytes=400_000, cache_max_age_s=3600)
    sizes = []
    for i in range(6):
        try:
            path = voice.wav_for(f"Xin mời quý khách số A{i:03d} đến quầy {i + 1}", 0, timeout=60)
        except Exception as err:   # noqa: BLE001 - no voice on this machine
            pytest.skip(f"no speech synthesis here: {err}")
        sizes.append(path.stat().st_size)
        total = sum(p.stat().st_size for p in tmp_path.glob("*.wav"))
        assert total <= max(400_000, sizes[-1]), (i, total)
    assert len(list(tmp_path.glob("*.wav"))) < 6
