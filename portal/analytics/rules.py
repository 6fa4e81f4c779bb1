"""The early-warning rules: what each looks for, its level, and its thresholds.

Every rule has defaults here; an administrator may switch a rule off, change its level or
its thresholds (``set_rule``, audited). The checks themselves are in ``checks``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.analytics.models import AlertLevel, AlertRule, RuleKey
from portal.audit import services as audit
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.services import MissingInput, NotAllowed
from portal.db.types import utcnow
from portal.i18n import N_

LEVEL_LABELS: dict[AlertLevel, str] = {
    AlertLevel.RED: N_("Red"), AlertLevel.ORANGE: N_("Orange"),
    AlertLevel.YELLOW: N_("Yellow"), AlertLevel.BLUE: N_("Blue"),
}
# Most severe first; also the order of the alerts list.
SEVERITY: dict[AlertLevel, int] = {AlertLevel.RED: 4, AlertLevel.ORANGE: 3,
                                   AlertLevel.YELLOW: 2, AlertLevel.BLUE: 1}
TYPES = "types"  # the one list-valued threshold: the sensitive dispute types


@dataclass(frozen=True)
class Param:
    name: str
    label: str  # msgid
    default: int
    low: int
    high: int


@dataclass(frozen=True)
class RuleDef:
    key: RuleKey
    label: str  # msgid
    explain: str  # msgid: what the rule looks for, shown to administrators
    level: AlertLevel
    params: tuple[Param, ...] = ()
    types: tuple[str, ...] = ()


WINDOW = Param("window_days", N_("Within days"), 90, 1, 730)
DEFAULTS: dict[RuleKey, RuleDef] = {r.key: r for r in (
    RuleDef(RuleKey.REPEAT, N_("Repeat disputes"), N_(
        "The same person, phone number, ID number or address appears in several cases "
        "within the period."), AlertLevel.ORANGE,
        (Param("min_cases", N_("Cases at least"), 3, 2, 100), WINDOW)),
    RuleDef(RuleKey.GROUP, N_("Group disputes"), N_(
        "Many different applicants bring disputes against the same respondent within the "
        "period (for example wage arrears against one employer)."), AlertLevel.RED,
        (Param("min_applicants", N_("Applicants at least"), 5, 2, 1000), WINDOW)),
    RuleDef(RuleKey.KEYWORDS, N_("Escalation language"), N_(
        "A description, claim or minutes use words from the reviewed list (petitions, "
        "threats, violence, self-harm). Violence and self-harm are always red."),
        AlertLevel.ORANGE),
    RuleDef(RuleKey.LARGE_AMOUNT, N_("Large amounts"), N_(
        "The claims of a case add up to at least the amount."), AlertLevel.YELLOW,
        (Param("min_amount", N_("Amount at least (yuan)"), 200_000, 1, 1_000_000_000),)),
    RuleDef(RuleKey.SENSITIVE_TYPE, N_("Sensitive types"), N_(
        "The case is of a sensitive type of dispute."), AlertLevel.YELLOW, types=("land",)),
    RuleDef(RuleKey.FAILED_THEN_NEW, N_("Failed mediation, then a new report"), N_(
        "A party whose mediation failed comes back with a new case within the period."),
        AlertLevel.ORANGE, (Param("window_days", N_("Within days"), 180, 1, 730),)),
    RuleDef(RuleKey.OVERDUE, N_("Overdue orders"), N_(
        "The current step of an open work order is past its time limit by at least the "
        "number of days."), AlertLevel.YELLOW,
        (Param("min_days", N_("Days overdue at least"), 1, 0, 365),)),
    RuleDef(RuleKey.HOTSPOT, N_("Hotspots"), N_(
        "A village or town receives far more disputes in the current period than its own "
        "average over the periods before."), AlertLevel.ORANGE,
        (Param("period_days", N_("Period (days)"), 7, 1, 90),
         Param("baseline_periods", N_("Baseline periods"), 8, 2, 52),
         Param("factor_percent", N_("At least this many percent of the baseline"), 200, 110,
               10_000),
         Param("min_count", N_("Cases in the period at least"), 5, 1, 100_000))),
)}


@dataclass(frozen=True)
class RuleConfig:
    key: RuleKey
    enabled: bool
    level: AlertLevel
    values: dict[str, int] = field(default_factory=dict)
    types: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> int:
        return self.values[name]


def _config(rule: RuleDef, row: AlertRule | None) -> RuleConfig:
    stored: dict[str, Any] = dict(row.params) if row is not None else {}
    values = {}
    for p in rule.params:
        raw = stored.get(p.name, p.default)
        values[p.name] = raw if isinstance(raw, int) and p.low <= raw <= p.high else p.default
    types = stored.get(TYPES, list(rule.types))
    return RuleConfig(rule.key, row.enabled if row is not None else True,
                      row.level if row is not None else rule.level, values,
                      tuple(t for t in types if t in DISPUTE_TYPES))


def load(session: Session) -> dict[RuleKey, RuleConfig]:
    rows = {r.rule: r for r in session.execute(select(AlertRule)).scalars()}
    return {key: _config(rule, rows.get(key)) for key, rule in DEFAULTS.items()}


def longest_window(configs: dict[RuleKey, RuleConfig]) -> int:
    """The most days any rule looks back, for the first scan of a history."""
    return max([c.values.get("window_days", 0) for c in configs.values()] + [1])


def set_rule(session: Session, *, rule: RuleKey, enabled: bool, level: AlertLevel,
             values: dict[str, int], types: list[str], actor: User) -> RuleConfig:
    """An administrator's settings for one rule; every threshold within its bounds."""
    if actor.role is not Role.ADMIN or not actor.is_active:
        raise NotAllowed("only administrators set alert rules")
    found = DEFAULTS[rule]
    for p in found.params:
        value = values.get(p.name)
        if value is None or not p.low <= value <= p.high:
            raise MissingInput(p.name, N_("Enter a whole number from {low} to {high}."),
                               low=str(p.low), high=str(p.high))
    params: dict[str, Any] = {p.name: values[p.name] for p in found.params}
    if found.types:
        if not types or any(t not in DISPUTE_TYPES for t in types):
            raise MissingInput(TYPES, N_("Choose at least one type of dispute."))
        params[TYPES] = sorted(set(types))
    row = session.get(AlertRule, rule)
    before = None if row is None else {"enabled": row.enabled, "level": row.level.value,
                                       "params": row.params}
    if row is None:
        row = AlertRule(rule=rule)
        session.add(row)
    row.enabled, row.level, row.params = enabled, level, params
    row.updated_by_id, row.updated_at = actor.id, utcnow()
    session.flush()
    audit.append(session, kind="admin", action="analytics.rule_set", subject=f"rule:{rule}",
                 actor_id=actor.id,
                 data={"before": before,
                       "after": {"enabled": enabled, "level": level.value, "params": params}})
    return _config(found, row)
