"""The ``@endpoint`` decorator: one declaration gives a route its auth, its body validation and
its OpenAPI description."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import wraps
from typing import Callable

from flask import request
from pydantic import BaseModel, ValidationError

from .auth import require
from .errors import ApiError


@dataclass(frozen=True)
class EndpointSpec:
    summary: str
    auth: tuple[str, ...]
    body: type[BaseModel] | None
    responses: dict[int, type[BaseModel] | str]
    errors: tuple[int, ...]
    query: dict[str, str] = field(default_factory=dict)
    description: str = ""
    tag: str = ""
    produces: str = "application/json"


def endpoint(summary: str, *, auth: tuple[str, ...] = ("anyone",), body: type[BaseModel] | None = None,
             responses: dict[int, type[BaseModel] | str], errors: tuple[int, ...] = (),
             query: dict[str, str] | None = None, description: str = "", tag: str = "",
             produces: str = "application/json", access: Callable[..., None] | None = None):
    """``access(actor, **path_args)``, if given, checks the actor against the resource (an
    officer's own agency) and raises ApiError; it runs before the body is read, so who may not
    act learns nothing from the validation of his body."""
    spec = EndpointSpec(summary, auth, body, responses, errors, query or {}, description, tag, produces)

    def decorate(view):
        @wraps(view)
        def wrapper(**kwargs):
            actor = require(auth)
            if access is not None:
                access(actor, **kwargs)
            if body is not None:
                kwargs["body"] = parse_body(body)
            return view(actor=actor, **kwargs)

        wrapper.spec = spec
        return wrapper

    return decorate


def parse_body(model: type[BaseModel]) -> BaseModel:
    raw = request.get_data(cache=True)
    if not raw.strip():
        data = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"]) or "(body)", "message": e["msg"]}
                   for e in exc.errors(include_url=False, include_input=False)]
        fields = {d["field"].split(".")[0] for d in details}
        codes = {model.error_codes.get(f) for f in fields}
        code = codes.pop() if len(codes) == 1 and None not in codes else "invalid_request"
        message = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        raise ApiError(400, code, message, details) from None
