"""Fuzzing the JSON API from its own OpenAPI document: no input makes it answer 5xx.

Every operation is called as a party, as a dispatcher and anonymously, with path
parameters that are sometimes the real case and work order (so the handlers past the
404 run too) and sometimes whatever schemathesis makes up.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from portal.accounts.roles import Role
from portal.web.app import create_app
from tests.factories import (
    PASSWORD,
    CaseFactory,
    UserFactory,
    add_respondent,
    dispatch_world,
    make_report,
)

app = create_app()
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
WHO = ("party", "dispatcher", "anonymous")


def _token(client: TestClient, phone: str) -> str:
    response = client.post("/api/v1/auth/token", json={"phone": phone, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def world(db: Session) -> dict[str, Any]:
    places = dispatch_world(db)
    party, respondent = UserFactory(), UserFactory()
    case = CaseFactory(applicant=party, body_id=places["town_body"].id,
                       area_id=places["town"].id)
    add_respondent(db, case, respondent)
    order = make_report(db, places["grid"], places["village"])
    client = TestClient(app)
    return {"number": case.number, "order_id": str(order.id),
            "tokens": {"party": _token(client, party.phone),
                       "dispatcher": _token(client, places["town_dispatcher"].phone)},
            "roles": {"party": Role.PARTY, "dispatcher": Role.DISPATCHER}}


@schema.parametrize()
@schema.given(who=st.sampled_from(WHO), real=st.booleans())
@settings(max_examples=20, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_the_api_never_answers_5xx(case: schemathesis.Case, world: dict[str, Any], who: str,
                                   real: bool) -> None:
    if real and case.path_parameters:
        for name in ("number", "order_id"):
            if name in case.path_parameters:
                case.path_parameters[name] = world[name]
    if who in world["tokens"]:
        # Replaces the made-up bearer token schemathesis generates from the security scheme;
        # anonymous calls keep it, which fuzzes the token check.
        case.headers = {k: v for k, v in (case.headers or {}).items()
                        if k.lower() != "authorization"}
        case.headers["Authorization"] = f"Bearer {world['tokens'][who]}"
    case.call_and_validate(checks=[not_a_server_error])
