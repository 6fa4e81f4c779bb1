"""The clerk inbox: login, the list, a filing's case data and documents, the decisions."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from court_export.keys import SigningKey
from court_export.notices import read_notice
from court_export.receiver.models import Filing
from tests.functional import court_receiver_support as support
from tests.functional.court_receiver_support import (
    CLERK,
    build,
    csrf_from,
    login,
    package_id_of,
    post,
)

# The shared fixtures, used here by name.
court = support.court
court_app = support.court_app
court_config = support.court_config
platform_key = support.platform_key

YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year


def _file(court: TestClient, tmp_path: Path, key: SigningKey, **changes: object) -> str:
    package = build(tmp_path, key, **changes)  # type: ignore[arg-type]
    answer = post(court, package, package_id_of(package))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["filing_id"])


def _form(court: TestClient, page: str, action: str, **fields: str) -> httpx.Response:
    token = csrf_from(court.get(page).text)
    response: httpx.Response = court.post(action, data={"court_csrf": token, **fields},
                                          follow_redirects=False)
    return response


def _accept(court: TestClient, filing_id: str) -> httpx.Response:
    return _form(court, f"/inbox/{filing_id}", f"/inbox/{filing_id}/accept")


def _filing(app: Starlette, filing_id: str) -> Filing:
    with app.state.court.db.session() as session:
        filing: Filing | None = session.get(Filing, filing_id)
        assert filing is not None
        return filing


def test_pages_need_a_clerk(court: TestClient, platform_key: SigningKey, tmp_path: Path) -> None:
    filing_id = _file(court, tmp_path, platform_key)
    for path in ("/inbox", f"/inbox/{filing_id}",
                 f"/inbox/{filing_id}/files/documents/complaint.pdf"):
        answer = court.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("https://court.test/login?next=")
    refused = court.post(f"/inbox/{filing_id}/accept", follow_redirects=False)
    assert refused.status_code == 303 and "/login" in refused.headers["location"]


def test_login_checks_the_password_and_the_form_token(court: TestClient) -> None:
    bad = login(court, CLERK, "wrong password")
    assert bad.status_code == 400 and "用户名或密码不正确" in bad.text
    no_token = court.post("/login", data={"username": CLERK, "password": "x"})
    assert no_token.status_code == 403
    good = login(court)
    assert good.status_code == 303 and good.headers["location"].endswith("/inbox")
    page = court.get("/inbox")
    assert page.status_code == 200 and "暂无立案申请" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "<script" not in page.text and "style=" not in page.text


def test_the_list_is_newest_first_paginated_and_filtered(
        court: TestClient, court_app: Starlette, platform_key: SigningKey,
        tmp_path: Path) -> None:
    court_app.state.court.config = replace(court_app.state.court.config, page_size=2)
    first = _file(court, tmp_path, platform_key)
    second = _file(court, tmp_path, platform_key)
    third = _file(court, tmp_path, platform_key)
    login(court)
    page1 = court.get("/inbox").text
    assert page1.index(f"/inbox/{third}") < page1.index(f"/inbox/{second}")
    assert f"/inbox/{first}" not in page1 and "第 1 / 2 页" in page1
    assert f"/inbox/{first}" in court.get("/inbox?page=2").text
    _accept(court, second)
    accepted = court.get("/inbox?status=accepted").text
    assert f"/inbox/{second}" in accepted and f"/inbox/{third}" not in accepted
    assert "没有“不予受理”的立案申请" in court.get("/inbox?status=rejected").text


def test_the_filing_page_shows_the_case_and_serves_its_documents(
        court: TestClient, platform_key: SigningKey, tmp_path: Path) -> None:
    filing_id = _file(court, tmp_path, platform_key)
    login(court)
    page = court.get(f"/inbox/{filing_id}")
    assert page.status_code == 200
    for text in ("张三诉李四买卖合同纠纷", "张三", "李四", "原告", "被告", "判令被告支付货款",
                 "12000.00", "起诉状", "调解终结书", "合同照片", "双方未能达成一致",
                 "枫桥镇人民调解委员会"):
        assert text in page.text, text
    photo = b"\xff\xd8\xff photo bytes" * 100
    assert hashlib.sha256(photo).hexdigest() in page.text
    download = court.get(f"/inbox/{filing_id}/files/evidence/01-contract.jpg")
    assert download.status_code == 200 and download.content == photo
    assert download.headers["content-disposition"].startswith("attachment;")
    for member in ("bagit.txt", "../bagit.txt", "data/case.json", "documents/nope.pdf"):
        assert court.get(f"/inbox/{filing_id}/files/{member}").status_code == 404
    whole = court.get(f"/inbox/{filing_id}/package")
    assert whole.status_code == 200 and whole.content[:2] == b"PK"


def test_accepting_allocates_sequential_docket_numbers_per_type(
        court: TestClient, court_app: Starlette, platform_key: SigningKey,
        tmp_path: Path) -> None:
    one = _file(court, tmp_path, platform_key)
    two = _file(court, tmp_path, platform_key)
    confirmation = _file(court, tmp_path, platform_key, filing_type="judicial_confirmation")
    login(court)
    for filing_id in (one, two, confirmation):
        assert _accept(court, filing_id).status_code == 303
    assert _filing(court_app, one).docket_number == f"({YEAR})浙0681民初1号"
    assert _filing(court_app, two).docket_number == f"({YEAR})浙0681民初2号"
    assert _filing(court_app, confirmation).docket_number == f"({YEAR})浙0681民特1号"
    page = court.get(f"/inbox/{confirmation}")  # where the last accept led
    assert f"已立案，案号：({YEAR})浙0681民特1号" in page.text
    # A second accept changes nothing and burns no number.
    _accept(court, one)
    assert "该申请已经处理过" in court.get(f"/inbox/{one}").text
    assert _filing(court_app, one).docket_number == f"({YEAR})浙0681民初1号"
    status = court.get(f"/api/v1/filings/{two}").json()
    assert status["status"] == "accepted" and status["filing_date"] is not None
    keys = {k: v.encode() for k, v in court.get("/api/v1/keys").json().items()}
    notice = read_notice(status["notice"], keys)
    assert notice.status == "accepted" and notice.docket_number == f"({YEAR})浙0681民初2号"
    assert notice.filing_date == status["filing_date"]


def test_a_form_without_the_token_changes_nothing(
        court: TestClient, court_app: Starlette, platform_key: SigningKey,
        tmp_path: Path) -> None:
    filing_id = _file(court, tmp_path, platform_key)
    login(court)
    answer = court.post(f"/inbox/{filing_id}/accept", data={"court_csrf": "forged"})
    assert answer.status_code == 403
    assert _filing(court_app, filing_id).status == "received"


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_needs_a_reason(court: TestClient, court_app: Starlette,
                                  platform_key: SigningKey, tmp_path: Path, reason: str) -> None:
    filing_id = _file(court, tmp_path, platform_key)
    login(court)
    answer = _form(court, f"/inbox/{filing_id}", f"/inbox/{filing_id}/reject", reason=reason,
                   confirm="yes")
    assert answer.status_code == 400
    assert "请填写不予受理的理由" in answer.text
    assert _filing(court_app, filing_id).status == "received"


def test_rejecting_asks_for_confirmation_then_records_the_reason(
        court: TestClient, court_app: Starlette, platform_key: SigningKey,
        tmp_path: Path) -> None:
    filing_id = _file(court, tmp_path, platform_key)
    login(court)
    reason = "不属于本院管辖，请向有管辖权的法院提起诉讼。<b>"
    confirm = _form(court, f"/inbox/{filing_id}", f"/inbox/{filing_id}/reject", reason=reason)
    assert confirm.status_code == 200
    assert "确认不予受理" in confirm.text and "&lt;b&gt;" in confirm.text
    assert _filing(court_app, filing_id).status == "received"
    done = court.post(f"/inbox/{filing_id}/reject", follow_redirects=False, data={
        "court_csrf": csrf_from(confirm.text), "reason": reason,
        "confirm": "yes"})
    assert done.status_code == 303
    filing = _filing(court_app, filing_id)
    assert (filing.status, filing.reason, filing.docket_number, filing.decided_by) == (
        "rejected", reason, None, CLERK)
    status = court.get(f"/api/v1/filings/by-package/{filing.package_id}").json()
    assert status["status"] == "rejected" and status["reason"] == reason
    keys = {k: v.encode() for k, v in court.get("/api/v1/keys").json().items()}
    assert read_notice(status["notice"], keys).reason == reason
    # Once rejected, it cannot be accepted any more.
    _accept(court, filing_id)
    assert _filing(court_app, filing_id).status == "rejected"
