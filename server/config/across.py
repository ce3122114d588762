"""Rules across tables: desks against agencies and services, device ids and tokens, display desks.

They run after the per-table checks, and also when those failed, so that one run names every
problem. They read the document as given (strings stripped) in which every value that failed its
own check, or is missing, is ``BAD``: a rule never claims "unknown agency" for a desk when an
agency's code could not be read, for it may be that one.
"""
from __future__ import annotations

from typing import Any, Iterable

from .messages import q

BAD: Any = object()


def good_part(data: Any, failed: Iterable[tuple]) -> dict | None:
    """``data`` with strings stripped and each failed place (a pydantic error's ``loc``) set to
    BAD; an array fails as a whole when one of its scalars or a non-table item fails."""
    if not isinstance(data, dict):
        return None
    doc = _stripped(data)
    for loc in failed:
        last = max((i for i, key in enumerate(loc) if isinstance(key, str)), default=-1)
        target: Any = doc
        for key in loc[:last]:
            try:
                target = target[key]
            except (KeyError, IndexError, TypeError):
                target = None
                break
        if last >= 0 and isinstance(target, dict):
            target[loc[last]] = BAD
    return doc


def _stripped(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stripped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    return value.strip() if isinstance(value, str) else value


def _ok(row: dict, key: str) -> bool:
    return key in row and row[key] is not BAD


def _rows(table: dict, key: str, at: str) -> list[tuple[str, dict]] | None:
    """The rows of an array of tables with their places; None when it is missing or failed."""
    if not _ok(table, key) or not isinstance(table[key], list):
        return None
    return [(f"{at}{key}[{i}]", row) for i, row in enumerate(table[key]) if isinstance(row, dict)]


def problems_across(doc: dict) -> list[str]:
    problems: list[str] = []
    agencies = _rows(doc, "agencies", "") or []
    services = [s for at, a in agencies for s in _rows(a, "services", f"{at}.") or []]
    desks = _rows(doc, "desks", "")
    devices = [*(_rows(doc, "kiosks", "") or []), *(_rows(doc, "displays", "") or [])]
    problems += _unique(agencies, "code", "agency code")
    problems += _unique(services, "code", "service code")
    problems += _unique(desks or [], "number", "desk number")
    if desks is not None and _ok(doc, "agencies"):      # else every desk would look wrong
        problems += _desks(desks, agencies)
        problems += _served(services, desks)
    problems += _unique(devices, "id", "device id")
    problems += _tokens(devices)
    problems += _display_desks(_rows(doc, "displays", "") or [], desks)
    return problems


def _unique(rows: list[tuple[str, dict]], key: str, what: str) -> list[str]:
    first: dict[Any, str] = {}
    problems = []
    for at, row in rows:
        if not _ok(row, key):
            continue
        value = row[key]
        if value in first:
            shown = q(value) if isinstance(value, str) else value
            problems.append(f"{at}.{key}: duplicate {what} {shown} (also {first[value]})")
        else:
            first[value] = at
    return problems


def _tokens(devices: list[tuple[str, dict]]) -> list[str]:
    first: dict[str, str] = {}
    problems = []
    for at, row in devices:
        if _ok(row, "token") and row["token"] in first:
            problems.append(f"{at}.token: same token as {first[row['token']]}; every device needs its own token")
        elif _ok(row, "token"):
            first[row["token"]] = at
    return problems


def _desks(desks: list[tuple[str, dict]], agencies: list[tuple[str, dict]]) -> list[str]:
    """Each desk's agency exists; its services exist, are its agency's, and are listed once.
    When some agency or service code could not be read, "unknown" is not claimed: it may be that."""
    codes = {a["code"] for _, a in agencies if _ok(a, "code")}
    agencies_known = all(_ok(a, "code") for _, a in agencies)
    owners: dict[str, str | None] = {}              # service code -> its agency's code; first wins
    services_known = True
    for _, agency in agencies:
        services = agency["services"] if _ok(agency, "services") else []
        services_known &= _ok(agency, "services") and all(_ok(s, "code") for s in services)
        for service in services:
            if _ok(service, "code"):
                owners.setdefault(service["code"], agency["code"] if _ok(agency, "code") else None)
    problems = []
    for at, desk in desks:
        agency = desk["agency"] if _ok(desk, "agency") else None
        if agency is not None and agency not in codes:
            if agencies_known:
                problems.append(f"{at}.agency: unknown agency {q(agency)}")
            agency = None
        seen: set[str] = set()
        for code in desk["services"] if _ok(desk, "services") else []:
            owner = owners.get(code)
            if code in seen:
                problems.append(f"{at}.services: duplicate service {q(code)}")
            elif code not in owners and services_known:
                problems.append(f"{at}.services: unknown service {q(code)}")
            elif agency is not None and owner is not None and owner != agency:
                problems.append(f"{at}.services: service {q(code)} belongs to agency {q(owner)}, "
                                f"not to the desk's agency {q(agency)}")
            seen.add(code)
    return problems


def _served(services: list[tuple[str, dict]], desks: list[tuple[str, dict]]) -> list[str]:
    if not all(_ok(desk, "services") for _, desk in desks):
        return []                               # a desk's list could not be read: it may serve them
    served = {code for _, desk in desks for code in desk["services"]}
    return [f"{at}: no desk serves {q(s['code'])}" for at, s in services
            if _ok(s, "code") and s["code"] not in served]


def _display_desks(displays: list[tuple[str, dict]], desks: list[tuple[str, dict]] | None) -> list[str]:
    known = desks is not None and all(_ok(d, "number") for _, d in desks)
    numbers = {d["number"] for _, d in desks or []} if known else None
    problems = []
    for at, display in displays:
        kind, desk = display.get("kind"), display.get("desk")
        if desk is BAD:
            continue
        if kind == "desk" and desk is None:
            problems.append(f'{at}.desk: required for kind = "desk": the number of the desk it shows')
        elif kind == "desk" and numbers is not None and desk not in numbers:
            problems.append(f"{at}.desk: no desk number {desk}")
        elif kind == "hall" and desk not in (None, 0):  # 0 = none, as in the contract's example
            problems.append(f'{at}.desk: only a display of kind = "desk" shows one desk; '
                            'remove it or set kind = "desk"')
    return problems
