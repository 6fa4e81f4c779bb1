"""Hotspots: a village (and its town) far above its own average of the 8 periods before."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from portal.analytics import hotspots
from portal.analytics.models import RuleKey
from portal.analytics.scan import HOTSPOT_EVERY
from tests.unit.analytics.alert_support import DAY, T0, alerts, report, run_scan, world

__all__ = ["world"]
W = dict[str, Any]
HOUR = dt.timedelta(hours=1)


def _history(db: Session, world: W, per_period: int, now_count: int) -> None:
    for k in range(1, 9):
        for i in range(per_period):
            report(db, world, T0 - 7 * k * DAY + (i + 1) * HOUR)
    for i in range(now_count):
        report(db, world, T0 + i * DAY / 2)


def test_periods_are_fixed_blocks_of_days() -> None:
    assert hotspots.period_start(T0.date(), 7) == T0.date()  # a Monday: a period starts
    assert hotspots.period_start(T0.date() + 6 * DAY, 7) == T0.date()
    assert hotspots.period_start(T0.date() + 7 * DAY, 7) == T0.date() + 7 * DAY


def test_five_this_week_against_one_a_week_before(db: Session, world: W) -> None:
    _history(db, world, 1, 5)
    run_scan(db, T0 + 3 * DAY)
    found = {a.area_id: a for a in alerts(db, RuleKey.HOTSPOT)}
    assert set(found) == {world["village"].id, world["town"].id}
    fact = found[world["village"].id].facts[0]
    assert fact["count"] == 5 and fact["baseline"] == "1.0" and fact["area"] == "枫源村"
    assert fact["start"] == T0.date().isoformat()


def test_four_are_below_the_minimum(db: Session, world: W) -> None:
    _history(db, world, 1, 4)
    run_scan(db, T0 + 3 * DAY)
    assert alerts(db, RuleKey.HOTSPOT) == []


def test_five_against_three_a_week_is_not_twice_the_baseline(db: Session, world: W) -> None:
    _history(db, world, 3, 5)
    run_scan(db, T0 + 3 * DAY)
    assert alerts(db, RuleKey.HOTSPOT) == []


def test_counted_once_an_hour_and_not_raised_twice(db: Session, world: W) -> None:
    _history(db, world, 1, 5)
    run_scan(db, T0 + 3 * DAY)
    report(db, world, T0 + 3 * DAY)
    run_scan(db, T0 + 3 * DAY + HOTSPOT_EVERY / 2)
    village = [a for a in alerts(db, RuleKey.HOTSPOT) if a.area_id == world["village"].id]
    assert [a.facts[0]["count"] for a in village] == [5]  # not counted again yet
    run_scan(db, T0 + 3 * DAY + HOTSPOT_EVERY)
    village = [a for a in alerts(db, RuleKey.HOTSPOT) if a.area_id == world["village"].id]
    assert [a.facts[0]["count"] for a in village] == [6]  # the same alert, brought up to date
