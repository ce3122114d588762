"""What the hub shows: every site live (staff), one site in detail, and the public's queues now.

``link``: ``never`` (not heard from yet), ``up`` (heard from within ``link_down_after_s``, 60 s by
default) or ``down``. Alerts: a link down for more than ``LINK_ALERT_S`` (5 minutes), and
services whose waiting tickets are past their target (from the hub's own tickets and the site's
``target_wait_min``)."""
from __future__ import annotations

import json

LINK_ALERT_S = 300.0


def _link(h, last_seen: float | None, now: float) -> str:
    if last_seen is None:
        return "never"
    return "up" if now - last_seen <= h.config.link_down_after_s else "down"


def _sites(db, code: str | None = None):
    cur = db.execute("SELECT code, name, kind, last_seen_at, link_since, status, status_at, hw, first_seen_at "
                     "FROM sites WHERE active = 1 AND (? IS NULL OR code = ?) ORDER BY kind = 'commune', code",
                     [code, code])
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _status(row: dict) -> dict:
    try:
        return json.loads(row["status"]) if row["status"] else {}
    except ValueError:
        return {}


def sites_overview(h, code: str | None = None) -> list[dict]:
    now = h.clock.now()
    today = h.clock.day_of(now)
    with h.storage.read() as db:
        sites = _sites(db, code)
        counts = {r[0]: r[1:] for r in db.execute(
            "SELECT site, count(*), sum(status = 'done'), sum(status = 'no_show'), sum(status = 'waiting'), "
            "min(CASE WHEN status = 'waiting' THEN issued_at END) FROM tickets "
            "WHERE day = ? AND (? IS NULL OR site = ?) GROUP BY site", [today, code, code])}
        desks = dict(db.execute("SELECT site, count(*) FROM desks WHERE active = 1 AND state != 'closed' "
                                "AND (? IS NULL OR site = ?) GROUP BY site", [code, code]).fetchall())
        late = db.execute(
            "SELECT t.site, t.service, s.name, s.target_wait_min, count(*), min(t.issued_at) FROM tickets t "
            "JOIN services s ON s.site = t.site AND s.code = t.service "
            "WHERE t.day = ? AND t.status = 'waiting' AND ? - t.issued_at > s.target_wait_min * 60 "
            "AND (? IS NULL OR t.site = ?) GROUP BY t.site, t.service ORDER BY t.site, s.position",
            [today, now, code, code]).fetchall()
    out = []
    for s in sites:
        issued, served, no_show, waiting, oldest = counts.get(s["code"], (0, 0, 0, 0, None))
        link = _link(h, s["last_seen_at"], now)
        alerts = []
        if link == "down" and now - s["last_seen_at"] > LINK_ALERT_S:
            minutes = int((now - s["last_seen_at"]) // 60)
            alerts.append({"kind": "link_down", "since": h.clock.iso(s["last_seen_at"]),
                           "message": f"Mất kết nối {minutes} phút (link down for {minutes} min)"})
        for site, service, name, target, n, first in late:
            if site == s["code"]:
                alerts.append({"kind": "wait_past_target", "service": service, "service_name": name,
                               "target_wait_min": target, "waiting_late": n, "longest_wait_s": int(now - first),
                               "message": f"{name}: {n} người chờ quá {target} phút "
                                          f"({n} waiting past the {target} min target)"})
        out.append({
            "code": s["code"], "name": s["name"], "kind": s["kind"], "link": link,
            "link_since": h.clock.iso(s["link_since"] if link == "up" else s["last_seen_at"]),
            "last_seen_at": h.clock.iso(s["last_seen_at"]),
            "acknowledged_seq": s["hw"],
            "today": {"issued": issued, "served": served or 0, "no_show": no_show or 0, "waiting": waiting or 0,
                      "open_desks": desks.get(s["code"], 0)},
            "longest_wait_s": int(now - oldest) if oldest is not None else 0,
            "open_now": _status(s).get("open_now"),
            "alerts": alerts,
        })
    return out


def site_detail(h, code: str) -> dict | None:
    overview = sites_overview(h, code)
    if not overview:
        return None
    now = h.clock.now()
    today = h.clock.day_of(now)
    with h.storage.read() as db:
        row = _sites(db, code)[0]
        live = {q.get("code"): q for q in _status(row).get("queues", []) if isinstance(q, dict)}
        waiting = {r[0]: r[1:] for r in db.execute(
            "SELECT service, count(*), min(issued_at) FROM tickets WHERE site = ? AND day = ? AND status = 'waiting' "
            "GROUP BY service", [code, today])}
        services = []
        for scode, name, agency, target in db.execute(
                "SELECT code, name, agency, target_wait_min FROM services WHERE site = ? AND active = 1 "
                "ORDER BY position, code", [code]):
            n, first = waiting.get(scode, (0, None))
            services.append({"code": scode, "name": name, "agency": agency, "target_wait_min": target,
                             "waiting": n, "longest_wait_s": int(now - first) if first else 0,
                             "estimated_wait_s": (live.get(scode) or {}).get("estimated_wait_s")})
        desks = []
        for number, name, agency, state, reason, current, officer in db.execute(
                "SELECT d.number, d.name, d.agency, d.state, d.pause_reason, t.code, o.username FROM desks d "
                "LEFT JOIN tickets t ON t.site = d.site AND t.id = d.current_ticket "
                "LEFT JOIN officers o ON o.site = d.site AND o.id = d.officer "
                "WHERE d.site = ? AND d.active = 1 ORDER BY d.position, d.number", [code]):
            desks.append({"number": number, "name": name, "agency": agency, "state": state, "pause_reason": reason,
                          "ticket": current, "officer": officer})
        recent = [{"seq": seq, "type": type_, "at": h.clock.iso(at), "desk": desk, "code": code_}
                  for seq, type_, at, desk, code_ in db.execute(
                      "SELECT e.seq, e.type, e.at, e.desk, t.code FROM site_events e "
                      "LEFT JOIN tickets t ON t.site = e.site AND t.id = e.ticket "
                      "WHERE e.site = ? ORDER BY e.seq DESC LIMIT 20", [code])]
    return {"site": overview[0], "services": services, "desks": desks, "recent": recent}


def public_sites(h) -> list[dict]:
    """Where the queue is short right now: each site's services with how many wait and the
    estimate the site itself last sent (its heartbeat, every ~10 s)."""
    now = h.clock.now()
    today = h.clock.day_of(now)
    with h.storage.read() as db:
        sites = _sites(db)
        waiting = {(r[0], r[1]): r[2] for r in db.execute(
            "SELECT site, service, count(*) FROM tickets WHERE day = ? AND status = 'waiting' GROUP BY site, service",
            [today])}
        services = db.execute("SELECT site, code, name, agency FROM services WHERE active = 1 "
                              "ORDER BY site, position, code").fetchall()
        agencies = {(r[0], r[1]): r[2] for r in db.execute("SELECT site, code, name FROM agencies")}
    out = []
    for s in sites:
        status = _status(s)
        live = {q.get("code"): q for q in status.get("queues", []) if isinstance(q, dict)}
        link = _link(h, s["last_seen_at"], now)
        rows = []
        for site, code, name, agency in services:
            if site != s["code"]:
                continue
            q = live.get(code) or {}
            rows.append({"code": code, "name": name, "agency": agency, "agency_name": agencies.get((site, agency)),
                         "waiting": q.get("waiting", waiting.get((site, code), 0)) if link == "up"
                         else waiting.get((site, code), 0),
                         "estimated_wait_s": q.get("estimated_wait_s") if link == "up" else None})
        out.append({"code": s["code"], "name": s["name"], "kind": s["kind"],
                    "open_now": status.get("open_now") if link == "up" else None,
                    "link": link, "as_of": h.clock.iso(s["status_at"]), "services": rows})
    return out
