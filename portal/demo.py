"""Demo data: areas at three levels, bodies, one account per role, sample cases.

Loading is idempotent: a marker row (the admin account's phone) means it was done.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.accounts.roles import Role
from portal.bodies.models import Area, BodyKind, Level, MediationBody
from portal.cases import services as cases
from portal.cases.models import CaseParticipant, ParticipantRole
from portal.cases.states import Trigger
from portal.db.types import utcnow

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

AREAS = [
    ("330600", "绍兴市", Level.CITY, None),
    ("330681", "诸暨市枫桥镇", Level.TOWN, "330600"),
    ("330681101", "枫源村", Level.VILLAGE, "330681"),
    ("330681102", "陈家村", Level.VILLAGE, "330681"),
    ("330602", "越城区城南街道", Level.TOWN, "330600"),
    ("330602201", "城南社区", Level.VILLAGE, "330602"),
]

BODIES = [
    ("绍兴市社会矛盾纠纷调处化解中心", BodyKind.PEOPLES, Level.CITY, "330600"),
    ("枫桥镇人民调解委员会", BodyKind.PEOPLES, Level.TOWN, "330681"),
    ("枫源村人民调解室", BodyKind.PEOPLES, Level.VILLAGE, "330681101"),
    ("城南街道人民调解委员会", BodyKind.PEOPLES, Level.TOWN, "330602"),
    ("电商枫桥调解工作室", BodyKind.INDUSTRY, Level.CITY, "330600"),
    ("海上枫桥渔事纠纷调解中心", BodyKind.INDUSTRY, Level.CITY, "330600"),
    ("园区枫桥劳动争议调解站", BodyKind.INDUSTRY, Level.TOWN, "330602"),
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
    for name, kind, level, area in BODIES:
        bodies[name] = MediationBody(name=name, kind=kind, level=level, area=areas[area])
        session.add(bodies[name])
    session.flush()
    town_body = bodies["枫桥镇人民调解委员会"]
    password = hash_password(DEMO_PASSWORD)
    users: dict[Role | str, User] = {}
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
    _sample_cases(session, users, town_body, areas["330681101"])
    return True


def _sample_cases(session: Session, users: dict[Role | str, User], body: MediationBody,
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
        case = cases.create_draft(session, applicant=applicant, data=cases.NewCase(
            title=title, dispute_type=kind, body_id=body.id, area_id=area.id,
            summary="演示案件。"))
        case.participants.append(CaseParticipant(
            role=ParticipantRole.RESPONDENT, user_id=respondent.id, name=respondent.name,
            phone=respondent.phone))
        session.flush()
        for trigger, actor in steps:
            cases.act(session, case=case, trigger=trigger, actor=actor,
                      mediator_id=mediator.id)
