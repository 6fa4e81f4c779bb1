"""Crafted histories for the early-warning tests: reports at chosen moments, then a scan.

Reports go through the intake service (time frozen with time_machine) in the dispatch world
(city ← town 枫桥镇 ← village 枫源村; another town 城南街道). Every report gets parties of
its own unless a test names them, so only the facts a test crafts can match.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.analytics import scan
from portal.analytics.models import Alert, RuleKey
from portal.bodies.models import Area
from portal.cases.models import ParticipantRole, PartyKind
from portal.dispatch.intake import ReportParty
from portal.dispatch.models import WorkOrder
from tests.factories import dispatch_world, make_report

# Monday 2 November 2026, 09:00 in Shanghai.
T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
_phones = itertools.count(1)


def phone() -> str:
    return f"1360000{next(_phones):04d}"


def person(name: str = "王五", role: ParticipantRole = ParticipantRole.APPLICANT, *,
           phone_number: str | None = None, id_number: str = "") -> ReportParty:
    return ReportParty(role=role, name=name, phone=phone_number or phone(),
                       id_number=id_number)


def company(name: str) -> ReportParty:
    return ReportParty(role=ParticipantRole.RESPONDENT, name=name,
                       kind=PartyKind.ORGANISATION)


def report(db: Session, world: dict[str, Any], at: dt.datetime, *,
           parties: list[ReportParty] | None = None, area: Area | None = None,
           **fields: Any) -> WorkOrder:
    """A grid worker's report received at ``at`` (the grid worker's village by default)."""
    parties = parties or [person("张甲"), person("李乙", ParticipantRole.RESPONDENT)]
    if not any(p.role is ParticipantRole.RESPONDENT for p in parties):
        parties = [*parties, person("李乙", ParticipantRole.RESPONDENT)]
    reporter = world["grid"] if area is None else world["city_dispatcher"]
    fields.setdefault("address", f"枫源村{next(_phones)}号")
    with time_machine.travel(at, tick=False):
        return make_report(db, reporter, area or world["village"], parties=parties, **fields)


def run_scan(db: Session, now: dt.datetime) -> scan.ScanResult:
    """Every batch the scan has at ``now`` (after its lag), committed."""
    total = scan.ScanResult()
    while True:
        result = scan.scan(db, now=now + scan.LAG)
        db.commit()
        total.cases += result.cases
        total.opened += result.opened
        total.updated += result.updated
        if not result.more:
            return total


def alerts(db: Session, rule: RuleKey | None = None) -> list[Alert]:
    db.expire_all()
    query = select(Alert).order_by(Alert.id)
    if rule is not None:
        query = query.where(Alert.rule == rule)
    return list(db.execute(query).scalars())


@pytest.fixture
def world(db: Session) -> dict[str, Any]:
    """The dispatch world; test modules import this fixture by name."""
    return dispatch_world(db)
