"""Near-duplicate reports: flagged on intake (30 days, same party or same place and type)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cases.models import CaseEvent, ParticipantRole
from portal.cases.services import MissingInput, NotAllowed
from portal.cases.states import Status, Trigger
from portal.dispatch import duplicates, services
from portal.dispatch.intake import ReportParty
from portal.dispatch.models import Outcome, Step, WorkOrder
from tests.factories import ID_NUMBERS, add_evidence, make_report
from tests.unit.dispatch.conftest import MONDAY

A, R = ParticipantRole.APPLICANT, ParticipantRole.RESPONDENT


def _other_parties(**respondent: str) -> list[ReportParty]:
    return [ReportParty(role=A, name="王五", phone="13700003333"),
            ReportParty(role=R, name=respondent.pop("name", "赵六"), **respondent)]


def _report(db: Session, world: dict[str, Any], days: float, **overrides: Any) -> WorkOrder:
    with time_machine.travel(MONDAY + dt.timedelta(days=days), tick=False):
        return make_report(db, world["grid"], world["village"], **overrides)


@pytest.mark.parametrize("overrides", [
    {"address": "城关路1号"},  # the same parties (phones)
    {"address": "", "parties": _other_parties(phone="13700002222")},  # one shared phone
    {"parties": _other_parties()},  # the same address and type
    {"parties": _other_parties(), "address": " 枫源村 3 组，12 号 "},  # spelled differently
])
def test_a_near_duplicate_is_flagged(db: Session, world: dict[str, Any],
                                     overrides: dict[str, Any]) -> None:
    first = _report(db, world, 0)
    second = _report(db, world, 30, **overrides)
    assert second.duplicate_of_id == first.id
    assert duplicates.find_duplicates(db, second) == [first]
    assert duplicates.find_duplicates(db, first) == [second]


def test_a_shared_id_number_counts(db: Session, world: dict[str, Any]) -> None:
    first = _report(db, world, 0, parties=[
        ReportParty(role=A, name="张三", id_number=ID_NUMBERS[1]),
        ReportParty(role=R, name="李四")])
    second = _report(db, world, 1, address="", parties=[
        ReportParty(role=A, name="张三", id_number=ID_NUMBERS[1]),
        ReportParty(role=R, name="钱七")])
    assert second.duplicate_of_id == first.id


@pytest.mark.parametrize(("days", "overrides"), [
    (31, {}),  # the same in every way, but 31 days later
    (1, {"parties": _other_parties(), "dispute_type": "family"}),  # same place, other type
    (1, {"parties": _other_parties(), "address": "枫源村3组13号"}),  # next door
    (1, {"parties": _other_parties(), "address": ""}),
])
def test_a_near_miss_is_not_flagged(db: Session, world: dict[str, Any], days: float,
                                    overrides: dict[str, Any]) -> None:
    _report(db, world, 0)
    second = _report(db, world, days, **overrides)
    assert second.duplicate_of_id is None
    assert duplicates.find_duplicates(db, second) == []


def test_closed_orders_are_not_duplicates(db: Session, world: dict[str, Any]) -> None:
    first, second = _report(db, world, 0), _report(db, world, 1)
    duplicates.merge(db, order=second, into=first, actor=world["town_dispatcher"],
                     reason="同一纠纷")
    db.commit()
    assert duplicates.find_duplicates(db, _report(db, world, 2)) == [first]


def test_oldest_first(db: Session, world: dict[str, Any]) -> None:
    orders = [_report(db, world, d) for d in (0, 2, 4)]
    assert duplicates.find_duplicates(db, orders[1]) == [orders[0], orders[2]]


def test_merging_moves_parties_and_evidence_and_closes_the_duplicate(
        db: Session, world: dict[str, Any]) -> None:
    first = _report(db, world, 0)
    second = _report(db, world, 1, parties=[
        ReportParty(role=A, name="张三", phone="13700001111"),
        ReportParty(role=R, name="李四", phone="13700002222"),
        ReportParty(role=R, name="李四之子", phone="13700004444")])
    photo = add_evidence(db, second.case, world["grid"], kind="jpg", name="现场.jpg")
    with time_machine.travel(MONDAY + dt.timedelta(days=2), tick=False):
        duplicates.merge(db, order=second, into=first, actor=world["town_dispatcher"],
                         reason="同一院墙纠纷的重复上报")
        db.commit()
    db.expire_all()
    assert [p.name for p in first.case.participants] == ["张三", "李四", "李四之子"]
    assert [p.name for p in second.case.participants] == ["张三", "李四"]
    assert [e.id for e in first.case.evidence] == [photo.id]
    assert second.case.status is Status.CLOSED
    assert (second.step, second.outcome, second.merged_into_id) == (
        Step.CLOSED, Outcome.MERGED, first.id)
    assert second.steps[-1].ended_at == MONDAY + dt.timedelta(days=2)
    event = db.execute(select(CaseEvent).where(CaseEvent.trigger == Trigger.MERGE)).scalar_one()
    assert (event.case_id, event.reason) == (second.case_id, "同一院墙纠纷的重复上报")
    assert first.step is Step.DISPATCH  # the order it repeats goes on


def test_bad_merges_are_refused_and_nothing_changes(db: Session,
                                                    world: dict[str, Any]) -> None:
    first, second = _report(db, world, 0), _report(db, world, 1)
    d = world["town_dispatcher"]
    bad: list[tuple[dict[str, Any], type[Exception]]] = [
        ({"order": second, "into": second, "actor": d, "reason": "x"}, MissingInput),
        ({"order": second, "into": first, "actor": d, "reason": " "}, MissingInput),
        ({"order": second, "into": first, "actor": world["other_dispatcher"], "reason": "x"},
         NotAllowed),
        ({"order": second, "into": first, "actor": world["grid"], "reason": "x"}, NotAllowed),
        ({"order": second, "into": first, "actor": world["village_admin"], "reason": "x"},
         NotAllowed),
    ]
    for kwargs, error in bad:
        with pytest.raises(error):
            duplicates.merge(db, **kwargs)
        db.rollback()
    # An order already being handled, or a closed target.
    services.dispatch(db, order=second, body_id=world["village_body"].id, actor=d)
    services.accept(db, order=second, actor=world["village_admin"])
    db.commit()
    with pytest.raises(MissingInput):
        duplicates.merge(db, order=second, into=first, actor=d, reason="x")
    third = _report(db, world, 2)
    duplicates.merge(db, order=third, into=first, actor=d, reason="x")
    db.commit()
    with pytest.raises(MissingInput):
        duplicates.merge(db, order=_report(db, world, 3), into=third, actor=d, reason="x")
    db.rollback()
    assert (first.step, second.step, second.merged_into_id) == (Step.DISPATCH, Step.HANDLE, None)
    assert len(first.case.participants) == 2


def test_addresses_are_compared_without_spaces_and_punctuation() -> None:
    assert duplicates.normalise_address(" 枫源村 3 组，12号。") == "枫源村3组12号"
    assert duplicates.normalise_address("No. 5, Main St.") == "no5mainst"
    assert duplicates.normalise_address("——") == ""
