"""The incremental alert scan (beat task ``analytics.scan_alerts``).

The first run reads the history once, case by case (``_bootstrap``). Then each run reads
the changes since the last one, in (time, case id) order through indexes on
work_orders.created_at, case_events.created_at and session_minutes.updated_at, up to a
batch; changes younger than ``LAG`` wait for the next run, so a transaction that commits
late is not skipped. The changed cases' party keys are refreshed first (cases that arrive
together see each other), then every rule is checked on each open case, alerts are raised
or brought up to date, and the case's risk score is stored. Overdue orders without an
alert and scores older than a day join the batch; hotspots are counted once an hour.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from portal.agreements.models import SessionMinutes
from portal.analytics import alerts, findings, hotspots, identities, patterns, risk, rules
from portal.analytics.findings import CaseFacts, Finding
from portal.analytics.models import (
    Alert,
    AlertScanState,
    AlertStatus,
    CaseRisk,
    PartyKey,
    RuleKey,
)
from portal.analytics.rules import RuleConfig
from portal.bodies.models import Area
from portal.cases.models import CaseEvent
from portal.db.types import utcnow
from portal.dispatch.board import OPEN_STEPS
from portal.dispatch.models import Step, WorkOrder

LAG = dt.timedelta(minutes=2)
BATCH = 500
HOTSPOT_EVERY = dt.timedelta(hours=1)
RISK_STALE = dt.timedelta(days=1)
Change = tuple[dt.datetime, int]


@dataclass
class ScanResult:
    cases: int = 0
    opened: int = 0
    updated: int = 0
    scored: int = 0
    more: bool = False


def _state(session: Session, name: str) -> AlertScanState:
    query = select(AlertScanState).where(AlertScanState.name == name).with_for_update()
    state = session.execute(query).scalar_one_or_none()
    if state is None:
        try:
            with session.begin_nested():
                session.add(AlertScanState(name=name))
        except IntegrityError:
            pass  # another scan made it first
        state = session.execute(query).scalar_one()
    return state


def changes(session: Session, after: Change, until: dt.datetime, limit: int) -> list[Change]:
    """The next ``limit`` (time, case id) changes after ``after``, oldest first."""
    last_at, last_id = after
    found: set[Change] = set()
    sources: list[tuple[InstrumentedAttribute[dt.datetime], InstrumentedAttribute[int]]] = [
        (WorkOrder.created_at, WorkOrder.case_id), (CaseEvent.created_at, CaseEvent.case_id),
        (SessionMinutes.updated_at, SessionMinutes.case_id)]
    for at, case_id in sources:
        rows = session.execute(
            select(at, case_id).where(at >= last_at, at <= until,
                                      or_(at > last_at, case_id > last_id))
            .order_by(at, case_id).limit(limit)).all()
        found.update((r[0], r[1]) for r in rows)
    return sorted(found)[:limit]


def merged_into(session: Session, case_ids: list[int]) -> list[int]:
    """The cases that merged duplicates moved their parties to: their keys changed too."""
    if not case_ids:
        return []
    into = select(WorkOrder.merged_into_id).where(WorkOrder.case_id.in_(case_ids),
                                                  WorkOrder.merged_into_id.is_not(None))
    return list(session.execute(
        select(WorkOrder.case_id).where(WorkOrder.id.in_(into))).scalars())


def overdue_ids(session: Session, cfg: RuleConfig, now: dt.datetime, limit: int) -> list[int]:
    """Open orders overdue long enough whose overdue alert is neither open nor dealt with."""
    if not cfg.enabled:
        return []
    dealt: ColumnElement[bool] = exists().where(
        Alert.case_id == WorkOrder.case_id, Alert.rule == RuleKey.OVERDUE,
        or_(Alert.closed_at.is_(None), Alert.closed_at >= WorkOrder.due_at))
    return list(session.execute(
        select(WorkOrder.case_id).where(
            WorkOrder.step.in_(OPEN_STEPS),
            WorkOrder.due_at <= now - dt.timedelta(days=cfg["min_days"]), ~dealt)
        .order_by(WorkOrder.due_at).limit(limit)).scalars())


def stale_ids(session: Session, now: dt.datetime, limit: int) -> list[int]:
    return list(session.execute(
        select(CaseRisk.case_id).where(CaseRisk.computed_at < now - RISK_STALE)
        .order_by(CaseRisk.computed_at).limit(limit)).scalars())


def check(session: Session, ctx: CaseFacts, configs: dict[RuleKey, RuleConfig],
          now: dt.datetime) -> list[Finding]:
    """Every enabled rule on one open case."""
    on = {key: cfg for key, cfg in configs.items() if cfg.enabled}
    found: list[Finding | None] = []
    if RuleKey.KEYWORDS in on:
        found.append(findings.escalation_language(ctx, on[RuleKey.KEYWORDS]))
    if RuleKey.LARGE_AMOUNT in on:
        found.append(findings.large_amount(ctx, on[RuleKey.LARGE_AMOUNT]))
    if RuleKey.SENSITIVE_TYPE in on:
        found.append(findings.sensitive_type(ctx, on[RuleKey.SENSITIVE_TYPE]))
    if RuleKey.OVERDUE in on:
        found.append(findings.overdue(ctx, on[RuleKey.OVERDUE], now))
    if RuleKey.FAILED_THEN_NEW in on:
        found.append(patterns.failed_then_new(session, ctx, on[RuleKey.FAILED_THEN_NEW]))
    if RuleKey.REPEAT in on:
        found += patterns.repeats(session, ctx, on[RuleKey.REPEAT])
    if RuleKey.GROUP in on:
        found += patterns.groups(session, ctx, on[RuleKey.GROUP])
    return [f for f in found if f is not None]


def _hot_areas(session: Session) -> dict[int, Finding]:
    """Open hotspot alerts by area: they count towards the scores of the cases there."""
    return {a.area_id: Finding(rule=a.rule, subject=a.subject, level=a.level, facts=a.facts,
                               case_ids=[], evidence_at=a.evidence_at)
            for a in session.execute(select(Alert).where(
                Alert.rule == RuleKey.HOTSPOT, Alert.status != AlertStatus.CLOSED)).scalars()}


def evaluate(session: Session, changed: list[int], extra: list[int],
             configs: dict[RuleKey, RuleConfig], now: dt.datetime) -> ScanResult:
    result = ScanResult()
    batch = findings.load(session, list(dict.fromkeys(changed + extra)))
    fresh = set(changed)
    identities.refresh(session, [(c.case, c.order) for c in batch if c.case.id in fresh])
    keys: dict[int, list[PartyKey]] = {}
    for key in session.execute(select(PartyKey).where(
            PartyKey.case_id.in_([c.case.id for c in batch]))).scalars():
        keys.setdefault(key.case_id, []).append(key)
    hot = _hot_areas(session)
    closed = []
    for ctx in batch:
        result.cases += 1
        if ctx.order.step is Step.CLOSED:
            closed.append(ctx.case.id)
            continue
        ctx.keys = keys.get(ctx.case.id, [])
        found = check(session, ctx, configs, now)
        for finding in found:
            outcome = alerts.record(session, finding, now)
            result.opened += outcome == "opened"
            result.updated += outcome == "updated"
        area = session.get(Area, ctx.order.area_id)
        lineage = area.lineage() if area is not None else []
        found += [hot[a.id] for a in lineage if a.id in hot]
        risk.store(session, ctx.case.id, found, now)
        result.scored += 1
    risk.forget(session, closed)
    session.flush()
    return result


def _hotspots(session: Session, configs: dict[RuleKey, RuleConfig], now: dt.datetime,
              result: ScanResult) -> None:
    cfg = configs[RuleKey.HOTSPOT]
    state = _state(session, "hotspots")
    if not cfg.enabled or (state.last_at is not None and now - state.last_at < HOTSPOT_EVERY):
        return
    for finding in hotspots.hotspots(session, cfg, now):
        outcome = alerts.record(session, finding, now)
        result.opened += outcome == "opened"
        result.updated += outcome == "updated"
    state.last_at = state.updated_at = now


def _bootstrap(session: Session, state: AlertScanState, configs: dict[RuleKey, RuleConfig],
               now: dt.datetime, limit: int) -> ScanResult:
    """The first scan of a history: each case received within the longest window, and each
    open one, once, by case id; then the change feed takes over from when it started."""
    boot = _state(session, "bootstrap")
    if boot.last_at is None:
        boot.last_at = now
    since = boot.last_at - dt.timedelta(days=rules.longest_window(configs))
    ids = list(session.execute(
        select(WorkOrder.case_id).where(
            WorkOrder.case_id > boot.last_case_id,
            or_(WorkOrder.created_at >= since, WorkOrder.step != Step.CLOSED))
        .order_by(WorkOrder.case_id).limit(limit)).scalars())
    result = evaluate(session, ids, [], configs, now)
    if ids:
        boot.last_case_id = ids[-1]
    result.more = len(ids) >= limit
    if not result.more:
        # Changes from a little before the start on may not have been visible to it.
        state.last_at, state.last_case_id = boot.last_at - LAG, 0
    boot.updated_at = now
    return result


def scan(session: Session, now: dt.datetime | None = None, limit: int = BATCH) -> ScanResult:
    """One batch of the scan; ``more`` when changes are left for another."""
    now = now or utcnow()
    configs = rules.load(session)
    state = _state(session, "alerts")
    if state.last_at is None:
        result = _bootstrap(session, state, configs, now, limit)
    else:
        batch = changes(session, (state.last_at, state.last_case_id), now - LAG, limit)
        changed = list(dict.fromkeys(case_id for _, case_id in batch))
        changed += merged_into(session, changed)
        extra = (overdue_ids(session, configs[RuleKey.OVERDUE], now, limit)
                 + stale_ids(session, now, max(limit // 5, 1)))
        result = evaluate(session, changed, extra, configs, now)
        if batch:
            state.last_at, state.last_case_id = batch[-1]
        result.more = len(batch) >= limit
    state.updated_at = now
    _hotspots(session, configs, now, result)
    return result


def restart(session: Session) -> None:
    """Read the whole history again at the next scan (after a bulk load of backdated
    cases, which the change feed would never see, or after widening a rule's window)."""
    for state in session.execute(select(AlertScanState).where(
            AlertScanState.name.in_(("alerts", "bootstrap")))).scalars():
        state.last_at, state.last_case_id = None, 0
