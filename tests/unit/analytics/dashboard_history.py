"""A small order history worked out by hand, for the dashboard's and the aggregates' tests.

Made through the real services at chosen moments (time_machine), in the dispatch world
(city ← town 枫桥镇 ← village 枫源村; another town 城南街道). Times are UTC; local days
are UTC+8.

- G: family, village, reported 19 Oct 01:00; sent to the village body +1 h, accepted +2 h;
  still being handled (due 18 Nov: overdue at the end of November).
- A: neighbour, village, reported Mon 26 Oct 01:00; sent to the village body +1 h, accepted
  +2 h, agreement +48 h, visited and rated 5 and 4 +72 h, closed +74 h.
- B: family, village, 27 Oct 01:00; sent to the village body +1 h, returned +3 h, escalated
  to the town +4 h, transferred to court +5 h, follow-up done +6 h, closed +8 h.
- C: labour, 城南街道, taken in from the police 27 Oct 01:00; left waiting for dispatch.
- D: neighbour, village, 28 Oct 01:00; merged into G +1 h.
- E: neighbour, village, 31 Oct 17:00 UTC = 1 Nov 01:00 local; left waiting for dispatch.
- F: labour, town, an online application to the town body submitted 3 Nov 01:00, accepted
  +1 h; being handled (due 3 Dec).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import time_machine
from sqlalchemy.orm import Session

from portal.cases import services as cases
from portal.cases.states import Trigger
from portal.dispatch import duplicates, intake, services
from portal.dispatch.models import Department, Performance
from tests.factories import UserFactory, complete_draft, dispatch_world, make_report, report_data

T = TypeVar("T")
H, D = dt.timedelta(hours=1), dt.timedelta(days=1)
OCT_19 = dt.datetime(2026, 10, 19, 1, 0, tzinfo=dt.UTC)
OCT_26 = dt.datetime(2026, 10, 26, 1, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 5, 4, 0, tzinfo=dt.UTC)


def at(moment: dt.datetime, work: Callable[[], T]) -> T:
    with time_machine.travel(moment, tick=False):
        return work()


def _mediate(db: Session, world: dict[str, Any], order: Any) -> None:
    case, boss, mediator = order.case, world["village_admin"], world["village_mediator"]
    cases.act(db, case=case, trigger=Trigger.RESPONDENT_AGREE, actor=boss)
    cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=boss,
              mediator_id=mediator.id)
    for trigger in (Trigger.START_MEDIATION, Trigger.DRAFT_AGREEMENT, Trigger.OPEN_SIGNING):
        cases.transition(db, case=case, trigger=trigger, actor=mediator)


def _order_a(db: Session, world: dict[str, Any]) -> Any:
    grid, town_d, boss = world["grid"], world["town_dispatcher"], world["village_admin"]
    body = world["village_body"].id
    a = at(OCT_26, lambda: make_report(db, grid, world["village"]))
    at(OCT_26 + H, lambda: services.dispatch(db, order=a, body_id=body, actor=town_d))
    at(OCT_26 + 2 * H, lambda: services.accept(db, order=a, actor=boss))
    at(OCT_26 + 2 * H, lambda: _mediate(db, world, a))
    at(OCT_26 + 2 * D, lambda: cases.transition(db, case=a.case, trigger=Trigger.ALL_SIGNED,
                                                actor=None))

    def visit() -> None:
        services.record_follow_up(db, order=a, actor=boss, visited_on=(OCT_26 + 3 * D).date(),
                                  result="已履行", performance=Performance.FULLY)
        for participant, score in zip(a.case.participants, (5, 4), strict=True):
            services.rate(db, order=a, actor=boss, party_name=participant.name, score=score,
                          participant_id=participant.id)
        services.finish_follow_up(db, order=a, actor=boss)

    at(OCT_26 + 3 * D, visit)
    at(OCT_26 + 3 * D + 2 * H, lambda: services.close(db, order=a, actor=town_d))
    return a


def _order_b(db: Session, world: dict[str, Any]) -> Any:
    grid, town_d = world["grid"], world["town_dispatcher"]
    start = OCT_26 + D
    b = at(start, lambda: make_report(db, grid, world["village"], dispute_type="family",
                                      address="别处"))
    at(start + H, lambda: services.dispatch(db, order=b, body_id=world["village_body"].id,
                                            actor=town_d))
    at(start + 3 * H, lambda: services.return_order(db, order=b, actor=world["village_admin"],
                                                    reason="不属本村"))
    at(start + 4 * H, lambda: services.escalate(db, order=b, actor=town_d, reason="镇里处理"))
    at(start + 5 * H, lambda: services.transfer_out(
        db, order=b, actor=town_d, department=Department.COURT, recipient="诸暨市人民法院",
        reason="当事人要求起诉"))
    at(start + 6 * H, lambda: services.finish_follow_up(db, order=b, actor=town_d))
    at(start + 8 * H, lambda: services.close(db, order=b, actor=town_d))
    return b


def _order_f(db: Session, world: dict[str, Any]) -> Any:
    applicant = UserFactory(name="申请人")
    start = OCT_26 + 8 * D
    draft = complete_draft(db, applicant, world["town_body"])
    at(start, lambda: cases.act(db, case=draft, trigger=Trigger.SUBMIT, actor=applicant))
    f = services.order_of(db, draft.id)
    at(start + H, lambda: services.accept(db, order=f, actor=world["town_admin"]))
    return f


def build(db: Session) -> dict[str, Any]:
    world = dispatch_world(db)
    grid, town_d = world["grid"], world["town_dispatcher"]
    g = at(OCT_19, lambda: make_report(db, grid, world["village"], dispute_type="family",
                                       address="老屋"))
    at(OCT_19 + H, lambda: services.dispatch(db, order=g, body_id=world["village_body"].id,
                                             actor=town_d))
    at(OCT_19 + 2 * H, lambda: services.accept(db, order=g, actor=world["village_admin"]))
    a = _order_a(db, world)
    b = _order_b(db, world)
    c = at(OCT_26 + D, lambda: intake.intake(
        db, actor=world["other_dispatcher"], data=report_data(
            world["other_town"], dispute_type="labour", department=Department.POLICE)))
    d = at(OCT_26 + 2 * D, lambda: make_report(db, grid, world["village"]))
    at(OCT_26 + 2 * D + H, lambda: duplicates.merge(db, order=d, into=g, actor=town_d,
                                                    reason="重复上报"))
    e = at(dt.datetime(2026, 10, 31, 17, 0, tzinfo=dt.UTC),
           lambda: make_report(db, grid, world["village"], address="村口"))
    f = _order_f(db, world)
    db.commit()
    return {**world, "orders": {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g}}
