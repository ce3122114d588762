"""The summary report: totals, by agency, by desk, by officer and by local hour of issue.

Every group gets the same figures ``S``:

- ``issued``: tickets of the period; ``served`` (ended ``done``), ``no_show``, ``cancelled``
  (by a supervisor or closed at end of day), ``called`` (called at least once);
- ``avg_wait_s`` / ``p90_wait_s``: issue → first call, over the tickets that were called;
- ``avg_service_s`` / ``p90_service_s``: start (or call) → finish, over the served tickets;
- ``within_target_pct``: share, in percent, of the tickets that count for the target (see
  ``base.py``) that were called within their service's ``target_wait_min``;
- ``rating_avg`` (1–5) and ``ratings`` (how many).

Averages and shares are rounded to one decimal (``rating_avg`` to two), NULL when there is
nothing to average. The 90th percentile is the nearest-rank one: the smallest value with at
least 90 % of the values at or below it.

Where the work is done: the per-ticket figures (wait, service, within target, rating, local
hour) and every count, sum, average and share are SQL, in one statement over the tickets and
the event log. The 90th percentiles are picked from that same statement's per-ticket rows: SQLite
has no percentile function, and the window-function way (``row_number() OVER (PARTITION BY ...
ORDER BY ...)``) needs one sort per dimension and measure — ten sorts of the whole period, about
1 s for 90 days on the 2-core machine, against ~20 ms for Python's sort of the same values
(``bench/reports_bench.py``). Same rows, so the percentiles agree with the counts to the ticket.

Groups: by the agency and the desk a ticket ended with, by the officer who served it last
(tickets never called have no desk and no officer), by the local hour it was issued. The rows of
``by_agency`` and ``by_hour`` add up to the totals; ``by_agency`` lists every active agency (and
any other with tickets), ``by_desk`` every active desk (of the agency, when one is asked for),
``by_hour`` every hour from the first to the last with tickets, with zeros where none.

The site dimension (issue 12): ``summary(..., sites=True)`` runs on the hub's tables (every
site's tickets with a ``site`` column) and adds ``by_site``; desks and officers are then keyed by
(site, number) and (site, id), and their rows carry ``site``. For one site (``Period.site``) every
other figure is computed by the same statement as at the site, so the two agree to the ticket.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from .base import Period, base_cte

S_KEYS = ("issued", "served", "no_show", "cancelled", "called", "avg_wait_s", "p90_wait_s", "avg_service_s",
          "p90_service_s", "within_target_pct", "rating_avg", "ratings")
DIMENSIONS = ("total", "agency", "desk", "officer", "hour", "site")


FIGURES = """count(*) AS n, sum(status = 'done') AS served, sum(status = 'no_show') AS no_show,
           sum(status = 'cancelled') AS cancelled, count(wait_s) AS cw, sum(wait_s) AS sw,
           count(service_s) AS cs, sum(service_s) AS ss, sum(within) AS wi, count(within) AS cwi,
           sum(score) AS sc, count(score) AS csc"""
ROLLUP = """sum(n) AS n, sum(served) AS served, sum(no_show) AS no_show, sum(cancelled) AS cancelled,
           sum(cw) AS cw, sum(sw) AS sw, sum(cs) AS cs, sum(ss) AS ss, sum(wi) AS wi, sum(cwi) AS cwi,
           sum(sc) AS sc, sum(csc) AS csc"""


def summary_sql(tz: ZoneInfo, period: Period, *, sites: bool = False) -> str:
    """One statement: the per-ticket rows (``base``) are computed once; then

    - ``fine``: counts and sums per (agency, desk, officer, hour) — one GROUP BY over the tickets;
    - ``agg``: those rolled up to the total and to each dimension (a few hundred rows), and the
      figures of ``S`` from the sums (average = sum / count, share = within / counted);
    - then, after the ``agg`` rows, the ``fine`` groups' wait and service times (``group_concat``:
      every ticket's, with its group's keys), from which ``summary`` picks the 90th percentiles.
    """
    # on the hub a desk or an officer is one of a site's: keyed "SITE|number" (NULL stays NULL)
    desk = "site || '|' || desk" if sites else "desk"
    officer = "site || '|' || officer" if sites else "officer"
    by_site = "\n    UNION ALL SELECT 'site', site, {ROLLUP} FROM fine GROUP BY site".format(ROLLUP=ROLLUP) if sites else ""
    return base_cte(tz, period, sites=sites) + f""",
fine AS MATERIALIZED (
    SELECT {"site, " if sites else ""}agency, {desk} AS desk, {officer} AS officer, hour, {FIGURES},
           group_concat(wait_s) AS waits, group_concat(service_s) AS services
    FROM base GROUP BY {"site, " if sites else ""}agency, desk, officer, hour
),
agg AS (
    SELECT 'total' AS dim, '' AS k, {ROLLUP} FROM fine
    UNION ALL SELECT 'agency', agency, {ROLLUP} FROM fine GROUP BY agency
    UNION ALL SELECT 'desk', desk, {ROLLUP} FROM fine WHERE desk IS NOT NULL GROUP BY desk
    UNION ALL SELECT 'officer', officer, {ROLLUP} FROM fine WHERE officer IS NOT NULL GROUP BY officer
    UNION ALL SELECT 'hour', hour, {ROLLUP} FROM fine GROUP BY hour{by_site}
)
SELECT dim, k, NULL, NULL, n, served, no_show, cancelled, cw,
       round(sw / cw, 1), round(ss / cs, 1), round(100.0 * wi / cwi, 1), round(1.0 * sc / csc, 2), csc
FROM agg
UNION ALL
SELECT 'values', agency, desk, officer, hour, waits, services, {"site" if sites else "NULL"}, NULL, NULL, NULL, NULL,
       NULL, NULL
FROM fine WHERE waits IS NOT NULL OR services IS NOT NULL
"""


def nearest_rank_p90(values: list[float]) -> float | None:
    """The smallest value with at least 90 % of the values at or below it."""
    if not values:
        return None
    values.sort()
    return round(values[(9 * len(values) + 9) // 10 - 1], 1)


def empty_s() -> dict:
    return {k: (0 if k in ("issued", "served", "no_show", "cancelled", "called", "ratings") else None) for k in S_KEYS}


def summary(db, tz: ZoneInfo, period: Period, *, sites: bool = False) -> dict:
    """The summary report of ``period`` (see the module's docstring) as a JSON-ready dict;
    ``sites``: on the hub's tables, with ``by_site``."""
    groups: dict[str, dict] = {d: {} for d in DIMENSIONS}
    waits: dict[tuple, list] = {}
    services: dict[tuple, list] = {}
    for row in db.execute(summary_sql(tz, period, sites=sites), period.params()):
        if row[0] != "values":
            if row[4] is None:            # the total of an empty period
                continue
            groups[row[0]][row[1]] = dict(zip(("issued", "served", "no_show", "cancelled", "called", "avg_wait_s",
                                                "avg_service_s", "within_target_pct", "rating_avg", "ratings"), row[4:]))
            continue
        _, agency, desk, officer, hour, wait_text, service_text, site = row[:8]
        keys = [("total", ""), ("agency", agency), ("hour", hour)]
        if sites:
            keys.append(("site", site))
        if desk is not None:
            keys.append(("desk", desk))
        if officer is not None:
            keys.append(("officer", officer))
        for text, into in ((wait_text, waits), (service_text, services)):
            if text is None:
                continue
            values = list(map(float, text.split(",")))
            for key in keys:
                into.setdefault(key, []).extend(values)
    for dim, by_key in groups.items():
        for k, s in by_key.items():
            s["p90_wait_s"] = nearest_rank_p90(waits.get((dim, k), []))
            s["p90_service_s"] = nearest_rank_p90(services.get((dim, k), []))
            by_key[k] = {key: s[key] for key in S_KEYS}
    totals = groups["total"].get("", empty_s())
    if sites:
        return _hub_groups(db, tz, period, groups, totals)

    agencies = db.execute(
        "SELECT code, name FROM agencies WHERE (active = 1 AND (:agency IS NULL OR code = :agency)) "
        "OR code IN (SELECT value FROM json_each(:seen)) ORDER BY position, code",
        {"agency": period.agency, "seen": _json(list(groups["agency"]))}).fetchall()
    by_agency = [{"code": code, "name": name, **groups["agency"].get(code, empty_s())} for code, name in agencies]

    desks = db.execute(
        "SELECT number, name, agency FROM desks WHERE (active = 1 AND (:agency IS NULL OR agency = :agency)) "
        "OR number IN (SELECT value FROM json_each(:seen)) ORDER BY position, number",
        {"agency": period.agency, "seen": _json(list(groups["desk"]))}).fetchall()
    by_desk = [{"number": n, "name": name, "agency": agency, **groups["desk"].get(n, empty_s())}
               for n, name, agency in desks]

    names = dict(db.execute("SELECT id, username FROM users WHERE id IN (SELECT value FROM json_each(?))",
                            [_json(list(groups["officer"]))]).fetchall())
    by_officer = sorted(({"user_id": uid, "username": names.get(uid, f"#{uid}"), **s}
                         for uid, s in groups["officer"].items()), key=lambda r: r["username"])

    hours = groups["hour"]
    by_hour = [{"hour": h, **hours.get(h, empty_s())} for h in range(min(hours), max(hours) + 1)] if hours else []

    return {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat(), "agency": period.agency,
                   "timezone": str(tz)},
        "totals": totals,
        "by_agency": by_agency,
        "by_desk": by_desk,
        "by_officer": by_officer,
        "by_hour": by_hour,
    }


def _hub_groups(db, tz: ZoneInfo, period: Period, groups: dict, totals: dict) -> dict:
    """The rows of the summary on the hub's tables: as at a site, per site where a site's. Agencies
    are grouped by code across sites (province-wide, the name of one of them; for one site, its own)."""
    p = {"agency": period.agency, "site": period.site}
    agencies = db.execute(
        "SELECT code, min(name) FROM agencies WHERE (:site IS NULL OR site = :site) AND ((active = 1 AND "
        "(:agency IS NULL OR code = :agency)) OR code IN (SELECT value FROM json_each(:seen))) "
        "GROUP BY code ORDER BY min(position), code", {**p, "seen": _json(list(groups["agency"]))}).fetchall()
    by_agency = [{"code": code, "name": name, **groups["agency"].get(code, empty_s())} for code, name in agencies]

    desks = db.execute(
        "SELECT site, number, name, agency FROM desks WHERE (active = 1 AND (:agency IS NULL OR agency = :agency) "
        "AND (:site IS NULL OR site = :site)) OR site || '|' || number IN (SELECT value FROM json_each(:seen)) "
        "ORDER BY site, position, number", {**p, "seen": _json(list(groups["desk"]))}).fetchall()
    by_desk = [{"number": n, "name": name, "agency": agency, **groups["desk"].get(f"{site}|{n}", empty_s()),
                "site": site} for site, n, name, agency in desks]

    names = {f"{site}|{uid}": name for site, uid, name in db.execute(
        "SELECT site, id, username FROM officers WHERE site || '|' || id IN (SELECT value FROM json_each(?))",
        [_json(list(groups["officer"]))])}
    by_officer = sorted(({"user_id": int(key.rpartition("|")[2]), "username": names.get(key, "#" + key.rpartition("|")[2]),
                          **s, "site": key.rpartition("|")[0]} for key, s in groups["officer"].items()),
                        key=lambda r: (r["username"], r["site"]))

    hours = groups["hour"]
    by_hour = [{"hour": h, **hours.get(h, empty_s())} for h in range(min(hours), max(hours) + 1)] if hours else []

    sites = db.execute(
        "SELECT code, name, kind FROM sites WHERE (active = 1 AND (:site IS NULL OR code = :site)) "
        "OR code IN (SELECT value FROM json_each(:seen)) ORDER BY kind = 'commune', code",
        {**p, "seen": _json(list(groups["site"]))}).fetchall()
    by_site = [{"code": code, "name": name, "kind": kind, **groups["site"].get(code, empty_s())}
               for code, name, kind in sites]
    return {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat(), "agency": period.agency,
                   "site": period.site, "timezone": str(tz)},
        "totals": totals,
        "by_site": by_site,
        "by_agency": by_agency,
        "by_desk": by_desk,
        "by_officer": by_officer,
        "by_hour": by_hour,
    }


def _json(values: list) -> str:
    import json

    return json.dumps(values)
