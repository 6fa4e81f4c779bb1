"""The order loop over HTTP: a grid worker reports, the town dispatches to a village body, the
village lets the deadline pass, the beat job escalates the order to the town, the town
settles it, and the order is closed after a follow-up visit; the figures are checked exactly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.bodies.models import Level
from portal.cases.models import Case, CaseEvent
from portal.cases.states import Status, Trigger
from portal.dispatch import figures
from portal.dispatch import tasks as dispatch_tasks
from portal.dispatch.models import Outcome, Step, WorkOrder
from tests.factories import dispatch_world, settle
from tests.functional.conftest import Browser

UTC = dt.UTC
# Monday 30 November 2026, 09:00 in Shanghai; no holidays in the test database.
T0 = dt.datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
T1 = dt.datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # Friday: the village's 3 working days are over
T2 = dt.datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday: the town's agreement takes effect
T3 = dt.datetime(2026, 12, 8, 1, 0, tzinfo=UTC)  # Tuesday: the follow-up visit
HOUR = dt.timedelta(hours=1)


def _order(db: Session, order_id: int) -> WorkOrder:
    db.expire_all()
    order = db.get(WorkOrder, order_id)
    assert order is not None
    return order


def _login(make_browser: Any, user: Any) -> Browser:
    browser: Browser = make_browser()
    browser.login(user.phone)
    return browser


def _report_form(w: dict[str, Any]) -> dict[str, str]:
    return {
        "create_key": "field-report-0001-abcdef", "dispute_type": "neighbour",
        "title": "院墙排水纠纷", "description": "两户因院墙排水发生争执，已有推搡。",
        "area_id": str(w["village"].id), "address": "枫源村3组12号",
        "latitude": "29.714500", "longitude": "120.244300", "priority": "normal",
        "applicant_name": "张三", "applicant_phone": "13700001111",
        "respondent_name": "李四", "respondent_phone": "13700002222",
    }


def test_report_dispatch_escalate_settle_close(db: Session, make_browser: Any) -> None:
    w = dispatch_world(db)
    db.commit()
    with time_machine.travel(T0, tick=False):
        grid = _login(make_browser, w["grid"])
        response = grid.submit("/report", _report_form(w))
        assert response.status_code == 303, response.text
        order_id = int(response.headers["location"].split("/")[2].split("#")[0])
        # A retried submit with the same key makes no second order.
        again = grid.submit("/report", _report_form(w))
        assert again.headers["location"] == response.headers["location"]
        order = _order(db, order_id)
        assert (order.step, order.level, order.owner_area_id) == (
            Step.DISPATCH, Level.VILLAGE, w["town"].id)
        assert grid.get(f"/orders/{order_id}").status_code == 200

    town = _login(make_browser, w["town_dispatcher"])
    with time_machine.travel(T0 + 2 * HOUR, tick=False):
        page = town.get(f"/orders/{order_id}")
        assert page.status_code == 200 and w["village_body"].name in page.text
        response = town.submit(f"/orders/{order_id}/dispatch",
                               {"body_id": str(w["village_body"].id)})
        assert response.status_code == 303, response.text
        order = _order(db, order_id)
        assert (order.step, order.owner_body_id) == (Step.ACCEPT, w["village_body"].id)
        assert order.case.status is Status.SUBMITTED

    with time_machine.travel(T1, tick=False):
        dispatch_tasks.scan()  # the beat job
        order = _order(db, order_id)
        assert (order.step, order.level, order.owner_area_id, order.escalations) == (
            Step.DISPATCH, Level.TOWN, w["town"].id, 1)
        assert order.case.body_id is None
        escalation = db.execute(select(CaseEvent).where(
            CaseEvent.case_id == order.case_id, CaseEvent.trigger == Trigger.ESCALATE)
        ).scalar_one()
        assert escalation.actor_id is None and escalation.reason
        village_step = next(s for s in order.steps if s.step is Step.ACCEPT)
        assert village_step.went_overdue and village_step.level is Level.VILLAGE
        # The escalation and its reason are on the case's one timeline.
        assert escalation.reason in town.get(f"/cases/{order.case.number}").text

    town_body = _login(make_browser, w["town_admin"])
    with time_machine.travel(T1 + HOUR, tick=False):
        # Escalated orders never go back down.
        refused = town.submit(f"/orders/{order_id}/dispatch",
                              {"body_id": str(w["village_body"].id)})
        assert refused.status_code == 400
        assert _order(db, order_id).step is Step.DISPATCH
        response = town.submit(f"/orders/{order_id}/dispatch",
                               {"body_id": str(w["town_body"].id)})
        assert response.status_code == 303, response.text
    with time_machine.travel(T1 + 3 * HOUR, tick=False):
        assert town_body.submit(f"/orders/{order_id}/accept").status_code == 303
        assert _order(db, order_id).step is Step.HANDLE

    with time_machine.travel(T2, tick=False):
        settle(db, _order(db, order_id), w)  # the town body's mediation, via services
        order = _order(db, order_id)
        assert (order.step, order.outcome) == (Step.FOLLOW_UP, Outcome.AGREEMENT)
        # The centre cannot close before the visit is recorded and the body sends it on.
        assert town.submit(f"/orders/{order_id}/close").status_code == 400

    with time_machine.travel(T3, tick=False):
        response = town_body.submit(f"/orders/{order_id}/follow-up", {
            "visited_on": "2026-12-08", "performance": "fully",
            "result": "院墙已改造，双方按协议履行。"})
        assert response.status_code == 303, response.text
        for name, score in (("张三", "5"), ("李四", "4")):
            assert town_body.submit(f"/orders/{order_id}/rating",
                                    {"party_name": name, "score": score}).status_code == 303
        assert town_body.submit(f"/orders/{order_id}/finish").status_code == 303
        assert _order(db, order_id).step is Step.REVIEW
    with time_machine.travel(T3 + HOUR, tick=False):
        response = town.submit(f"/orders/{order_id}/close", {"note": "回访满意，结单。"})
        assert response.status_code == 303, response.text
        order = _order(db, order_id)
        assert order.step is Step.CLOSED and order.closed_at == T3 + HOUR
        assert db.get(Case, order.case_id).status is Status.CLOSED  # type: ignore[union-attr]
        assert [r.score for r in order.ratings] == [5, 4]

    # The figures of this run, exactly.
    found = figures.figures(db, area_id=w["town"].id)
    total = found.total
    assert (total.received, total.dispatched, total.resolved, total.closed, total.overdue) == (
        1, 2, 1, 1, 1)
    assert total.resolution_rate == 1.0
    assert total.share_by_level == {Level.VILLAGE: 0.0, Level.TOWN: 1.0, Level.CITY: 0.0}
    day = 24.0
    assert total.avg_days_per_step == pytest.approx({
        Step.DISPATCH: (2 + 1) / 2 / day,
        Step.ACCEPT: ((T1 - (T0 + 2 * HOUR)).total_seconds() / 3600 + 2) / 2 / day,
        Step.HANDLE: (T2 - (T1 + 3 * HOUR)).total_seconds() / 86400,
        Step.FOLLOW_UP: 1.0,
        Step.REVIEW: 1 / day,
    })
    by_level = {row.key: row for row in found.levels}
    assert (by_level["village"].overdue, by_level["village"].resolved) == (1, 0)
    assert (by_level["town"].overdue, by_level["town"].resolved) == (0, 1)
    csv_page = town.get("/orders/figures?format=csv")
    assert csv_page.status_code == 200 and "text/csv" in csv_page.headers["content-type"]
