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
    """What a TOML value is, as messages say it: ``a string ("5000")``, ``an array``."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"a string ({q(value)})"
    if isinstance(value, (dict, list)):
        return "a table" if isinstance(value, dict) else "an array"
    for kind, name in ((int, "an integer"), (float, "a float"), (datetime, "a date-time"), (date, "a date"),
                       (time, "a time")):
        if isinstance(value, kind):
            return f"{name} ({value.isoformat() if hasattr(value, 'isoformat') else value})"
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
