"""Step time limits: defaults from the statutory limits (DESIGN.md §2), overridable by admins.

A step runs either N working days (weekends and public holidays do not count) or N calendar
days, and ends at the end of its last day in the portal's time zone, as statutory periods do.
Reminders go out ``remind_hours`` before the step is due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit import services as audit
from portal.cases.services import MissingInput, NotAllowed
from portal.db.types import utcnow
from portal.deadlines.calendar import WorkCalendar, due_after_days
from portal.deadlines.services import calendar
from portal.dispatch.models import Step, StepRule
from portal.i18n import N_

MAX_DAYS, MAX_REMIND_HOURS = 365, 720


@dataclass(frozen=True)
class RuleSpec:
    working_days: int = 0
    calendar_days: int = 0
    remind_hours: int = 24
    label: str = ""


DEFAULTS: dict[Step, RuleSpec] = {
    Step.DISPATCH: RuleSpec(working_days=1, label=N_(
        "The centre dispatches the order within 1 working day")),
    Step.ACCEPT: RuleSpec(working_days=3, label=N_(
        "The body accepts, returns or asks to escalate within 3 working days")),
    Step.HANDLE: RuleSpec(calendar_days=30, remind_hours=72, label=N_(
        "Pre-filing mediation ends within 30 days")),
    Step.FOLLOW_UP: RuleSpec(calendar_days=15, label=N_(
        "The body visits the parties again within 15 days of the outcome")),
    Step.REVIEW: RuleSpec(working_days=3, label=N_(
        "The centre reviews and closes the order within 3 working days")),
}


def rule_for(session: Session, step: Step) -> RuleSpec:
    default = DEFAULTS.get(step)
    if default is None:
        raise ValueError(f"the {step} step has no time limit")
    row = session.get(StepRule, step)
    if row is None:
        return default
    return RuleSpec(working_days=row.working_days, calendar_days=row.calendar_days,
                    remind_hours=row.remind_hours, label=default.label)


def due_from(rule: RuleSpec, cal: WorkCalendar, start: dt.datetime) -> dt.datetime:
    if rule.working_days:
        return cal.due_after_working_days(start, rule.working_days)
    return due_after_days(start, rule.calendar_days)


def due_at(session: Session, step: Step, start: dt.datetime) -> dt.datetime | None:
    """When a step that starts at ``start`` is due; None for a closed order."""
    if step is Step.CLOSED:
        return None
    return due_from(rule_for(session, step), calendar(session), start)


def _days(field: str, value: int) -> int:
    if not 0 <= value <= MAX_DAYS:
        raise MissingInput(field, N_("Enter a number of days from 0 to {max}."),
                           max=str(MAX_DAYS))
    return value


def set_rule(session: Session, *, step: Step, working_days: int, calendar_days: int,
             remind_hours: int, actor: User) -> StepRule:
    """Override a step's time limit: exactly one of working or calendar days."""
    if actor.role is not Role.ADMIN or not actor.is_active:
        raise NotAllowed("only administrators set step time limits")
    if step not in DEFAULTS:
        raise MissingInput("step", N_("Choose a step that has a time limit."))
    _days("working_days", working_days)
    _days("calendar_days", calendar_days)
    if (working_days > 0) == (calendar_days > 0):
        raise MissingInput("working_days", N_("Give either working days or calendar days, "
                                              "not both, and not neither."))
    if not 0 <= remind_hours <= MAX_REMIND_HOURS:
        raise MissingInput("remind_hours", N_("Enter a number of hours from 0 to {max}."),
                           max=str(MAX_REMIND_HOURS))
    row = session.get(StepRule, step)
    before = None if row is None else [row.working_days, row.calendar_days, row.remind_hours]
    if row is None:
        row = StepRule(step=step)
        session.add(row)
    row.working_days, row.calendar_days, row.remind_hours = (
        working_days, calendar_days, remind_hours)
    row.updated_by_id, row.updated_at = actor.id, utcnow()
    session.flush()
    audit.append(session, kind="admin", action="dispatch.rule_set", subject=f"step:{step}",
                 actor_id=actor.id,
                 data={"before": before,
                       "after": [working_days, calendar_days, remind_hours]})
    return row
