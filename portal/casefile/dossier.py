"""What a case's dossier is made of, and its assembly with ``documents.dossier``.

``collect`` reads the database (short, inside the caller's session); ``build`` needs no
session: it renders the papers, reads the evidence from storage and assembles the PDF.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from documents.data import (
    AcceptanceData,
    CaseData,
    DossierData,
    DossierFile,
    DossierSection,
    EvidenceListData,
    MinutesData,
    SectionKind,
    ServiceReceiptData,
    TerminationData,
)
from documents.dossier import build_dossier
from portal.casefile import hooks, mapping, papers, receipts
from portal.cases.models import Case
from portal.i18n import N_
from portal.storage import Storage

Progress = Callable[[float], None]
# Rendering papers and reading evidence take this share of the progress bar; the rest is
# documents.build_dossier's own.
PREPARE_SHARE = 0.3

MISSING_EVIDENCE = N_("The evidence file “{name}” is missing from storage.")
CHANGED_EVIDENCE = N_("The evidence file “{name}” in storage does not match its recorded "
                      "SHA-256.")


class DossierError(Exception):
    """A reason the dossier cannot be built that people can act on; ``message`` is a msgid."""

    def __init__(self, message: str, **params: str) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Blob:
    """A signed PDF from portal.agreements; its bytes stay out of the fingerprint."""

    name: str
    sha256: str
    content: bytes = field(repr=False)

    @classmethod
    def of(cls, name: str, content: bytes) -> Blob:
        return cls(name, hashlib.sha256(content).hexdigest(), content)


@dataclass(frozen=True)
class StoredFile:
    name: str
    storage_name: str
    sha256: str
    media_type: str


@dataclass(frozen=True)
class DossierInput:
    head: DossierData
    application: CaseData
    acceptance: AcceptanceData | None
    evidence_list: EvidenceListData | None
    evidence: tuple[StoredFile, ...]
    minutes: tuple[MinutesData | Blob, ...]
    agreement: Blob | None
    termination: TerminationData | None
    receipts: tuple[ServiceReceiptData, ...]

    @property
    def fingerprint(self) -> str:
        payload = f"{papers.templates_version()}\n{self!r}"
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def collect(session: Session, case: Case) -> DossierInput:
    minutes: list[MinutesData | Blob] = []
    for number, meeting in enumerate(mapping.held_sessions(session, case), 1):
        signed = hooks.signed_minutes_pdf(session, meeting.id)
        minutes.append(Blob.of(f"调解笔录（第{number}次）", signed) if signed
                       else mapping.minutes_data(session, case, meeting.id, number))
    agreement = hooks.signed_agreement_pdf(session, case.id)
    return DossierInput(
        head=mapping.dossier_head(session, case),
        application=mapping.application_data(session, case),
        acceptance=mapping.acceptance_data(session, case),
        evidence_list=mapping.evidence_list_data(session, case),
        evidence=tuple(StoredFile(r.original_name, r.stored_name, r.sha256, r.content_type)
                       for r in mapping.evidence_rows(session, case)),
        minutes=tuple(minutes),
        agreement=Blob.of("人民调解协议书", agreement) if agreement else None,
        termination=mapping.termination_data(session, case),
        receipts=receipts.service_receipts(session, case))


def _evidence_file(storage: Storage, item: StoredFile) -> DossierFile:
    try:
        content = papers.read_all(storage, item.storage_name)
    except FileNotFoundError:
        raise DossierError(MISSING_EVIDENCE, name=item.name) from None
    if hashlib.sha256(content).hexdigest() != item.sha256:
        raise DossierError(CHANGED_EVIDENCE, name=item.name)
    return DossierFile(item.name, content, item.media_type)


def build(data: DossierInput, storage: Storage, progress: Progress | None = None) -> bytes:
    """The dossier PDF. Evidence the library cannot embed is listed by it, not an error here;
    evidence missing from storage or changed since upload raises DossierError."""
    report = progress or (lambda _: None)
    steps: list[tuple[SectionKind, Callable[[], DossierFile]]] = []

    def paper(kind: SectionKind, name: str, renderer: str, value: Any) -> None:
        steps.append((kind, lambda: DossierFile(name, papers.render(renderer, value, storage),
                                                "application/pdf")))

    paper(SectionKind.APPLICATION, "人民调解申请书", "application", data.application)
    if data.acceptance:
        paper(SectionKind.ACCEPTANCE, "受理通知书", "acceptance", data.acceptance)
    if data.evidence_list:
        paper(SectionKind.EVIDENCE, "证据清单", "evidence_list", data.evidence_list)
    def signed(kind: SectionKind, blob: Blob) -> None:
        steps.append((kind, lambda: DossierFile(blob.name, blob.content, "application/pdf")))

    for item in data.evidence:
        steps.append((SectionKind.EVIDENCE, partial(_evidence_file, storage, item)))
    for number, minutes in enumerate(data.minutes, 1):
        if isinstance(minutes, Blob):
            signed(SectionKind.MINUTES, minutes)
        else:
            paper(SectionKind.MINUTES, f"调解笔录（第{number}次）", "minutes", minutes)
    if data.agreement:
        signed(SectionKind.AGREEMENT, data.agreement)
    if data.termination:
        paper(SectionKind.TERMINATION, "调解终结书", "termination", data.termination)
    for r in data.receipts:
        paper(SectionKind.SERVICE, f"{r.document_title}（{r.addressee}）", "receipt", r)

    sections: dict[SectionKind, list[DossierFile]] = {}
    report(0.0)
    for done, (kind, make) in enumerate(steps, 1):
        sections.setdefault(kind, []).append(make())
        report(PREPARE_SHARE * done / len(steps))
    whole = replace(data.head, sections=tuple(DossierSection(k, tuple(v))
                                              for k, v in sections.items()))
    return build_dossier(whole, lambda f: report(PREPARE_SHARE + (1 - PREPARE_SHARE) * f))
