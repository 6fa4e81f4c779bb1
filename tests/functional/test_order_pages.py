"""The order loop's pages and API: reports, intake, board, moves, rules, figures."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.cases.models import Case, EvidenceFile
from portal.dispatch import services
from portal.dispatch.models import (
    Department,
    Outcome,
    Source,
    Step,
    StepRule,
    Transfer,
    WorkOrder,
)
from portal.notifications.models import OutboundMessage
from tests.factories import PASSWORD, UserFactory, dispatch_world, evidence_bytes, make_report
from tests.functional.conftest import Browser


@pytest.fixture
def w(db: Session) -> dict[str, Any]:
    world = dispatch_world(db)
    db.commit()
    return world


def _as(make_browser: Any, user: Any) -> Browser:
    browser: Browser = make_browser()
    browser.login(user.phone)
    return browser


def _count(db: Session, model: Any) -> int:
    db.expire_all()
    return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def _form(w: dict[str, Any], **overrides: str) -> dict[str, str]:
    values = {"dispute_type": "neighbour", "title": "排水纠纷", "description": "院墙排水。",
              "area_id": str(w["village"].id), "priority": "normal",
              "applicant_name": "张三", "applicant_phone": "13700001111",
              "respondent_name": "李四", "respondent_phone": "13700002222"}
    values.update(overrides)
    return values


def test_report_form_refuses_bad_input_and_keeps_nothing(
        db: Session, w: dict[str, Any], make_browser: Any) -> None:
    grid = _as(make_browser, w["grid"])
    page = grid.get("/report")
    assert page.status_code == 200 and 'name="create_key"' in page.text
    for bad in ({"title": ""}, {"latitude": "north"}, {"dispute_type": "alien"},
                {"respondent_name": "", "respondent_phone": ""},
                {"area_id": str(w["other_town"].id)}, {"priority": "panic"}):
        response = grid.submit("/report", _form(w, **bad))
        assert response.status_code == 400, (bad, response.status_code)
        assert "is-invalid" in response.text or "alert-danger" in response.text
        # What was typed comes back.
        assert "排水纠纷" in response.text or bad.get("title") == ""
    assert _count(db, WorkOrder) == 0 and _count(db, Case) == 0


def test_board_scopes_and_orders_overdue_first(
        db: Session, w: dict[str, Any], make_browser: Any) -> None:
    first = make_report(db, w["grid"], w["village"], title="第一单")
    second = make_report(db, w["grid"], w["village"], title="第二单")
    db.expire_all()
    late = db.get(WorkOrder, second.id)
    assert late is not None and late.due_at is not None and first.due_at is not None
    late.due_at = first.due_at.replace(year=first.due_at.year - 1)
    db.commit()
    town = _as(make_browser, w["town_dispatcher"])
    page = town.get("/orders").text
    assert page.index("第二单") < page.index("第一单")
    assert town.get("/orders?overdue=1").text.count("/orders/") >= 1
    assert "第一单" not in town.get("/orders?overdue=1").text
    other = _as(make_browser, w["other_dispatcher"])
    assert "第一单" not in other.get("/orders").text
    assert other.get(f"/orders/{first.id}").status_code == 404
    assert other.get("/api/v1/orders/" + str(first.id)).status_code == 404


def test_intake_transfer_in_and_court_referral(
        db: Session, w: dict[str, Any], make_browser: Any) -> None:
    town = _as(make_browser, w["town_dispatcher"])
    assert town.get("/orders/intake").status_code == 200
    missing = town.submit("/orders/intake", _form(w))
    assert missing.status_code == 400 and _count(db, WorkOrder) == 0
    response = town.submit("/orders/intake", _form(w, department="police",
                                                   external_ref="枫公(2026)118号"))
    assert response.status_code == 303, response.text
    order = db.execute(select(WorkOrder)).scalar_one()
    assert (order.source, order.department, order.external_ref) == (
        Source.TRANSFER_IN, Department.POLICE, "枫公(2026)118号")
    inbound = db.execute(select(Transfer)).scalar_one()
    assert not inbound.outbound and inbound.department is Department.POLICE


def test_transfer_out_tells_the_parties(db: Session, w: dict[str, Any],
                                        make_browser: Any) -> None:
    order = make_report(db, w["grid"], w["village"])
    town = _as(make_browser, w["town_dispatcher"])
    missing = town.submit(f"/orders/{order.id}/transfer", {"department": "police"})
    assert missing.status_code == 400 and _count(db, Transfer) == 0
    response = town.submit(f"/orders/{order.id}/transfer", {
        "department": "police", "recipient": "枫桥派出所", "reason": "涉嫌治安案件"})
    assert response.status_code == 303, response.text
    db.expire_all()
    order = db.get(WorkOrder, order.id)  # type: ignore[assignment]
    assert (order.step, order.outcome) == (Step.FOLLOW_UP, Outcome.TRANSFERRED)
    texts = db.execute(select(OutboundMessage.recipient, OutboundMessage.body)).all()
    assert {r for r, _ in texts} >= {"13700001111", "13700002222"}
    assert all("枫桥派出所" in body for r, body in texts if r.startswith("137"))


def test_duplicate_is_flagged_and_merged(db: Session, w: dict[str, Any],
                                         make_browser: Any) -> None:
    first = make_report(db, w["grid"], w["village"])
    grid = _as(make_browser, w["grid"])
    response = grid.submit("/report", _form(w, title="又吵起来了"))
    assert response.status_code == 303
    dup = db.execute(select(WorkOrder).where(WorkOrder.id != first.id)).scalar_one()
    assert dup.duplicate_of_id == first.id
    town = _as(make_browser, w["town_dispatcher"])
    page = town.get(f"/orders/{dup.id}")
    assert first.case.number in page.text
    refused = town.submit(f"/orders/{dup.id}/merge", {"into_id": str(first.id)})
    assert refused.status_code == 400
    merged = town.submit(f"/orders/{dup.id}/merge", {"into_id": str(first.id),
                                                     "reason": "同一纠纷重复上报"})
    assert merged.status_code == 303, merged.text
    db.expire_all()
    dup = db.get(WorkOrder, dup.id)  # type: ignore[assignment]
    assert (dup.step, dup.outcome, dup.merged_into_id) == (Step.CLOSED, Outcome.MERGED,
                                                           first.id)


def test_body_returns_and_city_cannot_escalate(db: Session, w: dict[str, Any],
                                               make_browser: Any) -> None:
    order = make_report(db, w["grid"], w["village"])
    services.dispatch(db, order=order, body_id=w["village_body"].id,
                      actor=w["town_dispatcher"])
    db.commit()
    village = _as(make_browser, w["village_admin"])
    assert village.submit(f"/orders/{order.id}/return", {}).status_code == 400
    assert village.submit(f"/orders/{order.id}/return",
                          {"reason": "不属于本村"}).status_code == 303
    db.expire_all()
    assert db.get(WorkOrder, order.id).step is Step.DISPATCH  # type: ignore[union-attr]
    city_order = make_report(db, w["grid"], w["village"], is_group=True)
    assert city_order.level.value == "city"
    city = _as(make_browser, w["city_dispatcher"])
    response = city.submit(f"/orders/{city_order.id}/escalate", {"reason": "太难"})
    assert response.status_code == 400
    db.expire_all()
    assert db.get(WorkOrder, city_order.id).escalations == 0  # type: ignore[union-attr]


def test_step_rules_page(db: Session, w: dict[str, Any], make_browser: Any) -> None:
    admin = _as(make_browser, w["admin"])
    assert admin.get("/admin/dispatch-rules").status_code == 200
    both = admin.submit("/admin/dispatch-rules", {"step": "accept", "working_days": "2",
                                                  "calendar_days": "2", "remind_hours": "8"})
    assert both.status_code == 400 and _count(db, StepRule) == 0
    ok = admin.submit("/admin/dispatch-rules", {"step": "accept", "working_days": "2",
                                                "calendar_days": "0", "remind_hours": "8"})
    assert ok.status_code == 303
    rule = db.get(StepRule, Step.ACCEPT)
    assert rule is not None and (rule.working_days, rule.remind_hours) == (2, 8)
    town = _as(make_browser, w["town_dispatcher"])
    assert town.get("/admin/dispatch-rules").status_code == 403


def test_figures_page_checks_dates_and_area(w: dict[str, Any], make_browser: Any) -> None:
    town = _as(make_browser, w["town_dispatcher"])
    assert town.get("/orders/figures").status_code == 200
    assert town.get("/orders/figures?from=2026-12-01&to=2026-11-01").status_code == 400
    assert town.get(f"/orders/figures?area={w['other_town'].id}").status_code == 403


def _token(browser: Browser, phone: str) -> dict[str, str]:
    response = browser.post("/api/v1/auth/token", json={"phone": phone, "password": PASSWORD})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_api_report_list_dispatch_escalate(db: Session, w: dict[str, Any],
                                           browser: Browser) -> None:
    grid = _token(browser, w["grid"].phone)
    body = {"dispute_type": "neighbour", "title": "噪音纠纷", "description": "深夜噪音。",
            "area_id": w["village"].id, "latitude": "29.7145", "longitude": "120.2443",
            "parties": [{"role": "applicant", "name": "张三", "phone": "13700001111"},
                        {"role": "respondent", "name": "李四", "phone": "13700002222"}],
            "create_key": "grid-app-key-000000001"}
    created = browser.post("/api/v1/orders", json=body, headers=grid)
    assert created.status_code == 201, created.text
    again = browser.post("/api/v1/orders", json=body, headers=grid)
    assert again.json()["id"] == created.json()["id"]
    bad = browser.post("/api/v1/orders", json={**body, "latitude": 200, "create_key": None},
                       headers=grid)
    assert bad.status_code == 400 and "latitude" in bad.json()["fields"]
    order_id = created.json()["id"]
    town = _token(browser, w["town_dispatcher"].phone)
    listed = browser.get("/api/v1/orders", headers=town).json()
    assert [o["id"] for o in listed["items"]] == [order_id]
    wrong = browser.post(f"/api/v1/orders/{order_id}/dispatch",
                         json={"body_id": w["labour_body"].id}, headers=town)
    assert wrong.status_code == 400 and "body_id" in wrong.json()["fields"]
    sent = browser.post(f"/api/v1/orders/{order_id}/dispatch",
                        json={"body_id": w["village_body"].id}, headers=town)
    assert sent.status_code == 200 and sent.json()["step"] == "accept"
    up = browser.post(f"/api/v1/orders/{order_id}/escalate", json={"reason": "村里调不了"},
                      headers=town)
    assert up.status_code == 200 and up.json()["level"] == "town", up.text
    other = _token(browser, w["other_dispatcher"].phone)
    assert browser.get(f"/api/v1/orders/{order_id}", headers=other).status_code == 404


def test_grid_worker_adds_photos_to_their_report_only(
        db: Session, w: dict[str, Any], make_browser: Any) -> None:
    mine = make_report(db, w["grid"], w["village"])
    reporter = _as(make_browser, w["grid"])
    page = reporter.get(f"/orders/{mine.id}")
    assert page.status_code == 200 and f'action="/cases/{mine.case.number}/evidence"' in page.text
    response = reporter.post(
        f"/cases/{mine.case.number}/evidence",
        data={"csrftoken": reporter.csrf(), "description": "现场照片",
              "next": f"/orders/{mine.id}#photos"},
        files={"file": ("现场.jpg", evidence_bytes("jpg"), "image/jpeg")},
        follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/orders/{mine.id}#photos"
    db.rollback()
    photo = db.execute(select(EvidenceFile)).scalar_one()
    assert (photo.case_id, photo.uploaded_by_id, photo.content_type) == (
        mine.case_id, w["grid"].id, "image/jpeg")
    # Another grid worker's report is not theirs to see or add to.
    stranger = UserFactory(role=Role.GRID_WORKER, area_id=w["village"].id)
    db.commit()
    outsider = _as(make_browser, stranger)
    assert outsider.get(f"/orders/{mine.id}").status_code == 404
    refused = outsider.post(
        f"/cases/{mine.case.number}/evidence",
        data={"csrftoken": outsider.csrf(), "description": "x"},
        files={"file": ("x.jpg", evidence_bytes("jpg"), "image/jpeg")},
        follow_redirects=False)
    assert refused.status_code == 404
    assert _count(db, EvidenceFile) == 1
