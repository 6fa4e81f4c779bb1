"""The risk score of an open case: 0-100 from the same facts as the alerts, with reasons.

Each rule that holds for the case adds the points of its level once (a second repeat
party adds nothing more); the sum is capped at 100. The score is kept in ``case_risks``
by the scan, so lists sort by it without computing anything per request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.analytics.findings import Finding
from portal.analytics.models import AlertLevel, CaseRisk
from portal.analytics.rules import SEVERITY
from portal.cases.models import Case

T = TypeVar("T")
POINTS: dict[AlertLevel, int] = {AlertLevel.RED: 40, AlertLevel.ORANGE: 25,
                                 AlertLevel.YELLOW: 15, AlertLevel.BLUE: 5}
# Staff who act on cases; parties never see a score of their own case.
READERS = frozenset({Role.DISPATCHER, Role.BODY_ADMIN, Role.ADMIN, Role.MEDIATOR})
BANDS: tuple[tuple[int, AlertLevel], ...] = (
    (70, AlertLevel.RED), (40, AlertLevel.ORANGE), (15, AlertLevel.YELLOW), (1, AlertLevel.BLUE))


def assess(findings: Iterable[Finding]) -> tuple[int, list[dict[str, Any]]]:
    """The score and its reasons, most severe first."""
    strongest: dict[str, Finding] = {}
    for f in findings:
        held = strongest.get(f.rule)
        if held is None or SEVERITY[f.level] > SEVERITY[held.level]:
            strongest[f.rule] = f
    ranked = sorted(strongest.values(), key=lambda f: -SEVERITY[f.level])
    reasons = [{"rule": f.rule.value, "level": f.level.value, "points": POINTS[f.level],
                "facts": f.facts} for f in ranked]
    return min(100, sum(POINTS[f.level] for f in ranked)), reasons


def band(score: int) -> AlertLevel | None:
    """The colour of a score: red from 70, orange from 40, yellow from 15, blue above 0."""
    return next((level for floor, level in BANDS if score >= floor), None)


def store(session: Session, case_id: int, findings: Iterable[Finding], now: dt.datetime
          ) -> int:
    score, reasons = assess(findings)
    row = session.get(CaseRisk, case_id)
    if row is None:
        row = CaseRisk(case_id=case_id)
        session.add(row)
    row.score, row.reasons, row.computed_at = score, reasons, now
    return score


def forget(session: Session, case_ids: Iterable[int]) -> None:
    """Closed cases carry no score."""
    ids = list(case_ids)
    if ids:
        session.execute(delete(CaseRisk).where(CaseRisk.case_id.in_(ids)))


def scores_for(session: Session, case_ids: Iterable[int]) -> dict[int, CaseRisk]:
    ids = list(case_ids)
    if not ids:
        return {}
    return {r.case_id: r for r in session.execute(
        select(CaseRisk).where(CaseRisk.case_id.in_(ids))).scalars()}


def scores_seen_by(session: Session, role: Role, case_ids: Iterable[int]) -> dict[int, int]:
    """Scores for list rows, for the staff who may read them (none for parties)."""
    if role not in READERS:
        return {}
    return {i: r.score for i, r in scores_for(session, case_ids).items()}


def scored_only(query: Select[T]) -> Select[T]:
    """A list sorted by risk holds the open cases that have a score (closed cases carry
    none); joined, it sorts by ``CaseRisk.score`` through its index, not every case."""
    return query.join(CaseRisk, CaseRisk.case_id == Case.id)
