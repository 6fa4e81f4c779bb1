"""The papers of a case: which exist at its status, their data, and their PDFs.

A PDF is rendered on request and kept in storage under the hash of what it was made from
(the data and the documents package's source), so asking again costs a file read, and any
change to the case or to a template makes a new one.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pypdf import PdfWriter
from sqlalchemy import select
from sqlalchemy.orm import Session

import documents
from documents import templates
from documents.data import ServiceReceiptData
from portal.casefile import mapping, receipts
from portal.cases.models import Case, EvidenceFile
from portal.cases.states import Status, Trigger
from portal.i18n import N_
from portal.storage import Storage, check_name, get_storage

CACHE_PREFIX = "casefile/papers"

LABELS: dict[str, str] = {
    "application": N_("Application for mediation"),
    "acceptance": N_("Acceptance notice"),
    "evidence_list": N_("Evidence list"),
    "minutes": N_("Minutes of session {number}"),
    "termination": N_("Termination record"),
    "confirmation": N_("Joint application for judicial confirmation"),
    "complaint": N_("Civil complaint"),
    "receipts": N_("Service receipts"),
}


def _receipts(items: Sequence[ServiceReceiptData]) -> bytes:
    """All receipts of a case in one file, each keeping its own page numbers."""
    writer = PdfWriter()
    for item in items:
        writer.append(io.BytesIO(templates.service_receipt(item)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


RENDERERS: dict[str, Callable[[Any], bytes]] = {
    "application": templates.application,
    "acceptance": templates.acceptance_notice,
    "evidence_list": templates.evidence_list,
    "minutes": templates.minutes,
    "termination": templates.termination_record,
    "confirmation": templates.judicial_confirmation,
    "complaint": templates.civil_complaint,
    "receipt": templates.service_receipt,
    "receipts": _receipts,
}


@dataclass(frozen=True)
class Paper:
    slug: str  # in the download URL: "application", "minutes-12"
    kind: str  # a key of RENDERERS
    title: str  # the Chinese title, used as the file name
    number: int = 0  # minutes: the session's place among the case's sessions
    key: int = 0  # minutes: the session's id


def listing(session: Session, case: Case) -> list[Paper]:
    """The papers that exist at the case's status, in dossier order."""
    found = [Paper("application", "application", "人民调解申请书")]
    if mapping.last_event(case, triggers=[Trigger.ACCEPT]):
        found.append(Paper("acceptance", "acceptance", "受理通知书"))
    if session.execute(select(EvidenceFile.id).where(EvidenceFile.case_id == case.id)).first():
        found.append(Paper("evidence-list", "evidence_list", "证据清单"))
    found += [Paper(f"minutes-{m.id}", "minutes", f"调解笔录（第{i}次）", i, m.id)
              for i, m in enumerate(mapping.held_sessions(session, case), 1)]
    if mapping.last_event(case, to=Status.AGREEMENT_IN_EFFECT):
        found.append(Paper("confirmation", "confirmation", "司法确认申请书"))
    if mapping.last_event(case, to=Status.MEDIATION_FAILED):
        found.append(Paper("termination", "termination", "调解终结书"))
        found.append(Paper("complaint", "complaint", "民事起诉状"))
    if receipts.has_service_receipts(session, case):
        found.append(Paper("receipts", "receipts", "送达回证"))
    return found


_DATA: dict[str, Callable[[Session, Case], Any]] = {
    "application": mapping.application_data,
    "acceptance": mapping.acceptance_data,
    "evidence_list": mapping.evidence_list_data,
    "termination": mapping.termination_data,
    "confirmation": mapping.confirmation_data,
    "complaint": mapping.complaint_data,
    "receipts": receipts.service_receipts,
}


def data_for(session: Session, case: Case, paper: Paper) -> Any:
    if paper.kind == "minutes":
        return mapping.minutes_data(session, case, paper.key, paper.number)
    return _DATA[paper.kind](session, case)


def find(session: Session, case: Case, slug: str) -> tuple[Paper, Any] | None:
    """A paper available now and its data; None for one the case does not have."""
    paper = next((p for p in listing(session, case) if p.slug == slug), None)
    if paper is None:
        return None
    data = data_for(session, case, paper)
    return (paper, data) if data else None


@cache
def templates_version() -> str:
    """A digest of the documents package's source: a changed template changes every key."""
    digest = hashlib.sha256()
    root = Path(documents.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(kind: str, data: Any) -> str:
    """The data's ``repr`` is complete: they are frozen dataclasses, tuples, dates, Decimals."""
    payload = f"{templates_version()}\n{kind}\n{data!r}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def read_all(storage: Storage, name: str) -> bytes:
    reader = storage.open(name)
    try:
        return reader.read()
    finally:
        reader.close()


def render(kind: str, data: Any, storage: Storage | None = None) -> bytes:
    """The PDF of one paper, from storage when it was rendered from the same data before."""
    storage = storage or get_storage()
    name = check_name(f"{CACHE_PREFIX}/{cache_key(kind, data)}.pdf")
    try:
        return read_all(storage, name)
    except FileNotFoundError:
        pass
    pdf = RENDERERS[kind](data)
    storage.save_sync(name, [pdf])
    return pdf
