"""Who sent this request: a device token from the config, or a user's access token."""
from __future__ import annotations

import ipaddress

from flask import current_app, g, request

from ..rules.events import Actor
from .errors import ApiError

STAFF = ("officer", "supervisor", "admin")


def hub():
    return current_app.extensions["hangdoi"]


def actor_for_token(token: str, h=None) -> Actor | None:
    """The device or user of ``token``; None if unknown, expired, revoked or its user disabled."""
    h = h if h is not None else hub()
    device = h.devices.find(token)
    if device is not None:
        return Actor(kind="device", role=device.kind, device=device.id, name=device.name)
    verified = h.signer.verify(token)
    if verified is None:
        return None
    user = h.user(verified[0])
    if user is None or not user.active or user.token_version != verified[1]:
        return None
    return Actor(kind="user", role=user.role, user_id=user.id, agency=user.agency, name=user.username)


def current_actor() -> Actor | None:
    """The request's actor, or None when it carries no credentials. Bad credentials: 401."""
    if "actor" in g:
        return g.actor
    header = request.headers.get("Authorization", "")
    actor = None
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "use the header 'Authorization: Bearer TOKEN'")
        actor = actor_for_token(token.strip())
        if actor is None:
            raise ApiError(401, "invalid_token", "the token is unknown, expired or revoked; sign in again")
    g.actor = actor
    return actor


def require(roles: tuple[str, ...]) -> Actor | None:
    """The actor, if its role is one of ``roles`` ("anyone" lets everybody in)."""
    actor = current_actor()
    if "anyone" in roles:
        return actor
    if actor is None:
        raise ApiError(401, "unauthorized", "this needs a signed-in user or a device token")
    if actor.role not in roles:
        raise ApiError(403, "forbidden", f"a {actor.role} may not do this")
    return actor


def require_desk_access(actor: Actor, desk_agency: str, desk: int) -> None:
    """An officer acts only on the desks of his own agency; supervisors and admins on all."""
    if actor.role == "officer" and actor.agency != desk_agency:
        raise ApiError(403, "forbidden", f"desk {desk} belongs to agency {desk_agency}, not to yours")


def client_address() -> str:
    """The client's IP address, for the sign-in limit.

    ``remote_addr``, except behind a reverse proxy on the same machine (nginx terminating TLS:
    the peer is a loopback address): then the last address of ``X-Forwarded-For``, the one the
    proxy itself appended (the ones before it are whatever the client claimed)."""
    peer = request.remote_addr or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    peer_ip = _ip(peer)
    if forwarded and peer_ip is not None and peer_ip.is_loopback:
        last = forwarded.split(",")[-1].strip()
        if _ip(last) is not None:
            return last
    return peer


def _ip(address: str):
    """The address as an ``ipaddress`` object, or None when it is not an IP address."""
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None
