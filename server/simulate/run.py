"""``hangdoi simulate``: set up the center, run the day, check and report."""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .clients import Api, ApiError, Display, Phones, login
from .driver import Day, Options
from .harness import (SimCenter, SimError, check_loopback, create_users, free_port, kiosk_agent_available,
                      printed_codes, proc_usage, start_print_agent, start_server, write_sim_config)
from .profile import clock_text
from .report import (display_figures, estimate_figures, phone_figures, render, ticket_figures, wait_figures)
from .stats import percentile


@dataclass
class Setup:
    """Where the day runs: our own server on a copy of ``config`` (default), or ``server``."""

    config: Path = Path("config.toml")
    server: str | None = None
    server_pid: int | None = None
    kiosk_tokens: list[str] = field(default_factory=list)
    display_tokens: list[str] = field(default_factory=list)
    users: list[tuple[str, str]] = field(default_factory=list)      # (username, password)
    print_tickets: bool | None = None                                # None: when the agent exists
    keep: bool = False
    json_path: Path | None = None
    out: object = sys.stderr


def run_simulation(options: Options, setup: Setup) -> dict:
    """Run one simulated day and return the results (``results["ok"]`` tells if every check passed)."""
    if options.visitors < 1 or options.speed <= 0:
        raise SimError("--visitors must be at least 1 and --speed above 0")
    folder = Path(tempfile.mkdtemp(prefix="hangdoi-simulate-"))
    log = open(folder / "simulate.log", "a", encoding="utf-8")
    server_proc = None
    agents: list[tuple[str, object, Path]] = []
    displays: list[Display] = []
    phones = None
    api = None
    try:
        say = lambda text: (setup.out.write(text + "\n"), setup.out.flush())   # noqa: E731
        if setup.server is None:
            port = free_port()
            config_path, center = write_sim_config(setup.config, folder, port, options.speed, options.extras,
                                                   options.kiosks, options.halls, options.desk_displays,
                                                   voice=options.voice)
            center_name = _center_name(config_path)
            agencies = sorted({a for _, a, _ in center.desks})
            say(f"simulate: a temporary center in {folder} (port {port}); creating {len(agencies)} officers …")
            center.logins, center.supervisor = create_users(config_path, agencies, log)
            server_proc = start_server(config_path, port, folder)
            pid = server_proc.pid
        else:
            if options.extras:
                raise SimError("--desks-extra needs the simulation's own server (leave out --server)")
            center, center_name = _discover(setup)
            pid = setup.server_pid
        url = center.url
        tokens = {}
        for agency, (user, password) in center.logins.items():
            tokens[agency] = login(url, user, password)

        print_why = None
        if setup.print_tickets is False:
            print_why = "--no-print"
        elif setup.print_tickets is None and setup.server is not None:
            print_why = "a server started elsewhere may have its own print agents; --print adds preview ones"
        elif not kiosk_agent_available():
            print_why = "this installation has no `hangdoi kiosk` print agent yet"
            if setup.print_tickets:
                raise SimError("--print: " + print_why)
        if print_why is None:
            for kiosk_id, token in center.kiosk_tokens:
                agent, preview = start_print_agent(url, kiosk_id, token, folder)
                agents.append((kiosk_id, agent, preview))

        for name, token in center.hall_tokens:
            displays.append(Display(url, name, token).connect())
        for name, token, desk in center.desk_display_tokens:
            displays.append(Display(url, name, token, desk).connect())
        if options.phones > 0 and options.phones_max > 0:
            phones = Phones(url, options.phones_max)
        api = Api(url)
        usage0 = proc_usage(pid) if pid else None
        day = Day(center, options, api, tokens, displays, phones, out=setup.out if options.progress else None)
        say(f"simulate: {clock_text(options.start)}–{clock_text(options.end)}, {options.visitors} visitors, "
            f"{len(day.desks)} desks, speed {options.speed:g}× (about {_eta(options)} real) …")
        wall0 = time.perf_counter()
        day.run()
        day.wait_for_screens()
        real_seconds = time.perf_counter() - wall0
        printing = _printing(agents, day, print_why)
        usage1 = proc_usage(pid) if pid else None
        summary = _server_summary(api, url, center.supervisor)
        results = _results(options, center, center_name, day, displays, phones, printing, usage0, usage1,
                           pid, real_seconds, summary)
        results["folder"] = str(folder)
        if setup.json_path:
            Path(setup.json_path).write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str),
                                             encoding="utf-8")
        return results
    finally:
        if phones is not None:
            phones.close()
        for disp in displays:
            disp.close()
        for _, agent, _ in agents:
            agent.stop()
        if api is not None:
            api.close()
        if server_proc is not None:
            server_proc.stop()
        log.close()
        if not setup.keep:
            shutil.rmtree(folder, ignore_errors=True)


def _center_name(config_path: Path) -> str:
    from ..config import load_config

    return load_config(config_path).center.name


def _eta(o: Options) -> str:
    seconds = (o.end + o.overtime_min * 60 - o.start) / o.speed
    return f"{seconds / 60:.1f} min at most" if seconds >= 60 else f"{seconds:.0f} s at most"


def _discover(setup: Setup) -> tuple[SimCenter, str]:
    """A running server: its desks, services and agencies from the API, with the given users."""
    url = check_loopback(setup.server)
    if not setup.kiosk_tokens:
        raise SimError("--server needs at least one --kiosk-token")
    if not setup.users:
        raise SimError("--server needs at least one --user (an officer per agency, or a supervisor/admin)")
    api = Api(url)
    try:
        catalog = api.call("GET", "/catalog")
        logins, desks = {}, {}
        for user, password in setup.users:
            answer = api.call("POST", "/auth/login", {"username": user, "password": password})
            who = answer["user"]
            key = who["agency"] if who["role"] == "officer" else "*"
            logins[key] = (user, password)
            for d in api.call("GET", "/desks", token=answer["access_token"])["desks"]:
                desks[d["number"]] = (d["number"], d["agency"], tuple(s["code"] for s in d["services"]))
    except ApiError as err:
        raise SimError(f"{url}: {err}") from None
    finally:
        api.close()
    center = SimCenter(
        url=url, desks=sorted(desks.values()),
        agency_names={a["code"]: a["name"] for a in catalog["agencies"]},
        service_agency={s["code"]: a["code"] for a in catalog["agencies"] for s in a["services"]},
        kiosk_tokens=[(f"kiosk-{i}", t) for i, t in enumerate(setup.kiosk_tokens, 1)],
        hall_tokens=[(f"hall-{i}", t) for i, t in enumerate(setup.display_tokens, 1)],
        desk_display_tokens=[], logins=logins,
        notes=["a server started elsewhere keeps its own default service time: estimates made before it has "
               "history are in real minutes, not scaled to the simulation's speed"])
    return center, catalog["center"]["name"]


def _printing(agents, day: Day, why: str | None) -> dict:
    if why is not None:
        return {"enabled": False, "why": why}
    kiosks = []
    deadline = time.monotonic() + 30
    for i, (kiosk_id, agent, preview) in enumerate(agents):
        codes = {v.code for v in day.visitors if v.ticket_id is not None and v.kiosk == i}
        while True:                     # bounded: until every ticket is out, or 30 s
            files, counts = printed_codes(preview, codes)
            if len(counts) >= len(codes) or time.monotonic() > deadline or not agent.alive():
                break
            time.sleep(0.2)
        time.sleep(0.3)
        files, counts = printed_codes(preview, codes)
        missing = sum(1 for c in codes if counts.get(c, 0) == 0)
        duplicates = sum(1 for c in codes if counts.get(c, 0) > 1)
        kiosks.append({"kiosk": kiosk_id, "issued": len(codes), "png_files": files, "missing": missing,
                       "duplicates": duplicates, "unknown_files": files - sum(counts.values()),
                       "exactly_once": missing == 0 and duplicates == 0 and files == len(codes),
                       "agent_alive": agent.alive()})
    return {"enabled": True, "kiosks": kiosks, "exactly_once": all(k["exactly_once"] for k in kiosks)}


def _server_summary(api: Api, url: str, supervisor: tuple[str, str] | None) -> dict | None:
    """The server's own count (``/reports/summary``, when the server has it) over yesterday to
    tomorrow: the simulation's own database holds this one day only."""
    if supervisor is None:
        return None
    try:
        token = login(url, *supervisor)
        from datetime import datetime, timedelta
        today = datetime.now().date()
        span = f"from={(today - timedelta(days=1)).isoformat()}&to={(today + timedelta(days=1)).isoformat()}"
        return api.call("GET", f"/reports/summary?{span}", token=token).get("totals")
    except (ApiError, AttributeError, KeyError):
        return None


def _results(o: Options, center: SimCenter, center_name: str, day: Day, displays, phones, printing,
             usage0, usage1, pid, real_seconds: float, summary) -> dict:
    tickets = ticket_figures(day.visitors)
    disp = display_figures(displays, day.calls)
    phone = phone_figures(phones, day.calls_by_ticket)
    extra_text = ""
    if o.extras:
        extra_text = " (" + ", ".join(
            f"+{x.count} {x.agency}" + (f" from {clock_text(x.opens_at)}" if x.opens_at is not None else "")
            for x in o.extras) + ")"
    server = {"pid": pid}
    if usage1:
        cpu = usage1["cpu_s"] - (usage0["cpu_s"] if usage0 else 0)
        server.update(cpu_s=round(cpu, 2), cpu_total_s=round(usage1["cpu_s"], 2),
                      cpu_pct=round(100 * cpu / real_seconds, 1) if real_seconds else None,
                      rss_mb=round(usage1["rss_mb"], 1), peak_rss_mb=round(usage1["peak_rss_mb"], 1))
    lat = [x * 1000 for x in day.api.latencies]
    failed = []
    if not tickets["accounted"]:
        failed.append("tickets not accounted for")
    if not tickets["codes_unique"]:
        failed.append("a code was given twice")
    failed += [f"display {d['name']} not exactly once" for d in disp if not d["exactly_once"]]
    if phone.get("enabled") and not phone["exactly_once"]:
        failed.append("phones not exactly once")
    if printing.get("enabled") and not printing["exactly_once"]:
        failed.append("printing not exactly once")
    if tickets["issued"] == 0:
        failed.append("no ticket issued")
    if summary and (summary.get("issued"), summary.get("served"), summary.get("no_show")) != (
            tickets["issued"], tickets["served"], tickets["no_show"]):
        failed.append("the server's own count differs")
    if day.api.failures:
        failed.append(f"{day.api.failures} requests without an answer")
    return {
        "options": {"hours": f"{clock_text(o.start)}-{clock_text(o.end)}", "visitors": o.visitors, "speed": o.speed,
                    "seed": o.seed, "extras": [asdict(x) for x in o.extras], "mix": o.mix,
                    "priority_share": o.priority_share, "no_show": o.no_show, "transfer": o.transfer,
                    "phones": o.phones, "overtime_min": o.overtime_min, "voice": o.voice},
        "center": {"name": center_name, "desks": len(day.desks), "agencies": len({d.agency for d in day.desks}),
                   "extra_text": extra_text, "scaled_default_service_min": center.scaled_default_service_min},
        "notes": center.notes,
        "real_seconds": round(real_seconds, 1),
        "tickets": tickets,
        "waits": wait_figures(day.visitors, center.agency_names),
        "estimate": estimate_figures(day.visitors, o.speed),
        "displays": disp,
        "phones": phone,
        "printing": printing,
        "server": server,
        "server_summary": summary,
        "http": {"requests": day.api.requests, "p50_ms": _r(percentile(lat, 50)), "p99_ms": _r(percentile(lat, 99)),
                 "max_ms": _r(max(lat, default=None)), "over_1s": sum(1 for x in lat if x > 1000),
                 "no_answer": day.api.failures},
        "schedule": {"lag_p99_s": _r(percentile(day.lags, 99), 3), "lag_max_s": _r(max(day.lags, default=0), 3)},
        "errors": {f"{what} {status} {code}": n for (what, status, code), n in sorted(day.errors.items())},
        "trace": [{"code": v.code, "service": v.first_service, "agency": v.agency, "priority": v.priority,
                   "issued": _r(v.issued, 1), "first_call": _r(v.first_call, 1), "desk": v.first_desk,
                   "estimate_s": _r(v.estimate_real_s * o.speed, 1) if v.estimate_real_s is not None else None,
                   "ahead": v.waiting_ahead, "status": v.status, "transfers": v.transfers}
                  for v in day.visitors if v.ticket_id is not None],
        "ok": not failed,
        "failed": failed,
    }


def _r(x, digits: int = 2):
    return None if x is None else round(x, digits)


__all__ = ["Options", "Setup", "SimError", "run_simulation", "render"]
