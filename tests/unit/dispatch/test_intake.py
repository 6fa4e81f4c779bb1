"""Creating orders: reports, transfers in, court referrals, submitted applications."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.audit.models import AuditEntry
from portal.bodies.models import Level
from portal.cases import services as cases
from portal.cases.models import Case, ParticipantRole, PartyKind
from portal.cases.services import MissingInput, NotAllowed
from portal.cases.states import Status, Trigger
from portal.dispatch import intake
from portal.dispatch.intake import ReportParty
from portal.dispatch.models import Department, Priority, Source, Step, Transfer, WorkOrder
from portal.notifications.models import Notification
from tests.factories import ID_NUMBERS, UserFactory, make_report, report_data, review_world
from tests.unit.dispatch.conftest import MONDAY

A, R = ParticipantRole.APPLICANT, ParticipantRole.RESPONDENT


def _count(db: Session, model: type) -> int:
    return db.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_report_makes_a_draft_case_and_an_order_for_the_centre(
        db: Session, world: dict[str, Any]) -> None:
    with time_machine.travel(MONDAY, tick=False):
        order = make_report(db, world["grid"], world["village"],
                            latitude=Decimal("29.7145"), longitude=Decimal("120.2433"))
    case = order.case
    assert (case.status, case.applicant_id, case.area_id, case.summary) == (
        Status.DRAFT, None, world["village"].id, "两户因院墙位置发生争执，已有推搡。")
    assert case.number.startswith("FQ-2026-")
    assert [(p.role, p.name, p.phone) for p in case.participants] == [
        (A, "张三", "13700001111"), (R, "李四", "13700002222")]
    assert (order.source, order.level, order.step, order.reporter_id) == (
        Source.GRID_REPORT, Level.VILLAGE, Step.DISPATCH, world["grid"].id)
    assert (order.owner_area_id, order.owner_body_id, order.latitude) == (
        world["town"].id, None, Decimal("29.714500"))
    [first] = order.steps
    assert (first.step, first.started_at, first.due_at) == (Step.DISPATCH, MONDAY, order.due_at)
    # The town's dispatcher is told; the city's is not (it does not own the order).
    told = db.execute(select(Notification.user_id)).scalars().all()
    assert told == [world["town_dispatcher"].id]
    assert db.execute(select(AuditEntry.action).where(
        AuditEntry.action == "order.reported")).scalar_one()


def test_the_same_create_key_gives_the_same_order(db: Session, world: dict[str, Any]) -> None:
    key = "report-key-0123456789"
    first = make_report(db, world["grid"], world["village"], create_key=key)
    again = make_report(db, world["grid"], world["village"], create_key=key)
    assert first.id == again.id and _count(db, WorkOrder) == 1
    other = UserFactory(role=Role.GRID_WORKER, area_id=world["village"].id)
    with pytest.raises(MissingInput) as err:
        make_report(db, other, world["village"], create_key=key)
    assert err.value.field == "create_key"


def test_major_and_group_disputes_start_at_the_city(db: Session,
                                                    world: dict[str, Any]) -> None:
    order = make_report(db, world["grid"], world["village"], priority=Priority.MAJOR)
    assert (order.level, order.owner_area_id) == (Level.CITY, world["city"].id)
    group = make_report(db, world["grid"], world["village"], is_group=True,
                        dispute_type="labour")
    assert group.level is Level.CITY


def _parties(*extra: ReportParty) -> list[ReportParty]:
    return [ReportParty(role=A, name="张三"), ReportParty(role=R, name="李四"), *extra]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"dispute_type": "gossip"}, "dispute_type"),
    ({"title": "  "}, "title"),
    ({"title": "长" * 201}, "title"),
    ({"description": ""}, "description"),
    ({"description": "x" * 5001}, "description"),
    ({"area_id": 0}, "area_id"),
    ({"area_id": 999999}, "area_id"),
    ({"address": "路" * 301}, "address"),
    ({"latitude": Decimal("29.7")}, "longitude"),
    ({"latitude": Decimal("91"), "longitude": Decimal("120")}, "latitude"),
    ({"latitude": Decimal("29"), "longitude": Decimal("-181")}, "longitude"),
    ({"priority": "whenever"}, "priority"),
    ({"parties": [ReportParty(role=A, name="张三")]}, "parties"),
    ({"parties": [ReportParty(role=R, name="李四")]}, "parties"),
    ({"parties": _parties(ReportParty(role=ParticipantRole.AGENT, name="王律师"))}, "parties"),
    ({"parties": [ReportParty(role=A, name=" "), ReportParty(role=R, name="李四")]},
     "parties"),
    ({"parties": _parties(ReportParty(role=R, name="王五", phone="12345"))}, "parties"),
    ({"parties": _parties(ReportParty(role=R, name="王五", id_number="110101199003074478"))},
     "parties"),
    ({"parties": _parties(ReportParty(role=R, name="某公司", id_number="91330000123",
                                      kind=PartyKind.ORGANISATION))}, "parties"),
    ({"source": Source.TRANSFER_IN}, "department"),
])
def test_bad_reports_are_refused_and_nothing_is_made(db: Session, world: dict[str, Any],
                                                     overrides: dict[str, Any],
                                                     field: str) -> None:
    data = report_data(world["village"], **overrides)
    with pytest.raises(MissingInput) as err:
        intake.validate(db, data)
    assert err.value.field == field
    with pytest.raises(MissingInput):
        if data.source is Source.TRANSFER_IN:
            intake.intake(db, actor=world["town_dispatcher"], data=data)
        else:
            intake.report(db, reporter=world["grid"], data=data)
    db.rollback()
    assert _count(db, Case) == 0 and _count(db, WorkOrder) == 0


def test_phones_and_id_numbers_are_normalised(db: Session, world: dict[str, Any]) -> None:
    order = make_report(db, world["grid"], world["village"], parties=[
        ReportParty(role=A, name="张三", phone="+86 137 0000 1111",
                    id_number=ID_NUMBERS[1].lower()),
        ReportParty(role=R, name="某服装有限公司", kind=PartyKind.ORGANISATION,
                    id_number="91330681MA2BTD1X3D")])
    applicant, company = order.case.participants
    assert (applicant.phone, applicant.id_number) == ("13700001111", ID_NUMBERS[1])
    assert (company.kind, company.id_number) == (PartyKind.ORGANISATION, "91330681MA2BTD1X3D")


def test_who_may_report(db: Session, world: dict[str, Any]) -> None:
    for user in (world["town_admin"], world["admin"], UserFactory()):
        with pytest.raises(NotAllowed):
            intake.report(db, reporter=user, data=report_data(world["village"]))
    # A grid worker reports in their own area only.
    with pytest.raises(MissingInput) as err:
        intake.report(db, reporter=world["grid"], data=report_data(world["other_town"]))
    assert err.value.field == "area_id"
    # A dispatcher may enter a report too.
    order = intake.report(db, reporter=world["town_dispatcher"],
                          data=report_data(world["village"]))
    assert order.source is Source.GRID_REPORT


def test_a_transfer_in_records_the_sending_department(db: Session,
                                                      world: dict[str, Any]) -> None:
    data = report_data(world["village"], department=Department.HOTLINE_12345,
                       external_ref="12345-2026-0001", source=Source.TRANSFER_IN)
    order = intake.intake(db, actor=world["town_dispatcher"], data=data)
    db.commit()
    assert (order.source, order.department, order.external_ref) == (
        Source.TRANSFER_IN, Department.HOTLINE_12345, "12345-2026-0001")
    transfer = db.execute(select(Transfer)).scalar_one()
    assert (transfer.outbound, transfer.department, transfer.order_id) == (
        False, Department.HOTLINE_12345, order.id)
    with pytest.raises(NotAllowed):
        intake.intake(db, actor=world["grid"], data=data)


def test_a_court_clerk_refers_a_case_for_pre_filing_mediation(db: Session,
                                                              world: dict[str, Any]) -> None:
    clerk = UserFactory(role=Role.COURT_CLERK, court_name="诸暨市人民法院")
    data = report_data(world["village"], dispute_type="land", external_ref="(2026)浙0681民诉前1号")
    order = intake.intake(db, actor=clerk, data=data)
    db.commit()
    assert (order.source, order.department, order.level) == (
        Source.COURT_REFERRAL, Department.COURT, Level.TOWN)
    assert order.case.court_name == "诸暨市人民法院"
    assert db.execute(select(Transfer.department)).scalar_one() is Department.COURT


def test_a_submitted_application_gets_an_order_at_its_body(db: Session) -> None:
    w = review_world(db)
    case = w["case"]
    case.area_id = None
    db.commit()
    event = cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=w["applicant"])
    db.commit()
    order = db.execute(select(WorkOrder)).scalar_one()
    assert (order.source, order.step, order.owner_body_id, order.level) == (
        Source.APPLICATION, Step.ACCEPT, w["body"].id, Level.TOWN)
    # The case takes the body's area so that the area's dispatchers can act on it.
    assert order.area_id == case.area_id == w["body"].area_id
    assert order.steps[0].started_at == event.created_at
