"""The OpenAPI 3 document, generated from the routes' ``@endpoint`` declarations and their models."""
from __future__ import annotations

import re

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .. import __version__
from .errors import HTTP_CODES
from .schemas import Error

REF = "#/components/schemas/{model}"
ROLE_TEXT = {"anyone": "anyone", "kiosk": "a kiosk token", "display": "a display token", "officer": "an officer",
             "supervisor": "a supervisor", "admin": "an admin"}
STATUS_TEXT = {200: "OK", 201: "Created", 400: "Malformed request", 401: "No or bad credentials",
               403: "Not allowed for this role", 404: "Not found", 409: "Conflicts with the current state",
               413: "Body too large", 429: "Too many requests", 503: "Storage unavailable"}


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def repl(m: re.Match) -> str:
        converter, name = m.group(1), m.group(2)
        schema = {"type": "integer", "minimum": 0} if converter in ("int", "id") else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule), params


def build_openapi(app: Flask, prefix: str = "/api/v1") -> dict:
    endpoints = []
    models: set[type[BaseModel]] = {Error}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        spec = getattr(view, "spec", None)
        if spec is None or not rule.rule.startswith(prefix):
            continue
        endpoints.append((rule, spec))
        if spec.body:
            models.add(spec.body)
        models.update(m for m in spec.responses.values() if isinstance(m, type))
    _, defs = models_json_schema([(m, "serialization") for m in sorted(models, key=lambda m: m.__name__)],
                                 ref_template=REF)
    paths: dict[str, dict] = {}
    for rule, spec in sorted(endpoints, key=lambda e: e[0].rule):
        path, params = _path(rule.rule[len(prefix):] or "/")
        params += [{"name": k, "in": "query", "required": False, "schema": {"type": "string"}, "description": v}
                   for k, v in spec.query.items()]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op = {
                "operationId": rule.endpoint.split(".")[-1] + ("" if method in ("GET", "POST") else "_" + method.lower()),
                "summary": spec.summary,
                "description": (spec.description + "\n\n" if spec.description else "")
                + "Who may call it: " + ", ".join(ROLE_TEXT.get(r, r) for r in spec.auth) + ".",
                "tags": [spec.tag] if spec.tag else [],
                "parameters": params,
                "responses": {},
            }
            if "anyone" not in spec.auth:
                op["security"] = [{"bearerAuth": []}]
            if spec.body is not None:
                op["requestBody"] = {"required": bool(spec.body.model_fields) and any(
                    f.is_required() for f in spec.body.model_fields.values()),
                    "content": {"application/json": {"schema": {"$ref": REF.format(model=spec.body.__name__)}}}}
            for status, model in spec.responses.items():
                if isinstance(model, str):
                    op["responses"][str(status)] = {"description": STATUS_TEXT.get(status, "OK"),
                                                    "content": {model: {"schema": {"type": "string", "format": "binary"}}}}
                else:
                    op["responses"][str(status)] = {"description": STATUS_TEXT.get(status, "OK"),
                                                    "content": {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}}
            errors = set(spec.errors) | ({400} if spec.body else set()) | ({401, 403} if "anyone" not in spec.auth else set())
            for status in sorted(errors | {503} if method == "POST" else errors):
                op["responses"][str(status)] = {
                    "description": STATUS_TEXT.get(status, HTTP_CODES.get(status, "error")),
                    "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}}
                if status == 429:
                    op["responses"]["429"]["headers"] = {"Retry-After": {
                        "description": "seconds to wait before trying again", "schema": {"type": "integer"}}}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hàng Đợi API", "version": __version__,
                 "description": "Queue tickets, desk calls and displays for a Public Administrative Service Center."},
        "servers": [{"url": prefix}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "a device token from config.toml, or an access token from /auth/login"}},
        },
    }
