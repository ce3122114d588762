"""Make sounds/chime.wav: the three-tone "ding-dong-ding" played before a call.

Pure Python (math, array, wave) and deterministic: the same code writes the
same file. 22050 Hz, mono, 16-bit: espeak-ng's own output format, so the
chime and the voice join into one WAV without resampling.

The tones are C5, E5 and G5 (a major chord, as in many airport and bank
chimes), 0.3 s apart, each one ringing on under the next. A tone is a
fundamental with two soft overtones that die away faster (a mellow bell),
a 12 ms raised-cosine attack and an exponential decay; the whole chime
ends with a 150 ms cosine fade to exact silence, so nothing clicks.

Run:  python sounds/make_chime.py  [OUTPUT.wav]
"""

from __future__ import annotations

import array
import math
import sys
import wave
from pathlib import Path

RATE = 22050
DURATION_S = 1.2
PEAK = 0.5  # of full scale: about as loud as espeak-ng's voice, with headroom

# (start in seconds, frequency in Hz)
NOTES = ((0.0, 523.25), (0.3, 659.26), (0.6, 783.99))
# (multiple of the fundamental, relative amplitude, decay time constant in s)
PARTIALS = ((1.0, 1.0, 0.45), (2.0, 0.22, 0.18), (3.0, 0.06, 0.10))
ATTACK_S = 0.012
FADE_OUT_S = 0.15

DEFAULT_PATH = Path(__file__).with_name("chime.wav")


def _tone(t: float, freq: float) -> float:
    """One struck note, t seconds after it starts."""
    value = 0.0
    for multiple, amplitude, decay in PARTIALS:
        value += amplitude * math.exp(-t / decay) * math.sin(2 * math.pi * freq * multiple * t)
    if t < ATTACK_S:
        value *= 0.5 - 0.5 * math.cos(math.pi * t / ATTACK_S)
    return value


def render(rate: int = RATE) -> array.array:
    """The chime as 16-bit signed samples."""
    count = round(DURATION_S * rate)
    fade_len = round(FADE_OUT_S * rate)
    raw = []
    for i in range(count):
        t = i / rate
        value = sum(_tone(t - start, freq) for start, freq in NOTES if t >= start)
        remaining = count - 1 - i
        if remaining < fade_len:
            value *= 0.5 - 0.5 * math.cos(math.pi * remaining / fade_len)
        raw.append(value)
    scale = PEAK * 32767 / max(abs(v) for v in raw)
    return array.array("h", (round(v * scale) for v in raw))


def write(path: Path = DEFAULT_PATH, rate: int = RATE) -> Path:
    samples = render(rate)
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = write(Path(args[0]) if args else DEFAULT_PATH)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
