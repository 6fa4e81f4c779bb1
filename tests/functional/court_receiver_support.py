"""Shared by the court receiver tests: a receiver configuration, packages built with
court_export.package (the platform's real builder), and ways to spoil them."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from argon2 import PasswordHasher
from sqlalchemy import create_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from court_export.keys import SigningKey, generate_signing_key
from court_export.package import PackageInput, SourceFile, build_package
from court_export.receiver.app import create_app
from court_export.receiver.config import PlatformConfig, ReceiverConfig
from court_export.receiver.models import ReceiverBase

PLATFORM_ID = "fengqiao"
CLERK = "clerk1"
CLERK_PASSWORD = "correct horse battery staple"
_CLERK_HASH = PasswordHasher().hash(CLERK_PASSWORD)


def receiver_config(var: Path, platform_key: SigningKey, **changes: Any) -> ReceiverConfig:
    """A receiver on SQLite in ``var``, or on the test PostgreSQL when one is configured."""
    config = ReceiverConfig(
        var_dir=var,
        database_url=os.environ.get("ODR_TEST_POSTGRES_URL") or None,
        platforms={PLATFORM_ID: PlatformConfig(
            name="枫桥在线调解", keys={platform_key.kid: platform_key.public_pem()})},
        clerks={CLERK: _CLERK_HASH},
        secret_key="court-test-secret-0123456789abcdef",
        callback_interval=0.2, callback_backoff_base=0.05, callback_backoff_cap=0.2,
        callback_timeout=5.0,
    )
    return replace(config, **changes)


def drop_tables(config: ReceiverConfig) -> None:
    engine = create_engine(config.resolved_database_url)
    ReceiverBase.metadata.drop_all(engine)
    engine.dispose()


def case_data(package_id: str, *, filing_type: str = "litigation", court_id: str = "zhuji",
              platform_id: str = PLATFORM_ID) -> dict[str, Any]:
    litigation = filing_type == "litigation"
    return {
        "schema_version": "1.0",
        "package_id": package_id,
        "filing_type": filing_type,
        "court": {"id": court_id, "name": "诸暨市人民法院"},
        "platform": {"id": platform_id, "name": "枫桥在线调解"},
        "case": {"number": "FQ-2025-000123", "title": "张三诉李四买卖合同纠纷",
                 "dispute_type": "contract", "category": "买卖合同",
                 "summary": "货款未付。", "mediation_body": {"name": "枫桥镇人民调解委员会",
                                                          "level": "town"}},
        "case_participants": [
            {"role": "plaintiff" if litigation else "applicant", "kind": "person",
             "name": "张三", "id_type": "resident_id", "id_number": "110101199003074514",
             "phone": "13800000001", "address": "浙江省诸暨市枫桥镇1号"},
            {"role": "defendant" if litigation else "respondent", "kind": "person",
             "name": "李四", "id_type": "resident_id", "id_number": "110101199003076115",
             "phone": "13800000002", "address": "浙江省诸暨市枫桥镇2号"},
        ],
        "claims": [{"text": "判令被告支付货款", "amount": "12000.00", "currency": "CNY"}],
        "mediation_history": [
            {"at": "2025-03-01T02:00:00Z", "event": "case_opened", "actor_role": "applicant",
             "note": ""},
            {"at": "2025-03-10T06:30:00Z", "event": "mediation_failed",
             "actor_role": "mediator", "note": "双方未能达成一致"},
        ],
        "deadlines": {} if litigation else {"confirmation_due": "2025-04-10"},
        "created_at": "2025-03-11T01:00:00Z",
    }


def build(out_dir: Path, key: SigningKey, *, package_id: str | None = None,
          **case_changes: Any) -> Path:
    package_id = package_id or str(uuid.uuid4())
    files = [
        SourceFile(path="documents/complaint.pdf", title="起诉状", media_type="application/pdf",
                   role="lead", source=b"%PDF-1.7 complaint " * 50),
        SourceFile(path="documents/termination.pdf", title="调解终结书",
                   media_type="application/pdf", role="connected",
                   source=b"%PDF-1.7 termination " * 20),
        SourceFile(path="evidence/01-contract.jpg", title="合同照片", media_type="image/jpeg",
                   role="evidence", source=b"\xff\xd8\xff photo bytes" * 100,
                   meta={"submitted_by": "张三", "submitted_at": "2025-03-02T03:00:00Z"}),
    ]
    out = out_dir / f"{package_id}.zip"
    build_package(PackageInput(package_id=package_id, case=case_data(package_id, **case_changes),
                               files=files), out, key)
    return out


def rewrite(package: Path, out: Path, change: Callable[[str, bytes], tuple[str, bytes] | None],
            extra: dict[str, bytes] | None = None) -> Path:
    """A copy of the ZIP with members changed (``change`` returns None to drop one)."""
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            kept = change(info.filename, src.read(info))
            if kept is not None:
                dst.writestr(kept[0], kept[1])
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return out


def post(client: TestClient, package: Path, key: str | None, **headers: str) -> Any:
    return post_to(client, "/api/v1/filings", package, key, **headers)


def post_to(client: TestClient, url: str, package: Path, key: str | None,
            **headers: str) -> Any:
    sent = {"Content-Type": "application/zip", **headers}
    if key is not None:
        sent["Idempotency-Key"] = key
    return client.post(url, content=package.read_bytes(), headers=sent)


def package_id_of(package: Path) -> str:
    return package.stem


def login(client: TestClient, username: str = CLERK, password: str = CLERK_PASSWORD) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "court_csrf": csrf_from(page.text)},
                       follow_redirects=False)


def csrf_from(html: str) -> str:
    marker = 'name="court_csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


@pytest.fixture(scope="module")
def platform_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture
def court_config(tmp_path: Path, platform_key: SigningKey) -> Iterator[ReceiverConfig]:
    config = receiver_config(tmp_path / "court", platform_key)
    yield config
    drop_tables(config)


@pytest.fixture
def court_app(court_config: ReceiverConfig) -> Starlette:
    return create_app(court_config)


@pytest.fixture
def court(court_app: Starlette) -> Iterator[TestClient]:
    """The receiver without its lifespan (no callback loop): what most tests need."""
    yield TestClient(court_app, base_url="https://court.test")


class Loopback:
    """A platform's callback endpoint on loopback that answers from a script of statuses."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict[str, Any]] = []
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/callbacks"

        async def callback(request: Request) -> Response:
            self.bodies.append(await request.json())
            status = self.statuses.pop(0) if self.statuses else 200
            return JSONResponse({"ok": status < 300}, status)

        app = Starlette(routes=[Route("/callbacks", callback, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))

    def wait_for(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.bodies) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.bodies


@contextmanager
def loopback(statuses: list[int] | None = None) -> Iterator[Loopback]:
    endpoint = Loopback(statuses or [])
    thread = threading.Thread(target=endpoint.server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not endpoint.server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield endpoint
    finally:
        endpoint.server.should_exit = True
        thread.join(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
