"""Figures per area, level and body, checked against a small data set worked out by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from sqlalchemy.orm import Session

from portal.bodies.models import Level
from portal.cases import services as cases
from portal.cases.states import Trigger
from portal.dispatch import duplicates, figures, intake, services
from portal.dispatch.models import Department, Performance, Step
from tests.factories import make_report, report_data
from tests.unit.dispatch.conftest import MONDAY

H, D = dt.timedelta(hours=1), dt.timedelta(days=1)
NOW = MONDAY + 5 * D  # Saturday 5 December


def _at(moment: dt.datetime, work: Callable[[], Any]) -> Any:
    with time_machine.travel(moment, tick=False):
        result = work()
    return result


@pytest.fixture
def data(db: Session, world: dict[str, Any]) -> dict[str, Any]:
    """O1 settled in the village; O2 returned, escalated, transferred to court; O3 waiting in
    another town, overdue; O4 a duplicate merged into O1; O5 reported ten days before."""
    grid, town_d = world["grid"], world["town_dispatcher"]
    village_body, boss = world["village_body"].id, world["village_admin"]
    village = world["village"]

    o1 = _at(MONDAY, lambda: make_report(db, grid, village))
    _at(MONDAY + H, lambda: services.dispatch(db, order=o1, body_id=village_body, actor=town_d))
    _at(MONDAY + 2 * H, lambda: services.accept(db, order=o1, actor=boss))

    def mediate() -> None:
        case, mediator = o1.case, world["village_mediator"]
        cases.act(db, case=case, trigger=Trigger.RESPONDENT_AGREE, actor=boss)
        cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=boss,
                  mediator_id=mediator.id)
        for trigger in (Trigger.START_MEDIATION, Trigger.DRAFT_AGREEMENT, Trigger.OPEN_SIGNING):
            cases.transition(db, case=case, trigger=trigger, actor=mediator)

    _at(MONDAY + 2 * H, mediate)
    _at(MONDAY + 2 * D, lambda: cases.transition(db, case=o1.case, trigger=Trigger.ALL_SIGNED,
                                                 actor=None))

    o2 = _at(MONDAY + D, lambda: make_report(db, grid, village, address="别处"))
    _at(MONDAY + D + H, lambda: services.dispatch(db, order=o2, body_id=village_body,
                                                  actor=town_d))
    _at(MONDAY + D + 3 * H, lambda: services.return_order(db, order=o2, actor=boss,
                                                          reason="不属本村"))
    _at(MONDAY + D + 4 * H, lambda: services.escalate(db, order=o2, actor=town_d,
                                                      reason="镇里处理"))
    _at(MONDAY + D + 5 * H, lambda: services.transfer_out(
        db, order=o2, actor=town_d, department=Department.COURT, recipient="诸暨市人民法院",
        reason="当事人要求起诉"))
    _at(MONDAY + D + 6 * H, lambda: services.finish_follow_up(db, order=o2, actor=town_d))
    _at(MONDAY + D + 8 * H, lambda: services.close(db, order=o2, actor=town_d))

    o3 = _at(MONDAY + D, lambda: intake.report(
        db, reporter=world["other_dispatcher"], data=report_data(world["other_town"])))
    o4 = _at(MONDAY + 2 * D, lambda: make_report(db, grid, village))
    _at(MONDAY + 2 * D + H, lambda: duplicates.merge(db, order=o4, into=o1, actor=town_d,
                                                     reason="重复上报"))

    def visit_and_close() -> None:
        services.record_follow_up(db, order=o1, actor=boss, visited_on=(MONDAY + 3 * D).date(),
                                  result="已履行", performance=Performance.FULLY)
        services.finish_follow_up(db, order=o1, actor=boss)

    _at(MONDAY + 3 * D, visit_and_close)
    _at(MONDAY + 3 * D + 2 * H, lambda: services.close(db, order=o1, actor=town_d))
    o5 = _at(MONDAY - 10 * D, lambda: make_report(db, grid, village, address="旧址"))
    db.commit()
    return {"orders": [o1, o2, o3, o4, o5], **world}


def _hours(*values: float) -> float:
    return sum(values) / len(values) / 24


def _counts(row: figures.Row) -> tuple[int, int, int, int, int]:
    return (row.received, row.dispatched, row.resolved, row.closed, row.overdue)


def test_figures_of_the_period(db: Session, data: dict[str, Any]) -> None:
    result = _at(NOW, lambda: figures.figures(db, start=dt.date(2026, 11, 30),
                                              end=dt.date(2026, 12, 4)))
    total = result.total
    assert _counts(total) == (4, 2, 1, 2, 2)
    assert total.resolution_rate == 0.5
    assert result.share_by_level == {Level.VILLAGE: 1.0, Level.TOWN: 0.0, Level.CITY: 0.0}
    assert total.avg_days_per_step == pytest.approx({
        Step.DISPATCH: _hours(1, 1, 1, 1, 1), Step.ACCEPT: _hours(1, 2),
        Step.HANDLE: _hours(46), Step.FOLLOW_UP: _hours(24, 1), Step.REVIEW: _hours(2, 2)})

    levels = {row.key: row for row in result.levels}
    assert list(levels) == ["village", "town", "city"]
    assert _counts(levels["village"]) == (3, 2, 1, 1, 2)
    assert _counts(levels["town"]) == (1, 0, 0, 1, 0)
    assert _counts(levels["city"]) == (0, 0, 0, 0, 0)
    assert levels["town"].avg_days_per_step == pytest.approx({
        Step.DISPATCH: _hours(1), Step.ACCEPT: None, Step.HANDLE: None,
        Step.FOLLOW_UP: _hours(1), Step.REVIEW: _hours(2)})
    assert levels["town"].resolution_rate == 0.0 and levels["city"].resolution_rate is None
    assert levels["city"].share_by_level[Level.VILLAGE] is None

    [body] = result.bodies
    assert (body.label, _counts(body)) == ("枫源村调解室", (1, 2, 1, 1, 0))
    assert body.avg_days_per_step == pytest.approx({
        Step.DISPATCH: None, Step.ACCEPT: _hours(1, 2), Step.HANDLE: _hours(46),
        Step.FOLLOW_UP: _hours(24), Step.REVIEW: None})

    areas = [(row.label, _counts(row)) for row in result.areas]
    assert areas == [("枫桥镇", (3, 2, 1, 2, 1)), ("枫源村", (3, 2, 1, 2, 1)),
                     ("城南街道", (1, 0, 0, 0, 1))]


def test_an_area_and_a_shorter_period(db: Session, data: dict[str, Any]) -> None:
    town = _at(NOW, lambda: figures.figures(db, area_id=data["town"].id))
    assert _counts(town.total) == (4, 2, 1, 2, 1)  # O5 counts as received: no start
    assert [row.label for row in town.areas] == ["枫桥镇", "枫源村"]
    early = _at(NOW, lambda: figures.figures(db, start=dt.date(2026, 11, 30),
                                             end=dt.date(2026, 12, 2)))
    # O1 closed on 3 December: outside. O2 was closed, without a resolution.
    assert _counts(early.total) == (4, 2, 0, 1, 2)
    assert early.total.resolution_rate == 0.0
    assert early.share_by_level == {Level.VILLAGE: None, Level.TOWN: None, Level.CITY: None}
    exact = _at(NOW, lambda: figures.figures(db, start=MONDAY + D, end=MONDAY + D + 8 * H))
    # Datetimes are taken as they are; O2's closing at the end instant is outside.
    assert (exact.total.received, exact.total.closed) == (2, 0)


def test_nothing_to_count(db: Session) -> None:
    empty = figures.figures(db)
    assert _counts(empty.total) == (0, 0, 0, 0, 0)
    assert empty.areas == [] and empty.bodies == [] and len(empty.levels) == 3
    assert empty.total.avg_days_per_step[Step.HANDLE] is None
