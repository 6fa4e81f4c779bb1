"""Role × route: every registered page declares who may use it, and the portal enforces it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.routing import Route

from portal.accounts.roles import Role
from portal.analytics import alerts as alert_services
from portal.analytics import findings as alert_findings
from portal.analytics.models import Alert, AlertLevel, RuleKey
from portal.bodies.models import Area, Level
from portal.config import get_settings
from portal.dispatch import services as dispatch_services
from portal.web.routes import routes
from tests.factories import (
    AreaFactory,
    BodyFactory,
    CaseFactory,
    UserFactory,
    add_evidence,
    add_respondent,
    make_report,
)
from tests.functional.conftest import Browser
from tests.mediation_world import add_session
from tests.unit.agreements.support import add_document

ROUTES = [r for r in routes(get_settings()) if isinstance(r, Route)]


def test_every_route_declares_its_roles() -> None:
    for route in ROUTES:
        assert hasattr(route.endpoint, "allowed_roles"), f"{route.path} has no access rule"


@pytest.fixture
def world(db: Session) -> dict[str, Any]:
    area = AreaFactory()
    body = BodyFactory(area=area)
    users = {
        Role.PARTY: UserFactory(),
        Role.MEDIATOR: UserFactory(role=Role.MEDIATOR, body_id=body.id),
        Role.BODY_ADMIN: UserFactory(role=Role.BODY_ADMIN, body_id=body.id),
        Role.GRID_WORKER: UserFactory(role=Role.GRID_WORKER, area_id=area.id),
        Role.DISPATCHER: UserFactory(role=Role.DISPATCHER, area_id=area.id),
        Role.COURT_CLERK: UserFactory(role=Role.COURT_CLERK, court_name="诸暨市人民法院"),
        Role.ADMIN: UserFactory(role=Role.ADMIN),
    }
    case = CaseFactory(applicant=users[Role.PARTY], body_id=body.id, area_id=area.id,
                       mediator_id=users[Role.MEDIATOR].id, court_name="诸暨市人民法院")
    target = UserFactory(role=Role.MEDIATOR, body_id=body.id)
    evidence = add_evidence(db, case, users[Role.PARTY])
    # A grid worker's report, dispatched to the body: its order is seen by the reporter, the
    # area's dispatcher, the body's administrator and the system administrator.
    order = make_report(db, users[Role.GRID_WORKER], area)
    dispatch_services.dispatch(db, order=order, body_id=body.id, actor=users[Role.DISPATCHER])
    db.commit()
    meeting = add_session(db, case, users[Role.MEDIATOR], users[Role.PARTY])
    # An early-warning alert on the report: seen by the area's dispatcher, the body that has
    # the case and the system administrator.
    ctx = alert_findings.load(db, [order.case_id])[0]
    alert_services.record(db, alert_findings.case_finding(
        ctx, RuleKey.LARGE_AMOUNT, AlertLevel.YELLOW, [], ctx.received_at), ctx.received_at)
    db.commit()
    return {"users": users, "case": case, "target": target, "evidence": evidence,
            "order": order, "session": meeting, "request": meeting.requests[0],
            "alert": db.execute(select(Alert.id)).scalar_one(),
            "document": add_document(db, case, users[Role.MEDIATOR])}


def _unsafe_method(route: Route) -> str | None:
    return next((m for m in ("POST", "PUT", "PATCH", "DELETE") if m in (route.methods or ())),
                None)


QUERIES = {"/api/v1/bodies/suggestions": "?dispute_type=family",
           "/analytics/export": "?table=levels"}


def _path(route: Route, world: dict[str, Any]) -> str:
    path = (route.path.replace("{number}", world["case"].number)
            .replace("{user_id:id}", str(world["target"].id)).replace("{code}", "en")
            .replace("{body_id:id}", str(world["case"].body_id)).replace("{step}", "claims")
            .replace("{evidence_id:id}", str(world["evidence"].id))
            .replace("{order_id}", str(world["order"].id))
            .replace("{session_id:id}", str(world["session"].id))
            .replace("{document_id:id}", str(world["document"].id))
            .replace("{request_id:id}", str(world["request"].id))
            .replace("{paper}", "application")
            .replace("{alert_id:id}", str(world["alert"]))
            .replace("{filing_id:id}", "1"))
    return path + QUERIES.get(route.path, "")


# Who sees the demo case: all but the grid worker, who reports disputes but is not party
# to this one.
SEES_CASE = set(Role) - {Role.GRID_WORKER}


@pytest.mark.parametrize("role", list(Role))
def test_get_pages_by_role(role: Role, world: dict[str, Any], make_browser: Any) -> None:
    browser: Browser = make_browser()
    browser.login(world["users"][role].phone)
    for route in ROUTES:
        if "GET" not in (route.methods or ()):
            continue
        allowed = route.endpoint.allowed_roles  # type: ignore[attr-defined]
        response = browser.get(_path(route, world), follow_redirects=False)
        if allowed is not None and role not in allowed:
            assert response.status_code == 403, (role, route.path, response.status_code)
        elif route.path == "/sessions/{session_id:id}/room":
            # Only invitees enter; the party has not confirmed the identity code yet, so is
            # sent to the pre-join page.
            expected = {Role.MEDIATOR: 200, Role.PARTY: 303}.get(role, 404)
            assert response.status_code == expected, (role, route.path, response.status_code)
        elif route.path in ("/respond/{token}", "/mediators/{user_id:id}/photo",
                            "/sessions/{session_id:id}/join"):
            # No such invitation (the join page without its link's token); no photo.
            assert response.status_code == 404, (role, route.path)
        elif route.path == "/sessions/{session_id:id}/calendar.ics" and role not in (
                Role.PARTY, Role.MEDIATOR):
            # Only invitees get the calendar file.
            assert response.status_code == 404, (role, route.path)
        elif route.path in ("/cases/{number}", "/api/v1/cases/{number}",
                            "/cases/{number}/evidence/{evidence_id:id}",
                            "/cases/{number}/agreement", "/cases/{number}/agreement/compare",
                            "/cases/{number}/documents/{document_id:id}",
                            "/cases/{number}/documents/{document_id:id}/pdf",
                            "/cases/{number}/papers/{paper}") and (
                role not in SEES_CASE):
            assert response.status_code == 404, (role, route.path)
        elif route.path == "/cases/{number}/dossier/download":
            # No dossier has been built for the case yet.
            assert response.status_code == 404, (role, route.path)
        elif route.path == "/cases/{number}/filing":
            # Only the applicant of a case whose mediation failed files it with a court.
            assert response.status_code == 404, (role, route.path)
        else:
            assert response.status_code in (200, 303), (role, route.path, response.status_code)
            if response.status_code == 303:
                assert route.path in ("/login", "/lang/{code}", "/cases/new"), (role, route.path)


@pytest.mark.parametrize("role", list(Role))
def test_post_actions_by_role(role: Role, world: dict[str, Any], make_browser: Any) -> None:
    browser: Browser = make_browser()
    browser.login(world["users"][role].phone)
    for route in ROUTES:
        allowed = route.endpoint.allowed_roles  # type: ignore[attr-defined]
        method = _unsafe_method(route)
        if method is None or allowed is None or route.path == "/logout":
            continue
        response = browser.submit(_path(route, world), {}, method=method)
        if role not in allowed:
            assert response.status_code == 403, (role, route.path, response.status_code)
        else:
            assert response.status_code != 403 or route.path.startswith("/admin/users/"), (
                role, route.path)


def test_anonymous_is_sent_to_login(world: dict[str, Any], browser: Browser) -> None:
    for route in ROUTES:
        allowed = route.endpoint.allowed_roles  # type: ignore[attr-defined]
        if allowed is None:
            continue
        if "GET" in (route.methods or ()) and route.path.startswith("/api/"):
            assert browser.get(_path(route, world)).status_code == 401, route.path
        elif "GET" in (route.methods or ()):
            response = browser.get(_path(route, world), follow_redirects=False)
            assert response.status_code == 303, route.path
            assert response.headers["location"].startswith("/login?next=")
        else:
            method = _unsafe_method(route) or "POST"
            response = browser.submit(_path(route, world), {}, method=method)
            assert response.status_code == 401, route.path


def test_party_cannot_read_or_act_on_another_partys_case(
        world: dict[str, Any], make_browser: Any, db: Session) -> None:
    stranger = UserFactory()
    browser: Browser = make_browser()
    browser.login(stranger.phone)
    number = world["case"].number
    assert browser.get(f"/cases/{number}").status_code == 404
    assert browser.submit(f"/cases/{number}/act", {"trigger": "withdraw",
                                                   "reason": "x"}).status_code == 404
    assert number not in browser.get("/cases").text
    # A respondent added to the case can read it.
    add_respondent(db, world["case"], stranger)
    assert browser.get(f"/cases/{number}").status_code == 200


def test_other_body_and_other_area_see_nothing(world: dict[str, Any], make_browser: Any) -> None:
    other_area = AreaFactory()
    other_body = BodyFactory(area=other_area)
    for user in (UserFactory(role=Role.BODY_ADMIN, body_id=other_body.id),
                 UserFactory(role=Role.MEDIATOR, body_id=other_body.id),
                 UserFactory(role=Role.DISPATCHER, area_id=other_area.id),
                 UserFactory(role=Role.COURT_CLERK, court_name="另一法院")):
        browser: Browser = make_browser()
        browser.login(user.phone)
        assert browser.get(f"/cases/{world['case'].number}").status_code == 404, user.role
        assert world["case"].number not in browser.get("/cases").text


def test_dispatcher_sees_cases_of_areas_below(world: dict[str, Any], make_browser: Any,
                                              db: Session) -> None:
    city = AreaFactory(level=Level.CITY)
    db.get(Area, world["case"].area_id).parent_id = city.id  # type: ignore[union-attr]
    db.commit()
    browser: Browser = make_browser()
    browser.login(UserFactory(role=Role.DISPATCHER, area_id=city.id).phone)
    assert browser.get(f"/cases/{world['case'].number}").status_code == 200
