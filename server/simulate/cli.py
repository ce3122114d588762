"""The options of ``hangdoi simulate`` turned into a run (the click command in server/cli.py stays small)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .driver import Options
from .harness import ExtraDesks, SimError
from .profile import hhmm, parse_pairs, parse_window
from .report import render
from .run import Setup, run_simulation


def parse_extras(values) -> list[ExtraDesks]:
    extras = []
    for agency, value in parse_pairs(values, "--desks-extra"):
        count, _, at = value.partition("@")
        if not count.isdigit() or not 1 <= int(count) <= 50:
            raise ValueError(f"--desks-extra {agency}={value}: the number of desks must be 1–50")
        extras.append(ExtraDesks(agency.upper(), int(count), hhmm(at) if at else None))
    return extras


def parse_mix(values) -> dict[str, float]:
    mix = {}
    for code, value in parse_pairs(values, "--mix"):
        try:
            weight = float(value)
        except ValueError:
            raise ValueError(f"--mix {code}={value}: the weight must be a number") from None
        if not 0 <= weight < 1000:
            raise ValueError(f"--mix {code}={value}: the weight must be 0 or more")
        mix[code.upper()] = weight
    return mix


def simulate_command(a: dict) -> int:
    """Returns the exit status: 0 every check passed, 1 a check failed, 2 the day could not run."""
    try:
        start, end = parse_window(a["hours"])
        lunch = None if a["lunch"].strip().lower() in ("none", "") else parse_window(a["lunch"])
        options = Options(
            visitors=a["visitors"], speed=a["speed"], start=start, end=end, seed=a["seed"],
            extras=parse_extras(a["desks_extra"]), mix=parse_mix(a["mix"]), priority_share=a["priority_share"],
            no_show=a["no_show"], transfer=a["transfer"], lunch=lunch, lunch_share=a["lunch_share"],
            desk_breaks=a.get("desk_breaks", 0.15),
            phones=a["phones"], phones_max=a["phones_max"], halls=a["halls"], desk_displays=a["desk_displays"],
            kiosks=a["kiosks"], overtime_min=a["overtime"], voice=a["voice"], progress=not a["quiet"])
    except ValueError as err:
        click.echo(f"hangdoi simulate: {err}", err=True)
        return 2
    users = []
    if a["users"]:
        for user in a["users"]:
            line = sys.stdin.readline()
            if not line:
                click.echo(f"hangdoi simulate: no password on standard input for --user {user}", err=True)
                return 2
            users.append((user, line.rstrip("\r\n")))
    setup = Setup(config=Path(a["config_path"]), server=a["server_url"], server_pid=a["server_pid"],
                  kiosk_tokens=list(a["kiosk_token"]), display_tokens=list(a["display_token"]), users=users,
                  print_tickets=a["print_tickets"], keep=a["keep"],
                  json_path=Path(a["json_path"]) if a["json_path"] else None)
    try:
        results = run_simulation(options, setup)
    except SimError as err:
        click.echo(f"hangdoi simulate: {err}", err=True)
        return 2
    except KeyboardInterrupt:
        click.echo("hangdoi simulate: interrupted", err=True)
        return 2
    click.echo(render(results))
    if a["keep"]:
        click.echo(f"(kept: {results['folder']})")
    return 0 if results["ok"] else 1
