"""Fuzzing the API from its own OpenAPI document (schemathesis), with every auth role: no input
gets a 5xx, every answer has a documented status and matches its schema, every 4xx has the
contract's error shape."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from server.auth.users import create_user
from server.web.app import create_app

ROLES = ["anonymous", "kiosk", "display", "officer", "supervisor", "admin"]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from datetime import datetime

    from server.clock import FixedClock
    from server.storage import Storage
    from tests.conftest import make_config

    folder = tmp_path_factory.mktemp("fuzz")
    config = make_config(folder)
    storage = Storage(config.server.database, synchronous="OFF")
    app = create_app(config, storage=storage, voice=False,
                     clock=FixedClock(config.tz, datetime(2026, 11, 23, 9, 0, tzinfo=config.tz)))
    # names the fuzzer will not guess, so that its calls to the admin routes cannot disable them
    names = {"officer": "fz-officer-q7x2", "supervisor": "fz-supervisor-m4k9", "admin": "fz-admin-w8p3"}
    for role, agency in (("officer", "STP"), ("supervisor", None), ("admin", None)):
        create_user(storage, names[role], "fuzz-password-1", role, agency)
    client = app.test_client()
    tokens = {"anonymous": None, "kiosk": "kiosk-token-1", "display": "hall-token-1"}
    for role, name in names.items():
        tokens[role] = client.post("/api/v1/auth/login", json={"username": name, "password": "fuzz-password-1"}
                                   ).get_json()["access_token"]
    for i in range(5):                        # something to act on: waiting and called tickets
        client.post("/api/v1/tickets", json={"service": ("STP-LLTP", "CA-CC")[i % 2]},
                    headers={"Authorization": "Bearer kiosk-token-1"})
    client.post("/api/v1/desks/1/next", headers={"Authorization": f"Bearer {tokens['supervisor']}"})
    app.fuzz_tokens = tokens
    return app


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)


schema = schemathesis.pytest.from_fixture("api_schema")


def error_shape(ctx, response, case):
    if 400 <= response.status_code < 500:
        body = response.json()
        assert set(body) == {"error"}, body
        assert isinstance(body["error"]["code"], str) and body["error"]["code"].replace("_", "").isalnum()
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_and_answers_as_documented(case, fuzz_app):
    documented = case.operation.definition.raw["responses"]
    for role in ROLES:                         # the same generated request, as each kind of caller
        token = fuzz_app.fuzz_tokens[role]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = case.call(headers=headers)
        where = (role, case.method, case.formatted_path, response.status_code, response.content[:300])
        assert response.status_code < 500, where
        error_shape(None, response, case)
        if case.method.upper() != case.operation.method.upper():   # a method the route does not have
            assert response.status_code in ((200, 405) if case.method.upper() in ("OPTIONS", "HEAD") else (405,)), where
            continue
        assert str(response.status_code) in documented, where
