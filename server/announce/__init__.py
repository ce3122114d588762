"""Announcements: what is shown and said when a ticket is called, and its audio.

    from server.announce import CHIME_WAV, SpeechSynthesizer, announcement_text, spoken_text

    text = announcement_text(template, ticket_code, desk_number)    # on screens
    spoken = spoken_text(template, ticket_code, desk_number)        # to the voice
    voice = SpeechSynthesizer(cache_dir, voice="vi", chime_path=CHIME_WAV)
    voice.submit(spoken, repeat)             # right after the call: pre-render
    path = voice.wav_for(spoken, repeat)     # when the audio is asked for (waits)

Nothing here imports pyttsx3 until the first sentence is synthesised.
"""

from pathlib import Path

from .speech import SpeechError, SpeechSynthesizer, find_voice_id
from .wording import LETTER_NAMES, announcement_text, code_words, number_words, spoken_text

CHIME_WAV = Path(__file__).resolve().parents[2] / "sounds" / "chime.wav"
"""The project's chime (made by sounds/make_chime.py), 22050 Hz mono 16-bit."""



def voice_for(config) -> SpeechSynthesizer:
    """The center's voice: its ``[announce] voice``, the project's chime, WAVs cached next to the database."""
    return SpeechSynthesizer(config.server.database.parent / "announcements", voice=config.announce.voice,
                             chime_path=CHIME_WAV)


__all__ = [
    "CHIME_WAV",
    "LETTER_NAMES",
    "SpeechError",
    "SpeechSynthesizer",
    "announcement_text",
    "code_words",
    "find_voice_id",
    "number_words",
    "spoken_text",
    "voice_for",
]
