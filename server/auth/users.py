"""Users of the staff pages and the API: officers (bound to an agency), supervisors and admins."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from ..rules import events as ev
from ..storage import Storage
from .passwords import DUMMY_HASH, hash_password, verify_password

ROLES = ("officer", "supervisor", "admin")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 6


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why, in one line."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    agency: str | None
    active: bool
    token_version: int


def _user(row) -> User:
    return User(id=row[0], username=row[1], role=row[2], agency=row[3], active=bool(row[4]), token_version=row[5])


USER_COLUMNS = "id, username, role, agency, active, token_version"


def validate_new_user(username: str, password: str, role: str, agency: str | None) -> list[str]:
    problems = []
    if not USERNAME_RE.match(username or ""):
        problems.append(f"username {username!r} must be 2–32 characters: lowercase letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        problems.append(f"role {role!r} must be one of {', '.join(ROLES)}")
    if role == "officer" and not agency:
        problems.append("an officer needs --agency CODE (the agency whose desks he works at)")
    if not password:
        problems.append("the password is empty")
    elif len(password) < MIN_PASSWORD:
        problems.append(f"the password must have at least {MIN_PASSWORD} characters")
    return problems


def create_user(storage: Storage, username: str, password: str, role: str, agency: str | None = None,
                journal=None) -> User:
    """A new user. ``journal`` (``rules.events.Journal``): the center's event log gets
    ``user_added`` in the same transaction; None on the hub, which has no event log."""
    username = (username or "").strip().lower()
    agency = agency.strip().upper() if agency else None
    problems = validate_new_user(username, password, role, agency)
    if problems:
        raise UserError("; ".join(problems))
    hashed = hash_password(password)
    with storage.write() as db:
        if agency and db.execute("SELECT 1 FROM agencies WHERE code = ? AND active = 1", [agency]).fetchone() is None:
            raise UserError(f"unknown agency {agency!r}")
        if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise UserError(f"a user named {username!r} already exists")
        user_id = db.execute(
            "INSERT INTO users (username, password_hash, role, agency, created_at) VALUES (?, ?, ?, ?, ?)",
            [username, hashed, role, agency, time.time()]).lastrowid
        if journal is not None:
            journal.write(db, ev.USER_ADDED, username=username, role=role, agency=agency)
    return User(user_id, username, role, agency, True, 0)


def authenticate(storage: Storage, username: str, password: str) -> User | None:
    with storage.read() as db:
        row = db.execute(f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?",
                         [(username or "").strip().lower()]).fetchone()
    if row is None:
        verify_password(password, DUMMY_HASH)
        return None
    if not verify_password(password, row[6]) or not row[4]:
        return None
    return _user(row)


def user_id_of(storage: Storage, username: str) -> int | None:
    """The id of the user of that name (names are kept lower-case), or None."""
    with storage.read() as db:
        row = db.execute("SELECT id FROM users WHERE username = ?", [username.strip().lower()]).fetchone()
    return row[0] if row else None


def get_user(storage: Storage, user_id: int) -> User | None:
    with storage.read() as db:
        row = db.execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", [user_id]).fetchone()
    return _user(row) if row else None


# ---- administration (the admin page; issue 5) -------------------------------------------------
def list_users(storage: Storage) -> list[User]:
    with storage.read() as db:
        return [_user(r) for r in db.execute(f"SELECT {USER_COLUMNS} FROM users ORDER BY username")]


def _change(storage: Storage, user_id: int, sql: str, params: list, *, revoke: bool, check=None,
            journal=None, event: str = "", **data) -> User:
    """Apply one change to a user; ``revoke`` bumps ``token_version`` so his access tokens die.
    ``check(db)`` runs first inside the same write transaction (``BEGIN IMMEDIATE``) and may
    refuse the change with a UserError: what it reads cannot change before the update commits."""
    with storage.write() as db:
        if db.execute("SELECT 1 FROM users WHERE id = ?", [user_id]).fetchone() is None:
            raise UserError(f"there is no user {user_id}")
        if check is not None:
            check(db)
        db.execute(f"UPDATE users SET {sql}{', token_version = token_version + 1' if revoke else ''} WHERE id = ?",
                   [*params, user_id])
        user = _user(db.execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", [user_id]).fetchone())
        if journal is not None:
            journal.write(db, event, username=user.username, **data)
        return user


def set_active(storage: Storage, user_id: int, active: bool, journal=None) -> User:
    """Disable (tokens revoked at once) or enable a user. The last active admin cannot be disabled:
    checked inside the write that disables, so two admins disabling each other at the same moment
    cannot both succeed (the second one finds the first one's change)."""
    def keep_an_admin(db) -> None:
        row = db.execute("SELECT role, active FROM users WHERE id = ?", [user_id]).fetchone()
        admins = db.execute("SELECT count(*) FROM users WHERE role = 'admin' AND active = 1").fetchone()[0]
        if row is not None and row[0] == "admin" and row[1] and admins <= 1:
            raise UserError("this is the last active admin; make another admin before disabling this one")

    return _change(storage, user_id, "active = ?", [int(active)], revoke=not active,
                   check=None if active else keep_an_admin, journal=journal,
                   event=ev.USER_ENABLED if active else ev.USER_DISABLED)


def reset_password(storage: Storage, user_id: int, password: str, journal=None) -> User:
    """A new password (same rules as ``user add``); the user's tokens are revoked."""
    if not password:
        raise UserError("the password is empty")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    return _change(storage, user_id, "password_hash = ?", [hash_password(password)], revoke=True, journal=journal,
                   event=ev.USER_PASSWORD_RESET)


def set_agency(storage: Storage, user_id: int, agency: str | None, journal=None) -> User:
    """Bind a user to an agency (an officer needs one; supervisors and admins may have none)."""
    agency = agency.strip().upper() if agency else None
    with storage.read() as db:
        row = db.execute("SELECT role FROM users WHERE id = ?", [user_id]).fetchone()
        if row is None:
            raise UserError(f"there is no user {user_id}")
        if agency and db.execute("SELECT 1 FROM agencies WHERE code = ? AND active = 1", [agency]).fetchone() is None:
            raise UserError(f"unknown agency {agency!r}")
    if row[0] == "officer" and not agency:
        raise UserError("an officer needs an agency (the agency whose desks he works at)")
    return _change(storage, user_id, "agency = ?", [agency], revoke=False, journal=journal,
                   event=ev.USER_AGENCY_CHANGED, agency=agency)
