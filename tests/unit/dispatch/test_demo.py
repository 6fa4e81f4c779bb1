"""The demo's work orders: one at each interesting step, dated back consistently."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import demo
from portal.accounts.models import User
from portal.bodies.models import Level
from portal.cases.states import Status, Trigger
from portal.db.types import utcnow
from portal.dispatch import board, figures
from portal.dispatch.models import Outcome, Source, Step, WorkOrder


def _by_title(db: Session) -> dict[str, WorkOrder]:
    return {o.case.title: o for o in db.execute(select(WorkOrder)).scalars()}


def test_demo_orders(db: Session) -> None:
    assert demo.load(db)
    db.commit()
    orders = _by_title(db)
    first, again = orders["宅基地滴水檐纠纷"], orders["滴水檐争执再次发生"]
    assert (first.step, again.step, again.duplicate_of_id) == (
        Step.DISPATCH, Step.DISPATCH, first.id)
    sent = orders["老人赡养费纠纷"]
    assert (sent.step, sent.owner_body.name, sent.level) == (  # type: ignore[union-attr]
        Step.ACCEPT, "枫源村人民调解室", Level.VILLAGE)
    escalated = orders["山林边界纠纷"]
    assert (escalated.step, escalated.level, escalated.escalations) == (
        Step.ACCEPT, Level.TOWN, 1)
    assert escalated.owner_body.name == "枫桥镇人民调解委员会"  # type: ignore[union-attr]
    assert Trigger.ESCALATE in [e.trigger for e in escalated.case.events]
    closed = orders["邻里排水沟堵塞纠纷"]
    assert (closed.step, closed.outcome, closed.case.status) == (
        Step.CLOSED, Outcome.AGREEMENT, Status.CLOSED)
    assert len(closed.follow_ups) == 1 and [r.score for r in closed.ratings] == [5, 4]
    # The history of applications has orders too; the one closed went through a visit.
    history = orders["兄弟分家析产纠纷"]
    assert (history.source, history.step, len(history.follow_ups)) == (
        Source.APPLICATION, Step.CLOSED, 1)

    # Dated back in order: every step starts when the one before it ended, in the past.
    now = utcnow()
    for order in orders.values():
        ends = [s.started_at for s in order.steps[1:]]
        assert ends == [s.ended_at for s in order.steps[:-1]], order.case.title
        assert all(s.started_at <= now for s in order.steps)
        assert order.created_at == order.steps[0].started_at
    assert closed.closed_at == closed.steps[-1].ended_at
    assert closed.created_at < closed.closed_at < now  # type: ignore[operator]

    dispatcher = db.execute(select(User).where(User.phone == "13800000002")).scalar_one()
    counts = board.counts_by_step(db, dispatcher)
    assert counts[Step.DISPATCH] == 2 and counts[Step.ACCEPT] >= 2
    total = figures.figures(db).total
    assert (total.resolved, total.closed, total.dispatched) == (2, 2, 4)
