"""Pydantic's errors in the words people read: ``"<place>: <message>"``, places counting from 0."""
from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

# A required key that is absent, where "required key missing" would not say what to write.
MISSING = {
    "center": "required table [center] missing",
    "agencies": "at least one [[agencies]] table is required",
    "desks": "at least one [[desks]] table is required",
    "agencies.services": "required key missing: at least one [[agencies.services]] table",
}
EXPECTED = {            # pydantic's type errors (the models are strict: no "5000" for 5000)
    "string_type": "a string", "int_type": "an integer", "float_type": "a number",
    "bool_type": "true or false", "model_type": "a table", "dict_type": "a table",
}


def q(text: str) -> str:
    """A string as it would be written in TOML, shortened if long."""
    if len(text) > 60:
        text = text[:57] + "..."
    return json.dumps(text, ensure_ascii=False)


def describe(value: Any) -> str:
    for kind, text in ((bool, lambda v: f"a boolean ({str(v).lower()})"),
                       (int, lambda v: f"an integer ({v})"), (float, lambda v: f"a float ({v})"),
                       (str, lambda v: f"a string ({q(v)})"), (dict, lambda v: "a table"),
                       (list, lambda v: "an array"), (datetime, lambda v: f"a date-time ({v.isoformat()})"),
                       (date, lambda v: f"a date ({v.isoformat()})"), (time, lambda v: f"a time ({v.isoformat()})")):
        if isinstance(value, kind):
            return text(value)
    return type(value).__name__


def place(loc: tuple) -> str:
    """``("desks", 3, "services")`` -> ``desks[3].services``; the document itself is "(top level)"."""
    text = "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in loc).lstrip(".")
    return text or "(top level)"


def problem(error: Any) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as one line."""
    loc, kind, ctx = tuple(error["loc"]), error["type"], error.get("ctx") or {}
    if kind == "config":                        # our own rules (fields.invalid)
        message = ctx["message"]
        loc += () if ctx.get("at") is None else (ctx["at"],)
    elif kind == "missing":
        message = MISSING.get(".".join(k for k in loc if isinstance(k, str)), "required key missing")
    elif kind == "extra_forbidden":
        message = "unknown key"
    elif kind in EXPECTED:
        message = f"expected {EXPECTED[kind]}, got {describe(error['input'])}"
    else:                                       # not expected; still one clear line, no traceback
        message = error["msg"]
    return f"{place(loc)}: {message}"
