"""Plain data the templates, the signer and the dossier take. No behaviour beyond small sums."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

Side = Literal["applicant", "respondent", "third_party"]


@dataclass(frozen=True)
class Party:
    name: str
    side: Side = "applicant"
    id_number: str = ""  # resident ID, or the unified social credit code of an organisation
    gender: str = ""
    birth_date: date | None = None
    address: str = ""
    phone: str = ""
    organisation: bool = False
    representative: str = ""  # legal representative or authorised agent


@dataclass(frozen=True)
class Claim:
    text: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class Evidence:
    name: str
    sha256: str
    size: int = 0
    description: str = ""
    purpose: str = ""  # 证明目的
    submitted_by: str = ""


@dataclass(frozen=True)
class CaseData:
    case_number: str
    dispute_type: str  # a key of drafting.DISPUTE_LABELS, or free text
    body_name: str
    parties: Sequence[Party]
    claims: Sequence[Claim] = ()
    facts: str = ""
    evidence: Sequence[Evidence] = ()
    mediator: str = ""
    filed_on: date | None = None
    accepted_on: date | None = None

    def side(self, side: Side) -> list[Party]:
        return [p for p in self.parties if p.side == side]


@dataclass(frozen=True)
class SignatureSlot:
    """An empty signature field the template places on its signing page."""

    field_name: str  # ASCII, unique in the document: "party-1", "mediator", "body-seal"
    signer_name: str
    role: str  # printed label: 申请人, 被申请人, 人民调解员, 人民调解委员会
    seal: bool = False  # printed as （盖章） instead of （签名）


@dataclass(frozen=True)
class AcceptanceData:
    case: CaseData
    accepted_on: date
    addressee: str
    notice_number: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Participant:
    name: str
    role: str  # 申请人, 被申请人, 调解员, 记录人, 代理人 ...


@dataclass(frozen=True)
class MinutesEntry:
    speaker: str
    text: str
    at: datetime | None = None


@dataclass(frozen=True)
class MinutesData:
    case_number: str
    body_name: str
    session_number: int
    started_at: datetime
    mediator: str
    participants: Sequence[Participant]
    entries: Sequence[MinutesEntry]
    ended_at: datetime | None = None
    place: str = "线上视频调解"
    recorder: str = ""
    summary: str = ""
    signatures: Sequence[SignatureSlot] = ()


@dataclass(frozen=True)
class Installment:
    due: date
    amount: Decimal
    payer: str
    payee: str
    method: str = ""


@dataclass(frozen=True)
class AgreementData:
    case_number: str
    body_name: str
    mediator: str
    dispute_type: str
    parties: Sequence[Party]
    facts: str
    terms: Sequence[str]
    breach_clause: str
    schedule: Sequence[Installment] = ()
    version: int = 1
    made_on: date | None = None
    copies: int = 0  # 0: one per party plus one for the body
    signatures: Sequence[SignatureSlot] = ()

    @property
    def total_amount(self) -> Decimal:
        return sum((i.amount for i in self.schedule), Decimal(0))


@dataclass(frozen=True)
class TerminationData:
    case: CaseData
    ended_on: date
    reason: str
    notes: str = ""


@dataclass(frozen=True)
class ConfirmationData:
    """Joint application for judicial confirmation of a mediation agreement."""

    court_name: str
    body_name: str
    case_number: str
    parties: Sequence[Party]
    agreement_date: date
    agreement_terms: Sequence[str]
    made_on: date | None = None
    signatures: Sequence[SignatureSlot] = ()


@dataclass(frozen=True)
class ComplaintData:
    court_name: str
    plaintiffs: Sequence[Party]
    defendants: Sequence[Party]
    claims: Sequence[Claim]
    facts_and_reasons: str
    evidence: Sequence[Evidence] = ()
    mediation_note: str = ""  # e.g. the failed pre-filing mediation and its case number
    made_on: date | None = None


@dataclass(frozen=True)
class EvidenceListData:
    case_number: str
    submitter: str
    items: Sequence[Evidence]
    made_on: date | None = None


@dataclass(frozen=True)
class ServiceReceiptData:
    case_number: str
    body_name: str
    document_title: str
    addressee: str
    method: str  # 电子送达, 直接送达, 邮寄送达
    address: str  # phone, e-mail, portal account or postal address
    served_at: datetime
    received_at: datetime | None = None
    server: str = ""  # 送达人
    notes: str = ""


class SectionKind(StrEnum):
    """Dossier sections in the order of a people's-mediation case file."""

    APPLICATION = "application"
    ACCEPTANCE = "acceptance"
    EVIDENCE = "evidence"
    MINUTES = "minutes"
    AGREEMENT = "agreement"
    TERMINATION = "termination"
    CONFIRMATION = "confirmation"
    COMPLAINT = "complaint"
    SERVICE = "service"
    OTHER = "other"


@dataclass(frozen=True)
class DossierFile:
    name: str
    content: bytes
    media_type: str = ""  # sniffed from the content when empty


@dataclass(frozen=True)
class DossierSection:
    kind: SectionKind
    files: Sequence[DossierFile]
    title: str = ""  # defaults to the kind's Chinese title


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    event: str


@dataclass(frozen=True)
class DossierData:
    case_number: str
    title: str  # e.g. "张三与李四劳动争议纠纷"
    parties: Sequence[Party]
    body_name: str
    mediator: str
    opened_on: date
    outcome: str  # 调解成功, 调解终结 ...
    sections: Sequence[DossierSection]
    timeline: Sequence[TimelineEntry] = ()
    closed_on: date | None = None
    keeper: str = ""  # 立卷人
    closing_notes: str = ""
