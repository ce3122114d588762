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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hangdoi")
def main() -> None:
    """Hàng Đợi — queue tickets, desk calls and hall displays for a Public Administrative Service Center."""


@main.command()
@click.option("--config", "config_path", default=DEFAULT_CONFIG, show_default=True, help="the center's config.toml")
@click.option("--host", default=None, help="address to listen on (default: [server] host)")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="port (default: [server] port)")
@click.option("--access-log/--no-access-log", default=False, help="log every HTTP request in one line")
def serve(config_path: str, host: str | None, port: int | None, access_log: bool) -> None:
    """Run the central server (HTTP API, pages and websockets) until SIGTERM or Ctrl-C."""
    from gevent import monkey

    monkey.patch_all()
    from .serve import run

    config = load_or_exit(config_path)
    sys.exit(run(config, host=host, port=port, access_log=access_log))


@main.command("check-config")
@click.argument("path", default=DEFAULT_CONFIG)
def check_config(path: str) -> None:
    """Validate a config file: exit 0, or exit 2 naming every problem with its place."""
    config = load_or_exit(path)
    services = sum(len(a.services) for a in config.agencies)
    click.echo(f"{path}: OK — {len(config.agencies)} agencies, {services} services, {len(config.desks)} desks, "
               f"{len(config.kiosks)} kiosks, {len(config.displays)} displays")


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

    config = load_or_exit(config_path)
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        storage = Storage(config.server.database)
        sync_config(storage, config)
        created = create_user(storage, username, password, role, agency)
    except UserError as err:
        fail(str(err))
    except StorageError as err:
        fail(str(err))
    click.echo(f"user {created.username} added ({created.role}"
               + (f", agency {created.agency}" if created.agency else "") + ")")


if __name__ == "__main__":
    main()
