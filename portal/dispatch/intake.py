"""Creating orders: a grid worker's report, a transfer in, a court's referral, an application.

A reported or transferred dispute becomes a draft case with no applicant account (its
parties are participants) and an order waiting at the DISPATCH step of the centre that owns
its level. An online application gets its order when it is submitted (``dispatch.flow``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField, normalise_id_number, normalise_phone
from portal.audit import services as audit
from portal.bodies.models import Area
from portal.bodies.services import area_subtree_ids
from portal.cases import services as cases
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.models import Case, CaseParticipant, ParticipantRole, PartyKind
from portal.cases.services import MissingInput, NotAllowed
from portal.cases.states import Status
from portal.db.types import utcnow
from portal.dispatch import duplicates, levels, messages, steps
from portal.dispatch.models import INBOUND, Department, Priority, Source, Step, Transfer, WorkOrder
from portal.i18n import N_
from portal.notifications import services as notifications

TITLE_MAX, DESCRIPTION_MAX, ADDRESS_MAX, NAME_MAX, MAX_PARTIES = 200, 5000, 300, 100, 20
EXPIRED = N_("This form has expired. Check your entries and send it again.")


@dataclass
class ReportParty:
    role: ParticipantRole
    name: str
    phone: str = ""
    id_number: str = ""
    kind: PartyKind = PartyKind.PERSON


@dataclass
class Report:
    dispute_type: str
    title: str
    description: str
    area_id: int
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    priority: Priority
    is_group: bool
    parties: list[ReportParty] = field(default_factory=list)
    source: Source = Source.GRID_REPORT
    department: Department | None = None
    external_ref: str = ""
    create_key: str | None = None


def _text(name: str, value: str, limit: int, missing: str) -> None:
    if not value.strip():
        raise MissingInput(name, missing)
    if len(value.strip()) > limit:
        raise MissingInput(name, N_("Use at most {limit} characters."), limit=str(limit))


def _coordinates(report: Report) -> None:
    lat, lon = report.latitude, report.longitude
    if (lat is None) != (lon is None):
        raise MissingInput("latitude" if lat is None else "longitude",
                           N_("Give both latitude and longitude, or neither."))
    if lat is not None and not Decimal(-90) <= lat <= Decimal(90):
        raise MissingInput("latitude", N_("A latitude lies between -90 and 90."))
    if lon is not None and not Decimal(-180) <= lon <= Decimal(180):
        raise MissingInput("longitude", N_("A longitude lies between -180 and 180."))


def _party(p: ReportParty) -> ReportParty:
    """The party with its phone and ID number normalised, or MissingInput("parties")."""
    name = p.name.strip()
    if not name or len(name) > NAME_MAX:
        raise MissingInput("parties", N_("Give each party's name (at most {limit} "
                                         "characters)."), limit=str(NAME_MAX))
    phone, id_number = p.phone.strip(), p.id_number.strip()
    try:
        phone = normalise_phone(phone) if phone else ""
    except InvalidField:
        raise MissingInput("parties", N_("{name}: enter an 11-digit mobile phone number."),
                           name=name) from None
    try:
        if id_number and p.kind is PartyKind.ORGANISATION:
            id_number = str(uscc.validate(id_number))
        elif id_number:
            id_number = normalise_id_number(id_number)
    except (InvalidField, ValidationError):
        raise MissingInput("parties", N_("{name}: this ID number or unified social credit "
                                         "code is not valid. Check it on the ID card or "
                                         "business licence."), name=name) from None
    return ReportParty(role=p.role, name=name, phone=phone, id_number=id_number, kind=p.kind)


def _parties(report: Report) -> list[ReportParty]:
    roles = [p.role for p in report.parties]
    if (ParticipantRole.APPLICANT not in roles or ParticipantRole.RESPONDENT not in roles
            or any(r not in (ParticipantRole.APPLICANT, ParticipantRole.RESPONDENT)
                   for r in roles)):
        raise MissingInput("parties", N_("Name at least one party on each side of the "
                                         "dispute."))
    if len(roles) > MAX_PARTIES:
        raise MissingInput("parties", N_("At most {n} parties can be named in one report."),
                           n=str(MAX_PARTIES))
    return [_party(p) for p in report.parties]


def _prepare(session: Session, report: Report) -> list[ReportParty]:
    if report.dispute_type not in DISPUTE_TYPES:
        raise MissingInput("dispute_type", N_("Choose a dispute type from the list."))
    _text("title", report.title, TITLE_MAX, N_("Give the dispute a short title."))
    _text("description", report.description, DESCRIPTION_MAX,
          N_("Describe what happened and what the parties want."))
    if not report.area_id or session.get(Area, report.area_id) is None:
        raise MissingInput("area_id", N_("Choose an area from the list."))
    if len(report.address.strip()) > ADDRESS_MAX:
        raise MissingInput("address", N_("Use at most {limit} characters."),
                           limit=str(ADDRESS_MAX))
    _coordinates(report)
    if not isinstance(report.priority, Priority):
        raise MissingInput("priority", N_("Choose how urgent the dispute is."))
    parties = _parties(report)
    if report.source in (Source.TRANSFER_IN, Source.COURT_REFERRAL) and (
            report.department not in INBOUND):
        raise MissingInput("department", N_("Choose the department that sent the dispute."))
    return parties


def validate(session: Session, report: Report) -> None:
    """Raise MissingInput, named after the form's field, for the first problem found."""
    _prepare(session, report)


def _existing(session: Session, key: str, actor: User) -> WorkOrder | None:
    found = session.execute(
        select(WorkOrder).join(Case, Case.id == WorkOrder.case_id).where(Case.create_key == key)
    ).scalar_one_or_none()
    if found is not None and found.reporter_id != actor.id:
        raise MissingInput("create_key", EXPIRED)
    return found


def _in_area(session: Session, actor: User, area_id: int) -> None:
    if actor.area_id is not None and area_id not in area_subtree_ids(session, actor.area_id):
        raise MissingInput("area_id", N_("Choose an area from the list."))


def centre_dispatcher_ids(session: Session, area_id: int | None) -> set[int]:
    """The active dispatchers of exactly this centre."""
    if area_id is None:
        return set()
    return set(session.execute(
        select(User.id).where(User.role == Role.DISPATCHER, User.is_active.is_(True),
                              User.area_id == area_id)).scalars())


def _create(session: Session, *, actor: User, data: Report) -> WorkOrder:
    parties = _prepare(session, data)
    _in_area(session, actor, data.area_id)
    now = utcnow()
    case = Case(number=cases.next_case_number(session, now.year), status=Status.DRAFT,
                dispute_type=data.dispute_type, title=data.title.strip(),
                summary=data.description.strip(), applicant_id=None, area_id=data.area_id,
                create_key=data.create_key,
                court_name=actor.court_name if actor.role is Role.COURT_CLERK else None)
    for p in parties:
        case.participants.append(CaseParticipant(role=p.role, kind=p.kind, name=p.name,
                                                 phone=p.phone, id_number=p.id_number or None))
    area = session.get(Area, data.area_id)
    assert area is not None
    level = levels.initial_level(data.dispute_type, data.priority, data.is_group)
    order = WorkOrder(
        case=case, source=data.source, department=data.department,
        external_ref=data.external_ref.strip(), area_id=area.id, level=level,
        priority=data.priority, is_group=data.is_group, reporter_id=actor.id,
        address=data.address.strip(), latitude=data.latitude, longitude=data.longitude,
        created_at=now)
    session.add(order)
    session.flush()
    steps.start(session, order, step=Step.DISPATCH, at=now, body_id=None,
                area_id=levels.centre_for(session, area, level).id)
    found = duplicates.find_duplicates(session, order)
    order.duplicate_of_id = found[0].id if found else None
    if data.source in (Source.TRANSFER_IN, Source.COURT_REFERRAL):
        assert data.department is not None
        session.add(Transfer(order=order, outbound=False, department=data.department,
                             external_ref=order.external_ref, actor_id=actor.id))
    session.flush()
    audit.append(session, kind="case", action="order.reported", subject=f"case:{case.number}",
                 actor_id=actor.id,
                 data={"order": order.id, "source": data.source.value, "level": level.value,
                       "owner_area": order.owner_area_id, "duplicate_of": order.duplicate_of_id})
    notifications.notify_users(session, occasion=f"order:{order.id}:reported",
                               user_ids=centre_dispatcher_ids(session, order.owner_area_id),
                               case=case, message=messages.REPORTED)
    return order


def _create_once(session: Session, *, actor: User, data: Report) -> WorkOrder:
    """The same ``create_key`` gives the same order, also when two requests race."""
    if data.create_key:
        existing = _existing(session, data.create_key, actor)
        if existing is not None:
            return existing
    try:
        with session.begin_nested():
            return _create(session, actor=actor, data=data)
    except IntegrityError:
        existing = _existing(session, data.create_key, actor) if data.create_key else None
        if existing is None:
            raise
        return existing


def report(session: Session, *, reporter: User, data: Report) -> WorkOrder:
    """A grid worker's (or a dispatcher's) report of a dispute found in the field."""
    if not reporter.is_active or reporter.role not in (Role.GRID_WORKER, Role.DISPATCHER):
        raise NotAllowed("only grid workers and dispatchers report disputes")
    return _create_once(session, actor=reporter,
                        data=dataclasses.replace(data, source=Source.GRID_REPORT))


def intake(session: Session, *, actor: User, data: Report) -> WorkOrder:
    """A dispute sent in by another department, or a court's referral for pre-filing
    mediation; records the inbound transfer."""
    if not actor.is_active:
        raise NotAllowed("inactive account")
    if actor.role is Role.COURT_CLERK or data.source is Source.COURT_REFERRAL:
        if actor.role not in (Role.COURT_CLERK, Role.DISPATCHER):
            raise NotAllowed("only court clerks and dispatchers take in court referrals")
        data = dataclasses.replace(data, source=Source.COURT_REFERRAL,
                                   department=Department.COURT)
    elif actor.role is Role.DISPATCHER:
        data = dataclasses.replace(data, source=Source.TRANSFER_IN)
    else:
        raise NotAllowed("only dispatchers take in disputes from other departments")
    return _create_once(session, actor=actor, data=data)


def order_for_application(session: Session, case: Case,
                          at: dt.datetime | None = None) -> WorkOrder:
    """The order of a submitted online application: waiting for its chosen body to accept."""
    now = at or utcnow()
    body = case.body
    area_id = case.area_id if case.area_id is not None else (body.area_id if body else None)
    if area_id is None:
        raise MissingInput("area_id", N_("Choose an area from the list."))
    # Dispatchers act on cases of their area: the case keeps the order's area.
    case.area_id = area_id
    level = (levels.order_level(body.level) if body is not None
             else levels.initial_level(case.dispute_type, Priority.NORMAL, False))
    order = WorkOrder(case=case, source=Source.APPLICATION, area_id=area_id, level=level,
                      priority=Priority.NORMAL, reporter_id=None, created_at=now)
    session.add(order)
    session.flush()
    if body is not None:
        steps.start(session, order, step=Step.ACCEPT, at=now, body_id=body.id, area_id=None)
    else:
        area = session.get(Area, area_id)
        assert area is not None
        steps.start(session, order, step=Step.DISPATCH, at=now, body_id=None,
                    area_id=levels.centre_for(session, area, level).id)
    session.flush()
    audit.append(session, kind="case", action="order.created", subject=f"case:{case.number}",
                 actor_id=case.applicant_id,
                 data={"order": order.id, "source": Source.APPLICATION.value,
                       "level": level.value, "step": order.step.value})
    return order
