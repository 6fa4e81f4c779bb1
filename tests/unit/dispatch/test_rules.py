"""Step time limits: statutory defaults, working days with holidays, admin overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.models import AuditEntry
from portal.cases.services import MissingInput, NotAllowed
from portal.deadlines.models import Holiday
from portal.dispatch import rules
from portal.dispatch.models import Step, StepRule
from tests.unit.dispatch.conftest import MONDAY


def _local_end(day: dt.date) -> dt.datetime:
    """23:59:59 in Shanghai on ``day``, in UTC."""
    return dt.datetime.combine(day, dt.time(15, 59, 59), tzinfo=dt.UTC)


def test_defaults_follow_the_statutory_limits() -> None:
    d = rules.DEFAULTS
    assert (d[Step.ACCEPT].working_days, d[Step.DISPATCH].working_days) == (3, 1)
    assert (d[Step.HANDLE].calendar_days, d[Step.HANDLE].remind_hours) == (30, 72)
    assert (d[Step.FOLLOW_UP].calendar_days, d[Step.REVIEW].working_days) == (15, 3)
    assert Step.CLOSED not in d


def test_due_times_count_working_days_and_skip_holidays(db: Session) -> None:
    assert rules.due_at(db, Step.ACCEPT, MONDAY) == _local_end(dt.date(2026, 12, 3))
    assert rules.due_at(db, Step.HANDLE, MONDAY) == _local_end(dt.date(2026, 12, 30))
    assert rules.due_at(db, Step.CLOSED, MONDAY) is None
    db.add(Holiday(day=dt.date(2026, 12, 1), name="假日"))
    db.commit()
    assert rules.due_at(db, Step.ACCEPT, MONDAY) == _local_end(dt.date(2026, 12, 4))
    # A Friday evening start: Monday is the first working day.
    friday = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    assert rules.due_at(db, Step.DISPATCH, friday) == _local_end(dt.date(2026, 12, 7))


def test_an_administrator_overrides_a_step(db: Session, world: dict[str, Any]) -> None:
    rule = rules.set_rule(db, step=Step.ACCEPT, working_days=0, calendar_days=2,
                          remind_hours=6, actor=world["admin"])
    db.commit()
    assert rules.rule_for(db, Step.ACCEPT) == rules.RuleSpec(
        calendar_days=2, remind_hours=6, label=rules.DEFAULTS[Step.ACCEPT].label)
    assert rule.updated_by_id == world["admin"].id
    assert rules.due_at(db, Step.ACCEPT, MONDAY) == _local_end(dt.date(2026, 12, 2))
    entry = db.execute(select(AuditEntry).where(
        AuditEntry.action == "dispatch.rule_set")).scalar_one()
    assert entry.kind == "admin" and '"after":[0,2,6]' in entry.data


@pytest.mark.parametrize(("working", "calendar", "remind", "field"), [
    (0, 0, 24, "working_days"), (2, 2, 24, "working_days"), (366, 0, 24, "working_days"),
    (-1, 3, 24, "working_days"), (0, 400, 24, "calendar_days"), (3, 0, 721, "remind_hours"),
    (3, 0, -1, "remind_hours"),
])
def test_bad_limits_are_refused(db: Session, world: dict[str, Any], working: int,
                                calendar: int, remind: int, field: str) -> None:
    with pytest.raises(MissingInput) as err:
        rules.set_rule(db, step=Step.HANDLE, working_days=working, calendar_days=calendar,
                       remind_hours=remind, actor=world["admin"])
    assert err.value.field == field
    assert db.execute(select(StepRule)).first() is None


def test_only_administrators_set_limits(db: Session, world: dict[str, Any]) -> None:
    with pytest.raises(NotAllowed):
        rules.set_rule(db, step=Step.ACCEPT, working_days=5, calendar_days=0,
                       remind_hours=24, actor=world["town_dispatcher"])
    with pytest.raises(MissingInput) as err:
        rules.set_rule(db, step=Step.CLOSED, working_days=5, calendar_days=0,
                       remind_hours=24, actor=world["admin"])
    assert err.value.field == "step"
    assert db.execute(select(StepRule)).first() is None
