"""The court receiver's machine API: packages in (verified, deduplicated), status out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from court_export.keys import SigningKey, generate_signing_key
from court_export.notices import read_notice
from court_export.receiver.app import create_app
from court_export.receiver.config import ReceiverConfig
from court_export.receiver.models import Filing, Notice
from tests.functional import court_receiver_support as support
from tests.functional.court_receiver_support import (
    build,
    drop_tables,
    package_id_of,
    post,
    receiver_config,
    rewrite,
)

# The shared fixtures, used here by name.
court = support.court
court_app = support.court_app
court_config = support.court_config
platform_key = support.platform_key


def _count(app: Starlette, model: type[Filing] | type[Notice]) -> int:
    with app.state.court.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _stored(config: ReceiverConfig) -> list[Path]:
    return sorted(p for p in config.resolved_storage_dir.rglob("*") if p.is_file())


def _court_keys(client: TestClient) -> dict[str, bytes]:
    answer = client.get("/api/v1/keys")
    assert answer.status_code == 200
    return {kid: pem.encode() for kid, pem in answer.json().items()}


def test_a_package_is_received_with_a_signed_notice(
        court: TestClient, court_app: Starlette, court_config: ReceiverConfig,
        platform_key: SigningKey, tmp_path: Path) -> None:
    package = build(tmp_path, platform_key)
    answer = post(court, package, package_id_of(package))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["package_id"] == package_id_of(package) and body["status"] == "received"
    assert body["received_at"].endswith("Z")
    notice = read_notice(body["notice"], _court_keys(court))
    assert (notice.status, notice.filing_id, notice.package_id, notice.court_id) == (
        "received", body["filing_id"], body["package_id"], "zhuji")
    # Stored as sent, and nothing left in the upload area.
    assert [p.read_bytes() for p in _stored(court_config)] == [package.read_bytes()]
    for path in (f"/api/v1/filings/{body['filing_id']}",
                 f"/api/v1/filings/by-package/{body['package_id']}"):
        status = court.get(path)
        assert status.status_code == 200
        assert status.json()["status"] == "received"
        assert status.json()["notice"] == body["notice"]


def test_the_same_key_again_gets_the_first_answer_and_no_second_filing(
        court: TestClient, court_app: Starlette, court_config: ReceiverConfig,
        platform_key: SigningKey, tmp_path: Path) -> None:
    package = build(tmp_path, platform_key)
    first = post(court, package, package_id_of(package))
    again = post(court, package, package_id_of(package))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(court_app, Filing) == 1 and _count(court_app, Notice) == 1
    assert len(_stored(court_config)) == 1


def test_the_same_key_with_other_bytes_is_a_conflict(
        court: TestClient, court_app: Starlette, platform_key: SigningKey,
        tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    package = build(tmp_path / "a", platform_key)
    assert post(court, package, package_id_of(package)).status_code == 201
    other = build(tmp_path / "b", platform_key, package_id=package_id_of(package),
                  filing_type="judicial_confirmation")
    answer = post(court, other, package_id_of(package))
    assert answer.status_code == 409
    assert answer.json()["error"] == "idempotency_conflict"
    assert _count(court_app, Filing) == 1


def test_a_missing_or_foreign_key_is_refused(
        court: TestClient, court_app: Starlette, platform_key: SigningKey,
        tmp_path: Path) -> None:
    package = build(tmp_path, platform_key)
    missing = post(court, package, None)
    assert missing.status_code == 400 and missing.json()["error"] == "missing_idempotency_key"
    odd = post(court, package, "../../etc/passwd")
    assert odd.status_code == 400 and odd.json()["error"] == "bad_idempotency_key"
    other = post(court, package, "4c1b7e3e-0000-4000-8000-000000000000")
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_mismatch"
    assert _count(court_app, Filing) == 0


def _changed_byte(name: str, data: bytes) -> tuple[str, bytes]:
    if "/data/evidence/" in name:
        return name, data[:10] + bytes([data[10] ^ 1]) + data[11:]
    return name, data


def _missing_evidence(name: str, data: bytes) -> tuple[str, bytes] | None:
    return None if "/data/evidence/" in name else (name, data)


def _same(name: str, data: bytes) -> tuple[str, bytes]:
    return name, data


@pytest.mark.parametrize(("spoil", "extra", "code"), [
    (_changed_byte, None, "checksum_mismatch"),
    (_missing_evidence, None, "missing_member"),
    (_same, {"{id}/data/evidence/extra.txt": b"smuggled"}, "unexpected_member"),
    (_same, {"../x": b"escape"}, "path_traversal"),
])
def test_a_spoiled_package_is_refused_with_its_reason(
        court: TestClient, court_app: Starlette, court_config: ReceiverConfig,
        platform_key: SigningKey, tmp_path: Path, spoil: object, extra: dict[str, bytes] | None,
        code: str) -> None:
    package = build(tmp_path, platform_key)
    pid = package_id_of(package)
    spoiled = rewrite(package, tmp_path / "spoiled.zip", spoil,  # type: ignore[arg-type]
                      {k.format(id=pid): v for k, v in (extra or {}).items()})
    answer = post(court, spoiled, pid)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == code and answer.json()["detail"]
    assert _count(court_app, Filing) == 0 and _stored(court_config) == []


def test_a_wrong_signature_or_unknown_key_is_refused(
        court: TestClient, court_app: Starlette, court_config: ReceiverConfig,
        platform_key: SigningKey, tmp_path: Path) -> None:
    impostor = generate_signing_key()
    # The platform's key id, somebody else's key.
    forged = build(tmp_path, SigningKey(platform_key.kid, impostor.private_pem))
    answer = post(court, forged, package_id_of(forged))
    assert answer.status_code == 422 and answer.json()["error"] == "bad_signature"
    unknown = build(tmp_path, impostor)
    answer = post(court, unknown, package_id_of(unknown))
    assert answer.status_code == 422 and answer.json()["error"] == "unknown_key"
    assert _count(court_app, Filing) == 0 and _stored(court_config) == []


def test_a_package_for_another_court_or_in_another_platforms_name_is_refused(
        court: TestClient, court_app: Starlette, platform_key: SigningKey,
        tmp_path: Path) -> None:
    elsewhere = build(tmp_path, platform_key, court_id="haining")
    answer = post(court, elsewhere, package_id_of(elsewhere))
    assert answer.status_code == 422 and answer.json()["error"] == "wrong_court"
    posing = build(tmp_path, platform_key, platform_id="another-platform")
    answer = post(court, posing, package_id_of(posing))
    assert answer.status_code == 422 and answer.json()["error"] == "platform_mismatch"
    assert _count(court_app, Filing) == 0


@pytest.fixture
def small_court(tmp_path: Path, platform_key: SigningKey) -> Iterator[TestClient]:
    config = receiver_config(tmp_path / "small", platform_key, max_package_bytes=4000)
    yield TestClient(create_app(config), base_url="https://court.test")
    drop_tables(config)


def test_an_oversized_package_is_refused_while_it_streams(
        small_court: TestClient, platform_key: SigningKey, tmp_path: Path) -> None:
    package = build(tmp_path, platform_key)
    assert package.stat().st_size > 4000
    declared = post(small_court, package, package_id_of(package))
    assert declared.status_code == 413 and declared.json()["error"] == "too_large"

    data = package.read_bytes()

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        for start in range(0, len(data), 1000):
            yield data[start:start + 1000]

    streamed = small_court.post(
        "/api/v1/filings", content=chunks(),
        headers={"Content-Type": "application/zip", "Idempotency-Key": package_id_of(package)})
    assert streamed.status_code == 413 and streamed.json()["error"] == "too_large"
    court_state = small_court.app.state.court  # type: ignore[attr-defined]
    assert not any(p.is_file() for p in court_state.storage_dir.rglob("*"))


def test_a_non_zip_body_and_unknown_filings(court: TestClient) -> None:
    answer = court.post("/api/v1/filings", content=b"{}", headers={
        "Content-Type": "application/json", "Idempotency-Key": "abc"})
    assert answer.status_code == 415
    assert court.get("/api/v1/filings/nope").status_code == 404
    assert court.get("/api/v1/filings/by-package/nope").json()["error"] == "unknown_filing"


def test_garbage_is_refused_as_a_bad_zip(court: TestClient, court_app: Starlette) -> None:
    answer = court.post("/api/v1/filings", content=b"not a zip at all" * 10, headers={
        "Content-Type": "application/zip", "Idempotency-Key": "abc"})
    assert answer.status_code == 422 and answer.json()["error"] == "bad_zip"
    assert _count(court_app, Filing) == 0
