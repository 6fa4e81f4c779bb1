"""Deadlines open and close as the case moves, whoever moves it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField
from portal.cases import services as cases
from portal.cases.models import Case
from portal.cases.states import Trigger
from portal.deadlines import holidays
from portal.deadlines import services as deadlines
from portal.deadlines.calendar import TIME_ZONE, end_of_day
from portal.deadlines.models import Deadline, DeadlineKind, Holiday
from tests.factories import UserFactory, review_world

K = DeadlineKind
# Tuesday 29 September 2026, 10:00 in Shanghai: the National Day week starts on Thursday.
TUESDAY = dt.datetime(2026, 9, 29, 10, 0, tzinfo=TIME_ZONE)


def _rows(db: Session, case: Case) -> list[tuple[DeadlineKind, dt.date, str | None]]:
    db.expire_all()
    return [(d.kind, d.due_at.astimezone(TIME_ZONE).date(), d.outcome)
            for d in db.execute(select(Deadline).where(Deadline.case_id == case.id)
                                .order_by(Deadline.id)).scalars()]


@pytest.fixture
def world(db: Session) -> dict:
    holidays.load_holidays(db)
    db.commit()
    return review_world(db)


def test_each_step_opens_and_closes_its_deadline(db: Session, world: dict) -> None:
    case, boss = world["case"], world["boss"]
    with time_machine.travel(TUESDAY, tick=False):
        cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=world["applicant"])
        db.commit()
        # Wednesday 30 Sep, then the holidays, then Thursday 8 Oct and Friday 9 Oct.
        assert _rows(db, case) == [(K.ACCEPT, dt.date(2026, 10, 9), None)]
        due = db.execute(select(Deadline.due_at)).scalar_one()
        assert due == end_of_day(dt.date(2026, 10, 9))

        cases.transition(db, case=case, trigger=Trigger.ACCEPT, actor=boss)
        cases.transition(db, case=case, trigger=Trigger.CONTACT_RESPONDENT, actor=boss)
        db.commit()
        assert _rows(db, case)[-2:] == [(K.ACCEPT, dt.date(2026, 10, 9), "met"),
                                         (K.RESPONDENT, dt.date(2026, 10, 9), None)]


def test_agreement_opens_choice_then_assignment(db: Session, world: dict) -> None:
    case, boss = world["case"], world["boss"]
    respondent = UserFactory()
    world["respondent"].user_id = respondent.id
    db.commit()
    with time_machine.travel(TUESDAY, tick=False):
        for trigger, actor in [(Trigger.SUBMIT, world["applicant"]), (Trigger.ACCEPT, boss),
                               (Trigger.CONTACT_RESPONDENT, boss),
                               (Trigger.RESPONDENT_AGREE, respondent)]:
            cases.transition(db, case=case, trigger=trigger, actor=actor)
        db.commit()
    # Two working days to choose (30 Sep, 8 Oct), then three to assign (9, 10 worked, 12).
    assert _rows(db, case)[-2:] == [(K.CHOOSE_MEDIATOR, dt.date(2026, 10, 8), None),
                                     (K.ASSIGN_MEDIATOR, dt.date(2026, 10, 12), None)]
    cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=boss,
              mediator_id=world["mediator"].id)
    db.commit()
    rows = _rows(db, case)
    assert [r[2] for r in rows[-3:-1]] == ["met", "met"]
    assert rows[-1][0] is K.MEDIATOR_ANSWER and rows[-1][2] is None

    cases.transition(db, case=case, trigger=Trigger.START_MEDIATION, actor=world["mediator"])
    db.commit()
    start = db.execute(select(Deadline).where(Deadline.kind == K.MEDIATION_END)).scalar_one()
    assert start.due_at == end_of_day(start.created_at.astimezone(TIME_ZONE).date()
                                      + dt.timedelta(days=30))
    # Withdrawing makes the remaining time limit moot.
    cases.transition(db, case=case, trigger=Trigger.WITHDRAW, actor=world["applicant"],
                     reason="settled")
    db.commit()
    assert _rows(db, case)[-1][2] == "cancelled"
    assert deadlines.open_deadlines(db, case.id) == []


def test_referral_restarts_the_review_time(db: Session, world: dict) -> None:
    from portal.cases import review
    from tests.factories import BodyFactory

    case = world["case"]
    other = BodyFactory()
    with time_machine.travel(TUESDAY, tick=False):
        cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=world["applicant"])
        db.commit()
    with time_machine.travel(TUESDAY + dt.timedelta(days=10), tick=False):  # Fri 9 Oct
        review.refer(db, case=case, actor=world["boss"], body_id=other.id, reason="县级处理")
        db.commit()
    # From Friday 9 Oct: the worked Saturday 10 Oct, Monday 12 and Tuesday 13 Oct.
    assert _rows(db, case) == [(K.ACCEPT, dt.date(2026, 10, 9), "met"),
                               (K.ACCEPT, dt.date(2026, 10, 13), None)]
    assert db.get(Case, case.id).body_id == other.id  # type: ignore[union-attr]


def test_holidays_load_once_and_admin_changes_are_checked(db: Session) -> None:
    assert holidays.load_holidays(db) == 33 + 6
    assert holidays.load_holidays(db) == 0
    db.commit()
    admin = UserFactory(role=Role.ADMIN)
    with pytest.raises(InvalidField) as err:
        holidays.add_holiday(db, actor=admin, day="2026-10-01", name="x", is_workday=False)
    assert err.value.field == "day"
    with pytest.raises(InvalidField) as err:
        holidays.add_holiday(db, actor=admin, day="2026-12-02", name="x", is_workday=True)
    assert err.value.field == "is_workday"  # a Wednesday is a working day already
    with pytest.raises(InvalidField):
        holidays.add_holiday(db, actor=admin, day="2026-13-01", name="x", is_workday=False)
    with pytest.raises(holidays.PermissionDenied):
        holidays.add_holiday(db, actor=UserFactory(role=Role.BODY_ADMIN), day="2026-12-02",
                             name="x", is_workday=False)
    row = holidays.add_holiday(db, actor=admin, day="2026-12-02", name="  地方 节日 ",
                               is_workday=False)
    assert row.name == "地方 节日"
    assert dt.date(2026, 12, 2) in deadlines.calendar(db).holidays
    holidays.delete_holiday(db, actor=admin, holiday_id=row.id)
    db.commit()
    assert db.get(Holiday, row.id) is None
    assert dt.date(2026, 12, 2) not in deadlines.calendar(db).holidays
