"""The procedure catalog (thủ tục hành chính): read from a JSON or CSV file and checked like
``hangdoi check-config`` checks a config: every problem is collected with its place
(``procedures.json: procedures[12].service: unknown service "XYZ"``) and none stops the others.

JSON: either a list of entries, or an object ``{"_source": ..., "_note": ..., "procedures": [...]}``
(keys starting with ``_`` are notes for people). CSV: UTF-8 with a header row naming the columns;
``documents`` holds the documents separated by ``|``.

Each entry: ``code``, ``name``, ``field``, ``service`` (the queue service whose ticket to take;
it must exist in the config), optional ``agency`` (an agency code; default the service's agency),
``documents`` (a list of texts), ``fee`` and ``processing_time`` (texts; "" when unknown).

Flask-free and config-free: callers pass the services they know as ``{code: (agency code,
agency name)}``, so that the provincial hub can check a catalog against its own services.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

__all__ = ["Procedure", "CatalogError", "read_catalog", "parse_entries", "MAX_PROCEDURES"]

MAX_BYTES = 20 * 1024 * 1024
MAX_PROCEDURES = 20000
MAX_TEXT = 500
MAX_DOCUMENTS = 60
FIELDS = ("code", "name", "field", "agency", "agency_name", "service", "documents", "fee", "processing_time")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    field: str
    agency: str                     # agency code
    agency_name: str
    service: str                    # service code
    documents: tuple[str, ...] = ()
    fee: str = ""
    processing_time: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "field": self.field, "agency": self.agency,
                "agency_name": self.agency_name, "service": self.service, "documents": list(self.documents),
                "fee": self.fee, "processing_time": self.processing_time}


class CatalogError(Exception):
    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = source, list(problems)
        super().__init__(source, self.problems)

    def __str__(self) -> str:
        n = len(self.problems)
        return "\n".join([f"{self.source}: {n} problem{'' if n == 1 else 's'}", *(f"  {p}" for p in self.problems)])


def read_catalog(path: str | os.PathLike, services: Mapping[str, tuple[str, str]] | None,
                 agencies: Mapping[str, str] | None = None, *, name: str | None = None
                 ) -> tuple[list[Procedure], list[str]]:
    """Read a catalog file: (procedures, problems). Problems are ``"<file>: <place>: <message>"``.
    ``services``: service code -> (agency code, agency name); ``agencies``: agency code -> name.
    ``services=None``: the provincial hub's catalog, which names the services of the province
    (no one config has them all): every entry then gives its ``agency`` and ``agency_name``, and
    ``service`` is only checked to be a code; each site offers a ticket where it has that service."""
    path = Path(path)
    shown = name or path.name
    try:
        if path.stat().st_size > MAX_BYTES:
            return [], [f"{shown}: file: larger than {MAX_BYTES // (1024 * 1024)} MB"]
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], [f"{shown}: file: not found ({path})"]
    except IsADirectoryError:
        return [], [f"{shown}: file: is a folder, not a file"]
    except OSError as e:
        return [], [f"{shown}: file: cannot be read ({e.strerror or e})"]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return [], [f"{shown}: line {line}: not UTF-8 text; save the file as UTF-8"]
    if path.suffix.lower() == ".csv":
        entries, problems = _csv_entries(text)
    else:
        entries, problems = _json_entries(text)
    procedures, more = parse_entries(entries, services, agencies) if entries is not None else ([], [])
    return procedures, [f"{shown}: {p}" for p in problems + more]


def _json_entries(text: str) -> tuple[list[tuple[str, Any]] | None, list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return None, [f"line {e.lineno}, column {e.colno}: invalid JSON ({e.msg})"]
    except RecursionError:
        return None, ["file: nested too deeply"]
    place = ""
    if isinstance(data, dict):
        unknown = [k for k in data if k != "procedures" and not str(k).startswith("_")]
        problems = [f"{k}: unknown key (a catalog object has \"procedures\" and notes starting with \"_\")"
                    for k in unknown]
        if "procedures" not in data:
            return None, problems + ['procedures: required key missing (a list of procedures)']
        data, place = data["procedures"], "procedures"
        if problems:
            return None, problems
    if not isinstance(data, list):
        return None, [f"{place or 'file'}: expected a list of procedures"]
    return [(f"{place}[{i}]", item) for i, item in enumerate(data)], []


def _csv_entries(text: str) -> tuple[list[tuple[str, Any]] | None, list[str]]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        missing = [f for f in ("code", "name", "field", "service") if f not in header]
        unknown = [h for h in header if h not in FIELDS and not (h or "").startswith("_")]
        problems = [f"line 1: missing column {m!r}" for m in missing] + \
                   [f"line 1: unknown column {u!r} (known: {', '.join(FIELDS)})" for u in unknown]
        if problems:
            return None, problems
        entries = []
        for row in reader:
            if None in row:
                problems.append(f"line {reader.line_num}: more cells than columns")
                continue
            item = {k: v for k, v in row.items() if not k.startswith("_") and v is not None}
            if "documents" in item:
                item["documents"] = [d.strip() for d in item["documents"].split("|") if d.strip()]
            entries.append((f"line {reader.line_num}", item))
        return entries, problems
    except csv.Error as e:
        return None, [f"file: invalid CSV ({e})"]


def _text(item: dict, key: str, place: str, problems: list[str], required: bool) -> str | None:
    value = item.get(key)
    at = f"{place}.{key}" if place.startswith(("[", "procedures")) else f"{place}, {key}"
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(f"{at}: required, must not be empty")
            return None
        return ""
    if not isinstance(value, str):
        problems.append(f"{at}: expected a text, got {type(value).__name__}")
        return None
    value = " ".join(value.split())
    if len(value) > MAX_TEXT:
        problems.append(f"{at}: longer than {MAX_TEXT} characters")
        return None
    return value


def parse_entries(entries: list[tuple[str, Any]], services: Mapping[str, tuple[str, str]] | None,
                  agencies: Mapping[str, str] | None = None) -> tuple[list[Procedure], list[str]]:
    """Check ``(place, item)`` pairs; return the good procedures and every problem with its place.
    ``services=None``: the hub's catalog (see ``read_catalog``)."""
    hub = services is None
    agencies = dict(agencies or {})
    for agency_code, agency_name in (services or {}).values():
        agencies.setdefault(agency_code, agency_name)
    problems: list[str] = []
    out: list[Procedure] = []
    seen: dict[str, str] = {}
    if len(entries) > MAX_PROCEDURES:
        return [], [f"file: more than {MAX_PROCEDURES} procedures"]
    for place, item in entries:
        sep = "." if place.startswith(("[", "procedures")) else ", "
        if not isinstance(item, dict):
            problems.append(f"{place}: expected an object with code, name, field, service, agency...")
            continue
        before = len(problems)
        for key in item:
            if key not in FIELDS and not str(key).startswith("_"):
                problems.append(f"{place}{sep}{key}: unknown key (known: {', '.join(FIELDS)})")
        code, name, fld = (_text(item, k, place, problems, True) for k in ("code", "name", "field"))
        service = _text(item, "service", place, problems, True)
        agency = _text(item, "agency", place, problems, hub)
        named = _text(item, "agency_name", place, problems, hub)
        fee = _text(item, "fee", place, problems, False)
        time_ = _text(item, "processing_time", place, problems, False)
        if code and not _CODE.fullmatch(code):
            problems.append(f"{place}{sep}code: must be 1-64 letters, digits, \".\", \"-\" or \"_\"; got {code!r}")
        elif code and code in seen:
            problems.append(f"{place}{sep}code: duplicate procedure code {code!r} (also {seen[code]})")
        elif code:
            seen[code] = place
        if hub:
            for key, value in (("service", service), ("agency", agency)):
                if value and not _CODE.fullmatch(value):
                    problems.append(f"{place}{sep}{key}: must be a code (letters, digits, \".\", \"-\", \"_\"); "
                                    f"got {value!r}")
        else:
            if service and service not in services:
                problems.append(f"{place}{sep}service: unknown service {service!r}")
            if agency and agency not in agencies:
                problems.append(f"{place}{sep}agency: unknown agency {agency!r}")
        documents = item.get("documents", [])
        if not isinstance(documents, list) or not all(isinstance(d, str) for d in documents):
            problems.append(f"{place}{sep}documents: expected a list of texts")
            documents = []
        elif len(documents) > MAX_DOCUMENTS or any(len(d) > MAX_TEXT for d in documents):
            problems.append(f"{place}{sep}documents: at most {MAX_DOCUMENTS} documents of {MAX_TEXT} characters")
        if len(problems) > before:
            continue
        agency_code = agency or services[service][0]
        # a center names its own agencies; the hub's catalog (or an agency no config has) says it
        agency_name = agencies.get(agency_code) or named
        out.append(Procedure(code=code, name=name, field=fld, agency=agency_code, agency_name=agency_name,
                             service=service, documents=tuple(" ".join(d.split()) for d in documents if d.strip()),
                             fee=fee, processing_time=time_))
    return out, problems
