"""The committed chime is what sounds/make_chime.py makes, in espeak-ng's format."""

import array
import wave
from pathlib import Path

from sounds import make_chime

COMMITTED = Path(make_chime.__file__).with_name("chime.wav")


def _read(path):
    with wave.open(str(path), "rb") as wav:
        params = wav.getparams()
        return params, array.array("h", wav.readframes(wav.getnframes()))


def test_committed_chime_is_what_the_script_makes(tmp_path):
    made = make_chime.write(tmp_path / "chime.wav")
    assert made.read_bytes() == COMMITTED.read_bytes(), (
        "sounds/chime.wav is stale: run python sounds/make_chime.py and commit it"
    )


def test_script_is_deterministic(tmp_path):
    first = make_chime.write(tmp_path / "a.wav").read_bytes()
    second = make_chime.write(tmp_path / "b.wav").read_bytes()
    assert first == second


def test_chime_format_and_length():
    params, samples = _read(COMMITTED)
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, 22050)
    assert params.comptype == "NONE"
    assert abs(params.nframes / params.framerate - 1.2) < 0.01


def test_chime_is_soft_at_both_ends_and_not_clipped():
    _, samples = _read(COMMITTED)
    assert samples[0] == 0 and samples[-1] == 0
    assert max(abs(s) for s in samples[:20]) < 200, "attack too hard: it would click"
    assert max(abs(s) for s in samples[-20:]) < 50, "ends abruptly: it would click"
    peak = max(abs(s) for s in samples)
    assert 12000 < peak < 20000  # loud enough next to the voice, with headroom


def test_chime_has_three_tones():
    """Each note starts 0.3 s after the previous: energy jumps at each onset."""
    _, samples = _read(COMMITTED)
    rate = 22050

    def energy(start_s):
        window = samples[int(start_s * rate): int((start_s + 0.02) * rate)]
        return sum(s * s for s in window) / len(window)

    for onset in (0.3, 0.6):
        assert energy(onset + 0.03) > 1.3 * energy(onset - 0.03), onset
