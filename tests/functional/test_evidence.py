"""Evidence uploads and downloads through the web app, as the parties and the body use them."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.audit.models import AuditEntry
from portal.cases.models import EvidenceFile
from portal.cases.states import Status
from portal.config import get_settings
from portal.storage.local import LocalStorage
from tests.factories import (
    BodyFactory,
    CaseFactory,
    UserFactory,
    add_evidence,
    add_respondent,
    evidence_bytes,
)
from tests.functional.conftest import Browser


@pytest.fixture
def files_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(get_settings(), "storage_path", tmp_path / "files")
    return tmp_path / "files"


@pytest.fixture
def world(db: Session, files_dir: Path) -> SimpleNamespace:
    body = BodyFactory()
    w = SimpleNamespace(
        applicant=UserFactory(), respondent=UserFactory(), stranger=UserFactory(),
        mediator=UserFactory(role=Role.MEDIATOR, body_id=body.id),
        body_admin=UserFactory(role=Role.BODY_ADMIN, body_id=body.id),
        dispatcher=UserFactory(role=Role.DISPATCHER, area_id=body.area_id),
        files_dir=files_dir,
    )
    w.case = CaseFactory(applicant=w.applicant, body_id=body.id, area_id=body.area_id,
                         mediator_id=w.mediator.id)
    add_respondent(db, w.case, w.respondent)
    w.number = w.case.number
    return w


def as_user(make_browser: Any, user: Any, lang: str = "en") -> Browser:
    browser: Browser = make_browser()
    browser.get(f"/lang/{lang}")
    browser.login(user.phone)
    return browser


def upload(browser: Browser, number: str, content: bytes, *, name: str = "劳动合同.pdf",
           description: str = "劳动合同第1至3页", csrf: bool = True, as_json: bool = False,
           **extra: str) -> httpx.Response:
    data = {"csrftoken": browser.csrf()} if csrf else {}
    data |= {"description": description, **extra}
    accept = {"accept": "application/json"} if as_json else {}
    return browser.post(f"/cases/{number}/evidence", data=data, headers=accept,
                        files={"file": (name, content, "application/octet-stream")},
                        follow_redirects=False)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def evidence_rows(db: Session) -> list[EvidenceFile]:
    db.rollback()  # a fresh snapshot: the app wrote in its own sessions
    return list(db.execute(select(EvidenceFile).order_by(EvidenceFile.id)).scalars())


def test_upload_records_hash_that_the_respondent_sees_and_downloads(
        world: SimpleNamespace, make_browser: Any, db: Session) -> None:
    content = evidence_bytes("pdf", 50_000)
    digest = hashlib.sha256(content).hexdigest()
    applicant = as_user(make_browser, world.applicant)
    response = upload(applicant, world.number, content)
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{world.number}#evidence"
    assert "劳动合同.pdf" in applicant.get(response.headers["location"]).text

    [row] = evidence_rows(db)
    assert (row.original_name, row.size, row.sha256, row.content_type) == (
        "劳动合同.pdf", len(content), digest, "application/pdf")
    assert row.uploaded_by_id == world.applicant.id
    # Stored under a random name that says nothing of the user's filename.
    assert re.fullmatch(r"evidence/[0-9a-f]{32}\.pdf", row.stored_name)
    assert [p.relative_to(world.files_dir).as_posix()
            for p in stored_files(world.files_dir)] == [row.stored_name]
    audit = db.execute(select(AuditEntry).where(AuditEntry.action == "evidence.uploaded")
                       ).scalar_one()
    assert json.loads(audit.data)["sha256"] == digest

    respondent = as_user(make_browser, world.respondent)
    page = respondent.get(f"/cases/{world.number}").text
    assert digest in page and "劳动合同第1至3页" in page
    download = respondent.get(f"/cases/{world.number}/evidence/{row.id}")
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('劳动合同.pdf')}" in disposition
    assert f'filename="evidence-{row.id}.pdf"' in disposition


def test_json_clients_get_the_record(world: SimpleNamespace, make_browser: Any) -> None:
    browser = as_user(make_browser, world.mediator)
    content = evidence_bytes("png", 3000)
    response = upload(browser, world.number, content, name="现场照片.png", as_json=True)
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "现场照片.png" and body["size"] == 3000
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert isinstance(body["id"], int)


def test_over_the_file_limit_is_refused_and_leaves_nothing(
        world: SimpleNamespace, make_browser: Any, db: Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "upload_max_file_bytes", 16 * 1024)
    browser = as_user(make_browser, world.applicant)
    response = upload(browser, world.number, evidence_bytes("pdf", 40_000),
                      description="工资条")
    assert response.status_code == 413
    assert "larger than the limit of 16 KiB" in response.text
    assert "工资条" in response.text  # what the person typed is kept
    assert stored_files(world.files_dir) == []
    assert evidence_rows(db) == []


def test_the_case_total_is_limited(world: SimpleNamespace, make_browser: Any, db: Session,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "upload_max_case_bytes", 50 * 1024)
    browser = as_user(make_browser, world.applicant)
    assert upload(browser, world.number, evidence_bytes("pdf", 30 * 1024)).status_code == 303
    response = upload(browser, world.number, evidence_bytes("pdf", 30 * 1024), as_json=True)
    assert response.status_code == 413
    assert response.json()["field"] == "file"
    assert "at most 50 KiB; 20 KiB is left" in response.json()["error"]
    assert len(evidence_rows(db)) == 1
    assert len(stored_files(world.files_dir)) == 1


@pytest.mark.parametrize(("kind", "name"), [("elf", "合同.pdf"), ("exe", "x.docx")])
def test_a_renamed_program_is_refused(world: SimpleNamespace, make_browser: Any, db: Session,
                                      kind: str, name: str) -> None:
    browser = as_user(make_browser, world.applicant)
    response = upload(browser, world.number, evidence_bytes(kind, 20_000), name=name)
    assert response.status_code == 415
    assert "This file is a program" in response.text
    assert stored_files(world.files_dir) == []
    assert evidence_rows(db) == []


def test_a_description_is_required(world: SimpleNamespace, make_browser: Any,
                                   db: Session) -> None:
    browser = as_user(make_browser, world.applicant)
    response = upload(browser, world.number, evidence_bytes("pdf"), description="  ")
    assert response.status_code == 400
    assert "Say what this file shows." in response.text
    assert stored_files(world.files_dir) == []
    assert evidence_rows(db) == []


def test_next_must_stay_on_this_site(world: SimpleNamespace, make_browser: Any) -> None:
    browser = as_user(make_browser, world.applicant)
    inside = upload(browser, world.number, evidence_bytes("pdf"),
                    next=f"/cases/{world.number}/apply?step=evidence")
    assert inside.headers["location"] == f"/cases/{world.number}/apply?step=evidence"
    for outside in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "cases"):
        response = upload(browser, world.number, evidence_bytes("pdf"), next=outside)
        assert response.headers["location"] == f"/cases/{world.number}#evidence", outside
    refused = upload(browser, world.number, evidence_bytes("elf"), next="javascript:alert(1)")
    assert refused.status_code == 415
    assert "javascript:" not in refused.text


def test_one_file_per_upload(world: SimpleNamespace, make_browser: Any, db: Session) -> None:
    browser = as_user(make_browser, world.applicant)
    response = browser.post(
        f"/cases/{world.number}/evidence",
        data={"csrftoken": browser.csrf(), "description": "两份"},
        files=[("file", ("a.pdf", evidence_bytes("pdf"), "application/pdf")),
               ("file", ("b.pdf", evidence_bytes("pdf"), "application/pdf"))],
        follow_redirects=False)
    assert response.status_code == 400
    assert stored_files(world.files_dir) == []
    assert evidence_rows(db) == []


def test_strangers_cannot_download_or_upload(world: SimpleNamespace, make_browser: Any,
                                             db: Session) -> None:
    row = add_evidence(db, world.case, world.applicant)
    stranger = as_user(make_browser, world.stranger)
    assert stranger.get(f"/cases/{world.number}/evidence/{row.id}").status_code == 404
    assert upload(stranger, world.number, evidence_bytes("pdf")).status_code == 404
    # An id from another case is not reachable through a case one can see.
    other = CaseFactory(applicant=world.stranger)
    assert stranger.get(f"/cases/{other.number}/evidence/{row.id}").status_code == 404
    assert len(evidence_rows(db)) == 1


def test_who_may_upload(world: SimpleNamespace, make_browser: Any, db: Session) -> None:
    for user in (world.respondent, world.body_admin):
        assert upload(as_user(make_browser, user), world.number,
                      evidence_bytes("pdf")).status_code == 303
    # The dispatcher sees the case and its evidence but does not add to it.
    dispatcher = as_user(make_browser, world.dispatcher)
    assert upload(dispatcher, world.number, evidence_bytes("pdf")).status_code == 403
    page = dispatcher.get(f"/cases/{world.number}").text
    assert "劳动合同.pdf" in page and 'enctype="multipart/form-data"' not in page
    # Once the case is closed, parties no longer upload; the mediator still may.
    world.case.status = Status.CLOSED
    db.commit()
    assert upload(as_user(make_browser, world.applicant), world.number,
                  evidence_bytes("pdf")).status_code == 403
    assert upload(as_user(make_browser, world.mediator), world.number,
                  evidence_bytes("pdf")).status_code == 303
    assert len(evidence_rows(db)) == 3


def test_the_panel_has_an_empty_state_and_states_the_limits(world: SimpleNamespace,
                                                            make_browser: Any) -> None:
    page = as_user(make_browser, world.applicant).get(f"/cases/{world.number}").text
    assert "No evidence has been uploaded yet." in page
    assert "Up to 20 MiB per file and 200 MiB per case" in page
    form = page[page.index('enctype="multipart/form-data"'):]
    # The CSRF check reads the body before the file, so the token must come first.
    assert form.index('name="csrftoken"') < form.index('name="file"')


def test_a_missing_csrf_token_is_refused(world: SimpleNamespace, make_browser: Any,
                                         db: Session) -> None:
    browser = as_user(make_browser, world.applicant)
    response = upload(browser, world.number, evidence_bytes("pdf"), csrf=False)
    assert response.status_code == 403
    assert stored_files(world.files_dir) == []
    assert evidence_rows(db) == []


# Raw ASGI: the body arrives in pieces we control, as from a slow or vanishing client.

def _multipart(fields: list[tuple[str, str]], name: str, data: bytes) -> tuple[bytes, bytes,
                                                                                 str]:
    """(everything before the file's bytes, the rest, content type)."""
    boundary = f"odr{uuid.uuid4().hex}"
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        .encode() for key, value in fields)
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
             f'filename="{name}"\r\nContent-Type: application/pdf\r\n\r\n').encode()
    return head, data + f"\r\n--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


def _raw_post(app: Any, browser: Browser, path: str, content_type: str,
              messages: list[dict[str, Any]]) -> tuple[int, bytes, int]:
    """POST through the whole app; returns status, body, and how many messages were read."""
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"", "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"content-type", content_type.encode()),
                    (b"cookie", cookie.encode())],
    }
    pending = list(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    anyio.run(app, scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, len(messages) - len(pending)


@pytest.fixture
def writers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every file the local storage starts writing."""
    started: list[Any] = []
    begin = LocalStorage._begin

    def spy(self: LocalStorage, name: str) -> Any:
        writer = begin(self, name)
        started.append(writer)
        return writer

    monkeypatch.setattr(LocalStorage, "_begin", spy)
    return started


def test_an_interrupted_upload_leaves_no_file_and_no_row(
        world: SimpleNamespace, make_browser: Any, app: Any, db: Session,
        writers: list[Any]) -> None:
    browser = as_user(make_browser, world.applicant)
    head, rest, content_type = _multipart(
        [("csrftoken", browser.csrf()), ("description", "录音")], "录音.pdf",
        evidence_bytes("pdf", 200_000))
    # Part of the file arrives, then the client goes away.
    status, _, _ = _raw_post(app, browser, f"/cases/{world.number}/evidence", content_type, [
        {"type": "http.request", "body": head + rest[:30_000], "more_body": True},
        {"type": "http.disconnect"},
    ])
    assert status == 400
    assert len(writers) == 1, "the file had started to be written"
    assert not writers[0].temp.exists()
    assert stored_files(world.files_dir) == []
    assert evidence_rows(db) == []


def test_reading_stops_at_the_limit(world: SimpleNamespace, make_browser: Any, app: Any,
                                    db: Session, monkeypatch: pytest.MonkeyPatch,
                                    writers: list[Any]) -> None:
    monkeypatch.setattr(get_settings(), "upload_max_file_bytes", 16 * 1024)
    browser = as_user(make_browser, world.applicant)
    head, rest, content_type = _multipart(
        [("csrftoken", browser.csrf()), ("description", "合同")], "a.pdf",
        evidence_bytes("pdf", 400_000))
    pieces = [head] + [rest[i:i + 4096] for i in range(0, len(rest), 4096)]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
                for i, p in enumerate(pieces)]
    # No Content-Length: the limit can only be enforced while the body streams in.
    status, body, read = _raw_post(app, browser, f"/cases/{world.number}/evidence",
                                   content_type, messages)
    assert status == 413
    assert b"16 KiB" in body
    assert read < 10 < len(messages)
    assert writers and not writers[0].temp.exists()
    assert stored_files(world.files_dir) == []
    assert evidence_rows(db) == []


def test_a_file_before_the_csrf_token_is_refused(world: SimpleNamespace, make_browser: Any,
                                                 app: Any, writers: list[Any]) -> None:
    browser = as_user(make_browser, world.applicant)
    head, rest, content_type = _multipart([], "a.pdf", evidence_bytes("pdf"))
    status, _, _ = _raw_post(app, browser, f"/cases/{world.number}/evidence", content_type,
                             [{"type": "http.request", "body": head + rest}])
    assert status == 403
    assert writers == []


def test_the_whole_body_is_bounded_too(world: SimpleNamespace, make_browser: Any, app: Any,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "upload_max_file_bytes", 16 * 1024)
    browser = as_user(make_browser, world.applicant)
    # An unknown field, skipped rather than kept, still counts against the limit.
    head, rest, content_type = _multipart(
        [("csrftoken", browser.csrf()), ("padding", "x" * 500_000)], "a.pdf",
        evidence_bytes("pdf", 1000))
    body = head + rest
    pieces = [body[i:i + 8192] for i in range(0, len(body), 8192)]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
                for i, p in enumerate(pieces)]
    status, _, read = _raw_post(app, browser, f"/cases/{world.number}/evidence", content_type,
                                messages)
    assert status == 413
    assert read < len(messages) // 2
