"""Escalation language: the reviewed list in descriptions, claims and minutes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.agreements import minutes
from portal.analytics import keywords
from portal.analytics.models import AlertLevel, AlertStatus, RuleKey
from portal.analytics.rules import set_rule
from portal.mediation.models import MediationSession, SessionMode
from tests.unit.analytics.alert_support import DAY, T0, alerts, report, run_scan, world

__all__ = ["world"]
W = dict[str, Any]


@pytest.mark.parametrize(("text", "expected"), [
    ("当事人扬言要跳楼", [("self_harm", "跳楼")]),
    ("他说要去信访局上访", [("petition", "上访"), ("petition", "信访")]),
    ("对方持刀威胁", [("violence", "持刀"), ("threat", "威胁")]),
    ("商场跳楼价甩卖，买到的衣服有质量问题", []),
    ("疫情后报复性消费，分期还不上", []),
    ("砍价后反悔，要求退货", []),
    ("双方就院墙位置发生争执", []),
])
def test_the_reviewed_list(text: str, expected: list[tuple[str, str]]) -> None:
    assert sorted((h.category.key, h.word) for h in keywords.find(text)) == sorted(expected)


def test_petition_language_in_a_description_is_orange(db: Session, world: W) -> None:
    order = report(db, world, T0, description="拖欠工资三个月，工人们说再不给就集体上访。")
    run_scan(db, T0)
    [alert] = alerts(db, RuleKey.KEYWORDS)
    assert alert.level is AlertLevel.ORANGE and alert.case_id == order.case_id
    [fact] = alert.facts
    assert fact["where_label"] == "The description"
    assert fact["category_label"] == "Petitions and gatherings" and fact["words"] == "上访"


def test_self_harm_is_always_red(db: Session, world: W) -> None:
    set_rule(db, rule=RuleKey.KEYWORDS, enabled=True, level=AlertLevel.BLUE, values={},
             types=[], actor=world["admin"])
    db.commit()
    report(db, world, T0, title="讨薪无果扬言喝农药")
    run_scan(db, T0)
    [alert] = alerts(db, RuleKey.KEYWORDS)
    assert alert.level is AlertLevel.RED
    assert alert.facts[0]["where_label"] == "The title"


def test_a_harmless_word_that_looks_like_one_is_no_alert(db: Session, world: W) -> None:
    report(db, world, T0, dispute_type="consumer", title="跳楼价商品质量纠纷",
           description="商家跳楼大甩卖的电视机三天就坏了，要求退货。")
    run_scan(db, T0)
    assert alerts(db, RuleKey.KEYWORDS) == []


def test_words_in_the_minutes(db: Session, world: W) -> None:
    order = report(db, world, T0)
    run_scan(db, T0)
    assert alerts(db, RuleKey.KEYWORDS) == []
    mediator = world["village_mediator"]
    start = T0 + 2 * DAY
    meeting = MediationSession(case_id=order.case_id, mediator_id=mediator.id,
                               starts_at=start, duration_minutes=60,
                               ends_at=start + dt.timedelta(hours=1), mode=SessionMode.ONLINE)
    db.add(meeting)
    db.flush()
    minutes.save(db, meeting=meeting, actor=mediator, now=start, sections=minutes.Sections(
        statements="申请人称：调解不成就和对方同归于尽。", process="释法明理。"))
    db.commit()
    run_scan(db, start)
    [alert] = alerts(db, RuleKey.KEYWORDS)
    assert alert.facts[0]["where_label"] == "The minutes"
    assert alert.facts[0]["words"] == "同归于尽"
    assert alert.status is AlertStatus.OPEN
