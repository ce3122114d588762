"""The ``hangdoi`` command (contract section 1). Heavy imports wait inside each command so that
``serve`` can patch the standard library for gevent before anything else loads it."""
from __future__ import annotations

import sys

import click

DEFAULT_CONFIG = "config.toml"


def fail(message: str) -> None:
    click.echo(f"hangdoi: {message}", err=True)
    sys.exit(2)


def load_or_exit(path: str):
    from .config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as err:
        click.echo(str(err), err=True)
        sys.exit(2)
    except RecursionError:
        # tomllib (and whatever walks the parsed data) recurses once per nested array or table:
        # thousands of them exhaust Python's stack. No real config nests more than a few levels.
        fail(f"{path}: the config nests arrays or tables too deeply to be read (thousands of levels); "
             f"no real config nests more than a few")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hangdoi")
def main() -> None:
    """Hàng Đợi — queue tickets, desk calls and hall displays for a Public Administrative Service Center."""


@main.command()
@click.option("--config", "config_path", default=DEFAULT_CONFIG, show_default=True, help="the center's config.toml")
@click.option("--host", default=None, help="address to listen on (default: [server] host)")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="port (default: [server] port)")
@click.option("--access-log/--no-access-log", default=False, help="log every HTTP request in one line")
@click.option("--public-url", default=None, envvar="HANGDOI_PUBLIC_URL", metavar="URL",
              help="the address visitors' phones reach the server at, base of the QR links on tickets "
                   "(default: [center] public_url; or $HANGDOI_PUBLIC_URL)")
def serve(config_path: str, host: str | None, port: int | None, access_log: bool, public_url: str | None) -> None:
    """Run the central server (HTTP API, pages and websockets) until SIGTERM or Ctrl-C."""
    from gevent import monkey

    monkey.patch_all()
    from .serve import run

    config = load_or_exit(config_path)
    if public_url:
        config = with_public_url(config, public_url)
    sys.exit(run(config, host=host, port=port, access_log=access_log))


def with_public_url(config, url: str):
    """``config`` with ``[center] public_url`` replaced by ``url`` (checked: http(s)://host[:port][/path])."""
    import dataclasses
    from urllib.parse import urlsplit

    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    try:
        parts.port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        fail(f'--public-url "{url}" must be an http:// or https:// address, e.g. http://192.168.1.20:5000')
    if hasattr(config, "model_copy"):                 # a pydantic config
        return config.model_copy(update={"center": config.center.model_copy(update={"public_url": url})})
    return dataclasses.replace(config, center=dataclasses.replace(config.center, public_url=url))


def hub_config_or_none(path: str):
    """The hub config when ``path`` is a hub.toml (it has a ``[hub]`` table), else None (issue 12)."""
    from .config import ConfigError
    from .hub.config import is_hub_document, parse_hub_config, read_toml

    try:
        data = read_toml(path)
        if not is_hub_document(data):
            return None
        from pathlib import Path

        return parse_hub_config(data, Path(path).resolve(), source=str(path))
    except ConfigError as err:
        click.echo(str(err), err=True)
        sys.exit(2)


@main.command("hub")
@click.option("--config", "config_path", default="hub.toml", show_default=True, help="the province's hub.toml")
@click.option("--host", default=None, help="address to listen on (default: [hub] host)")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="port (default: [hub] port)")
@click.option("--access-log/--no-access-log", default=False, help="log every HTTP request in one line")
def hub_command(config_path: str, host: str | None, port: int | None, access_log: bool) -> None:
    """Run the provincial hub: receives every site's events, shows every site live, reports on the province."""
    from gevent import monkey

    monkey.patch_all()
    from .hub.serve import run_hub

    config = hub_config_or_none(config_path)
    if config is None:
        fail(f"{config_path} has no [hub] table: it is not a hub config (a site runs with `hangdoi serve`)")
    sys.exit(run_hub(config, host=host, port=port, access_log=access_log))


@main.command("check-config")
@click.argument("path", default=DEFAULT_CONFIG)
def check_config(path: str) -> None:
    """Validate a config file (a center's, or a hub's with [hub]): exit 0, or exit 2 naming every problem with its place."""
    hub = hub_config_or_none(path)
    if hub is not None:
        click.echo(f"{path}: OK — hub {hub.hub.name}, {len(hub.sites)} sites, "
                   f"{len(hub.calendar.closed_dates)} closed dates"
                   + (f", {len(hub.procedures)} procedures" if hub.procedures_file else ""))
        return
    config = load_or_exit(path)
    services = sum(len(a.services) for a in config.agencies)
    click.echo(f"{path}: OK — {len(config.agencies)} agencies, {services} services, {len(config.desks)} desks, "
               f"{len(config.kiosks)} kiosks, {len(config.displays)} displays"
               + (f"; site {config.site.code} ({config.site.kind}) of the hub {config.site.hub_url}" if config.site else ""))


@main.group()
def user() -> None:
    """Manage the staff who sign in: officers, supervisors, admins."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["officer", "supervisor", "admin"]))
@click.option("--agency", default=None, help="agency code (required for officers)")
@click.option("--config", "config_path", default=DEFAULT_CONFIG, show_default=True)
def user_add(username: str, role: str, agency: str | None, config_path: str) -> None:
    """Create a user. The password is read from standard input (one line), never from the command line."""
    from .auth.users import UserError, create_user
    from .storage import Storage, StorageError
    from .storage.sync import sync_config

    hub = hub_config_or_none(config_path)
    config = load_or_exit(config_path) if hub is None else None
    if hub is not None and (role == "officer" or agency):
        fail("a hub user is a supervisor or an admin of the whole province (no --agency)")
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if hub is not None:                    # issue 12: a hub user, in the hub's database
        from .hub.db import open_hub_storage
        try:
            created = create_user(open_hub_storage(hub.database), username, password, role, None)
        except (UserError, StorageError) as err:
            fail(str(err))
        click.echo(f"hub user {created.username} added ({created.role})")
        return
    try:
        storage = Storage(config.server.database)
        sync_config(storage, config)
        from .clock import Clock
        from .rules import events as ev

        cli = ev.Actor(kind="system", role="system", name="hangdoi user add")   # who: the installer's command
        created = create_user(storage, username, password, role, agency, journal=ev.Journal(Clock(config.tz), cli))
    except UserError as err:
        fail(str(err))
    except StorageError as err:
        fail(str(err))
    click.echo(f"user {created.username} added ({created.role}"
               + (f", agency {created.agency}" if created.agency else "") + ")")


@main.command()
@click.option("--server", "server_url", required=True, help="the server's address, e.g. http://127.0.0.1:5000")
@click.option("--token", required=True, envvar="HANGDOI_KIOSK_TOKEN",
              help="this kiosk's token ([[kiosks]] token in the server's config.toml; or $HANGDOI_KIOSK_TOKEN)")
@click.option("--printer", "printer_spec", required=True, metavar="SPEC",
              help="usb:VID:PID, serial:DEVICE[:BAUD], network:HOST[:PORT], file:PATH, cups:QUEUE or preview:DIR, "
                   "optionally followed by ,width=576|384 and ,qr=native|image")
@click.option("--status-interval", default=10.0, show_default=True, type=click.FloatRange(0.2, 3600),
              help="seconds between two questions to the printer about its paper")
def kiosk(server_url: str, token: str, printer_spec: str, status_interval: float) -> None:
    """The print agent of one kiosk: stays connected to the server, prints that kiosk's tickets and
    reports the printer's state (online, paper out, offline). Runs until SIGTERM or Ctrl-C."""
    import logging
    from urllib.parse import urlsplit

    from kiosk.printer_spec import PrinterSpecError, parse_printer_spec

    try:
        spec = parse_printer_spec(printer_spec)
    except PrinterSpecError as err:
        fail(str(err))
    parts = urlsplit(server_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        fail(f'--server "{server_url}" must be an http:// or https:// address, e.g. http://127.0.0.1:5000')
    if not token.strip():
        fail("--token is empty")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from kiosk.agent import run_agent

    sys.exit(run_agent(server_url, token.strip(), spec, status_interval_s=status_interval))


@main.command()
@click.option("--config", "config_path", default=DEFAULT_CONFIG, show_default=True,
              help="the center to simulate (copied to a temporary folder with a fresh database)")
@click.option("--visitors", default=1000, show_default=True, type=click.IntRange(1, 20000))
@click.option("--hours", default="07:30-17:00", show_default=True, help="opening of the kiosks, HH:MM-HH:MM")
@click.option("--speed", default=60.0, show_default=True, type=click.FloatRange(1, 2000, min_open=False),
              help="simulated seconds per real second")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--desks-extra", "desks_extra", multiple=True, metavar="AGENCY=N[@HH:MM]",
              help="what if: N more desks for AGENCY (all its services), opening at HH:MM; repeatable")
@click.option("--mix", multiple=True, metavar="CODE=WEIGHT",
              help="load factor of an agency or a service (default CA=1.5, THUE/BHXH/SNNMT=1.3, others 0.8)")
@click.option("--priority", "priority_share", default=0.08, show_default=True, type=click.FloatRange(0, 1),
              help="share of elderly, disabled, pregnant... visitors")
@click.option("--no-show", "no_show", default=0.05, show_default=True, type=click.FloatRange(0, 1))
@click.option("--transfer", default=0.02, show_default=True, type=click.FloatRange(0, 1))
@click.option("--lunch", default="11:30-13:30", show_default=True, help='HH:MM-HH:MM, or "none"')
@click.option("--lunch-share", default=0.85, show_default=True, type=click.FloatRange(0, 1),
              help="share of desks that pause for lunch")
@click.option("--desk-breaks", "desk_breaks", default=0.15, show_default=True, type=click.FloatRange(0, 1),
              help="share of desks that close for 30-90 minutes during the day (the officer signs out) and open again")
@click.option("--phones", default=0.25, show_default=True, type=click.FloatRange(0, 1),
              help="share of visitors following their ticket on a phone")
@click.option("--phones-max", default=60, show_default=True, type=click.IntRange(0, 1000),
              help="phones connected at once, at most")
@click.option("--displays", "halls", default=3, show_default=True, type=click.IntRange(0, 50), help="hall displays")
@click.option("--desk-displays", default=3, show_default=True, type=click.IntRange(0, 50))
@click.option("--kiosks", default=2, show_default=True, type=click.IntRange(1, 20))
@click.option("--print/--no-print", "print_tickets", default=None,
              help="run a preview print agent per kiosk (default: when `hangdoi kiosk` exists)")
@click.option("--voice/--no-voice", default=True, show_default=True,
              help="one hall display speaks, so the server renders the voice of every call")
@click.option("--overtime", default=60.0, show_default=True, type=click.FloatRange(0, 600),
              help="minutes the desks go on serving after closing")
@click.option("--server", "server_url", default=None,
              help="drive a server already running on this machine instead (needs --kiosk-token and --user)")
@click.option("--kiosk-token", multiple=True, help="with --server: a kiosk token; repeatable")
@click.option("--display-token", multiple=True, help="with --server: a hall display token; repeatable")
@click.option("--user", "users", multiple=True,
              help="with --server: an officer (one per agency) or a supervisor; passwords on standard input, "
                   "one line per --user")
@click.option("--server-pid", default=None, type=int, help="with --server: its pid, for CPU and memory")
@click.option("--json", "json_path", default=None, type=click.Path(dir_okay=False), help="also write the results here")
@click.option("--keep", is_flag=True, help="keep the temporary folder (database, logs, printed tickets)")
@click.option("--quiet", is_flag=True, help="no progress bar")
@click.option("--province", "province_sites", default=None, type=click.IntRange(1, 50), metavar="N",
              help="play a province's day instead: one hub and N sites (the config's center and N-1 communes), "
                   "--visitors shared among them; the hub's view is checked against every site's own")
def simulate(config_path, visitors, hours, speed, seed, desks_extra, mix, priority_share, no_show, transfer, lunch,
             lunch_share, desk_breaks, phones, phones_max, halls, desk_displays, kiosks, print_tickets, voice, overtime, server_url,
             kiosk_token, display_token, users, server_pid, json_path, keep, quiet, province_sites) -> None:
    """Replay a day of the center against a real server, faster than real time, and report waits,
    the estimate's error, deliveries to displays and printers, and the server's CPU and memory."""
    if province_sites is not None:           # issue 12: N sites feeding one hub
        from pathlib import Path

        from .hub.simulate import province_day
        from .simulate.profile import parse_window

        try:
            window = parse_window(hours)
        except ValueError as err:
            fail(str(err))
        sys.exit(province_day(Path(config_path), province_sites, visitors, window, speed, seed, keep, click.echo))
    from .simulate.cli import simulate_command

    sys.exit(simulate_command(locals()))


if __name__ == "__main__":
    main()
