"""What each page of the online application shows: saved values and the step's choices.

The functions run inside the view's database session and return plain data, so templates
never touch a closed session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.bodies import directory
from portal.bodies.labels import KIND_LABELS, LEVEL_LABELS
from portal.bodies.models import Level, MediationBody
from portal.bodies.services import mediators_query, suggest_bodies
from portal.cases import application
from portal.cases.application_fields import AGENT_RELATIONS
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.models import Case, CaseParticipant, EvidenceFile, ParticipantRole, PartyKind
from portal.config import PROJECT_ROOT
from portal.i18n import gettext_, translate

OTHER_BODIES = 20
EVIDENCE_INCLUDE = "cases/_evidence_upload.html"
EVIDENCE_INCLUDE_PATH = PROJECT_ROOT / "portal" / "web" / "templates" / EVIDENCE_INCLUDE


def _party_values(prefix: str, p: CaseParticipant) -> dict[str, str]:
    return {f"{prefix}kind": p.kind.value, f"{prefix}name": p.name, f"{prefix}phone": p.phone,
            f"{prefix}id_number": p.id_number or "",
            f"{prefix}legal_representative": p.legal_representative or "",
            f"{prefix}address": p.address, f"{prefix}email": p.email}


def _parties_values(case: Case, user: User) -> dict[str, str]:
    own = application.applicant_participant(case)
    values = {"a-kind": PartyKind.PERSON.value} if own is None else _party_values("a-", own)
    # Pre-filled from the account until the applicant saves the step.
    values["a-name"] = values.get("a-name") or user.name
    values["a-phone"] = values.get("a-phone") or user.phone
    if not values.get("a-id_number") and values["a-kind"] == PartyKind.PERSON.value:
        values["a-id_number"] = user.id_number or ""
    agent = next((p for p in case.participants if p.role is ParticipantRole.AGENT), None)
    if agent is not None:
        values.update({"g-name": agent.name, "g-phone": agent.phone,
                       "g-id_number": agent.id_number or "", "g-relation": agent.relation or ""})
    return values


def saved_values(case: Case, step: str, user: User) -> dict[str, str]:
    """What the step's form shows for the saved draft."""
    if step == "type":
        return {"dispute_type": case.dispute_type, "title": case.title,
                "area_id": str(case.area_id or "")}
    if step == "parties":
        return _parties_values(case, user)
    if step == "respondents":
        values = {"r-0-kind": PartyKind.PERSON.value}
        rows = [p for p in case.participants if p.role is ParticipantRole.RESPONDENT]
        for i, p in enumerate(rows):
            values.update(_party_values(f"r-{i}-", p))
        return values
    if step == "claims":
        values = {"summary": case.summary, "c-0-description": ""}
        for i, c in enumerate(case.claims):
            values[f"c-{i}-description"] = c.description
            values[f"c-{i}-amount"] = f"{c.amount:.2f}" if c.amount is not None else ""
        return values
    if step == "body":
        return {"body_id": str(case.body_id or ""),
                "mediator_id": str(case.preferred_mediator_id or "")}
    if step == "review":
        return {"consent_online": "on" if case.consent_online else "",
                "consent_service": "on" if case.consent_service else ""}
    return {}


def dispute_label(key: str) -> str:
    return gettext_(DISPUTE_TYPES[key]) if key in DISPUTE_TYPES else key


@dataclass(frozen=True)
class BodyOption:
    id: int
    name: str
    area: str
    address: str
    level: str
    kind: str
    reasons: list[str]
    mediators: list[tuple[int, str]]


def _option(body: MediationBody, reasons: list[str],
            mediators: dict[int, list[tuple[int, str]]]) -> BodyOption:
    return BodyOption(body.id, body.name, body.area.name, body.address,
                      gettext_(LEVEL_LABELS[body.level]), gettext_(KIND_LABELS[body.kind]),
                      reasons, mediators.get(body.id, []))


def _mediators(session: Session, body_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    found: dict[int, list[tuple[int, str]]] = {}
    rows = session.execute(mediators_query().where(User.body_id.in_(body_ids))
                           .order_by(User.name, User.id)).all()
    for user, profile in rows:
        if user.body_id is not None and (profile is None or profile.accepting_cases):
            found.setdefault(user.body_id, []).append((user.id, user.name))
    return found


def body_choices(session: Session, case: Case, *, q: str, level: str) -> dict[str, Any]:
    """Suggested bodies with their reasons, then any other active body matching the filter."""
    suggested = suggest_bodies(session, dispute_type=case.dispute_type, area_id=case.area_id)
    seen = {s.body.id for s in suggested}
    listing = directory.search(session, filters=directory.Filters(q=q, level=level),
                               page=1, size=OTHER_BODIES + len(seen))
    others = [b for b in listing.bodies if b.id not in seen][:OTHER_BODIES]
    chosen = case.body
    if chosen is not None and chosen.id not in seen | {b.id for b in others}:
        others.insert(0, chosen)
    people = _mediators(session, [*seen, *(b.id for b in others)])
    return {
        "suggested": [_option(s.body, [translate(r.msgid, **r.params) for r in s.reasons],
                              people) for s in suggested],
        "others": [_option(b, [], people) for b in others],
        "others_total": max(listing.total - len(seen), 0), "others_shown": OTHER_BODIES,
        "q": q, "level": level, "levels": [(lv.value, gettext_(LEVEL_LABELS[lv]))
                                           for lv in Level if lv is not Level.GRID],
    }


def evidence(session: Session, case: Case) -> dict[str, Any]:
    files = list(session.execute(select(EvidenceFile).where(EvidenceFile.case_id == case.id)
                                 .order_by(EvidenceFile.id)).scalars())
    return {"files": files, "evidence_include": EVIDENCE_INCLUDE
            if EVIDENCE_INCLUDE_PATH.exists() else None}


def review(session: Session, case: Case) -> dict[str, Any]:
    """The whole application, loaded while the session is open."""
    parties = list(case.participants)
    return {
        "applicant": application.applicant_participant(case),
        "agent": next((p for p in parties if p.role is ParticipantRole.AGENT), None),
        "respondents": [p for p in parties if p.role is ParticipantRole.RESPONDENT],
        "claims": list(case.claims), "total": sum(c.amount for c in case.claims
                                                  if c.amount is not None),
        "files": list(case.evidence), "body": case.body, "area": case.area,
        "mediator": case.preferred_mediator, "missing": application.missing(case),
        "relations": AGENT_RELATIONS,
        "dispute_label": dispute_label,
    }


def extras(session: Session, case: Case | None, step: str, query: dict[str, str]
           ) -> dict[str, Any]:
    """The choices a step's form offers."""
    if step == "type":
        return {"type_options": [(k, gettext_(v)) for k, v in DISPUTE_TYPES.items()],
                "area_options": [(a.id, a.name) for a in directory.areas(session)]}
    if step == "parties":
        return {"relation_options": [(k, gettext_(v)) for k, v in AGENT_RELATIONS.items()]}
    if case is None:
        return {}
    if step == "evidence":
        return evidence(session, case)
    if step == "body":
        return body_choices(session, case, q=query.get("q", "").strip()[:50],
                            level=query.get("level", ""))
    if step == "review":
        return review(session, case)
    return {}
