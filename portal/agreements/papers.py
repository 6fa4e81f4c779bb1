"""The case and its agreement versions as the plain data ``documents`` takes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from documents.data import AgreementData, CaseData, Claim, Installment, Party, SignatureSlot
from documents.drafting import default_signatures
from portal.agreements.models import AgreementVersion
from portal.cases.models import Case, CaseParticipant, ParticipantRole, PartyKind

_SIDES = {ParticipantRole.APPLICANT: "applicant", ParticipantRole.RESPONDENT: "respondent"}


@dataclass(frozen=True)
class ScheduleRow:
    due: dt.date
    amount: Decimal
    payer: str
    payee: str
    method: str = ""


@dataclass(frozen=True)
class Draft:
    """What the mediator writes; the parties come from the case."""

    facts: str
    terms: tuple[str, ...]
    schedule: tuple[ScheduleRow, ...]
    breach_clause: str


def parties_of(case: Case) -> list[CaseParticipant]:
    """The parties who sign an agreement, in signing order: applicants, then respondents."""
    return ([p for p in case.participants if p.role is ParticipantRole.APPLICANT]
            + [p for p in case.participants if p.role is ParticipantRole.RESPONDENT])


def _party(participant: CaseParticipant, case: Case) -> Party:
    agents = [a.name for a in case.participants
              if a.role is ParticipantRole.AGENT and a.represents_id == participant.id]
    organisation = participant.kind is PartyKind.ORGANISATION
    representative = (participant.legal_representative or "") if organisation else ""
    return Party(name=participant.name, side=_SIDES[participant.role],  # type: ignore[arg-type]
                 id_number=participant.id_number or "", address=participant.address,
                 phone=participant.phone, organisation=organisation,
                 representative=representative or "、".join(agents))


def party_snapshot(case: Case) -> list[dict[str, Any]]:
    """The parties of ``case`` as stored with a version: Party's fields and the participant."""
    return [{**asdict(_party(p, case)), "participant_id": p.id} for p in parties_of(case)]


def _party_from(row: dict[str, Any]) -> Party:
    fields = {k: v for k, v in row.items() if k in Party.__dataclass_fields__}
    fields["birth_date"] = None
    return Party(**fields)


def case_data(case: Case) -> CaseData:
    return CaseData(
        case_number=case.number, dispute_type=case.dispute_type,
        body_name=case.body.name if case.body else "",
        parties=[_party(p, case) for p in parties_of(case)],
        claims=[Claim(c.description, c.amount) for c in case.claims], facts=case.summary,
        mediator=case.mediator.name if case.mediator else "")


def schedule_rows(version: AgreementVersion) -> tuple[ScheduleRow, ...]:
    return tuple(ScheduleRow(dt.date.fromisoformat(r["due"]), Decimal(r["amount"]),
                             r["payer"], r["payee"], r.get("method", ""))
                 for r in version.schedule)


def draft_of(version: AgreementVersion) -> Draft:
    return Draft(version.facts, tuple(version.terms), schedule_rows(version),
                 version.breach_clause)


def schedule_json(rows: Sequence[ScheduleRow]) -> list[dict[str, str]]:
    return [{"due": r.due.isoformat(), "amount": str(r.amount), "payer": r.payer,
             "payee": r.payee, "method": r.method} for r in rows]


def agreement_data(version: AgreementVersion, case: Case, *,
                   made_on: dt.date | None = None) -> AgreementData:
    """Version ``version`` as documents.templates.agreement renders it, signature fields
    included (party-1..n, mediator, body-seal: the order they sign in)."""
    parties = [_party_from(row) for row in version.parties]
    data = AgreementData(
        case_number=case.number, body_name=case.body.name if case.body else "",
        mediator=case.mediator.name if case.mediator else "", dispute_type=case.dispute_type,
        parties=parties, facts=version.facts, terms=tuple(version.terms),
        breach_clause=version.breach_clause,
        schedule=tuple(Installment(r.due, r.amount, r.payer, r.payee, r.method)
                       for r in schedule_rows(version)),
        version=version.number, made_on=made_on)
    return AgreementData(**{**data.__dict__, "signatures": signature_slots(data)})


def signature_slots(data: AgreementData) -> tuple[SignatureSlot, ...]:
    case = CaseData(case_number=data.case_number, dispute_type=data.dispute_type,
                    body_name=data.body_name, parties=data.parties, mediator=data.mediator)
    return default_signatures(case)
