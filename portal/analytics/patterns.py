"""Rules across cases: repeat disputes, group disputes, failed mediation then a new case.

Each reads ``alert_party_keys`` through its (kind, value, received_at) index, only around
the case being checked: a window of the rule's days on either side of its receipt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.analytics.findings import CaseFacts, Finding, case_finding
from portal.analytics.identities import (
    CONTACT_KINDS,
    PERSON_KINDS,
    RESPONDENT_KINDS,
    party_identity,
    window,
)
from portal.analytics.models import PartyKey, RuleKey
from portal.analytics.rules import RuleConfig
from portal.cases.models import Case, CaseEvent
from portal.cases.states import Status
from portal.deadlines.calendar import TIME_ZONE
from portal.i18n import N_

KIND_LABELS: dict[str, str] = {
    "id": N_("ID number"), "user": N_("Account"), "phone": N_("Phone number"),
    "address": N_("Address"), "org": N_("Organisation"),
}
# Which key names the person in a repeat alert when several match: the surest first.
PRIORITY = {kind: i for i, kind in enumerate(("id", "phone", "user", "address"))}
Seen = tuple[dt.datetime, int, int | None]  # (received_at, case_id, area_id)
LISTED, KEPT = 20, 200  # case numbers in a fact; case ids kept on an alert


def subject(kind: str, value: str) -> str:
    found = f"{kind}:{value}"
    if len(found) <= 200:
        return found
    return f"{kind}:sha256:{hashlib.sha256(value.encode()).hexdigest()}"


def best_window(seen: Iterable[Seen], at: dt.datetime, days: int,
                weight: dict[int, set[str]] | None = None) -> tuple[list[Seen], int]:
    """The cases of the ``days``-long window around ``at`` (inclusive) that holds the most
    cases, or with ``weight`` the most distinct parties; and that count.

    One pass with two pointers over the cases in time order: a person in hundreds of cases
    costs hundreds of steps, not their square.
    """
    items = sorted(set(seen))
    span = dt.timedelta(days=days)
    parties: Counter[str] = Counter()
    best = (0, 0, 0)  # count, first index, last index + 1
    end = 0
    for i, (start, case_id, _) in enumerate(items):
        if start > at:
            break
        while end < len(items) and items[end][0] <= start + span:
            parties.update((weight or {}).get(items[end][1], ()))
            end += 1
        if start >= at - span:
            count = len(parties) if weight is not None else end - i
            if count >= best[0]:
                best = (count, i, end)
        for party in (weight or {}).get(case_id, ()):
            parties[party] -= 1
            if not parties[party]:
                del parties[party]
    return items[best[1]:best[2]], best[0]


def _around(session: Session, keys: list[PartyKey], kinds: Iterable[str], days: int,
            role: str | None = None) -> dict[tuple[str, str], set[Seen]]:
    """Every case near ``keys``' case that shares one of them, by key."""
    wanted = {(k.kind, k.value) for k in keys if k.kind in kinds}
    if not wanted:
        return {}
    lo, hi = window(keys[0].received_at, days)
    query = select(PartyKey.kind, PartyKey.value, PartyKey.received_at, PartyKey.case_id,
                   PartyKey.area_id).where(
        PartyKey.value.in_({v for _, v in wanted}), PartyKey.kind.in_(list(kinds)),
        PartyKey.received_at >= lo, PartyKey.received_at <= hi)
    if role is not None:
        query = query.where(PartyKey.role == role)
    found: dict[tuple[str, str], set[Seen]] = {}
    for kind, value, at, case_id, area_id in session.execute(query).all():
        if (kind, value) in wanted:
            found.setdefault((kind, value), set()).add((at, case_id, area_id))
    return found


def _numbers(session: Session, case_ids: Iterable[int]) -> str:
    rows = session.execute(select(Case.number).where(Case.id.in_(list(case_ids)))
                           .order_by(Case.number)).scalars()
    return "、".join(rows)


def _cluster_finding(session: Session, rule: RuleKey, cfg: RuleConfig, key: tuple[str, str],
                     cases: list[Seen], fact: dict[str, object]) -> Finding:
    # The newest cases name the pattern; a person in 300 cases is not a list of 300.
    newest = sorted(cases, reverse=True)
    fact["cases"] = _numbers(session, (s[1] for s in newest[:LISTED]))
    if len(newest) > LISTED:
        fact["cases"] = f"{fact['cases']}…"
    # Scope holds every case, listed or not, so it never narrows to part of the pattern.
    return Finding(rule=rule, subject=subject(*key), level=cfg.level, facts=[fact],
                   case_ids=sorted(s[1] for s in newest[:KEPT]), evidence_at=newest[0][0],
                   case_id=newest[0][1], area_ids={s[2] for s in cases if s[2] is not None})


def repeats(session: Session, ctx: CaseFacts, cfg: RuleConfig) -> list[Finding]:
    """One finding per party (or place) of the case seen in enough cases in the window."""
    days, need = cfg["window_days"], cfg["min_cases"]
    near = _around(session, ctx.keys, PERSON_KINDS, days)
    found, done = [], set()
    for key in sorted(ctx.keys, key=lambda k: PRIORITY.get(k.kind, 9)):
        if key.party in done or (key.kind, key.value) not in near:
            continue
        cases, count = best_window(near[(key.kind, key.value)], ctx.received_at, days)
        if count >= need:
            done.add(key.party)
            found.append(_cluster_finding(session, RuleKey.REPEAT, cfg, (key.kind, key.value),
                                          cases, {
                "msg": N_("{kind_label} {value} appears in {count} cases received within "
                          "{days} days (threshold {threshold}): {cases}."),
                "kind_label": KIND_LABELS[key.kind], "value": key.value, "count": count,
                "days": days, "threshold": need}))
    return found


def groups(session: Session, ctx: CaseFacts, cfg: RuleConfig) -> list[Finding]:
    """Respondents of the case against whom enough different applicants came."""
    days, need = cfg["window_days"], cfg["min_applicants"]
    mine = [k for k in ctx.keys if k.role == "respondent"]
    near = _around(session, mine, RESPONDENT_KINDS, days, role="respondent")
    if not near:
        return []
    case_ids = {s[1] for seen in near.values() for s in seen}
    applicants: dict[int, set[str]] = {}
    for case_id, party in session.execute(
            select(PartyKey.case_id, PartyKey.party).where(
                PartyKey.case_id.in_(case_ids), PartyKey.role == "applicant")).all():
        applicants.setdefault(case_id, set()).add(party)
    names = {(k.kind, k.value): p.name for k in mine for p in ctx.case.participants
             if k.party == party_identity(p)}
    found = []
    for key, seen in near.items():
        cases, count = best_window(seen, ctx.received_at, days, applicants)
        if count >= need:
            found.append(_cluster_finding(session, RuleKey.GROUP, cfg, key, cases, {
                "msg": N_("{count} different applicants brought disputes against {respondent} "
                          "within {days} days (threshold {threshold}): {cases}."),
                "count": count, "respondent": names.get(key, key[1]), "days": days,
                "threshold": need}))
    return found


def failed_then_new(session: Session, ctx: CaseFacts, cfg: RuleConfig) -> Finding | None:
    """A party of this case whose mediation failed in another case shortly before."""
    wanted = {(k.kind, k.value) for k in ctx.keys
              if k.kind in CONTACT_KINDS and k.role != "place"}
    if not wanted:
        return None
    at, days = ctx.received_at, cfg["window_days"]
    rows = session.execute(
        select(PartyKey.kind, PartyKey.value, CaseEvent.created_at, Case.number)
        .join(CaseEvent, CaseEvent.case_id == PartyKey.case_id)
        .join(Case, Case.id == PartyKey.case_id)
        .where(PartyKey.value.in_({v for _, v in wanted}), PartyKey.kind.in_(CONTACT_KINDS),
               PartyKey.case_id != ctx.case.id, CaseEvent.to_status == Status.MEDIATION_FAILED,
               CaseEvent.created_at >= at - dt.timedelta(days=days), CaseEvent.created_at < at)
    ).all()
    hits = sorted((r for r in rows if (r[0], r[1]) in wanted), key=lambda r: r[2])
    if not hits:
        return None
    kind, value, failed_at, number = hits[-1]
    fact = {"msg": N_("{kind_label} {value}: mediation failed in case {number} on {date}; "
                      "this case came in {days} days later (window {window} days)."),
            "kind_label": KIND_LABELS[kind], "value": value, "number": number,
            "date": failed_at.astimezone(TIME_ZONE).strftime("%Y-%m-%d"),
            "days": (at - failed_at).days, "window": days}
    return case_finding(ctx, RuleKey.FAILED_THEN_NEW, cfg.level, [fact], at)
