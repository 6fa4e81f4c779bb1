"""Demo work orders at different steps, made through the services and then dated back.

Called by portal.demo.load with its users, areas and bodies: a report waiting for dispatch
with a near-duplicate, one dispatched to a village body, one escalated to the town, and one
closed after a follow-up visit with the parties' ratings.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.models import Area, MediationBody
from portal.cases import services as cases
from portal.cases.models import Case, ParticipantRole
from portal.cases.states import Trigger
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.calendar import local_date
from portal.dispatch import flow, intake, rules, services
from portal.dispatch.intake import Report, ReportParty
from portal.dispatch.models import Performance, Priority, Step, WorkOrder

GRID, DISPATCHER = "13800000005", "13800000002"
# A (not printed) administrator of the village mediation room.
VILLAGE_ADMIN = ("13700000170", "楼村委")
VILLAGE_BODY, OTHER_VILLAGE_BODY = "枫源村人民调解室", "陈家村人民调解室"
A, R = ParticipantRole.APPLICANT, ParticipantRole.RESPONDENT


def _report(area: Area, title: str, kind: str, address: str, parties: list[ReportParty],
            description: str, priority: Priority = Priority.NORMAL) -> Report:
    return Report(dispute_type=kind, title=title, description=description, area_id=area.id,
                  address=address, latitude=Decimal("29.7145") if address else None,
                  longitude=Decimal("120.2433") if address else None, priority=priority,
                  is_group=False, parties=parties)


def backdate(session: Session, case: Case, *, start: dt.datetime, days: float) -> None:
    """Spread everything that happened to the case and its order over ``days`` from
    ``start``, in the order it happened, as if it happened then."""
    order = flow.order_of(session, case.id)
    timers = deadlines.deadlines_of(session, case.id)
    stamps: list[dt.datetime] = [case.created_at, *(e.created_at for e in case.events),
                                 *(d.created_at for d in timers),
                                 *(d.closed_at for d in timers if d.closed_at is not None)]
    if order is not None:
        stamps += [order.created_at, *(s.started_at for s in order.steps),
                   *(s.ended_at for s in order.steps if s.ended_at is not None),
                   *(f.created_at for f in order.follow_ups),
                   *(r.created_at for r in order.ratings)]
    moments = sorted(set(stamps))
    span = dt.timedelta(days=days) / max(len(moments) - 1, 1)
    new = {moment: start + span * n for n, moment in enumerate(moments)}
    case.created_at = new[case.created_at]
    for event in case.events:
        event.created_at = new[event.created_at]
    case.submitted_at = next((e.created_at for e in case.events), case.created_at)
    case.updated_at = case.events[-1].created_at if case.events else case.created_at
    for timer in timers:
        started = new[timer.created_at]
        timer.due_at += started - timer.created_at
        timer.created_at = started
        if timer.closed_at is not None:
            timer.closed_at = new[timer.closed_at]
    if order is None:
        return
    order.created_at = new[order.created_at]
    for row in order.steps:
        row.started_at = new[row.started_at]
        row.due_at = rules.due_at(session, row.step, row.started_at)
        if row.ended_at is not None:
            row.ended_at = new[row.ended_at]
            row.went_overdue = row.due_at is not None and row.ended_at > row.due_at
    for visit in order.follow_ups:
        visit.created_at = new[visit.created_at]
        visit.visited_on = local_date(visit.created_at)
    for rating in order.ratings:
        rating.created_at = new[rating.created_at]
    if order.closed_at is not None:
        order.closed_at = order.steps[-1].ended_at
    current = order.steps[-1] if order.steps and order.step is not Step.CLOSED else None
    if current is not None:
        order.step_started_at, order.due_at = current.started_at, current.due_at
    session.flush()


def _village_admin(session: Session, body: MediationBody, password_hash: str) -> User:
    phone, name = VILLAGE_ADMIN
    user = User(phone=phone, name=name, role=Role.BODY_ADMIN, body_id=body.id,
                password_hash=password_hash, phone_verified_at=utcnow())
    session.add(user)
    session.flush()
    return user


def load(session: Session, users: dict[str, User], areas: dict[str, Area],
         bodies: dict[str, MediationBody]) -> list[WorkOrder]:
    grid, dispatcher = users[GRID], users[DISPATCHER]
    village_body, town_body = bodies[VILLAGE_BODY], bodies["枫桥镇人民调解委员会"]
    village_admin = _village_admin(session, village_body, grid.password_hash)
    now = utcnow()

    # 1. A report waiting for dispatch, and a near-duplicate of it (same place and type).
    eaves = [ReportParty(role=A, name="周大伯", phone="13600000001"),
             ReportParty(role=R, name="周二叔", phone="13600000002")]
    first = intake.report(session, reporter=grid, data=_report(
        areas["330681101"], "宅基地滴水檐纠纷", "neighbour", "枫源村5组23号", eaves,
        "两兄弟因新建房屋滴水檐伸入对方宅基地发生争吵，网格员现场劝离。"))
    backdate(session, first.case, start=now - dt.timedelta(hours=20), days=0)
    again = [ReportParty(role=A, name="周二婶", phone="13600000003"),
             ReportParty(role=R, name="周大伯", phone="")]
    intake.report(session, reporter=grid, data=_report(
        areas["330681101"], "滴水檐争执再次发生", "neighbour", "枫源村 5 组 23 号", again,
        "周家两户再次因滴水檐问题争吵，村民报告。"))

    # 2. Dispatched to the village mediation room, waiting for it to accept.
    family = [ReportParty(role=A, name="陈阿婆", phone="13600000004"),
              ReportParty(role=R, name="陈建国", phone="13600000005")]
    sent = intake.report(session, reporter=grid, data=_report(
        areas["330681101"], "老人赡养费纠纷", "family", "枫源村2组8号", family,
        "老人反映儿子近半年未支付赡养费，希望村里调解。"))
    services.dispatch(session, order=sent, body_id=village_body.id, actor=dispatcher,
                      note="赡养纠纷，村调解室就近调处。")
    backdate(session, sent.case, start=now - dt.timedelta(days=1), days=0.5)

    # 3. Escalated from a village room to the town, and sent to the town committee.
    land = [ReportParty(role=A, name="陈永福", phone="13600000006"),
            ReportParty(role=R, name="陈永贵", phone="13600000007")]
    escalated = intake.report(session, reporter=grid, data=_report(
        areas["330681102"], "山林边界纠纷", "neighbour", "陈家村后山", land,
        "两户对祖遗山林边界各执一词，多次发生口角。"))
    services.dispatch(session, order=escalated, body_id=bodies[OTHER_VILLAGE_BODY].id,
                      actor=dispatcher)
    services.escalate(session, order=escalated, actor=dispatcher, reason=(
        "陈家村调解室三个工作日内未受理，双方矛盾有激化迹象，上交镇级调处。"))
    services.dispatch(session, order=escalated, body_id=town_body.id, actor=dispatcher)
    backdate(session, escalated.case, start=now - dt.timedelta(days=6), days=5)

    # 4. Settled in the village, visited, rated, reviewed and closed by the centre.
    closed = intake.report(session, reporter=grid, data=_report(
        areas["330681101"], "邻里排水沟堵塞纠纷", "neighbour", "枫源村3组15号",
        [ReportParty(role=A, name="楼小明", phone="13600000008"),
         ReportParty(role=R, name="楼大海", phone="13600000009")],
        "一户填堵排水沟导致邻居院内积水。"))
    _settle(session, closed, dispatcher, village_admin, village_body)
    backdate(session, closed.case, start=now - dt.timedelta(days=25), days=18)
    return [first, sent, escalated, closed]


def _settle(session: Session, order: WorkOrder, dispatcher: User, admin: User,
            body: MediationBody) -> None:
    services.dispatch(session, order=order, body_id=body.id, actor=dispatcher)
    services.accept(session, order=order, actor=admin)
    case = order.case
    cases.act(session, case=case, trigger=Trigger.RESPONDENT_AGREE, actor=admin)
    mediator = cases.mediators_for(session, case)[0]
    cases.act(session, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=admin,
              mediator_id=mediator.id)
    for trigger in (Trigger.START_MEDIATION, Trigger.DRAFT_AGREEMENT, Trigger.OPEN_SIGNING):
        cases.transition(session, case=case, trigger=trigger, actor=mediator)
    cases.transition(session, case=case, trigger=Trigger.ALL_SIGNED, actor=None)
    services.record_follow_up(session, order=order, actor=admin,
                              visited_on=local_date(utcnow()),
                              result="排水沟已疏通，双方按协议各自承担一半费用。",
                              performance=Performance.FULLY)
    for participant, score in zip(case.participants, (5, 4), strict=False):
        services.rate(session, order=order, actor=admin, party_name=participant.name,
                      score=score, participant_id=participant.id, comment="回访时收集")
    services.finish_follow_up(session, order=order, actor=admin)
    services.close(session, order=order, actor=dispatcher, note="已回访，协议履行完毕，结案。")
