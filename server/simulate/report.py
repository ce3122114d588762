"""The end-of-day report: the figures as a dict (for ``--json`` and the tests) and as text."""
from __future__ import annotations

from collections import Counter

from .clients import Display
from .profile import clock_text
from .stats import error_summary, percentile, wait_summary


def ticket_figures(visitors) -> dict:
    issued = [v for v in visitors if v.ticket_id is not None]
    by_status = Counter(v.status for v in issued)
    codes = [v.code for v in issued]
    figures = {
        "planned": len(visitors),
        "issued": len(issued),
        "served": by_status.get("done", 0),
        "no_show": by_status.get("no_show", 0),
        "waiting_at_close": by_status.get("waiting", 0),
        "in_service_at_close": by_status.get("called", 0) + by_status.get("serving", 0),
        "refused": sum(1 for v in visitors if v.status == "refused"),
        "transferred": sum(1 for v in issued if v.transfers),
        "priority": sum(1 for v in issued if v.priority),
        "codes_unique": len(set(codes)) == len(codes),
    }
    figures["accounted"] = (figures["issued"] == figures["served"] + figures["no_show"]
                            + figures["waiting_at_close"] + figures["in_service_at_close"])
    return figures


def wait_figures(visitors, agency_names: dict[str, str]) -> dict:
    issued = [v for v in visitors if v.ticket_id is not None]
    rows = []
    for agency in sorted({v.agency for v in issued}, key=lambda a: -sum(1 for v in issued if v.agency == a)):
        mine = [v for v in issued if v.agency == agency]
        waits = [v.first_call - v.issued for v in mine if v.first_call is not None]
        rows.append({"agency": agency, "name": agency_names.get(agency, agency), "issued": len(mine),
                     "not_called": len(mine) - len(waits), **wait_summary(waits)})
    all_waits = [v.first_call - v.issued for v in issued if v.first_call is not None]
    return {"by_agency": rows, "all": {"issued": len(issued), "not_called": len(issued) - len(all_waits),
                                        **wait_summary(all_waits)}}


def estimate_figures(visitors, speed: float) -> dict:
    called = [v for v in visitors if v.first_call is not None and v.estimate_real_s is not None]
    pairs = [(v.estimate_real_s * speed, v.first_call - v.issued) for v in called]
    out = error_summary(pairs).as_dict()
    by_hour = []
    for hour in sorted({int(v.issued // 3600) for v in called}):
        sub = [(v.estimate_real_s * speed, v.first_call - v.issued) for v in called if int(v.issued // 3600) == hour]
        s = error_summary(sub).as_dict()
        actual = [a for _, a in sub]
        by_hour.append({"hour": hour, "n": s["n"], "median_abs_min": s["median_abs_min"],
                        "median_pct": s["median_pct"], "median_bias_min": s["median_bias_min"],
                        "median_actual_min": round(percentile(actual, 50) / 60, 1)})
    out["by_hour"] = by_hour
    issued = [v for v in visitors if v.issued is not None]
    # no number at all: no open desk served the service when the ticket was taken ("Chưa có quầy mở")
    out["no_estimate"] = sum(1 for v in issued if v.estimate_real_s is None)
    kinds = Counter(getattr(v, "estimate_kind", None) or "unknown" for v in issued)
    out["kinds"] = dict(sorted(kinds.items()))
    plain = [(v.estimate_real_s * speed, v.first_call - v.issued) for v in called
             if getattr(v, "estimate_kind", None) != "no_history"]
    # what the screens show as a number (a "no_history" estimate is shown as "no data yet")
    out["shown"] = error_summary(plain).as_dict()
    return out


def display_figures(displays: list[Display], calls) -> list[dict]:
    rows = []
    for disp in displays:
        expected = Counter(c.key for c in calls if disp.desk is None or c.key[1] == disp.desk)
        got = disp.calls
        missing = sum(max(0, n - got[k]) for k, n in expected.items())
        duplicates = sum(max(0, got[k] - n) for k, n in expected.items())
        extra = sum(n for k, n in got.items() if k not in expected)
        answered = {}
        for c in calls:
            answered.setdefault(c.key, c.at_real)
        latencies = [(disp.first_seen[k] - answered[k]) * 1000 for k in expected if k in disp.first_seen]
        rows.append({
            "name": disp.name, "kind": "hall" if disp.desk is None else "desk", "desk": disp.desk,
            "expected": sum(expected.values()), "delivered": sum(min(got[k], n) for k, n in expected.items()),
            "missing": missing, "duplicates": duplicates, "extra": extra,
            "exactly_once": missing == 0 and duplicates == 0 and extra == 0,
            "reconnects": max(0, disp.connects - 1),
            "latency_ms_p50": _round(percentile(latencies, 50)), "latency_ms_p99": _round(percentile(latencies, 99)),
        })
    return rows


def phone_figures(phones, calls_by_ticket) -> dict:
    if phones is None:
        return {"enabled": False}
    followed = list(phones.phones.values())
    checked = expected_total = delivered = missing = duplicates = errors = 0
    for phone in followed:
        if phone.error:
            errors += 1
        if phone.acked_status != "waiting" or phone.acked_at is None:
            continue                      # called before the phone followed: nothing to check exactly
        checked += 1
        expected = Counter(c.key for c in calls_by_ticket.get(phone.ticket_id, []) if c.at_real > phone.acked_at)
        expected_total += sum(expected.values())
        delivered += sum(min(phone.calls[k], n) for k, n in expected.items())
        missing += sum(max(0, n - phone.calls[k]) for k, n in expected.items())
        duplicates += sum(max(0, phone.calls[k] - n) for k, n in expected.items())
    updated = [p.updates for p in followed if p.acked_status == "waiting"]
    return {"enabled": True, "followed": len(followed), "checked": checked, "skipped_over_cap": phones.skipped,
            "live_updates": sum(updated), "live_updates_p50": percentile(updated, 50) if updated else 0,
            "calls_expected": expected_total, "calls_delivered": delivered, "missing": missing,
            "duplicates": duplicates, "errors": errors, "exactly_once": missing == 0 and duplicates == 0}


def _round(x):
    return None if x is None else round(x, 1)


# ---- text -----------------------------------------------------------------------------------------
def _minutes(x) -> str:
    return "   –" if x is None else f"{x:5.1f}"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def render(r: dict) -> str:
    o = r["options"]
    lines = []
    ok = lambda b: "OK" if b else "FAILED"   # noqa: E731
    lines.append(f"Hàng Đợi — simulated day of {r['center']['name']}")
    lines.append(f"  {o['hours']} · {o['visitors']} visitors · speed {o['speed']:g}× · seed {o['seed']} · "
                 f"{r['center']['desks']} desks{r['center']['extra_text']} · real time {_duration(r['real_seconds'])}")
    for note in r.get("notes", []):
        lines.append(f"  note: {note}")
    t = r["tickets"]
    lines.append("")
    lines.append(f"Tickets: issued {t['issued']} · served {t['served']} · no-show {t['no_show']} · "
                 f"still waiting at close {t['waiting_at_close']} · in service at close {t['in_service_at_close']}"
                 + (f" · refused {t['refused']}" if t["refused"] else ""))
    lines.append(f"  transferred {t['transferred']} · priority {t['priority']} · "
                 f"issued = served + no-show + waiting + in service: {ok(t['accounted'])} · "
                 f"codes unique: {ok(t['codes_unique'])}")
    w = r["waits"]
    lines.append("")
    lines.append("Waits, issue → first call (simulated minutes)")
    lines.append(f"  {'agency':<44} {'tickets':>7} {'p50':>6} {'p90':>6} {'max':>6}")
    for row in w["by_agency"]:
        name = f"{row['agency']:<8} {row['name']}"[:44]
        extra = f"  ({row['not_called']} not called)" if row["not_called"] else ""
        lines.append(f"  {name:<44} {row['issued']:>7} {_minutes(row['p50_min']):>6} {_minutes(row['p90_min']):>6} "
                     f"{_minutes(row['max_min']):>6}{extra}")
    a = w["all"]
    lines.append(f"  {'all':<44} {a['issued']:>7} {_minutes(a['p50_min']):>6} {_minutes(a['p90_min']):>6} "
                 f"{_minutes(a['max_min']):>6}")
    e = r["estimate"]
    lines.append("")
    lines.append(f"Estimated wait printed on the ticket vs the wait the visitor had ({e['n']} tickets called)")
    if e["n"]:
        lines.append(f"  median absolute error {e['median_abs_min']} min (p90 {e['p90_abs_min']} min) · "
                     f"median error {e['median_pct']} % (p90 {e['p90_pct']} %) · {e['within_20pct_share']} % within 20 % · "
                     f"median bias {e['median_bias_min']:+} min")
        lines.append("  error % = |estimate − actual| / max(actual, 5 min); actual = issue → first call, "
                     "estimate = the server's estimated_wait_s × speed")
        shown = e.get("shown") or {}
        if shown.get("n"):
            lines.append(f"  shown as a number ({shown['n']} tickets, not the \"no data yet\" ones): median error "
                         f"{shown['median_pct']} % (p90 {shown['p90_pct']} %)")
        if "kinds" in e:
            lines.append(f"  estimates by what they stood on: " + ", ".join(f"{k} {n}" for k, n in e["kinds"].items())
                         + f" · {e['no_estimate']} tickets without a number (no open desk: \"Chưa có quầy mở\")")
        lines.append("  by hour of issue: " + " · ".join(
            f"{h['hour']:02d}h n={h['n']} {h['median_pct']}%" for h in e["by_hour"]))
    lines.append("")
    lines.append("Displays (every call to every display exactly once)")
    for d in r["displays"]:
        where = "hall" if d["kind"] == "hall" else f"desk {d['desk']}"
        lines.append(f"  {d['name']:<14} {where:<8} {d['delivered']}/{d['expected']} calls · missing {d['missing']} · "
                     f"duplicates {d['duplicates']} · unexpected {d['extra']} · latency p50 {d['latency_ms_p50']} ms, "
                     f"p99 {d['latency_ms_p99']} ms · {ok(d['exactly_once'])}")
    ss = r.get("server_summary")
    if ss:
        same = (ss.get("issued"), ss.get("served"), ss.get("no_show")) == (t["issued"], t["served"], t["no_show"])
        lines.append(f"  the server's own count (GET /reports/summary): issued {ss.get('issued')} · served "
                     f"{ss.get('served')} · no-show {ss.get('no_show')} · {'same' if same else 'DIFFERENT'}")
    p = r["phones"]
    if p.get("enabled"):
        lines.append(f"Phones: {p['followed']} followed ({p['checked']} before their call) · calls expected "
                     f"{p['calls_expected']}, delivered {p['calls_delivered']}, missing {p['missing']}, duplicates "
                     f"{p['duplicates']} · {ok(p['exactly_once'])}")
        if "live_updates" in p:
            lines.append(f"  while waiting, the phones got {p['live_updates']} updates of their place or estimate "
                         f"(median {p['live_updates_p50']:g} a phone)")
    pr = r["printing"]
    if pr.get("enabled"):
        for k in pr["kiosks"]:
            lines.append(f"Printing: {k['kiosk']} {k['issued']} tickets, {k['png_files']} PNGs, missing "
                         f"{k['missing']}, printed twice or more {k['duplicates']} · {ok(k['exactly_once'])}")
    else:
        lines.append(f"Printing: not checked ({pr.get('why', 'off')})")
    s = r["server"]
    if s.get("cpu_s") is not None:
        lines.append(f"Server (pid {s['pid']}): CPU {s['cpu_s']:.1f} s = {s['cpu_pct']:.1f} % of one core over the run · "
                     f"peak memory {s['peak_rss_mb']:.0f} MB (now {s['rss_mb']:.0f} MB)")
    else:
        lines.append("Server: CPU and memory not measured (give --server-pid for a server started elsewhere)")
    h = r["http"]
    lines.append(f"HTTP: {h['requests']} requests, p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms, max {h['max_ms']} ms"
                 f"{' (' + str(h['over_1s']) + ' over 1 s)' if h['over_1s'] else ''} · simulation behind schedule: "
                 f"p99 {r['schedule']['lag_p99_s']} s, max {r['schedule']['lag_max_s']} s real")
    if r["errors"]:
        lines.append("Answers other than success: " + ", ".join(f"{k} ×{n}" for k, n in r["errors"].items()))
    lines.append("")
    lines.append("Checks: " + ("all passed" if r["ok"] else "FAILED: " + ", ".join(r["failed"])))
    return "\n".join(lines)


def clock(t: float) -> str:
    return clock_text(t)
