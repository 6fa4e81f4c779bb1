"""The online application: a draft the applicant fills in step by step, then submits.

``start`` creates the draft from the first step, once per ``create_key``; ``save_step``
checks one step and writes it; ``submit`` checks the whole application and the consents and
fires SUBMIT. Input that does not check raises ``StepInvalid`` before anything is written.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from itertools import zip_longest

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.models import Area, MediationBody
from portal.cases import application_fields as fields
from portal.cases import services as cases
from portal.cases.application_fields import Errors, StepInvalid, Values
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.models import Case, CaseClaim, CaseParticipant, ParticipantRole, PartyKind
from portal.cases.states import Status, Trigger
from portal.db.types import utcnow
from portal.i18n import N_

STEPS: tuple[str, ...] = ("type", "parties", "respondents", "claims", "evidence", "body",
                          "review")
STEP_LABELS: dict[str, str] = {
    "type": N_("Dispute"),
    "parties": N_("Applicant"),
    "respondents": N_("Respondents"),
    "claims": N_("Claims and facts"),
    "evidence": N_("Evidence"),
    "body": N_("Mediation body"),
    "review": N_("Review and submit"),
}
CREATE_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


class DraftNotFound(LookupError):
    """No such case, or not this person's own application."""


class NotADraft(Exception):
    """The application was submitted (or otherwise moved on) and can no longer be edited."""


def new_create_key() -> str:
    return secrets.token_urlsafe(24)


def step_after(step: str) -> str:
    return STEPS[min(STEPS.index(step) + 1, len(STEPS) - 1)]


def step_before(step: str) -> str | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None


def resume_step(case: Case) -> str:
    """Where the applicant left off: the furthest step reached."""
    return case.wizard_step if case.wizard_step in STEPS else STEPS[0]


def _reach(case: Case, step: str) -> None:
    if STEPS.index(step) > STEPS.index(resume_step(case)):
        case.wizard_step = step
    case.updated_at = utcnow()


def load_own(session: Session, *, number: str, user: User) -> Case:
    """The applicant's own case; anyone else is told it does not exist."""
    case = session.execute(select(Case).where(Case.number == number)).scalar_one_or_none()
    if case is None or user.role is not Role.PARTY or case.applicant_id != user.id:
        raise DraftNotFound(number)
    return case


def _editable(case: Case) -> None:
    if case.status is not Status.DRAFT:
        raise NotADraft(case.number)


def _parse_type(session: Session, v: Values) -> tuple[str, str, int | None]:
    errs = Errors()
    dispute = v.get("dispute_type", "")
    if dispute not in DISPUTE_TYPES:
        errs.error("dispute_type", "Choose a dispute type from the list.")
    title = fields.text(v, "title", errs, limit=fields.TITLE_MAX, required=True)
    raw, area_id = v.get("area_id", ""), None
    if raw:
        if raw.isdigit() and session.get(Area, int(raw)) is not None:
            area_id = int(raw)
        else:
            errs.error("area_id", "Choose an area from the list.")
    if errs:
        raise StepInvalid(errs)
    return dispute, title, area_id


def _by_key(session: Session, key: str) -> Case | None:
    return session.execute(select(Case).where(Case.create_key == key)).scalar_one_or_none()


def _expired() -> StepInvalid:
    errs = Errors()
    errs.error("create_key", "This form has expired. Check your entries and send it again.")
    return StepInvalid(errs)


def start(session: Session, *, applicant: User, create_key: str, values: Values) -> Case:
    """Create the draft from the first step; the same ``create_key`` gives the same draft."""
    if not CREATE_KEY.fullmatch(create_key):
        raise _expired()
    existing = _by_key(session, create_key)
    if existing is None:
        dispute, title, area_id = _parse_type(session, values)
        try:
            with session.begin_nested():
                case = cases.create_draft(session, applicant=applicant, data=cases.NewCase(
                    title=title, dispute_type=dispute, area_id=area_id))
                case.create_key = create_key
                case.wizard_step = step_after("type")
                session.flush()
            return case
        except IntegrityError:
            # The same form arrived twice at once; the other request made the draft.
            existing = _by_key(session, create_key)
            if existing is None:
                raise
    if existing.applicant_id != applicant.id:
        raise _expired()
    return existing


def _save_type(session: Session, case: Case, v: Values) -> None:
    case.dispute_type, case.title, case.area_id = _parse_type(session, v)


def applicant_participant(case: Case) -> CaseParticipant | None:
    """The participant record of the account that files the application."""
    return next((p for p in case.participants if p.role is ParticipantRole.APPLICANT
                 and p.user_id == case.applicant_id), None)


def _own_participant(case: Case) -> CaseParticipant:
    found = applicant_participant(case)
    if found is None:
        found = CaseParticipant(role=ParticipantRole.APPLICANT, user_id=case.applicant_id,
                                name="")
        case.participants.append(found)
    return found


def _copy(target: CaseParticipant, data: fields.Party) -> None:
    target.kind, target.name, target.phone = data.kind, data.name, data.phone
    target.id_number, target.legal_representative = data.id_number, data.legal_representative
    target.address, target.email = data.address, data.email


def _save_parties(session: Session, case: Case, v: Values) -> None:
    errs = Errors()
    applicant = fields.party(v, "a-", errs, applicant=True)
    agent = fields.agent(v, errs)
    if errs:
        raise StepInvalid(errs)
    own = _own_participant(case)
    _copy(own, applicant)
    current = next((p for p in case.participants if p.role is ParticipantRole.AGENT), None)
    if agent is None:
        if current is not None:
            case.participants.remove(current)
        return
    if current is None:
        current = CaseParticipant(role=ParticipantRole.AGENT, name="")
        case.participants.append(current)
    session.flush()
    current.kind, current.name, current.phone = PartyKind.PERSON, agent.name, agent.phone
    current.id_number, current.relation = agent.id_number, agent.relation
    current.represents_id = own.id


def _save_respondents(session: Session, case: Case, v: Values) -> None:
    errs = Errors()
    rows = fields.respondents(v, errs)
    if errs:
        raise StepInvalid(errs)
    existing = [p for p in case.participants if p.role is ParticipantRole.RESPONDENT]
    for participant, data in zip_longest(existing, rows):
        if data is None:
            case.participants.remove(participant)
            continue
        if participant is None:
            participant = CaseParticipant(role=ParticipantRole.RESPONDENT)
            case.participants.append(participant)
        _copy(participant, data)


def _save_claims(session: Session, case: Case, v: Values) -> None:
    errs = Errors()
    rows = fields.claims(v, errs)
    summary = fields.facts(v, errs)
    if errs:
        raise StepInvalid(errs)
    case.summary = summary
    for position, (claim, data) in enumerate(zip_longest(list(case.claims), rows)):
        if data is None:
            case.claims.remove(claim)
            continue
        if claim is None:
            claim = CaseClaim(description="")
            case.claims.append(claim)
        claim.position = position
        claim.description, claim.amount = data


def _save_evidence(session: Session, case: Case, v: Values) -> None:
    """Files are uploaded one by one elsewhere; moving on is all this step does."""


def _save_body(session: Session, case: Case, v: Values) -> None:
    errs = Errors()
    raw = v.get("body_id", "")
    body = session.get(MediationBody, int(raw)) if raw.isdigit() else None
    if body is None or not body.is_active:
        errs.error("body_id", "Choose a mediation body from the list.")
    raw = v.get("mediator_id", "")
    mediator = session.get(User, int(raw)) if raw.isdigit() else None
    if raw and body is not None and (mediator is None or mediator.role is not Role.MEDIATOR
                                     or not mediator.is_active or mediator.body_id != body.id):
        errs.error("mediator_id", "Choose a mediator of the body you chose, or leave the "
                                  "choice to the body.")
    if errs or body is None:
        raise StepInvalid(errs)
    case.body_id = body.id
    case.preferred_mediator_id = mediator.id if mediator is not None else None
    if case.area_id is None:
        case.area_id = body.area_id


SAVERS: dict[str, Callable[[Session, Case, Values], None]] = {
    "type": _save_type, "parties": _save_parties, "respondents": _save_respondents,
    "claims": _save_claims, "evidence": _save_evidence, "body": _save_body,
}


def save_step(session: Session, *, case: Case, step: str, values: Values) -> None:
    """Check one step (not the review, see ``submit``) and write it to the draft."""
    _editable(case)
    SAVERS[step](session, case, values)
    _reach(case, step_after(step))


def missing(case: Case) -> list[tuple[str, str]]:
    """Steps that still need something before the application can be submitted."""
    found: list[tuple[str, str]] = []
    if case.dispute_type not in DISPUTE_TYPES or not case.title.strip():
        found.append(("type", N_("Choose the type of dispute and give it a title.")))
    own = applicant_participant(case)
    if own is None or not own.phone or not own.id_number:
        found.append(("parties", N_("Complete the applicant's details.")))
    if not any(p.role is ParticipantRole.RESPONDENT for p in case.participants):
        found.append(("respondents", N_("Add at least one respondent.")))
    if not case.claims or not case.summary.strip():
        found.append(("claims", N_("List your claims and describe the facts.")))
    if case.body is None or not case.body.is_active:
        found.append(("body", N_("Choose a mediation body.")))
    return found


def submit(session: Session, *, case: Case, actor: User, values: Values) -> bool:
    """Submit the draft; False when it had already been submitted (nothing happens then)."""
    if case.status is not Status.DRAFT:
        if case.submitted_at is not None:
            return False
        raise NotADraft(case.number)
    errs = Errors()
    for step, msgid in missing(case):
        name = f"step-{step}"
        errs.error(name, msgid)
    if not fields.checked(values, "consent_online"):
        errs.error("consent_online", "Mediation online needs your consent.")
    if not fields.checked(values, "consent_service"):
        errs.error("consent_service", "Electronic service of documents needs your consent.")
    if errs:
        raise StepInvalid(errs)
    case.consent_online = case.consent_service = True
    event = cases.transition(session, case=case, trigger=Trigger.SUBMIT, actor=actor)
    case.submitted_at = event.created_at
    return True
