"""Group disputes: 5 different applicants against one respondent within 90 days."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from portal.analytics.models import AlertLevel, RuleKey
from portal.cases.models import ParticipantRole
from tests.unit.analytics.alert_support import (
    DAY,
    T0,
    alerts,
    company,
    person,
    report,
    run_scan,
    world,
)

__all__ = ["world"]
W = dict[str, Any]


def _wage_claims(db: Session, world: W, n: int, *, name: str = "某服装有限公司",
                 every: int = 3) -> list[Any]:
    return [report(db, world, T0 + i * every * DAY, dispute_type="labour",
                   title="拖欠工资", parties=[person(f"工人{i}"), company(name)])
            for i in range(n)]


def test_five_workers_against_one_employer_is_a_red_alert(db: Session, world: W) -> None:
    orders = _wage_claims(db, world, 5)
    run_scan(db, T0 + 12 * DAY)
    [alert] = alerts(db, RuleKey.GROUP)
    assert alert.level is AlertLevel.RED
    assert alert.subject == "org:某服装有限公司"
    [fact] = alert.facts
    assert fact["count"] == 5 and fact["respondent"] == "某服装有限公司"
    assert sorted(alert.case_ids) == sorted(o.case_id for o in orders)


def test_four_workers_are_one_short(db: Session, world: W) -> None:
    _wage_claims(db, world, 4)
    run_scan(db, T0 + 12 * DAY)
    assert alerts(db, RuleKey.GROUP) == []


def test_the_same_worker_five_times_is_one_applicant(db: Session, world: W) -> None:
    same = "13755556666"
    for i in range(5):
        report(db, world, T0 + i * DAY, parties=[
            person("孙戊", phone_number=same), company("某服装有限公司")])
    run_scan(db, T0 + 5 * DAY)
    assert alerts(db, RuleKey.GROUP) == []


def test_spread_over_more_than_90_days_is_no_group(db: Session, world: W) -> None:
    _wage_claims(db, world, 5, every=23)  # days 0, 23, 46, 69, 92
    run_scan(db, T0 + 92 * DAY)
    assert alerts(db, RuleKey.GROUP) == []


def test_one_report_naming_five_applicants(db: Session, world: W) -> None:
    report(db, world, T0, parties=[*(person(f"工人{i}") for i in range(5)),
                                   company("某建筑 劳务有限公司")])
    run_scan(db, T0)
    [alert] = alerts(db, RuleKey.GROUP)
    assert alert.subject == "org:某建筑劳务有限公司"


def test_a_person_respondent_is_known_by_id_number_only(db: Session, world: W) -> None:
    # Five workers against five different people who happen to share a name.
    for i in range(5):
        report(db, world, T0 + i * DAY, parties=[
            person(f"工人{i}"), person("张三", ParticipantRole.RESPONDENT)])
    run_scan(db, T0 + 5 * DAY)
    assert alerts(db, RuleKey.GROUP) == []
