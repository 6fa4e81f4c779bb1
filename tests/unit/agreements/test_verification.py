from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from documents.ca import PlatformCA
from portal.agreements import services, signing
from portal.agreements.models import SignableDocument
from portal.agreements.verification import describe, find_in_audit, verify
from portal.cli import main
from portal.storage import Storage
from tests.unit.agreements.support import last_code, sample_draft, signature_png, signing_world


def _read(storage: Storage, name: str) -> bytes:
    reader = storage.open(name)
    try:
        return reader.read()
    finally:
        reader.close()


@pytest.fixture
def signed_once(db: Session, storage: Storage, ca: PlatformCA) -> SignableDocument:
    """An agreement the applicant has signed (the others have not yet)."""
    w = signing_world(db)
    services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    document = services.open_signing(db, case=w.case, actor=w.mediator, storage=storage)
    db.commit()
    signer = document.signers[0]
    signing.send_code(db, document_id=document.id, signer_id=signer.id,
                      actor=w.world.applicant, client="test")
    db.commit()
    given = signing.Signature(last_code(db, signing.signer_phone(signer)), signature_png(),
                              document.current_sha256)
    signing.sign(db, document_id=document.id, signer_id=signer.id, actor=w.world.applicant,
                 given=given, storage=storage, ca=ca)
    db.commit()
    return document


def test_a_stored_file_is_found_in_the_audit_chain(db: Session, signed_once: SignableDocument,
                                                   storage: Storage, ca: PlatformCA) -> None:
    result = verify(db, _read(storage, signed_once.current_name), ca)
    assert result.report.ok and result.report.signatures[0].signer == "张三"
    assert result.audit is not None and result.audit.action == "document.signed"
    assert result.audit.field == "party-1" and result.audit.case_number == signed_once.case.number
    original = find_in_audit(db, signed_once.original_sha256)
    assert original is not None and original.action == "document.rendered"


def test_an_unknown_file_is_not_found(db: Session, ca: PlatformCA) -> None:
    assert find_in_audit(db, "ab" * 32) is None
    result = verify(db, b"not a pdf at all", ca)
    assert result.report.error is not None and result.audit is None
    assert any(line.startswith("error:") for line in describe(result))


def test_cli_reports_each_signature(db: Session, signed_once: SignableDocument,
                                    storage: Storage, tmp_path: Path) -> None:
    path = tmp_path / "agreement.pdf"
    path.write_bytes(_read(storage, signed_once.current_name))
    result = CliRunner().invoke(main, ["documents", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "signature party-1: 张三" in result.output and "intact=yes" in result.output
    assert "audit chain: found" in result.output


def test_cli_fails_on_a_changed_file(db: Session, signed_once: SignableDocument,
                                     storage: Storage, tmp_path: Path) -> None:
    data = bytearray(_read(storage, signed_once.current_name))
    data[data.index(b"stream") + 40] ^= 0x01
    path = tmp_path / "changed.pdf"
    path.write_bytes(bytes(data))
    result = CliRunner().invoke(main, ["documents", "verify", str(path)])
    assert result.exit_code == 1
    assert "intact=NO" in result.output and "audit chain: NOT FOUND" in result.output


def test_the_dossier_gets_the_signed_papers_only_when_complete(
        db: Session, signed_once: SignableDocument) -> None:
    case_id = signed_once.case_id
    assert services.signed_agreement_pdf(db, case_id) is None  # four signatures missing
    assert services.agreement_terms(db, case_id) is None
    assert services.signed_minutes_pdf(db, 999) is None
