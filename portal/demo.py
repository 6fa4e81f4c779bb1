"""Demo data: areas at three levels, bodies with mediators, one account per role, cases.

Loading is idempotent: a marker row (the admin account's phone) means it was done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.accounts.roles import Role
from portal.bodies.demo_data import AREAS, BODIES, MEDIATORS, TOWN_BODY
from portal.bodies.models import Area, MediationBody, MediatorProfile
from portal.cases import services as cases
from portal.cases.models import Case, CaseParticipant, ParticipantRole
from portal.cases.states import Trigger
from portal.db.types import utcnow
from portal.deadlines.calendar import local_date
from portal.deadlines.services import load_holidays
from portal.dispatch import demo as dispatch_demo
from portal.dispatch import services as dispatch_services
from portal.dispatch.models import Performance

DEMO_PASSWORD = "fengqiao-demo-2026"  # noqa: S105 - printed for the demo users


@dataclass(frozen=True)
class DemoUser:
    phone: str
    name: str
    role: Role
    id_number: str | None = None


DEMO_USERS = [
    DemoUser("13800000001", "系统管理员", Role.ADMIN),
    DemoUser("13800000002", "陈调度", Role.DISPATCHER),
    DemoUser("13800000003", "李主任", Role.BODY_ADMIN),
    DemoUser("13800000004", "王调解", Role.MEDIATOR),
    DemoUser("13800000005", "赵网格", Role.GRID_WORKER),
    DemoUser("13800000006", "孙书记员", Role.COURT_CLERK),
    DemoUser("13900000001", "张三", Role.PARTY, "11010519491231002X"),
    DemoUser("13900000002", "李四", Role.PARTY, "330602199211034562"),
]


def is_loaded(session: Session) -> bool:
    return session.execute(
        select(User.id).where(User.phone == DEMO_USERS[0].phone)
    ).first() is not None


def load(session: Session) -> bool:
    """Load the demo data once; returns False when it was already there."""
    if is_loaded(session):
        return False
    areas: dict[str, Area] = {}
    for code, name, level, parent in AREAS:
        areas[code] = Area(code=code, name=name, level=level,
                           parent=areas[parent] if parent else None)
        session.add(areas[code])
    bodies: dict[str, MediationBody] = {}
    for b in BODIES:
        bodies[b.name] = MediationBody(
            name=b.name, kind=b.kind, level=b.level, area=areas[b.area],
            dispute_types=list(b.dispute_types), specialties=b.specialties, address=b.address,
            phone=b.phone, working_hours=b.working_hours, description=b.description)
        session.add(bodies[b.name])
    session.flush()
    town_body = bodies[TOWN_BODY]
    password = hash_password(DEMO_PASSWORD)
    users: dict[str, User] = {}
    for du in DEMO_USERS:
        user = User(phone=du.phone, name=du.name, role=du.role, id_number=du.id_number,
                    password_hash=password, phone_verified_at=utcnow())
        if du.role in (Role.BODY_ADMIN, Role.MEDIATOR):
            user.body_id = town_body.id
        if du.role in (Role.DISPATCHER, Role.GRID_WORKER):
            user.area_id = areas["330681"].id
        if du.role is Role.COURT_CLERK:
            user.court_name = "诸暨市人民法院"
        session.add(user)
        users[du.phone] = user
    session.flush()
    _mediators(session, users, bodies, password)
    # Before the sample cases, so their deadlines skip the public holidays.
    load_holidays(session)
    _sample_cases(session, users, town_body, areas["330681101"])
    _finished_cases(session, users, town_body, areas["330681102"])
    dispatch_demo.load(session, users, areas, bodies)
    return True


def _mediators(session: Session, users: dict[str, User], bodies: dict[str, MediationBody],
               password: str) -> None:
    for m in MEDIATORS:
        user = users.get(m.phone)
        if user is None:
            user = User(phone=m.phone, name=m.name, role=Role.MEDIATOR, password_hash=password,
                        body_id=bodies[m.body].id, phone_verified_at=utcnow())
            session.add(user)
            session.flush()
            users[m.phone] = user
        session.add(MediatorProfile(
            user_id=user.id, specialties=list(m.specialties), languages=m.languages,
            years=m.years, charges=m.charges, bio=m.bio, accepting_cases=True))
    session.flush()


def _new_case(session: Session, users: dict[str, User], body: MediationBody, area: Area,
              title: str, kind: str) -> Case:
    applicant, respondent = users["13900000001"], users["13900000002"]
    case = cases.create_draft(session, applicant=applicant, data=cases.NewCase(
        title=title, dispute_type=kind, body_id=body.id, area_id=area.id,
        summary="演示案件。"))
    case.participants.append(CaseParticipant(
        role=ParticipantRole.RESPONDENT, user_id=respondent.id, name=respondent.name,
        phone=respondent.phone))
    session.flush()
    return case


def _sample_cases(session: Session, users: dict[str, User], body: MediationBody,
                  area: Area) -> None:
    applicant, respondent = users["13900000001"], users["13900000002"]
    body_admin, mediator = users["13800000003"], users["13800000004"]
    samples = [
        ("宅基地边界相邻纠纷", "neighbour", []),
        ("拖欠工资纠纷", "labour", [(Trigger.SUBMIT, applicant)]),
        ("房屋租赁押金纠纷", "property", [
            (Trigger.SUBMIT, applicant), (Trigger.ACCEPT, body_admin),
            (Trigger.CONTACT_RESPONDENT, body_admin), (Trigger.RESPONDENT_AGREE, respondent),
        ]),
        ("家庭赡养纠纷", "family", [
            (Trigger.SUBMIT, applicant), (Trigger.ACCEPT, body_admin),
            (Trigger.CONTACT_RESPONDENT, body_admin), (Trigger.RESPONDENT_AGREE, respondent),
            (Trigger.ASSIGN_MEDIATOR, body_admin), (Trigger.START_MEDIATION, mediator),
        ]),
    ]
    for title, kind, steps in samples:
        case = _new_case(session, users, body, area, title, kind)
        for trigger, actor in steps:
            cases.act(session, case=case, trigger=trigger, actor=actor,
                      mediator_id=mediator.id)


# Finished cases from past weeks, so the directory's figures have something to show:
# (title, type, mediator phone, days ago submitted, days to its last event, how it ended).
HISTORY = [
    ("山林边界纠纷", "land", "13700000101", 60, 12, "agreed"),
    ("兄弟分家析产纠纷", "family", "13800000004", 45, 6, "closed"),
    ("邻里排水纠纷", "neighbour", "13700000102", 40, 9, "agreed"),
    ("土地流转租金纠纷", "land", "13700000101", 30, 20, "failed"),
    ("婚约彩礼返还纠纷", "family", "13800000004", 20, 3, "withdrawn"),
]


def _finished_cases(session: Session, users: dict[str, User], body: MediationBody,
                    area: Area) -> None:
    applicant, respondent = users["13900000001"], users["13900000002"]
    body_admin = users["13800000003"]
    now = utcnow()
    for title, kind, phone, ago, days, outcome in HISTORY:
        mediator = users[phone]
        case = _new_case(session, users, body, area, title, kind)
        steps: list[tuple[Trigger, User | None, str]] = [
            (Trigger.SUBMIT, applicant, ""), (Trigger.ACCEPT, body_admin, ""),
            (Trigger.CONTACT_RESPONDENT, body_admin, ""),
            (Trigger.RESPONDENT_AGREE, respondent, ""), (Trigger.ASSIGN_MEDIATOR, body_admin, ""),
            (Trigger.START_MEDIATION, mediator, "")]
        if outcome == "withdrawn":
            steps.append((Trigger.WITHDRAW, applicant, "双方已自行和解。"))
        elif outcome == "failed":
            steps.append((Trigger.FAIL_MEDIATION, mediator, "双方对租金标准分歧过大。"))
        else:
            steps += [(Trigger.DRAFT_AGREEMENT, mediator, ""),
                      (Trigger.OPEN_SIGNING, mediator, ""), (Trigger.ALL_SIGNED, None, "")]
        for trigger, actor, reason in steps:
            if actor is None:
                cases.transition(session, case=case, trigger=trigger, actor=None)
            elif trigger in cases.DEDICATED:  # the agreement's own service in real use
                cases.transition(session, case=case, trigger=trigger, actor=actor, reason=reason)
            else:
                cases.act(session, case=case, trigger=trigger, actor=actor, reason=reason,
                          mediator_id=mediator.id)
        if outcome == "closed":
            _visit_and_close(session, case, body_admin, users["13800000002"])
        dispatch_demo.backdate(session, case, start=now - dt.timedelta(days=ago), days=days)
    session.flush()


def _visit_and_close(session: Session, case: Case, body_admin: User, dispatcher: User) -> None:
    """The order loop's end: the body's follow-up visit, then the centre closes."""
    order = dispatch_services.order_of(session, case.id)
    assert order is not None
    dispatch_services.record_follow_up(
        session, order=order, actor=body_admin, visited_on=local_date(utcnow()),
        result="协议已履行。", performance=Performance.FULLY)
    dispatch_services.finish_follow_up(session, order=order, actor=body_admin)
    dispatch_services.close(session, order=order, actor=dispatcher)

