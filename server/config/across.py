"""Rules across tables: desks against agencies and services, device ids and tokens, display desks.

They run after the per-table checks, and also when those failed, so that one run names every
problem: on the document as given, where a value that failed its own check (or is missing) is
not read. A rule never claims "unknown agency" for a desk when an agency's code could not be
read, for it may be that one.
"""
from __future__ import annotations

from typing import Any, Iterable

from .messages import place, q


class Row:
    """One table of the document, its place, and which of its keys failed their own check."""

    def __init__(self, data: dict, loc: tuple, failed: set[tuple]):
        self.data, self.loc, self.failed = data, loc, failed
        self.at = place(loc)

    def bad(self, key: str) -> bool:
        return (*self.loc, key) in self.failed

    def ok(self, key: str) -> bool:
        return key in self.data and not self.bad(key)

    def get(self, key: str) -> Any:
        """The value (a string stripped, as the models do), or None when absent or failed."""
        value = self.data[key] if self.ok(key) else None
        return value.strip() if isinstance(value, str) else value

    def rows(self, key: str) -> list[Row] | None:
        """The tables of an array of tables; None when it is absent or failed."""
        items = self.get(key)
        if not isinstance(items, list):
            return None
        return [Row(item, (*self.loc, key, i), self.failed)
                for i, item in enumerate(items) if isinstance(item, dict)]


def problems_across(data: Any, failed_locs: Iterable[tuple]) -> list[str]:
    """``failed_locs``: the places of pydantic's errors. An error inside an array's scalars, or an
    item that is not a table, fails the array as a whole (the place is cut after its last key)."""
    if not isinstance(data, dict):
        return []
    failed = {loc[: max(i for i, k in enumerate(loc) if isinstance(k, str)) + 1]
              for loc in failed_locs if any(isinstance(k, str) for k in loc)}
    doc = Row(data, (), failed)
    agencies, desks = doc.rows("agencies") or [], doc.rows("desks")
    services = [s for a in agencies for s in a.rows("services") or []]
    displays = doc.rows("displays") or []
    devices = [*(doc.rows("kiosks") or []), *displays]
    problems = [*_unique(agencies, "code", "agency code"), *_unique(services, "code", "service code"),
                *_unique(desks or [], "number", "desk number")]
    if desks is not None and doc.ok("agencies"):        # else every desk would look wrong
        problems += _desks(desks, agencies) + _served(services, desks)
    problems += _unique(devices, "id", "device id")
    problems += _unique(devices, "token", "token",      # never shown: a token is a secret
                        lambda first: f"same token as {first}; every device needs its own token")
    return problems + _display_desks(displays, desks)


def _unique(rows: list[Row], key: str, what: str, message: Any = None) -> list[str]:
    first: dict[Any, str] = {}
    problems = []
    for row in rows:
        value = row.get(key)
        if value is not None and value in first:
            shown = q(value) if isinstance(value, str) else value
            text = message(first[value]) if message else f"duplicate {what} {shown} (also {first[value]})"
            problems.append(f"{row.at}.{key}: {text}")
        elif value is not None:
            first[value] = row.at
    return problems


def _desks(desks: list[Row], agencies: list[Row]) -> list[str]:
    """Each desk's agency exists; its services exist, are its agency's, and are listed once.
    When some agency or service code could not be read, "unknown" is not claimed: it may be that."""
    codes = {a.get("code") for a in agencies} - {None}
    agencies_known = all(a.ok("code") for a in agencies)
    owners: dict[str, str | None] = {}              # service code -> its agency's code; first wins
    services_known = True
    for agency in agencies:
        services = agency.rows("services")
        services_known &= services is not None and all(s.ok("code") for s in services)
        for service in services or []:
            if service.ok("code"):
                owners.setdefault(service.get("code"), agency.get("code"))
    problems = []
    for desk in desks:
        agency = desk.get("agency")
        if agency is not None and agency not in codes:
            if agencies_known:
                problems.append(f"{desk.at}.agency: unknown agency {q(agency)}")
            agency = None
        seen: set[str] = set()
        for code in (c.strip() for c in desk.get("services") or []):
            owner = owners.get(code)
            if code in seen:
                problems.append(f"{desk.at}.services: duplicate service {q(code)}")
            elif code not in owners and services_known:
                problems.append(f"{desk.at}.services: unknown service {q(code)}")
            elif agency is not None and owner is not None and owner != agency:
                problems.append(f"{desk.at}.services: service {q(code)} belongs to agency {q(owner)}, "
                                f"not to the desk's agency {q(agency)}")
            seen.add(code)
    return problems


def _served(services: list[Row], desks: list[Row]) -> list[str]:
    if not all(desk.ok("services") for desk in desks):
        return []                               # a desk's list could not be read: it may serve them
    served = {code.strip() for desk in desks for code in desk.get("services")}
    return [f"{s.at}: no desk serves {q(s.get('code'))}" for s in services
            if s.ok("code") and s.get("code") not in served]


def _display_desks(displays: list[Row], desks: list[Row] | None) -> list[str]:
    known = desks is not None and all(d.ok("number") for d in desks)
    numbers = {d.get("number") for d in desks or []} if known else None
    problems = []
    for display in displays:
        kind, desk, at = display.get("kind"), display.get("desk"), f"{display.at}.desk"
        if display.bad("desk"):
            continue
        if kind == "desk" and desk is None:
            problems.append(f'{at}: required for kind = "desk": the number of the desk it shows')
        elif kind == "desk" and numbers is not None and desk not in numbers:
            problems.append(f"{at}: no desk number {desk}")
        elif kind == "hall" and desk not in (None, 0):  # 0 = none, as in the contract's example
            problems.append(f'{at}: only a display of kind = "desk" shows one desk; '
                            'remove it or set kind = "desk"')
    return problems


def catalog(data: Any, failed_locs: Iterable[tuple], path: Any) -> tuple[list[str], tuple, Any]:
    """``[lookup] procedures`` (issue 14): read the catalog file and check every entry's service
    against the config's; (problems, procedures, the file made absolute or None). Absent, the
    catalog is ``procedures.json`` next to the config when there is one; ``""`` means none. Not
    read when the key failed its own check or the agencies could not be read."""
    import os
    from pathlib import Path

    from ..lookup.catalog import read_catalog
    from .models import DEFAULT_CATALOG

    if not isinstance(data, dict):
        return [], (), None
    failed = {loc[: max(i for i, k in enumerate(loc) if isinstance(k, str)) + 1]
              for loc in failed_locs if any(isinstance(k, str) for k in loc)}
    doc = Row(data, (), failed)
    lookup = data.get("lookup", {})
    if not isinstance(lookup, dict) or ("lookup",) in failed or ("lookup", "procedures") in failed \
            or not doc.ok("agencies"):
        return [], (), None
    name = lookup.get("procedures")
    if name is None:
        if not (path.parent / DEFAULT_CATALOG).is_file():
            return [], (), None
        name = DEFAULT_CATALOG
    name = name.strip()
    if not name:                                    # procedures = "": no catalog
        return [], (), None
    file = Path(name).expanduser()
    if not file.is_absolute():
        file = path.parent / file
    agencies, services = {}, {}
    for agency in doc.rows("agencies") or []:
        code, agency_name = agency.get("code"), agency.get("name")
        if code is not None and agency_name is not None:
            agencies[code] = agency_name
        for service in agency.rows("services") or []:
            if service.get("code") is not None:
                services.setdefault(service.get("code"), (code, agency_name))
    procedures, found = read_catalog(file, services, agencies, name=name)
    return [f"lookup.procedures: {p}" for p in found], tuple(procedures), Path(os.path.abspath(file))
