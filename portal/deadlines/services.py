"""Deadlines on cases: opened and closed as the case moves, listed for the case page.

``after_transition`` is registered in portal.cases.services.FOLLOW_UPS, so every
transition, whoever fires it, keeps the deadlines right. Expired deadlines are handled by
portal.deadlines.expiry (the beat task).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cases.models import Case, CaseEvent
from portal.cases.states import Status, Trigger
from portal.db.memo import remembered
from portal.db.types import utcnow
from portal.deadlines.calendar import WorkCalendar, due_after_days
from portal.deadlines.holidays import load_holidays
from portal.deadlines.models import Deadline, DeadlineKind, Holiday
from portal.i18n import N_

__all__ = ["load_holidays"]

MET, EXPIRED, CANCELLED = "met", "expired", "cancelled"


@dataclass(frozen=True)
class Rule:
    label: str
    working_days: int = 0
    calendar_days: int = 0
    # Statuses in which the deadline still runs; leaving them closes it (cancelled).
    live: frozenset[Status] = frozenset()
    # Triggers that answer it: they close it as met.
    answers: frozenset[Trigger] = frozenset()


D, S, T = DeadlineKind, Status, Trigger
RULES: dict[DeadlineKind, Rule] = {
    D.ACCEPT: Rule(N_("The body accepts, declines or refers the case"), working_days=3,
                   live=frozenset({S.SUBMITTED}),
                   answers=frozenset({T.ACCEPT, T.DECLINE, T.REFER, T.TRANSFER, T.RETURN})),
    D.RESPONDENT: Rule(N_("The respondent agrees or refuses"), working_days=3,
                       live=frozenset({S.AWAITING_RESPONDENT}),
                       answers=frozenset({T.RESPONDENT_AGREE, T.RESPONDENT_REFUSE})),
    D.CHOOSE_MEDIATOR: Rule(N_("The parties choose a mediator together"), working_days=2,
                            live=frozenset({S.RESPONDENT_AGREED}),
                            answers=frozenset({T.ASSIGN_MEDIATOR})),
    # Also opened when a mediator declines or does not answer, until another is assigned.
    D.ASSIGN_MEDIATOR: Rule(N_("The body assigns a mediator"), working_days=3,
                            live=frozenset({S.RESPONDENT_AGREED, S.MEDIATOR_ASSIGNED}),
                            answers=frozenset({T.ASSIGN_MEDIATOR, T.REASSIGN_MEDIATOR})),
    D.MEDIATOR_ANSWER: Rule(N_("The mediator accepts or declines"), working_days=3,
                            live=frozenset({S.MEDIATOR_ASSIGNED}),
                            answers=frozenset({T.START_MEDIATION})),
    # A reassignment during mediation does not restart the 30 days.
    D.MEDIATION_END: Rule(N_("Mediation ends (30 days unless the parties extend it)"),
                          calendar_days=30,
                          live=frozenset({S.MEDIATOR_ASSIGNED, S.IN_MEDIATION,
                                          S.AGREEMENT_DRAFTED, S.SIGNING}),
                          answers=frozenset({T.ALL_SIGNED, T.FAIL_MEDIATION})),
    D.CONFIRMATION: Rule(N_("The parties apply for judicial confirmation"), calendar_days=30),
}
# What each transition starts. Re-opening a kind closes the earlier one first.
OPENS: dict[Trigger, tuple[DeadlineKind, ...]] = {
    T.SUBMIT: (D.ACCEPT,), T.RESUBMIT: (D.ACCEPT,), T.REFER: (D.ACCEPT,),
    T.DISPATCH: (D.ACCEPT,),
    T.CONTACT_RESPONDENT: (D.RESPONDENT,),
    T.RESPONDENT_AGREE: (D.CHOOSE_MEDIATOR, D.ASSIGN_MEDIATOR),
    T.ASSIGN_MEDIATOR: (D.MEDIATOR_ANSWER,), T.REASSIGN_MEDIATOR: (D.MEDIATOR_ANSWER,),
    T.START_MEDIATION: (D.MEDIATION_END,),
}
# Kinds that run once per case however often the opening trigger fires.
ONCE = frozenset({D.MEDIATION_END})
# The case leaves its body for the next level: what the old body owed is moot.
CANCELS_ALL = frozenset({T.ESCALATE})
del D, S, T


def calendar(session: Session) -> WorkCalendar:
    rows = session.execute(select(Holiday.day, Holiday.is_workday)).all()
    return WorkCalendar(holidays=frozenset(day for day, work in rows if not work),
                        extra_workdays=frozenset(day for day, work in rows if work))


def due_for(cal: WorkCalendar, kind: DeadlineKind, start: dt.datetime,
            after: dt.datetime | None = None) -> dt.datetime:
    """When a deadline of ``kind`` started at ``start`` falls due.

    ``after``: the end of a period this one follows (the body assigns a mediator in the 3
    working days after the parties' 2 days to choose).
    """
    rule = RULES[kind]
    if rule.working_days:
        return cal.due_after_working_days(after or start, rule.working_days)
    return due_after_days(after or start, rule.calendar_days)


def open_deadlines(session: Session, case_id: int,
                   kinds: Iterable[DeadlineKind] | None = None) -> list[Deadline]:
    """The case's open deadlines, soonest first. The case page asks from several panels:
    the list is read once per transaction (portal.db.memo) and filtered here."""
    def query() -> tuple[Deadline, ...]:
        return tuple(session.execute(
            select(Deadline).where(Deadline.case_id == case_id, Deadline.closed_at.is_(None))
            .order_by(Deadline.due_at, Deadline.id)).scalars())

    found = remembered(session, ("open_deadlines", case_id), query, (Deadline,))
    if kinds is None:
        return list(found)
    wanted = set(kinds)
    return [d for d in found if d.kind in wanted]


def deadlines_of(session: Session, case_id: int) -> list[Deadline]:
    return list(session.execute(
        select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.id)
    ).scalars())


def current(session: Session, case_id: int, kind: DeadlineKind) -> Deadline | None:
    found = open_deadlines(session, case_id, [kind])
    return found[-1] if found else None


def close(session: Session, deadlines: Iterable[Deadline], outcome: str,
          now: dt.datetime | None = None) -> None:
    when = now or utcnow()
    for deadline in deadlines:
        if deadline.closed_at is None:
            deadline.closed_at, deadline.outcome = when, outcome


def close_kind(session: Session, *, case_id: int, kind: DeadlineKind, outcome: str,
               now: dt.datetime | None = None) -> None:
    close(session, open_deadlines(session, case_id, [kind]), outcome, now)


def open_deadline(session: Session, *, case: Case, kind: DeadlineKind, start: dt.datetime,
                  cal: WorkCalendar | None = None, after: dt.datetime | None = None
                  ) -> Deadline:
    deadline = Deadline(case_id=case.id, kind=kind, created_at=start,
                        due_at=due_for(cal or calendar(session), kind, start, after))
    session.add(deadline)
    session.flush()
    return deadline


def after_transition(session: Session, event: CaseEvent) -> None:
    """Close what the move answered or made moot; open what it starts."""
    when = event.created_at or utcnow()
    running = open_deadlines(session, event.case_id)
    for deadline in running:
        rule = RULES[deadline.kind]
        if event.trigger in rule.answers:
            close(session, [deadline], MET, when)
        elif event.trigger in CANCELS_ALL or (rule.live and (
                event.to_status not in rule.live or (
                    deadline.kind in OPENS.get(event.trigger, ())
                    and deadline.kind not in ONCE))):
            close(session, [deadline], CANCELLED, when)
    kinds = OPENS.get(event.trigger, ())
    if not kinds:
        return
    cal = calendar(session)
    still_open = {d.kind for d in running if d.closed_at is None}
    previous: Deadline | None = None
    for kind in kinds:
        if kind in ONCE and kind in still_open:
            continue
        after = previous.due_at if previous is not None else None
        previous = open_deadline(session, case=event.case, kind=kind, start=when, cal=cal,
                                 after=after)
