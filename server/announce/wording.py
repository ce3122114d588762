"""How a call is written: the text shown on screens and the text spoken.

espeak-ng's Vietnamese voice reads digits by itself, but not the way
Vietnamese centers announce them (it says "ngàn" and reads "A012" as
"a không mười hai"), so the spoken text spells every number out in words,
northern style as in official announcements:

    1005 -> "một nghìn không trăm linh năm"   ("nghìn", not "ngàn"; "linh", not "lẻ")
    21 -> "hai mươi mốt", 24 -> "hai mươi tư", 15 -> "mười lăm", 14 -> "mười bốn"

Letters of a ticket code are said by their Vietnamese names. The spellings
in LETTER_NAMES were checked against ``espeak-ng -v vi -x`` (espeak-ng 1.51):
each comes out as Vietnamese syllables, e.g. "e-lờ" -> ['E1l'@:2],
"ét-xì" -> ['E3t[s'i2], "vê-kép" -> [v'e1k'E3p]. Hyphens join the
syllables of one letter name (so "vê-kép" and "i-dài" cannot be heard as two
letters); a space separates letters, a comma (a short pause) the number. One deliberate
change from the usual school list: J is written "di", because espeak-ng
reads a bare "gi" as the consonant alone ([z]); "di" gives [z'i7], which is
how "gi" is said in the north. Note that in northern speech D ("dê") and
G ("giê") sound the same ([z'e7]); that is the language, not the voice.
"""

from __future__ import annotations

import re

__all__ = [
    "LETTER_NAMES",
    "number_words",
    "code_words",
    "announcement_text",
    "spoken_text",
]

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

# Larger groups, biggest first: (size, word). Beyond "tỷ" the words repeat
# ("nghìn tỷ"), which the recursion in number_words produces by itself.
_GROUPS = ((1_000_000_000, "tỷ"), (1_000_000, "triệu"), (1_000, "nghìn"))

LETTER_NAMES = {
    "A": "a",
    "B": "bê",
    "C": "xê",
    "D": "dê",
    "E": "e",
    "F": "ép",
    "G": "giê",
    "H": "hát",
    "I": "i",
    "J": "di",
    "K": "ca",
    "L": "e-lờ",
    "M": "em-mờ",
    "N": "en-nờ",
    "O": "o",
    "P": "pê",
    "Q": "quy",
    "R": "e-rờ",
    "S": "ét-xì",
    "T": "tê",
    "U": "u",
    "V": "vê",
    "W": "vê-kép",
    "X": "ích-xì",
    "Y": "i-dài",
    "Z": "dét",
}

_CODE = re.compile(r"([A-Za-z]*)(\d+)")
_PLACEHOLDER = re.compile(r"\{(code|desk)\}")


def _below_thousand(n: int, full: bool) -> list[str]:
    """Words for 0 < n < 1000. ``full``: a larger group was said before, so
    the hundreds are said even when zero ("không trăm") and a lone unit
    after zero tens takes "linh"."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 4 and tens >= 2:
        words.append("tư")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(DIGITS[units])
    return words


def _words(n: int, full: bool) -> list[str]:
    for size, name in _GROUPS:
        if n >= size:
            high, rest = divmod(n, size)
            words = _words(high, full) + [name]
            return words + _words(rest, True) if rest else words
    return _below_thousand(n, full) if n else []


def number_words(n: int) -> str:
    """Vietnamese reading of a non-negative integer: 1005 -> "một nghìn
    không trăm linh năm", 24 -> "hai mươi tư", 0 -> "không"."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number_words needs an int, got {n!r}")
    if n < 0:
        raise ValueError(f"number_words needs a number >= 0, got {n}")
    return " ".join(_words(n, False)) if n else DIGITS[0]


def code_words(code: str) -> str:
    """How a ticket code is said: "A012" -> "a, mười hai",
    "BC105" -> "bê xê, một trăm linh năm", "1023" -> "một nghìn không trăm
    hai mươi ba" (an all-digit code is one whole number)."""
    match = _CODE.fullmatch(code.strip())
    if not match:
        raise ValueError(f"not a ticket code (letters then digits): {code!r}")
    letters, digits = match.groups()
    number = number_words(int(digits))
    if not letters:
        return number
    names = " ".join(LETTER_NAMES[letter] for letter in letters.upper())
    return f"{names}, {number}"


def _desk_words(desk: int | str) -> str:
    if isinstance(desk, int) and not isinstance(desk, bool):
        return number_words(desk)
    text = str(desk).strip()
    if text.isascii() and text.isdigit():
        return number_words(int(text))
    if _CODE.fullmatch(text):
        return code_words(text)
    return text


def _fill(template: str, code: str, desk: str) -> str:
    values = {"code": code, "desk": desk}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def announcement_text(template: str, code: str, desk: int | str) -> str:
    """The displayed sentence: "Kính mời công dân có số thứ tự A012 đến quầy số 12"."""
    return _fill(template, code, str(desk))


def spoken_text(template: str, code: str, desk: int | str) -> str:
    """The sentence given to the synthesizer, numbers and letters in words:
    "Kính mời công dân có số thứ tự a, mười hai đến quầy số mười hai"."""
    return _fill(template, code_words(code), _desk_words(desk))
