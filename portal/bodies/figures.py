"""Live figures for bodies and mediators, computed from the cases themselves.

Definitions (shown on the directory, so they must stay simple to state):

- **handled**: cases of the body (``Case.body_id``) or mediator (``Case.mediator_id``) that
  are past the draft, whatever their status now.
- **finished**: handled cases whose current status is an end state or comes after one
  (``FINISHED``): the agreement took effect, mediation failed, the case was withdrawn,
  declined or transferred, and everything that follows those (judicial confirmation, court
  filing, closing). A declined case that was submitted again is open again.
- **outcome** of a finished case: the status of its latest event into an ``OUTCOMES``
  status. Later steps (confirmation, filing, closing) do not change the outcome.
- **resolved**: finished cases whose outcome is ``agreement_in_effect``, so a case
  later confirmed by the court or closed after its agreement counts as resolved.
- **resolution rate**: resolved / finished; none while nothing is finished.
- **average days**: mean of (outcome event time − ``Case.submitted_at``) in days over finished
  cases that have a submission time; none when there are none.
- **open**: handled − finished.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from portal.cases.models import Case, CaseEvent
from portal.cases.states import Status

OUTCOMES: frozenset[Status] = frozenset({
    Status.AGREEMENT_IN_EFFECT, Status.MEDIATION_FAILED, Status.WITHDRAWN, Status.DECLINED,
    Status.TRANSFERRED,
})
FINISHED: frozenset[Status] = OUTCOMES | {
    Status.CONFIRMATION_REQUESTED, Status.CONFIRMED, Status.CONFIRMATION_REFUSED,
    Status.FILING_REQUESTED, Status.FILING_RECEIVED, Status.DOCKETED, Status.FILING_REJECTED,
    Status.CLOSED,
}
RESOLVED = Status.AGREEMENT_IN_EFFECT


@dataclass(frozen=True)
class Figures:
    handled: int = 0
    finished: int = 0
    resolved: int = 0
    average_days: float | None = None

    @property
    def open(self) -> int:
        return self.handled - self.finished

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.finished if self.finished else None


def _days(session: Session, start: Any, end: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86400.0


def _figures(session: Session, column: InstrumentedAttribute[int | None],
             ids: Sequence[int]) -> dict[int, Figures]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    handled = dict(session.execute(
        select(column, func.count()).where(column.in_(wanted), Case.status != Status.DRAFT)
        .group_by(column)
    ).all())
    last = (
        select(CaseEvent.case_id, func.max(CaseEvent.id).label("event_id"))
        .join(Case, Case.id == CaseEvent.case_id)
        .where(column.in_(wanted), Case.status.in_(FINISHED),
               CaseEvent.to_status.in_(OUTCOMES))
        .group_by(CaseEvent.case_id).subquery()
    )
    rows = session.execute(
        select(column, func.count(),
               func.sum(case((CaseEvent.to_status == RESOLVED, 1), else_=0)),
               func.avg(_days(session, Case.submitted_at, CaseEvent.created_at)))
        .select_from(Case)
        .join(last, last.c.case_id == Case.id)
        .join(CaseEvent, CaseEvent.id == last.c.event_id)
        .group_by(column)
    ).all()
    ended = {key: (int(n), int(ok or 0), None if avg is None else float(avg))
             for key, n, ok, avg in rows}
    result: dict[int, Figures] = {}
    for key in wanted:
        finished, resolved, avg = ended.get(key, (0, 0, None))
        result[key] = Figures(int(handled.get(key, 0)), finished, resolved, avg)
    return result


def body_figures(session: Session, *, body_ids: Sequence[int]) -> dict[int, Figures]:
    """Figures per body id (every id asked for is in the result)."""
    return _figures(session, Case.body_id, body_ids)


def mediator_figures(session: Session, *, mediator_ids: Sequence[int]) -> dict[int, Figures]:
    """Figures per mediator (user) id, over the cases they are assigned to."""
    return _figures(session, Case.mediator_id, mediator_ids)


def open_cases(session: Session, *, body_ids: Sequence[int]) -> dict[int, int]:
    """Cases past the draft and not finished, per body: the ranking's workload."""
    wanted = sorted(set(body_ids))
    if not wanted:
        return {}
    counts = dict(session.execute(
        select(Case.body_id, func.count())
        .where(Case.body_id.in_(wanted), Case.status.not_in({Status.DRAFT, *FINISHED}))
        .group_by(Case.body_id)
    ).all())
    return {key: int(counts.get(key, 0)) for key in wanted}
