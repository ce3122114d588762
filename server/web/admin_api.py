"""User administration for admins: ``GET/POST /api/v1/admin/users`` and
``POST /admin/users/disable|enable|password|agency``. The rules are ``server.auth.users``' (the same as
``hangdoi user add``); each change writes its event in its own transaction."""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify

from ..auth import users as users_mod
from ..rules import events as ev
from .auth import hub
from .endpoint import endpoint
from .errors import ApiError
from .roles import ADMINS
from .schemas import AdminUserEnvelope, AdminUserList, AgencyRequest, NewUserRequest, PasswordRequest, UsernameRequest

log = logging.getLogger("hangdoi.admin")

api = Blueprint("admin_api", __name__, url_prefix="/api/v1")


def _user_json(user) -> dict:
    return {"id": user.id, "username": user.username, "role": user.role, "agency": user.agency, "active": user.active}


def _user_change(actor, fn, username: str, *args):
    """One change of a user by an admin; its event is written in the change's transaction."""
    h = hub()
    user_id = users_mod.user_id_of(h.storage, username)
    if user_id is None:
        raise ApiError(404, "unknown_user", f"there is no user {username.strip().lower()!r}")
    try:
        user = fn(h.storage, user_id, *args, journal=ev.Journal(h.clock, actor))
    except users_mod.UserError as err:
        raise ApiError(400, "invalid_user", str(err)) from None
    return jsonify({"user": _user_json(user)})


@api.get("/admin/users")
@endpoint("Every user", auth=ADMINS, responses={200: AdminUserList}, tag="admin")
def admin_users(actor):
    return jsonify({"users": [_user_json(u) for u in users_mod.list_users(hub().storage)]})


@api.post("/admin/users")
@endpoint("Add a user (same rules as `hangdoi user add`)", auth=ADMINS, body=NewUserRequest,
          responses={201: AdminUserEnvelope}, errors=(409,), tag="admin")
def admin_add_user(actor, body: NewUserRequest):
    h = hub()
    if users_mod.user_id_of(h.storage, body.username) is not None:
        raise ApiError(409, "user_exists", f"a user named {body.username.strip().lower()!r} already exists")
    try:
        user = users_mod.create_user(h.storage, body.username, body.password, body.role, body.agency,
                                     journal=ev.Journal(h.clock, actor))
    except users_mod.UserError as err:
        raise ApiError(400, "invalid_user", str(err)) from None
    log.info("user %s (%s) added by %s", user.username, user.role, actor.name)
    response = jsonify({"user": _user_json(user)})
    response.status_code = 201
    return response


@api.post("/admin/users/disable")
@endpoint("Disable a user: his access tokens stop working at once", auth=ADMINS, body=UsernameRequest,
          responses={200: AdminUserEnvelope}, errors=(404,), tag="admin")
def admin_disable_user(actor, body: UsernameRequest):
    if body.username.strip().lower() == (actor.name or "").lower():
        raise ApiError(400, "invalid_user", "you cannot disable your own account")
    return _user_change(actor, users_mod.set_active, body.username, False)


@api.post("/admin/users/enable")
@endpoint("Enable a disabled user", auth=ADMINS, body=UsernameRequest, responses={200: AdminUserEnvelope},
          errors=(404,), tag="admin")
def admin_enable_user(actor, body: UsernameRequest):
    return _user_change(actor, users_mod.set_active, body.username, True)


@api.post("/admin/users/password")
@endpoint("Set a new password: the user's access tokens stop working", auth=ADMINS, body=PasswordRequest,
          responses={200: AdminUserEnvelope}, errors=(404,), tag="admin")
def admin_reset_password(actor, body: PasswordRequest):
    return _user_change(actor, users_mod.reset_password, body.username, body.password)


@api.post("/admin/users/agency")
@endpoint("Bind a user to an agency (officers need one)", auth=ADMINS, body=AgencyRequest,
          responses={200: AdminUserEnvelope}, errors=(404,), tag="admin")
def admin_set_agency(actor, body: AgencyRequest):
    return _user_change(actor, users_mod.set_agency, body.username, body.agency)
