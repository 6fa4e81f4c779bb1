"""The dashboard's figures against the small history of dashboard_history, worked out by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.analytics import aggregates, dashboard
from portal.analytics.dashboard import Bucket, Filters
from portal.bodies.models import Level
from portal.bodies.services import area_subtree_ids
from portal.dispatch import figures
from portal.dispatch.models import Source, Step
from tests.unit.analytics.dashboard_history import NOW, at, build

OCT_20, NOV_30 = dt.date(2026, 10, 20), dt.date(2026, 11, 30)
HOUR = 3600


@pytest.fixture
def history(db: Session) -> dict[str, Any]:
    found = build(db)
    at(NOW, lambda: aggregates.refresh(db))
    db.commit()
    return found


def _show(db: Session, filters: Filters) -> dashboard.Dashboard:
    return at(NOW, lambda: dashboard.dashboard(db, filters))


def _counts(m: dashboard.Measures) -> tuple[int, int, int, int]:
    return (m.received, m.closed, m.resolved, m.overdue)


def test_the_period_worked_out_by_hand(db: Session, history: dict[str, Any]) -> None:
    found = _show(db, Filters(OCT_20, NOV_30))
    total = found.breakdown.total
    # Received A B C D E F (G before the period); closed A (agreement) and B (transferred),
    # D merged is left out; overdue: no step ran late, C E G are open and past due.
    assert _counts(total) == (6, 2, 1, 3)
    assert (total.overdue_steps, total.open_overdue) == (0, 3)
    assert total.resolution_rate == 0.5
    assert total.closed_seconds == (74 + 8) * HOUR
    assert total.avg_days_to_close == pytest.approx(82 / 2 / 24)
    assert (total.rating_count, total.rating_sum, total.satisfaction) == (2, 9, 4.5)
    # Dispatch: A 1 h, B 1 h + 1 h + 1 h, D 1 h; accept: A 1 h, B 2 h, F 1 h; handle: A 46 h;
    # follow-up: A 24 h, B 1 h; review: A 2 h, B 2 h.
    assert total.step_counts == {Step.DISPATCH: 5, Step.ACCEPT: 3, Step.HANDLE: 1,
                                 Step.FOLLOW_UP: 2, Step.REVIEW: 2}
    assert total.step_seconds == {Step.DISPATCH: 5 * HOUR, Step.ACCEPT: 4 * HOUR,
                                  Step.HANDLE: 46 * HOUR, Step.FOLLOW_UP: 25 * HOUR,
                                  Step.REVIEW: 4 * HOUR}
    assert total.avg_days_per_step[Step.ACCEPT] == pytest.approx(4 / 3 / 24)

    levels = found.breakdown.levels
    assert list(levels) == [Level.VILLAGE, Level.TOWN, Level.CITY]
    # Village: A D E received, A closed, E G overdue. Town: B (escalated) C F, B closed, C.
    assert _counts(levels[Level.VILLAGE]) == (3, 1, 1, 2)
    assert _counts(levels[Level.TOWN]) == (3, 1, 0, 1)
    assert _counts(levels[Level.CITY]) == (0, 0, 0, 0)
    assert found.breakdown.share_by_level == {Level.VILLAGE: 1.0, Level.TOWN: 0.0,
                                              Level.CITY: 0.0}
    # B's steps before the escalation count at the village level, after it at the town's.
    assert levels[Level.TOWN].step_counts == {Step.DISPATCH: 1, Step.ACCEPT: 1,
                                              Step.FOLLOW_UP: 1, Step.REVIEW: 1}
    assert levels[Level.TOWN].avg_days_per_step[Step.HANDLE] is None
    assert {s: m.received for s, m in found.breakdown.sources.items()} == {
        Source.APPLICATION: 1, Source.GRID_REPORT: 4, Source.TRANSFER_IN: 1,
        Source.COURT_REFERRAL: 0}
    # Orders of the village count in the village and in its town.
    assert [(r.label, r.level, _counts(r.measures)) for r in found.breakdown.areas] == [
        ("枫桥镇", Level.TOWN, (5, 2, 1, 2)), ("枫源村", Level.VILLAGE, (4, 2, 1, 2)),
        ("城南街道", Level.TOWN, (1, 0, 0, 1))]


def test_bodies_and_mediators_compared(db: Session, history: dict[str, Any]) -> None:
    found = _show(db, Filters(OCT_20, NOV_30))
    # A ended with the village body and its mediator; F is with the town body, no mediator
    # yet; B, D and the waiting orders have no body.
    village, town = found.bodies
    assert (village.label, village.level) == ("枫源村调解室", Level.VILLAGE)
    assert (village.measures.received, village.measures.closed, village.measures.resolved,
            village.measures.closed_seconds, village.measures.satisfaction) == (
        1, 1, 1, 74 * HOUR, 4.5)
    assert (town.label, town.measures.received, town.measures.closed) == ("枫桥镇调委会", 1, 0)
    assert town.measures.resolution_rate is None and town.measures.satisfaction is None
    [mediator] = found.mediators
    assert (mediator.key, mediator.measures.received, mediator.measures.resolved,
            mediator.measures.rating_count) == (history["village_mediator"].id, 1, 1, 2)


def test_received_over_time_by_type(db: Session, history: dict[str, Any]) -> None:
    found = _show(db, Filters(OCT_20, NOV_30))
    assert found.filters.bucket is Bucket.DAY and len(found.buckets) == 42
    # E was reported at 17:00 UTC on 31 October: 1 November in Shanghai.
    assert found.series == {
        (dt.date(2026, 10, 26), "neighbour"): 1, (dt.date(2026, 10, 27), "family"): 1,
        (dt.date(2026, 10, 27), "labour"): 1, (dt.date(2026, 10, 28), "neighbour"): 1,
        (dt.date(2026, 11, 1), "neighbour"): 1, (dt.date(2026, 11, 3), "labour"): 1}
    weeks = _show(db, Filters(dt.date(2026, 10, 1), dt.date(2026, 12, 20)))
    assert weeks.filters.bucket is Bucket.WEEK and weeks.buckets[0] == dt.date(2026, 9, 28)
    assert weeks.series == {
        (dt.date(2026, 10, 19), "family"): 1, (dt.date(2026, 10, 26), "neighbour"): 3,
        (dt.date(2026, 10, 26), "family"): 1, (dt.date(2026, 10, 26), "labour"): 1,
        (dt.date(2026, 11, 2), "labour"): 1}
    months = _show(db, Filters(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    assert months.filters.bucket is Bucket.MONTH and len(months.buckets) == 12
    assert months.series == {(dt.date(2026, 10, 1), "family"): 2,
                             (dt.date(2026, 10, 1), "neighbour"): 2,
                             (dt.date(2026, 10, 1), "labour"): 1,
                             (dt.date(2026, 11, 1), "neighbour"): 1,
                             (dt.date(2026, 11, 1), "labour"): 1}


def test_filters_by_area_type_and_level(db: Session, history: dict[str, Any]) -> None:
    town = tuple(area_subtree_ids(db, history["town"].id))
    mine = _show(db, Filters(OCT_20, NOV_30, area_ids=town))
    # Another town's order C is not there, not even in the totals.
    assert _counts(mine.breakdown.total) == (5, 2, 1, 2)
    assert [r.label for r in mine.breakdown.areas] == ["枫桥镇", "枫源村"]
    village = _show(db, Filters(OCT_20, NOV_30, area_ids=(history["village"].id,)))
    assert [r.label for r in village.breakdown.areas] == ["枫源村"]
    other = _show(db, Filters(OCT_20, NOV_30, area_ids=(history["other_town"].id,)))
    assert _counts(other.breakdown.total) == (1, 0, 0, 1)
    assert other.bodies == [] and other.mediators == []
    neighbour = _show(db, Filters(OCT_20, NOV_30, dispute_type="neighbour"))
    assert _counts(neighbour.breakdown.total) == (3, 1, 1, 1)  # A D E; E overdue
    at_town = _show(db, Filters(OCT_20, NOV_30, level=Level.TOWN))
    assert _counts(at_town.breakdown.total) == (3, 1, 0, 1)  # B C F
    assert at_town.bodies[0].label == "枫桥镇调委会"


@pytest.mark.parametrize("start,end,area", [
    (OCT_20, NOV_30, None), (dt.date(2026, 10, 1), NOV_30, None),
    (dt.date(2026, 10, 15), dt.date(2026, 11, 30), "town"),
    (dt.date(2026, 11, 1), dt.date(2026, 11, 30), "village"),
    (dt.date(2026, 10, 27), dt.date(2026, 10, 27), None),
])
def test_the_same_figures_as_the_dispatch_figures(
        db: Session, history: dict[str, Any], start: dt.date, end: dt.date,
        area: str | None) -> None:
    """Whole months come from month rows, the rest from day rows: the same numbers as
    portal.dispatch.figures computes from the raw orders."""
    area_id = history[area].id if area else None
    scope = tuple(area_subtree_ids(db, area_id)) if area_id else None
    found = _show(db, Filters(start, end, area_ids=scope)).breakdown
    raw = at(NOW, lambda: figures.figures(db, area_id=area_id, start=start, end=end))
    for mine, theirs in [(found.total, raw.total), *(
            (found.levels[Level(r.key)], r) for r in raw.levels)]:
        assert (mine.received, mine.resolved, mine.closed, mine.overdue) == (
            theirs.received, theirs.resolved, theirs.closed, theirs.overdue)
        assert mine.resolution_rate == theirs.resolution_rate
        assert mine.avg_days_per_step == pytest.approx(theirs.avg_days_per_step)
    assert found.share_by_level == raw.share_by_level
    # The dashboard leaves out the areas above the chosen one (they would repeat it).
    assert [(r.key, r.measures.received, r.measures.closed, r.measures.overdue)
            for r in found.areas] == [(r.key, r.received, r.closed, r.overdue)
                                      for r in raw.areas if scope is None or r.key in scope]


def test_the_period_bucket() -> None:
    day = dt.date(2026, 1, 1)
    assert Filters(day, day).bucket is Bucket.DAY
    assert Filters(day, day + dt.timedelta(days=61)).bucket is Bucket.DAY
    assert Filters(day, day + dt.timedelta(days=62)).bucket is Bucket.WEEK
    assert Filters(day, day + dt.timedelta(days=183)).bucket is Bucket.MONTH
