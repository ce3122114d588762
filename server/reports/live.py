"""The supervisor's live picture: queues with their longest waits, desks, devices, and alerts.

Alerts (thresholds are deliberately config-free):

- ``late``: a service's longest current wait (oldest waiting ticket of today, by its place in the
  queue) has passed the service's ``target_wait_min``; since = that ticket's queue time + target.
- ``paused``: a desk has been paused for more than ``PAUSE_ALERT_MIN`` (15) minutes; since =
  paused_at + 15 min.
- ``no_open_desk``: tickets wait for a service that no open (or paused) desk serves; since =
  the oldest waiting ticket's queue time.
- ``called_long``: a called ticket has been neither started nor finished for
  ``[queue] called_alert_min`` (default 10) minutes; since = its call + that time.
- ``printer``: a kiosk's printer reports a fault (any state other than ``online``,
  ``paper_low`` and ``unknown``: ``paper_out``, ``offline``, ...); ``paper_low`` is a warning.
  Since = the time the state was reported (``device_states.updated_at``). Also when a kiosk's
  latest answered print job of today failed (the printer stopped taking it, or took it without
  confirming it): since = when it failed, unless the printer's state already raises an error.

Each kiosk row has ``print_jobs``: today's jobs by outcome (``printed``, ``failed``, ``expired``,
``open``) and the last failure (``code``, ``error``, ``at``), so a printer that "works" but loses
tickets shows.

The page recomputes ``late`` and ``paused`` every second from the same fields
(``oldest_queued_at``, ``target_wait_min``, ``paused_at``), so an alert shows the moment its
threshold passes, between two fetches of this picture.
"""
from __future__ import annotations

PAUSE_ALERT_MIN = 15
CALLED_ALERT_MIN = 10            # the default of [queue] called_alert_min
PRINTER_OK = ("online", "paper_low", "unknown")


def overview(db, hub, connected: dict[str, str] | None = None) -> dict:
    """``connected``: device id → role of the devices with a live Socket.IO connection."""
    clock = hub.clock
    now = clock.now()
    today = clock.day_of(now)
    connected = connected or {}
    queues = {q["code"]: q for q in hub.service.queues()}
    oldest = dict(db.execute(
        "SELECT service, min(queued_at) FROM tickets WHERE day = ? AND status = 'waiting' GROUP BY service",
        [today]).fetchall())
    counts = dict(db.execute(
        "SELECT agency, count(*) FROM tickets WHERE day = ? GROUP BY agency", [today]).fetchall())
    agencies = []
    services = db.execute(
        "SELECT s.code, s.name, s.agency, s.target_wait_min, a.name FROM services s JOIN agencies a ON a.code = s.agency "
        "WHERE s.active = 1 ORDER BY a.position, s.position").fetchall()
    by_agency: dict[str, dict] = {}
    for code, name, agency, target, agency_name in services:
        entry = by_agency.get(agency)
        if entry is None:
            entry = by_agency[agency] = {"code": agency, "name": agency_name, "issued_today": counts.get(agency, 0),
                                         "services": []}
            agencies.append(entry)
        q = queues.get(code, {"waiting": 0, "estimated_wait_s": None, "estimate": None})
        entry["services"].append({
            "code": code, "name": name, "target_wait_min": target, "waiting": q["waiting"],
            "estimated_wait_s": q["estimated_wait_s"], "estimate": q.get("estimate"),
            "longest_wait_s": int(now - oldest[code]) if code in oldest else 0,
            "oldest_queued_at": oldest.get(code),
        })
    desks = hub.service.desks()
    paused_at = dict(db.execute("SELECT number, paused_at FROM desks WHERE state = 'paused'").fetchall())
    called_at = dict(db.execute("SELECT d.number, t.called_at FROM desks d JOIN tickets t ON t.id = d.current_ticket "
                                "WHERE t.status = 'called'").fetchall())
    for desk in desks:
        desk["paused_at_ts"] = paused_at.get(desk["number"])
        desk["called_at_ts"] = called_at.get(desk["number"])
    called_alert_min = hub.config.queue.called_alert_min
    devices = _devices(db, hub, connected, today)
    return {
        "now": now,
        "server_time": clock.iso(now),
        "day": today,
        "thresholds": {"pause_alert_min": PAUSE_ALERT_MIN, "called_alert_min": called_alert_min},
        "agencies": agencies,
        "desks": desks,
        "devices": devices,
        "alerts": alerts(now, clock, agencies, desks, devices, called_alert_min),
    }


def _print_jobs(db, hub, today: str) -> dict[str, dict]:
    """kiosk id → today's print jobs by outcome and the last failure (None if none failed)."""
    out: dict[str, dict] = {}
    for kiosk, status, n in db.execute(
            "SELECT j.kiosk, j.status, count(*) FROM print_jobs j JOIN tickets t ON t.id = j.ticket "
            "WHERE t.day = ? GROUP BY j.kiosk, j.status", [today]):
        entry = out.setdefault(kiosk, {"printed": 0, "failed": 0, "expired": 0, "open": 0, "last_failure": None,
                                       "last_done": None})
        entry["open" if status in ("pending", "sent") else status] += n
    for kiosk, entry in out.items():
        last = db.execute(
            "SELECT j.status, j.error, j.done_at, t.code FROM print_jobs j JOIN tickets t ON t.id = j.ticket "
            "WHERE j.kiosk = ? AND t.day = ? AND j.status IN ('printed', 'failed') ORDER BY j.done_at DESC, j.id DESC "
            "LIMIT 1", [kiosk, today]).fetchone()
        entry["last_done"] = last[0] if last else None
        if entry["failed"]:
            row = db.execute(
                "SELECT j.error, j.done_at, t.code FROM print_jobs j JOIN tickets t ON t.id = j.ticket "
                "WHERE j.kiosk = ? AND t.day = ? AND j.status = 'failed' ORDER BY j.done_at DESC, j.id DESC LIMIT 1",
                [kiosk, today]).fetchone()
            entry["last_failure"] = {"code": row[2], "error": row[0], "at": hub.clock.iso(row[1]), "at_ts": row[1]}
    return out


def _devices(db, hub, connected: dict[str, str], today: str | None = None) -> dict:
    states = {r[0]: {"state": r[1], "detail": r[2], "updated_at": r[3], "updated": hub.clock.iso(r[3])}
              for r in db.execute("SELECT device, state, detail, updated_at FROM device_states ORDER BY device")}
    jobs = _print_jobs(db, hub, today or hub.clock.day_of(hub.clock.now()))
    kiosks = [{"id": k.id, "name": k.name, "connected": k.id in connected, "printer": states.pop(k.id, None),
               "print_jobs": jobs.get(k.id)} for k in hub.config.kiosks]
    displays = [{"id": d.id, "name": d.name, "kind": d.kind, "desk": d.desk if d.kind == "desk" else None,
                 "connected": d.id in connected} for d in hub.config.displays]
    others = [{"id": device, **state} for device, state in states.items()]
    return {"kiosks": kiosks, "displays": displays, "other_states": others,
            "has_printer_data": any(k["printer"] for k in kiosks) or bool(others)}


def alerts(now: float, clock, agencies: list[dict], desks: list[dict], devices: dict,
           called_alert_min: float = CALLED_ALERT_MIN) -> list[dict]:
    out = []
    for agency in agencies:
        for s in agency["services"]:
            if s["oldest_queued_at"] is None:
                continue
            if (s.get("estimate") or {}).get("kind") == "no_open_desk":
                since = s["oldest_queued_at"]
                out.append({"kind": "no_open_desk", "level": "error", "since": clock.iso(since), "since_ts": since,
                            "subject": s["code"], "agency": agency["code"],
                            "message": f"{s['name']} ({agency['name']}): {s['waiting']} người đang chờ "
                                       f"nhưng chưa có quầy nào mở phục vụ"})
            since = s["oldest_queued_at"] + s["target_wait_min"] * 60
            if now > since:
                out.append({"kind": "late", "level": "error", "since": clock.iso(since), "since_ts": since,
                            "subject": s["code"], "agency": agency["code"],
                            "message": f"{s['name']} ({agency['name']}): có người chờ quá {s['target_wait_min']} phút "
                                       f"({s['waiting']} người đang chờ)"})
    for desk in desks:
        paused_at = desk.get("paused_at_ts")
        if desk["state"] == "paused" and paused_at is not None and now - paused_at > PAUSE_ALERT_MIN * 60:
            since = paused_at + PAUSE_ALERT_MIN * 60
            out.append({"kind": "paused", "level": "warning", "since": clock.iso(since), "since_ts": since,
                        "subject": str(desk["number"]), "agency": desk["agency"],
                        "message": f"{desk['name']} tạm dừng quá {PAUSE_ALERT_MIN} phút: {desk['pause_reason'] or ''}".strip()})
    for desk in desks:
        called = desk.get("called_at_ts")
        if called is not None and now - called > called_alert_min * 60:
            since = called + called_alert_min * 60
            code = (desk.get("current_ticket") or {}).get("code") or ""
            out.append({"kind": "called_long", "level": "warning", "since": clock.iso(since), "since_ts": since,
                        "subject": str(desk["number"]), "agency": desk["agency"],
                        "message": f"{desk['name']}: đã gọi {code} {int((now - called) // 60)} phút "
                                   f"nhưng chưa bắt đầu phục vụ"})
    printers = [(k["id"], k["name"], k["printer"]) for k in devices["kiosks"] if k["printer"]]
    failing = {k["id"] for k in devices["kiosks"] if (k.get("print_jobs") or {}).get("last_done") == "failed"}
    printers += [(o["id"], o["id"], o) for o in devices["other_states"]]
    for device, name, state in printers:
        if state["state"] not in PRINTER_OK or state["state"] == "paper_low":
            if state["state"] != "paper_low":
                failing.discard(device)
            level = "warning" if state["state"] == "paper_low" else "error"
            out.append({"kind": "printer", "level": level, "since": state["updated"], "since_ts": state["updated_at"],
                        "subject": device, "agency": None,
                        "message": f"Máy in của {name}: {PRINTER_TEXT.get(state['state'], state['state'])}"
                                   + (f" ({state['detail']})" if state.get("detail") else "")})
    for k in devices["kiosks"]:
        if k["id"] not in failing:
            continue
        failure = k["print_jobs"]["last_failure"]
        out.append({"kind": "printer", "level": "error", "since": failure["at"], "since_ts": failure["at_ts"],
                    "subject": k["id"], "agency": None,
                    "message": f"Máy in của {k['name']}: phiếu {failure['code']} không in được"
                               + (f" ({failure['error']})" if failure["error"] else "")})
    out.sort(key=lambda a: a["since_ts"])
    return out


PRINTER_TEXT = {"paper_out": "hết giấy", "paper_low": "sắp hết giấy", "offline": "không hoạt động",
                "online": "sẵn sàng", "unknown": "chưa rõ"}
