from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField
from portal.audit.models import AuditEntry
from portal.cases import evidence as ev
from portal.cases.models import Case, EvidenceFile
from portal.cases.states import Status
from portal.storage import LocalStorage
from tests.factories import (
    EVIDENCE_HEADS,
    BodyFactory,
    CaseFactory,
    UserFactory,
    add_respondent,
    evidence_bytes,
)

ACCEPTED = ["pdf", "jpg", "png", "gif", "webp", "heic", "mp3", "m4a", "wav", "amr", "mp4", "mov",
            "webm", "doc", "xls", "docx", "xlsx", "odt"]
LIMITS = ev.Limits(file_bytes=10_000, case_bytes=25_000, case_files=3)


@pytest.mark.parametrize("kind", ACCEPTED)
def test_allowed_formats_are_recognised_by_content(kind: str) -> None:
    found = ev.sniff(evidence_bytes(kind, 9000))
    assert found.extension == kind
    assert found.content_type.startswith(("application/", "image/", "audio/", "video/"))


def test_every_allowed_format_has_a_sample() -> None:
    assert sorted(k.extension for k in ev.ALLOWED.values()) == sorted(ACCEPTED)
    assert set(ACCEPTED) <= set(EVIDENCE_HEADS)


@pytest.mark.parametrize("kind", ["elf", "exe"])
def test_programs_are_refused_whatever_their_name(kind: str) -> None:
    with pytest.raises(ev.UploadRefused) as caught:
        ev.sniff(evidence_bytes(kind))
    assert caught.value.status == 415
    assert "program" in caught.value.message


@pytest.mark.parametrize("kind", ["txt", "zip"])
def test_unknown_formats_are_refused_with_the_list_of_formats(kind: str) -> None:
    with pytest.raises(ev.UploadRefused) as caught:
        ev.sniff(evidence_bytes(kind))
    assert caught.value.status == 415
    assert caught.value.params["formats"] == ev.FORMATS


@pytest.mark.parametrize(("raw", "shown"), [
    ("合同.pdf", "合同.pdf"),
    ("C:\\Users\\张三\\Desktop\\照片.jpg", "照片.jpg"),
    ("../../etc/passwd", "passwd"),
    ("evil\u202egpj.exe", "evilgpj.exe"),
    ("line\nbreak\t.pdf", "linebreak.pdf"),
    ("  .hidden.pdf ", "hidden.pdf"),
    ("", "file"),
    ("/", "file"),
])
def test_display_name_is_sanitised(raw: str, shown: str) -> None:
    assert ev.display_name(raw) == shown


def test_long_display_names_keep_their_extension() -> None:
    name = ev.display_name("长" * 400 + ".docx")
    assert len(name) == 255
    assert name.endswith(".docx")
    assert len(ev.display_name("x" * 300)) == 255


@pytest.mark.parametrize(("size", "text"), [(0, "0 B"), (1023, "1023 B"), (2048, "2 KiB"),
                                            (20 * 1024 * 1024, "20 MiB"),
                                            (1536 * 1024, "1.5 MiB"), (3 * 1024**3, "3 GiB")])
def test_human_size(size: int, text: str) -> None:
    assert ev.human_size(size) == text


def test_description_is_required_and_bounded() -> None:
    assert ev.check_description("  收据  ") == "收据"
    for bad in ("", "   ", "字" * 501):
        with pytest.raises(InvalidField):
            ev.check_description(bad)
    assert ev.check_description("字" * 500) == "字" * 500


def _case(db: Session) -> tuple[Case, dict[str, object]]:
    body = BodyFactory()
    people = {
        "applicant": UserFactory(),
        "respondent": UserFactory(),
        "mediator": UserFactory(role=Role.MEDIATOR, body_id=body.id),
        "body_admin": UserFactory(role=Role.BODY_ADMIN, body_id=body.id),
        "other_admin": UserFactory(role=Role.BODY_ADMIN, body_id=BodyFactory().id),
        "dispatcher": UserFactory(role=Role.DISPATCHER, area_id=body.area_id),
        "admin": UserFactory(role=Role.ADMIN),
        "stranger": UserFactory(),
    }
    case = CaseFactory(applicant=people["applicant"], body_id=body.id, area_id=body.area_id,
                       mediator_id=people["mediator"].id)  # type: ignore[attr-defined]
    add_respondent(db, case, people["respondent"])  # type: ignore[arg-type]
    return case, people


@pytest.mark.parametrize(("status", "who", "allowed"), [
    (Status.DRAFT, "applicant", True),
    (Status.IN_MEDIATION, "respondent", True),
    (Status.WITHDRAWN, "applicant", True),
    (Status.CLOSED, "applicant", False),
    (Status.CLOSED, "respondent", False),
    (Status.CLOSED, "mediator", True),
    (Status.CLOSED, "body_admin", True),
    (Status.IN_MEDIATION, "other_admin", False),
    (Status.IN_MEDIATION, "dispatcher", False),
    (Status.IN_MEDIATION, "admin", False),
    (Status.IN_MEDIATION, "stranger", False),
])
def test_who_may_upload(db: Session, status: Status, who: str, allowed: bool) -> None:
    case, people = _case(db)
    case.status = status
    db.commit()
    assert ev.may_upload(db, case, people[who]) is allowed  # type: ignore[arg-type]


async def _chunks(data: bytes, size: int = 3000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def _target(used: int = 0) -> ev.Target:
    return ev.Target(case_id=1, number="FQ-2099-000001", limits=LIMITS, used_bytes=used)


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_receive_stores_under_a_random_name_with_the_sniffed_extension(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    data = evidence_bytes("png", 9000)
    got = anyio.run(lambda: ev.receive(storage, _chunks(data), to=_target()))
    assert got.kind.extension == "png"
    assert got.saved.name.startswith("evidence/") and got.saved.name.endswith(".png")
    assert got.saved.sha256 == hashlib.sha256(data).hexdigest()
    assert (tmp_path / got.saved.name).read_bytes() == data


def test_receive_over_the_file_limit_names_it_and_stores_nothing(tmp_path: Path) -> None:
    with pytest.raises(ev.UploadRefused) as caught:
        anyio.run(lambda: ev.receive(LocalStorage(tmp_path),
                                     _chunks(evidence_bytes("pdf", 10_001)), to=_target()))
    assert caught.value.status == 413
    assert caught.value.params == {"limit": "9.8 KiB"}
    assert _files(tmp_path) == []


def test_receive_over_what_is_left_of_the_case_names_the_case_limit(tmp_path: Path) -> None:
    with pytest.raises(ev.UploadRefused) as caught:
        anyio.run(lambda: ev.receive(LocalStorage(tmp_path),
                                     _chunks(evidence_bytes("pdf", 6000)), to=_target(20_000)))
    assert caught.value.status == 413
    assert caught.value.params == {"limit": ev.human_size(25_000), "left": ev.human_size(5000)}
    assert _files(tmp_path) == []


def test_receive_refuses_a_renamed_program_before_storing(tmp_path: Path) -> None:
    with pytest.raises(ev.UploadRefused) as caught:
        anyio.run(lambda: ev.receive(LocalStorage(tmp_path), _chunks(evidence_bytes("elf")),
                                     to=_target()))
    assert caught.value.status == 415
    assert _files(tmp_path) == []


def test_receive_refuses_an_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ev.UploadRefused) as caught:
        anyio.run(lambda: ev.receive(LocalStorage(tmp_path), _chunks(b""), to=_target()))
    assert caught.value.status == 400


def test_target_refuses_a_full_case_before_any_byte_is_read(db: Session) -> None:
    case, people = _case(db)
    for i in range(3):
        db.add(EvidenceFile(case_id=case.id, original_name=f"{i}.pdf", stored_name=f"e/{i}.pdf",
                            content_type="application/pdf", size=10, sha256="0" * 64))
    db.commit()
    with pytest.raises(ev.UploadRefused) as caught:
        ev.target(db, case=case, user=people["applicant"], limits=LIMITS)  # type: ignore[arg-type]
    assert caught.value.params == {"count": 3}
    with pytest.raises(ev.NotAllowed):
        ev.target(db, case=case, user=people["stranger"], limits=LIMITS)  # type: ignore[arg-type]


def test_record_writes_the_row_and_an_audit_entry_with_the_hash(db: Session,
                                                                tmp_path: Path) -> None:
    case, people = _case(db)
    data = evidence_bytes("pdf", 5000)
    got = anyio.run(lambda: ev.receive(LocalStorage(tmp_path), _chunks(data), to=_target()))
    to = ev.target(db, case=case, user=people["respondent"], limits=LIMITS)  # type: ignore[arg-type]
    row = ev.record(db, to=to, user_id=people["respondent"].id,  # type: ignore[attr-defined]
                    received=got, original_name="dir/收据\x00.pdf", description=" 收据 ")
    db.commit()
    assert (row.original_name, row.description, row.size) == ("收据.pdf", "收据", 5000)
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "evidence.uploaded")
                       ).scalar_one()
    assert entry.kind == "case" and entry.subject == f"case:{case.number}"
    assert json.loads(entry.data)["sha256"] == row.sha256


def test_record_checks_the_case_total_again(db: Session, tmp_path: Path) -> None:
    case, people = _case(db)
    to = ev.target(db, case=case, user=people["applicant"], limits=LIMITS)  # type: ignore[arg-type]
    # Another upload finished in the meantime and used most of the room.
    db.add(EvidenceFile(case_id=case.id, original_name="a.pdf", stored_name="e/a.pdf",
                        content_type="application/pdf", size=20_000, sha256="0" * 64))
    db.commit()
    got = anyio.run(lambda: ev.receive(LocalStorage(tmp_path),
                                       _chunks(evidence_bytes("pdf", 9000)), to=to))
    with pytest.raises(ev.UploadRefused) as caught:
        ev.record(db, to=to, user_id=people["applicant"].id,  # type: ignore[attr-defined]
                  received=got, original_name="b.pdf", description="b")
    assert caught.value.status == 413
