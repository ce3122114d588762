"""Folding Vietnamese text for search: no marks, đ → d, lower case, words split on anything else.

"Cấp Phiếu lý lịch tư pháp" and "cap phieu ly lich tu phap" fold to the same text, so the FTS5
indexes (``store.py``) hold the folded copy and every query is folded the same way.
"""
from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[0-9a-z]+")


def fold(text: str) -> str:
    """``"Đăng ký Khai sinh!"`` → ``"dang ky khai sinh"``."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(_WORD.findall(text.lower()))


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    return fold(text).split()
