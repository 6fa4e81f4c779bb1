"""Risk scores: points per level, once per rule, capped at 100; kept for open cases only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.analytics import risk
from portal.analytics.findings import Finding
from portal.analytics.models import AlertLevel, CaseRisk, RuleKey
from portal.cases.models import Case
from portal.dispatch import duplicates
from tests.unit.analytics.alert_support import (
    DAY,
    T0,
    company,
    person,
    report,
    run_scan,
    world,
)

__all__ = ["world"]
W = dict[str, Any]


def _finding(rule: RuleKey, level: AlertLevel) -> Finding:
    return Finding(rule=rule, subject="case:1", level=level, facts=[{"msg": rule.value}],
                   case_ids=[1], evidence_at=T0)


def test_points_per_level_and_reasons_most_severe_first() -> None:
    score, reasons = risk.assess([
        _finding(RuleKey.SENSITIVE_TYPE, AlertLevel.YELLOW),
        _finding(RuleKey.KEYWORDS, AlertLevel.RED),
        _finding(RuleKey.REPEAT, AlertLevel.ORANGE),
        _finding(RuleKey.HOTSPOT, AlertLevel.BLUE)])
    assert score == 40 + 25 + 15 + 5
    assert [r["rule"] for r in reasons] == ["keywords", "repeat", "sensitive_type", "hotspot"]
    assert reasons[0] == {"rule": "keywords", "level": "red", "points": 40,
                          "facts": [{"msg": "keywords"}]}


def test_a_rule_counts_once_at_its_strongest() -> None:
    score, reasons = risk.assess([_finding(RuleKey.REPEAT, AlertLevel.YELLOW),
                                  _finding(RuleKey.REPEAT, AlertLevel.ORANGE)])
    assert (score, [r["level"] for r in reasons]) == (25, ["orange"])


def test_the_score_is_capped_at_100() -> None:
    rules = [RuleKey.KEYWORDS, RuleKey.GROUP, RuleKey.REPEAT]
    assert risk.assess([_finding(r, AlertLevel.RED) for r in rules])[0] == 100
    assert risk.assess([]) == (0, [])


@pytest.mark.parametrize(("score", "band"), [
    (0, None), (1, AlertLevel.BLUE), (14, AlertLevel.BLUE), (15, AlertLevel.YELLOW),
    (40, AlertLevel.ORANGE), (69, AlertLevel.ORANGE), (70, AlertLevel.RED), (100, AlertLevel.RED)])
def test_bands(score: int, band: AlertLevel | None) -> None:
    assert risk.band(score) is band


def _score(db: Session, case_id: int) -> CaseRisk | None:
    db.expire_all()
    return db.get(CaseRisk, case_id)


def test_the_scan_scores_each_open_case_with_its_reasons(db: Session, world: W) -> None:
    risky = report(db, world, T0, dispute_type="land", description="村民扬言集体上访")
    calm = report(db, world, T0)
    run_scan(db, T0)
    found = _score(db, risky.case_id)
    assert found is not None and found.score == 25 + 15
    assert [r["rule"] for r in found.reasons] == ["keywords", "sensitive_type"]
    assert found.reasons[0]["facts"][0]["words"] == "上访"
    quiet = _score(db, calm.case_id)
    assert quiet is not None and (quiet.score, quiet.reasons) == (0, [])


def test_a_group_counts_for_every_case_in_it(db: Session, world: W) -> None:
    hour = dt.timedelta(hours=1)
    orders = [report(db, world, T0 + i * hour, parties=[person(f"工人{i}"), company("某鞋厂")])
              for i in range(5)]
    run_scan(db, T0 + 5 * hour)
    for order in orders:
        found = _score(db, order.case_id)
        assert found is not None and found.score == 40, order.case_id


def test_a_closed_case_has_no_score(db: Session, world: W) -> None:
    same = "13711112222"
    first = report(db, world, T0, parties=[person(phone_number=same)])
    second = report(db, world, T0 + DAY, parties=[person(phone_number=same)])
    run_scan(db, T0 + DAY)
    assert _score(db, second.case_id) is not None
    with time_machine.travel(T0 + 2 * DAY, tick=False):
        duplicates.merge(db, order=second, into=first, actor=world["town_dispatcher"],
                         reason="同一纠纷")
    db.commit()
    run_scan(db, T0 + 2 * DAY)
    assert _score(db, second.case_id) is None
    assert _score(db, first.case_id) is not None


def test_a_list_by_risk_holds_the_scored_cases_highest_first(db: Session, world: W) -> None:
    low = report(db, world, T0, dispute_type="land")
    high = report(db, world, T0, dispute_type="land", description="扬言要跳楼")
    calm = report(db, world, T0)
    run_scan(db, T0)
    report(db, world, T0 + dt.timedelta(hours=1))  # not scanned yet: no score
    query = risk.scored_only(select(Case.id)).order_by(CaseRisk.score.desc(), Case.id)
    assert list(db.execute(query).scalars()) == [high.case_id, low.case_id, calm.case_id]
