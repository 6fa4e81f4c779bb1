"""Repeat disputes: the same phone, ID number or address in 3 cases within 90 days."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from portal.analytics.models import AlertLevel, AlertStatus, RuleKey
from portal.cases.models import ParticipantRole
from tests.factories import ID_NUMBERS
from tests.unit.analytics.alert_support import (
    DAY,
    T0,
    alerts,
    person,
    report,
    run_scan,
    world,
)

__all__ = ["world"]
W = dict[str, Any]
PHONE = "13712345678"


def _three(db: Session, world: W, last_day: int, **who: Any) -> list[Any]:
    return [report(db, world, T0 + day * DAY, parties=[person("赵丙", **who)])
            for day in (0, 45, last_day)]


def test_the_same_phone_in_three_cases_within_90_days_is_an_alert(db: Session,
                                                                  world: W) -> None:
    orders = _three(db, world, 90, phone_number=PHONE)
    run_scan(db, T0 + 90 * DAY)
    [alert] = alerts(db, RuleKey.REPEAT)
    assert alert.subject == f"phone:{PHONE}"
    assert alert.level is AlertLevel.ORANGE and alert.status is AlertStatus.OPEN
    assert sorted(alert.case_ids) == sorted(o.case_id for o in orders)
    [fact] = alert.facts
    assert fact["value"] == PHONE and fact["count"] == 3 and fact["days"] == 90
    assert all(o.case.number in fact["cases"] for o in orders)
    # The newest case is the one concerned; the village's town centre owns it.
    assert alert.case_id == orders[-1].case_id
    assert alert.area_id == world["village"].id
    assert alert.owner_area_id == world["town"].id


def test_91_days_apart_is_no_repeat(db: Session, world: W) -> None:
    _three(db, world, 91, phone_number=PHONE)
    run_scan(db, T0 + 91 * DAY)
    assert alerts(db, RuleKey.REPEAT) == []


def test_two_cases_are_one_short(db: Session, world: W) -> None:
    for day in (0, 10):
        report(db, world, T0 + day * DAY, parties=[person(phone_number=PHONE)])
    run_scan(db, T0 + 10 * DAY)
    assert alerts(db, RuleKey.REPEAT) == []


def test_the_same_id_number_with_different_phones(db: Session, world: W) -> None:
    _three(db, world, 60, id_number=ID_NUMBERS[1])
    run_scan(db, T0 + 60 * DAY)
    [alert] = alerts(db, RuleKey.REPEAT)
    # The ID number names the person, before any phone.
    assert alert.subject == f"id:{ID_NUMBERS[1]}"


def test_the_same_address_of_the_dispute(db: Session, world: W) -> None:
    for day in (0, 5, 9):
        report(db, world, T0 + day * DAY, address="枫源村 3组，12号")
    run_scan(db, T0 + 9 * DAY)
    [alert] = alerts(db, RuleKey.REPEAT)
    assert alert.subject == "address:枫源村3组12号"


def test_a_vague_address_joins_nobody(db: Session, world: W) -> None:
    for day in (0, 5, 9):
        report(db, world, T0 + day * DAY, address="枫源村")
    run_scan(db, T0 + 9 * DAY)
    assert alerts(db, RuleKey.REPEAT) == []


def test_the_respondent_side_counts_too(db: Session, world: W) -> None:
    for day in (0, 20, 40):
        report(db, world, T0 + day * DAY, parties=[
            person(), person("钱丁", ParticipantRole.RESPONDENT, phone_number=PHONE)])
    run_scan(db, T0 + 40 * DAY)
    assert [a.subject for a in alerts(db, RuleKey.REPEAT)] == [f"phone:{PHONE}"]


def test_a_fourth_case_updates_the_open_alert(db: Session, world: W) -> None:
    orders = _three(db, world, 60, phone_number=PHONE)
    run_scan(db, T0 + 60 * DAY)
    orders.append(report(db, world, T0 + 70 * DAY, parties=[person(phone_number=PHONE)]))
    run_scan(db, T0 + 70 * DAY)
    [alert] = alerts(db, RuleKey.REPEAT)
    assert alert.facts[0]["count"] == 4
    assert sorted(alert.case_ids) == sorted(o.case_id for o in orders)


def test_cases_in_two_towns_are_an_alert_of_their_city(db: Session, world: W) -> None:
    report(db, world, T0, parties=[person(phone_number=PHONE)])
    report(db, world, T0 + DAY, parties=[person(phone_number=PHONE)])
    report(db, world, T0 + 2 * DAY, parties=[person(phone_number=PHONE)],
           area=world["other_town"])
    run_scan(db, T0 + 2 * DAY)
    [alert] = alerts(db, RuleKey.REPEAT)
    assert alert.area_id == world["city"].id
    assert alert.owner_area_id == world["city"].id
