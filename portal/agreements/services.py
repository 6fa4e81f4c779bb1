"""Drafting the agreement: versions, comments, comparison, and opening it for signature.

Case moves: the first draft (from in_mediation) fires ``draft_agreement``; a new version while
the agreement is drafted or being signed fires ``revise_agreement`` (signatures given to the
old version become void) and then ``draft_agreement`` again; ``open_signing`` renders the
current version to PDF and waits for the signatures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from documents import templates
from documents.data import AgreementData
from documents.drafting import AgreementDiff, diff_versions, draft_agreement
from portal.accounts.models import User
from portal.agreements import signing
from portal.agreements.kinds import latest_version_number
from portal.agreements.models import (
    AgreementComment,
    AgreementVersion,
    DocumentKind,
    DocumentStatus,
    SessionMinutes,
    SignableDocument,
    SignerRole,
)
from portal.agreements.papers import (
    Draft,
    ScheduleRow,
    agreement_data,
    case_data,
    draft_of,
    parties_of,
    party_snapshot,
    schedule_json,
)
from portal.audit import services as audit
from portal.cases import access
from portal.cases import services as cases
from portal.cases.models import Case
from portal.cases.states import Actor, IllegalTransition, Status, Trigger
from portal.db.types import utcnow
from portal.deadlines.calendar import local_date
from portal.i18n import N_
from portal.storage import Storage, get_storage

DRAFTABLE = frozenset({Status.IN_MEDIATION, Status.AGREEMENT_DRAFTED, Status.SIGNING})
REVISING = frozenset({Status.AGREEMENT_DRAFTED, Status.SIGNING})
MAX_TERMS = 30
MAX_SCHEDULE = 24
MAX_TEXT = 5000
MAX_COMMENT = 2000
TITLE = "人民调解协议书"


def _require_mediator(session: Session, case: Case, actor: User) -> None:
    if Actor.MEDIATOR not in access.capacities(session, case, actor):
        raise cases.NotAllowed(f"draft the agreement of {case.number}")


def may_draft(session: Session, case: Case, user: User) -> bool:
    return (case.status in DRAFTABLE
            and Actor.MEDIATOR in access.capacities(session, case, user))


def may_comment(session: Session, case: Case, user: User) -> bool:
    capacities = access.capacities(session, case, user)
    return case.status in DRAFTABLE and bool(
        capacities & {Actor.APPLICANT, Actor.RESPONDENT, Actor.MEDIATOR, Actor.BODY})


def versions_of(session: Session, case: Case) -> list[AgreementVersion]:
    return list(session.execute(
        select(AgreementVersion).where(AgreementVersion.case_id == case.id)
        .options(selectinload(AgreementVersion.comments).selectinload(AgreementComment.author),
                 selectinload(AgreementVersion.author))
        .order_by(AgreementVersion.number)).scalars())


def version(session: Session, case: Case, number: int) -> AgreementVersion | None:
    return session.execute(select(AgreementVersion).where(
        AgreementVersion.case_id == case.id, AgreementVersion.number == number)
    ).scalar_one_or_none()


def template_draft(case: Case, *, amount: Decimal | None = None,
                   due: dt.date | None = None) -> Draft:
    """The dispute type's template with the case's parties, the amount (by default the sum
    of the claims) and the due date filled in."""
    if amount is None:
        amounts = [c.amount for c in case.claims if c.amount is not None]
        amount = sum(amounts, Decimal(0)) if amounts else None
    data = draft_agreement(case_data(case), amount=amount, due=due)
    return Draft(facts=data.facts, terms=tuple(data.terms),
                 schedule=tuple(ScheduleRow(i.due, i.amount, i.payer, i.payee, i.method)
                                for i in data.schedule),
                 breach_clause=data.breach_clause)


def parse_amount(value: str) -> Decimal | None:
    try:
        amount = Decimal(value.replace(",", "").replace("，", "").strip())
    except ArithmeticError:
        return None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e12"):
        return None
    return amount.quantize(Decimal("0.01"))


def _schedule(values: Mapping[str, str]) -> tuple[ScheduleRow, ...]:
    rows = []
    for i in range(MAX_SCHEDULE):
        cells = {k: values.get(f"s-{i}-{k}", "").strip()
                 for k in ("due", "amount", "payer", "payee", "method")}
        if not any(cells.values()):
            continue
        try:
            due = dt.date.fromisoformat(cells["due"])
        except ValueError:
            raise cases.MissingInput(f"s-{i}-due", N_("Instalment {n}: give the date it is "
                                                      "due."), n=str(i + 1)) from None
        amount = parse_amount(cells["amount"])
        if amount is None:
            raise cases.MissingInput(f"s-{i}-amount", N_("Instalment {n}: give the amount in "
                                                         "yuan, e.g. 1500.00."), n=str(i + 1))
        if not cells["payer"] or not cells["payee"]:
            raise cases.MissingInput(f"s-{i}-payer", N_("Instalment {n}: say who pays and who "
                                                        "is paid."), n=str(i + 1))
        rows.append(ScheduleRow(due, amount, cells["payer"][:100], cells["payee"][:100],
                                cells["method"][:100]))
    return tuple(rows)


def parse_draft(values: Mapping[str, str]) -> Draft:
    """The editor's fields as a Draft; MissingInput names the first field that is wrong."""
    facts = values.get("facts", "").strip()
    terms = tuple(t.strip() for t in values.get("terms", "").splitlines() if t.strip())
    breach = values.get("breach_clause", "").strip()
    if not facts:
        raise cases.MissingInput("facts", N_("Describe the facts of the dispute."))
    if not terms:
        raise cases.MissingInput("terms", N_("Write at least one agreed term, one per line."))
    if len(terms) > MAX_TERMS:
        raise cases.MissingInput("terms", N_("An agreement can have at most {n} terms."),
                                 n=str(MAX_TERMS))
    if not breach:
        raise cases.MissingInput("breach_clause", N_("Say what happens if a party does not "
                                                     "perform (breach clause)."))
    for name, text in (("facts", facts), ("terms", "\n".join(terms)),
                       ("breach_clause", breach)):
        if len(text) > MAX_TEXT:
            raise cases.MissingInput(name, N_("Keep this under {n} characters."),
                                     n=str(MAX_TEXT))
    return Draft(facts, terms, _schedule(values), breach)


def save_version(session: Session, *, case: Case, actor: User, draft: Draft,
                 note: str = "") -> AgreementVersion:
    """Keep ``draft`` as the next version and move the case (see the module docstring)."""
    _require_mediator(session, case, actor)
    # Locked: two saves at once must not both become version N.
    status = session.execute(
        select(Case.status).where(Case.id == case.id).with_for_update()).scalar_one()
    if status not in DRAFTABLE:
        raise IllegalTransition(status, Trigger.DRAFT_AGREEMENT)
    note = note.strip()[:2000]
    revising = status in REVISING
    if revising and not note:
        raise cases.MissingInput("note", N_("Say what you changed and why: the parties see it, "
                                            "and signatures already given become void."))
    number = latest_version_number(session, case.id) + 1
    previous = version(session, case, number - 1)
    if previous is not None and draft_of(previous) == draft and (
            previous.parties == party_snapshot(case)):
        raise cases.MissingInput("terms", N_("Nothing changed since version {n}."),
                                 n=str(previous.number))
    row = AgreementVersion(
        case_id=case.id, number=number, author_id=actor.id, parties=party_snapshot(case),
        facts=draft.facts, terms=list(draft.terms), schedule=schedule_json(draft.schedule),
        breach_clause=draft.breach_clause, note=note)
    session.add(row)
    session.flush()
    audit.append(session, kind="case", action="agreement.version", subject=f"case:{case.number}",
                 actor_id=actor.id, data={"version": number, "id": row.id, "note": note})
    if revising:
        for document in signing.documents_of(session, case, DocumentKind.AGREEMENT):
            signing.void(session, document=document, actor_id=actor.id,
                         reason=f"revised: version {number}")
        cases.transition(session, case=case, trigger=Trigger.REVISE_AGREEMENT, actor=actor,
                         reason=note)
    cases.transition(session, case=case, trigger=Trigger.DRAFT_AGREEMENT, actor=actor,
                     reason=f"第 {number} 版")
    return row


def comment(session: Session, *, case: Case, actor: User, number: int,
            text: str) -> AgreementComment:
    if not may_comment(session, case, actor):
        if access.capacities(session, case, actor) & {Actor.APPLICANT, Actor.RESPONDENT,
                                                      Actor.MEDIATOR, Actor.BODY}:
            raise IllegalTransition(case.status, Trigger.DRAFT_AGREEMENT)
        raise cases.NotAllowed(f"comment on the agreement of {case.number}")
    row = version(session, case, number)
    if row is None:
        raise cases.MissingInput("version", N_("Choose a version of the agreement."))
    text = text.strip()
    if not text:
        raise cases.MissingInput("text", N_("Write your comment."))
    if len(text) > MAX_COMMENT:
        raise cases.MissingInput("text", N_("Keep the comment under {n} characters."),
                                 n=str(MAX_COMMENT))
    found = AgreementComment(version_id=row.id, author_id=actor.id, text=text)
    session.add(found)
    session.flush()
    audit.append(session, kind="case", action="agreement.comment", subject=f"case:{case.number}",
                 actor_id=actor.id, data={"version": number, "comment": found.id})
    return found


def compare(old: AgreementVersion, new: AgreementVersion, case: Case) -> AgreementDiff:
    return diff_versions(agreement_data(old, case), agreement_data(new, case))


def open_signing(session: Session, *, case: Case, actor: User, storage: Storage,
                 now: dt.datetime | None = None) -> SignableDocument:
    """Render the current version to PDF, store it and wait for every signature in turn."""
    _require_mediator(session, case, actor)
    if case.status is not Status.AGREEMENT_DRAFTED:
        raise IllegalTransition(case.status, Trigger.OPEN_SIGNING)
    current = version(session, case, latest_version_number(session, case.id))
    if current is None:
        raise cases.MissingInput("version", N_("Save a draft of the agreement first."))
    if current.parties != party_snapshot(case):
        raise cases.MissingInput("version", N_("The parties of the case changed since version "
                                               "{n}. Save a new version first."),
                                 n=str(current.number))
    no_phone = [p.name for p in parties_of(case) if not p.phone]
    if no_phone:
        raise cases.MissingInput("version", N_("No mobile number is known for {names}, so they "
                                               "cannot receive the code to sign. Add the "
                                               "number to the case first."),
                                 names="、".join(no_phone))
    if case.body is None or case.mediator is None:
        raise cases.MissingInput("version", N_("The case needs a mediation body and a mediator "
                                               "before the agreement can be signed."))
    data = agreement_data(current, case, made_on=local_date(now or utcnow()))
    pdf = templates.agreement(data)
    required = agreement_signers(current, data, case)
    document = signing.create_document(
        session, case=case, kind=DocumentKind.AGREEMENT, title=f"{TITLE}（第 {current.number} 版）",
        pdf=pdf, required=required, actor=actor, storage=storage,
        agreement_version_id=current.id)
    cases.transition(session, case=case, trigger=Trigger.OPEN_SIGNING, actor=actor,
                     reason=f"第 {current.number} 版")
    return document


def agreement_signers(version: AgreementVersion, data: AgreementData,
                      case: Case) -> list[signing.Required]:
    """The slots of the rendered agreement as required signers: each party (the participant
    of the version's snapshot), the case's mediator, the body's seal."""
    participants = [row["participant_id"] for row in version.parties]
    required = []
    for slot in data.signatures:
        if slot.field_name.startswith("party-"):
            index = int(slot.field_name.removeprefix("party-")) - 1
            required.append(signing.Required(slot.field_name, SignerRole.PARTY, slot.role,
                                             slot.signer_name,
                                             participant_id=participants[index]))
        elif slot.field_name == "mediator":
            required.append(signing.Required(slot.field_name, SignerRole.MEDIATOR, slot.role,
                                             slot.signer_name, user_id=case.mediator_id))
        else:
            required.append(signing.Required(slot.field_name, SignerRole.BODY, slot.role,
                                             slot.signer_name, seal=True))
    return required


def current_document(session: Session, case: Case) -> SignableDocument | None:
    """The agreement being signed, or the signed one; void ones are history."""
    found = [d for d in signing.documents_of(session, case, DocumentKind.AGREEMENT)
             if d.status is not DocumentStatus.VOID]
    return found[-1] if found else None


# For the dossier (portal.casefile.hooks): the signed papers and the terms in effect.
def _complete(session: Session, query: Select[Any]) -> SignableDocument | None:
    return session.execute(query.where(SignableDocument.status == DocumentStatus.COMPLETE)
                           .order_by(SignableDocument.id.desc()).limit(1)).scalar_one_or_none()


def _read(name: str) -> bytes:
    reader = get_storage().open(name)
    try:
        return reader.read()
    finally:
        reader.close()


def signed_agreement(session: Session, case_id: int) -> SignableDocument | None:
    return _complete(session, select(SignableDocument).where(
        SignableDocument.case_id == case_id, SignableDocument.kind == DocumentKind.AGREEMENT))


def signed_agreement_pdf(session: Session, case_id: int) -> bytes | None:
    """The agreement as every party, the mediator and the body signed it, if it was."""
    document = signed_agreement(session, case_id)
    return _read(document.current_name) if document is not None else None


def signed_minutes_pdf(session: Session, meeting_id: int) -> bytes | None:
    """A session's minutes as everyone signed them, if they were."""
    document = _complete(session, select(SignableDocument).join(
        SessionMinutes, SessionMinutes.id == SignableDocument.minutes_id).where(
        SessionMinutes.session_id == meeting_id))
    return _read(document.current_name) if document is not None else None


def agreement_terms(session: Session, case_id: int) -> list[str] | None:
    """The terms of the signed agreement (for the joint application for confirmation)."""
    document = signed_agreement(session, case_id)
    if document is None or document.version is None:
        return None
    return list(document.version.terms)
