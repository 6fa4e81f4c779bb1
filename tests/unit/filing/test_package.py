"""A case as a signed court package: what goes in, what never does, and that a court's
checks (ours and the independent bagit validator) accept it."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
import zipfile
from pathlib import Path

import bagit
import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from court_export.keys import load_public_keys
from court_export.package import build_package, verify_package
from portal.cases.states import Status
from portal.config import get_settings
from portal.filing import courts
from portal.filing import package as packages
from portal.filing.models import FilingKind
from portal.mediation.models import Audience, CaucusNote, ChatMessage, Side
from portal.storage import get_storage
from tests.unit.casefile.world import (
    APPLICANT,
    CAUCUS_SECRET,
    RESPONDENT,
    World,
    build_world,
    require_embedded_font,
)
from tests.unit.filing.support import members

# What a party concedes in private may never reach the court (Online Mediation Rules Art. 18).
NOTE_SECRET = "调解员私记：被申请人底线三万元 CAUCUS-NOTE-7f3a"
OFFER_SECRET = "和解报价：愿意一次性支付两万八千元 SETTLEMENT-OFFER-91bd"
PUBLIC_MARKER = "PUBLIC-CHAT-5c21"


def _build(db: Session, world: World, kind: FilingKind, tmp: Path) -> Path:
    registry = courts.load()
    due = dt.date(2026, 7, 1) if kind is FilingKind.CONFIRMATION else None
    contents = packages.collect(db, world.case, kind=kind, court=registry.courts[0],
                                platform=registry.platform, package_id=str(uuid.uuid4()),
                                confirmation_due=due, filer=world.applicant)
    work = tmp / "work"
    work.mkdir()
    out = tmp / "package.zip"
    build_package(packages.package_input(contents, get_storage(), work), out,
                  courts.platform_key())
    return out


def _case_json(path: Path) -> dict[str, object]:
    found = {k: v for k, v in members(path).items() if k.endswith("/data/case.json")}
    assert len(found) == 1
    data: dict[str, object] = json.loads(next(iter(found.values())))
    return data


def test_a_failed_case_becomes_a_verified_litigation_package(db: Session,
                                                             tmp_path: Path) -> None:
    world = build_world(db)
    path = _build(db, world, FilingKind.LITIGATION, tmp_path)
    verified = verify_package(path, load_public_keys(courts.platform_key_dir(get_settings())))
    case = verified.case
    assert case["filing_type"] == "litigation"
    assert case["case"]["number"] == world.case.number
    assert case["court"] == {"id": "zhuji", "name": "诸暨市人民法院"}
    assert case["filer"]["name"] == APPLICANT
    roles = {p["name"]: p["role"] for p in case["case_participants"]}
    assert roles == {APPLICANT: "plaintiff", RESPONDENT: "defendant", "赵律师": "agent"}
    agent = next(p for p in case["case_participants"] if p["role"] == "agent")
    assert agent["represents"] == APPLICANT
    company = next(p for p in case["case_participants"] if p["name"] == RESPONDENT)
    assert (company["kind"], company["id_type"]) == (
        "organisation", "unified_social_credit_code")
    assert case["claims"][0] == {"text": "支付拖欠工资", "amount": "36800.00", "currency": "CNY"}
    assert case["claims"][1]["amount"] is None
    assert case["lead_document"]["path"] == "documents/complaint.pdf"
    assert [d["path"] for d in case["connected_documents"]] == [
        "documents/termination.pdf", "documents/minutes-01.pdf"]
    stored = {e.sha256: e for e in world.evidence}
    assert {e["sha256"] for e in case["evidence"]} == set(stored)
    for item in case["evidence"]:
        assert item["title"] == stored[item["sha256"]].original_name
        assert item["size"] == stored[item["sha256"]].size
        assert item["submitted_at"].endswith("Z")
    assert [e["event"] for e in case["mediation_history"]][-1] == "fail_mediation"
    assert "deadlines" not in case


def test_the_independent_bagit_validator_accepts_the_package(db: Session,
                                                             tmp_path: Path) -> None:
    world = build_world(db)
    path = _build(db, world, FilingKind.LITIGATION, tmp_path)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "bag")
    (root,) = list((tmp_path / "bag").iterdir())
    bag = bagit.Bag(str(root))
    bag.validate()  # raises BagValidationError on any fault
    assert bag.info["Payload-Oxum"] and len(bag.payload_entries()) == 1 + 3 + 4


def test_an_agreement_becomes_a_confirmation_package(db: Session, tmp_path: Path) -> None:
    world = build_world(db, until=Status.AGREEMENT_IN_EFFECT)
    path = _build(db, world, FilingKind.CONFIRMATION, tmp_path)
    case = _case_json(path)
    assert case["filing_type"] == "judicial_confirmation"
    assert case["deadlines"] == {"confirmation_due": "2026-07-01"}
    assert case["lead_document"]["path"] == (  # type: ignore[index]
        "documents/confirmation-application.pdf")
    roles = sorted(p["role"] for p in case["case_participants"])  # type: ignore[attr-defined]
    assert roles == ["agent", "applicant", "respondent"]


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("kind", list(FilingKind))
def test_caucus_notes_private_chat_and_offers_never_reach_the_court(
        db: Session, tmp_path: Path, kind: FilingKind) -> None:
    require_embedded_font()  # the control reads the minutes' text
    until = (Status.MEDIATION_FAILED if kind is FilingKind.LITIGATION
             else Status.AGREEMENT_IN_EFFECT)
    world = build_world(db, until=until)
    assert world.meeting is not None
    mediator = next(i for i in world.meeting.invitees if i.user_id == world.mediator.id)
    at = world.meeting.started_at or dt.datetime.now(dt.UTC)
    db.add_all([
        CaucusNote(session_id=world.meeting.id, side=Side.RESPONDENT,
                   author_id=world.mediator.id, text=NOTE_SECRET),
        ChatMessage(session_id=world.meeting.id, invitee_id=mediator.id, text=OFFER_SECRET,
                    audience=Audience.RESPONDENT, created_at=at + dt.timedelta(minutes=20)),
        ChatMessage(session_id=world.meeting.id, invitee_id=mediator.id,
                    text=f"双方同意继续协商 {PUBLIC_MARKER}", audience=Audience.ALL,
                    created_at=at + dt.timedelta(minutes=21)),
    ])
    db.commit()
    found = members(_build(db, world, kind, tmp_path))
    texts = {name: _pdf_text(data) for name, data in found.items() if name.endswith(".pdf")}
    # The control: what was said to everyone is in the minutes, so the search can find text.
    assert any(PUBLIC_MARKER in text for text in texts.values())
    for secret in (CAUCUS_SECRET, NOTE_SECRET, OFFER_SECRET, "CAUCUS-NOTE-7f3a",
                   "SETTLEMENT-OFFER-91bd", "让步", "底线"):
        for name, data in found.items():
            assert secret.encode() not in data, (secret, name)
            assert secret not in texts.get(name, ""), (secret, name)


def test_evidence_changed_in_storage_stops_the_package(db: Session, tmp_path: Path) -> None:
    world = build_world(db)
    get_storage().save_sync(world.evidence[0].stored_name, [b"%PDF-1.7 swapped"])
    registry = courts.load()
    contents = packages.collect(db, world.case, kind=FilingKind.LITIGATION,
                                court=registry.courts[0], platform=registry.platform,
                                package_id=str(uuid.uuid4()))
    with pytest.raises(packages.PackageError, match=re.escape("劳动合同.pdf")):
        packages.package_input(contents, get_storage(), tmp_path)


def test_the_listing_gives_every_file_with_its_size(db: Session) -> None:
    world = build_world(db)
    registry = courts.load()
    contents = packages.collect(db, world.case, kind=FilingKind.LITIGATION,
                                court=registry.courts[0], platform=registry.platform,
                                package_id=str(uuid.uuid4()))
    entries = packages.listing(contents, get_storage())
    assert [e.role for e in entries][:3] == ["lead", "connected", "connected"]
    assert all(e.size > 0 for e in entries)
    assert {e.size for e in entries if e.role == "evidence"} == {e.size for e in world.evidence}
    assert [e.path for e in entries if e.role == "evidence"] == [
        "evidence/01.pdf", "evidence/02.png", "evidence/03.docx", "evidence/04.png"]
