"""The daily pre-aggregates: local days, month rows, idempotent and incremental refresh."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.analytics import aggregates, dashboard
from portal.analytics.aggregates import ORDER_MEASURES, STEP_MEASURES
from portal.analytics.dashboard import Filters
from portal.analytics.models import (
    AggregateState,
    DailyBodyFigure,
    DailyFigure,
    DailyStepFigure,
    Span,
)
from portal.analytics.tasks import aggregate
from portal.bodies.models import Level
from portal.dispatch import services
from portal.dispatch.models import WorkOrder
from tests.factories import make_report
from tests.unit.analytics.dashboard_history import NOW, OCT_19, at, build

H = dt.timedelta(hours=1)
OCTOBER = Filters(dt.date(2026, 10, 1), dt.date(2026, 10, 31))


@pytest.fixture
def history(db: Session) -> dict[str, Any]:
    found = build(db)
    at(NOW, lambda: aggregates.refresh(db))
    db.commit()
    return found


def _rows(db: Session, cube: aggregates.Cube) -> list[tuple[Any, ...]]:
    db.expire_all()
    columns = [c for c in cube.__table__.columns if c.name != "id"]
    return sorted((tuple(r) for r in db.execute(select(*columns))), key=repr)


def _received(db: Session, span: Span) -> dict[dt.date, int]:
    return {day: n for day, n in db.execute(
        select(DailyFigure.day, func.sum(DailyFigure.received)).where(DailyFigure.span == span)
        .group_by(DailyFigure.day)) if n}


def test_days_are_local_days(db: Session, history: dict[str, Any]) -> None:
    # E was reported at 17:00 UTC on 31 October, 01:00 on 1 November in Shanghai.
    assert _received(db, Span.DAY) == {
        dt.date(2026, 10, 19): 1, dt.date(2026, 10, 26): 1, dt.date(2026, 10, 27): 2,
        dt.date(2026, 10, 28): 1, dt.date(2026, 11, 1): 1, dt.date(2026, 11, 3): 1}
    assert _received(db, Span.MONTH) == {dt.date(2026, 10, 1): 5, dt.date(2026, 11, 1): 2}
    assert db.execute(select(func.min(DailyFigure.day)).where(
        DailyFigure.span == Span.DAY)).scalar() == dt.date(2026, 10, 19)


@pytest.mark.parametrize("cube,measures", [(DailyFigure, ORDER_MEASURES),
                                           (DailyBodyFigure, ORDER_MEASURES),
                                           (DailyStepFigure, STEP_MEASURES)])
def test_month_rows_are_the_sums_of_their_days(
        db: Session, history: dict[str, Any], cube: aggregates.Cube,
        measures: tuple[str, ...]) -> None:
    sums = [func.sum(getattr(cube, name)) for name in measures]
    for month in (dt.date(2026, 10, 1), dt.date(2026, 11, 1)):
        days = db.execute(select(*sums).where(
            cube.span == Span.DAY, cube.day >= month,
            cube.day < aggregates.next_month(month))).one()
        whole = db.execute(select(*sums).where(cube.span == Span.MONTH,
                                               cube.day == month)).one()
        assert tuple(whole) == tuple(days) and any(days)


def test_refreshing_again_changes_nothing(db: Session, history: dict[str, Any]) -> None:
    before = [_rows(db, cube) for cube in aggregates.CUBES]
    again = at(NOW + H, lambda: aggregates.refresh(db))
    assert again == aggregates.Refreshed(days=0, full=False)
    full = at(NOW + H, lambda: aggregates.refresh(db, full=True))
    assert full.full and full.days == (NOW.date() - OCT_19.date()).days + 1
    assert [_rows(db, cube) for cube in aggregates.CUBES] == before


def test_a_change_recounts_the_earlier_days_of_its_order(
        db: Session, history: dict[str, Any]) -> None:
    g = history["orders"]["G"]
    before = at(NOW, lambda: dashboard.breakdown(db, OCTOBER)).levels
    # October: G A D at the village level, B (escalated) and C at the town's.
    assert (before[Level.VILLAGE].received, before[Level.TOWN].received) == (3, 2)
    # G, reported on 19 October, is escalated on 5 December: it now counts at the town
    # level also on the day it was received.
    at(NOW + H, lambda: services.escalate(db, order=g, actor=history["town_dispatcher"],
                                          reason="久调未决"))
    db.commit()
    unchanged = at(NOW + H, lambda: dashboard.breakdown(db, OCTOBER)).levels
    assert unchanged[Level.TOWN].received == 2  # read from the aggregates, not the orders
    done = at(NOW + 2 * H, lambda: aggregates.refresh(db))
    db.commit()
    # 19 Oct (received, two steps ended), 5 Dec (the handle step ended).
    assert done.days == 2
    after = at(NOW + 2 * H, lambda: dashboard.breakdown(db, OCTOBER)).levels
    assert (after[Level.VILLAGE].received, after[Level.TOWN].received) == (2, 3)


def test_late_commits_are_caught_by_the_overlap(db: Session, history: dict[str, Any]) -> None:
    # Written after the last run, dated 10 minutes before it (a transaction that was open).
    at(NOW - 10 * aggregates.OVERLAP / 15, lambda: make_report(
        db, history["grid"], history["village"], address="晚到"))
    at(NOW + H, lambda: aggregates.refresh(db))
    db.commit()
    december = Filters(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert at(NOW + H, lambda: dashboard.breakdown(db, december)).total.received == 1


def test_the_beat_task_counts_from_scratch_then_only_changes(db: Session) -> None:
    assert aggregate() == 0  # nothing yet
    state = db.get(AggregateState, aggregates.STATE)
    assert state is not None and state.until is not None
    world = build(db)
    db.get(AggregateState, aggregates.STATE).until = None  # type: ignore[union-attr]
    db.commit()
    assert at(NOW, aggregate) == (NOW.date() - OCT_19.date()).days + 1
    order = at(NOW + H, lambda: make_report(db, world["grid"], world["village"]))
    assert at(NOW + 2 * H, aggregate) == 1
    db.expire_all()
    assert db.get(WorkOrder, order.id) is not None
    assert _received(db, Span.DAY)[NOW.date()] == 1
