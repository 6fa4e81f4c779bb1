"""What a rule found, and the rules that need nothing but the case itself.

A finding carries its facts as ``{"msg": msgid, **params}``; a param whose name ends in
``_label`` is a msgid too, translated when the fact is shown, so an alert reads in each
reader's language and says exactly what triggered it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.agreements.models import SessionMinutes
from portal.analytics import keywords
from portal.analytics.models import AlertLevel, PartyKey, RuleKey
from portal.analytics.rules import SEVERITY, RuleConfig
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.models import Case
from portal.deadlines.calendar import TIME_ZONE
from portal.dispatch.labels import STEP_LABELS
from portal.dispatch.models import Step, WorkOrder
from portal.i18n import N_

Fact = dict[str, Any]


@dataclass
class Finding:
    rule: RuleKey
    subject: str
    level: AlertLevel
    facts: list[Fact]
    case_ids: list[int]
    # When the newest fact happened: a closed alert is not raised again for older facts.
    evidence_at: dt.datetime
    case_id: int | None = None
    # Where the facts lie: the alert's scope is the lowest area holding all of them.
    area_ids: set[int] = field(default_factory=set)
    # The owners of a single case's alert: its order's centre and its body.
    order: WorkOrder | None = None
    body_id: int | None = None


@dataclass
class CaseFacts:
    """A case with what the rules read of it, loaded once per batch."""

    case: Case
    order: WorkOrder
    minutes: list[SessionMinutes]
    keys: list[PartyKey] = field(default_factory=list)

    @property
    def received_at(self) -> dt.datetime:
        return self.order.created_at


def load(session: Session, case_ids: list[int]) -> list[CaseFacts]:
    """The cases that have a work order (drafts not yet submitted have none), by id."""
    orders = session.execute(
        select(WorkOrder).where(WorkOrder.case_id.in_(case_ids)).options(
            selectinload(WorkOrder.case).selectinload(Case.participants),
            selectinload(WorkOrder.case).selectinload(Case.claims))
        .order_by(WorkOrder.case_id)).scalars().all()
    minutes: dict[int, list[SessionMinutes]] = {}
    for m in session.execute(select(SessionMinutes).where(
            SessionMinutes.case_id.in_(case_ids)).order_by(SessionMinutes.id)).scalars():
        minutes.setdefault(m.case_id, []).append(m)
    return [CaseFacts(o.case, o, minutes.get(o.case_id, [])) for o in orders]


def case_finding(ctx: CaseFacts, rule: RuleKey, level: AlertLevel, facts: list[Fact],
                 evidence_at: dt.datetime) -> Finding:
    case = ctx.case
    return Finding(rule=rule, subject=f"case:{case.id}", level=level, facts=facts,
                   case_ids=[case.id], evidence_at=evidence_at, case_id=case.id,
                   area_ids={ctx.order.area_id}, order=ctx.order, body_id=case.body_id)


def _texts(ctx: CaseFacts) -> list[tuple[str, str, dt.datetime]]:
    at = ctx.received_at
    found = [(N_("The title"), ctx.case.title, at), (N_("The description"), ctx.case.summary, at)]
    found += [(N_("A claim"), c.description, at) for c in ctx.case.claims]
    found += [(N_("The minutes"), "\n".join((m.statements, m.process, m.outcome)),
               max(m.updated_at, at)) for m in ctx.minutes]
    return found


def escalation_language(ctx: CaseFacts, cfg: RuleConfig) -> Finding | None:
    facts: list[Fact] = []
    life, newest = False, None
    for where, text, at in _texts(ctx):
        by_category: dict[str, list[str]] = {}
        for hit in keywords.find(text):
            by_category.setdefault(hit.category.key, []).append(hit.word)
            life = life or hit.category.life
        for key, words in by_category.items():
            facts.append({"msg": N_("{where_label} uses words of the kind “{category_label}”: "
                                    "{words}."), "where_label": where,
                          "category_label": keywords.BY_KEY[key].label,
                          "words": "、".join(words)})
            newest = at if newest is None else max(newest, at)
    if newest is None:
        return None
    level = AlertLevel.RED if life else cfg.level
    return case_finding(ctx, RuleKey.KEYWORDS, level, facts, newest)


def large_amount(ctx: CaseFacts, cfg: RuleConfig) -> Finding | None:
    total = sum((c.amount for c in ctx.case.claims if c.amount is not None), Decimal(0))
    if total < cfg["min_amount"]:
        return None
    fact = {"msg": N_("The claims add up to {amount} yuan; the threshold is {threshold} yuan."),
            "amount": f"{total:,.2f}", "threshold": f"{cfg['min_amount']:,}"}
    return case_finding(ctx, RuleKey.LARGE_AMOUNT, cfg.level, [fact], ctx.received_at)


def sensitive_type(ctx: CaseFacts, cfg: RuleConfig) -> Finding | None:
    kind = ctx.case.dispute_type
    if kind not in cfg.types:
        return None
    fact = {"msg": N_("The dispute is of a sensitive type: {type_label}."),
            "type_label": DISPUTE_TYPES[kind]}
    return case_finding(ctx, RuleKey.SENSITIVE_TYPE, cfg.level, [fact], ctx.received_at)


def overdue(ctx: CaseFacts, cfg: RuleConfig, now: dt.datetime) -> Finding | None:
    order = ctx.order
    if order.step is Step.CLOSED or order.due_at is None or order.due_at > now:
        return None
    late = now - order.due_at
    if late < dt.timedelta(days=cfg["min_days"]):
        return None
    fact = {"msg": N_("The step “{step_label}” was due on {due} and is overdue by {days} "
                      "days."), "step_label": STEP_LABELS[order.step],
            "due": order.due_at.astimezone(TIME_ZONE).strftime("%Y-%m-%d %H:%M"),
            "days": late.days}
    return case_finding(ctx, RuleKey.OVERDUE, cfg.level, [fact], order.due_at)


def more_severe(a: AlertLevel, b: AlertLevel) -> AlertLevel:
    return a if SEVERITY[a] >= SEVERITY[b] else b
