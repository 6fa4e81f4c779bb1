"""Issue 9, part 2: the production topology without Docker, and nothing lost under faults.

The portal (uvicorn, two workers), a real Celery worker and beat on Redis, and the court's
receiver as its own process, all on PostgreSQL. A case goes from application to a docketed
court filing over HTTP; the worker is killed with SIGKILL in the middle of a dossier build
and in the middle of a court delivery, started again, and each finishes exactly once.
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pypdf import PdfWriter
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from portal.demo import DEMO_PASSWORD
from tests.factories import application_values
from tests.integration.topology import (
    CLERK,
    CLERK_PASSWORD,
    VISIBILITY_TIMEOUT,
    Topology,
    topology,
    wait_for,
)
from tests.services import unavailable

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

APPLICANT, BODY_ADMIN = "13900000001", "13800000003"
DOCKET = re.compile(r"\(\d{4}\)浙0681民初\d+号")
# Enough pages that numbering and stamping them takes the build a few seconds.
EVIDENCE_PAGES = 2500


def _services() -> tuple[str, str]:
    pg, redis = (os.environ.get("ODR_TEST_POSTGRES_URL", ""),
                 os.environ.get("ODR_TEST_REDIS_URL", ""))
    if not (pg and redis):
        unavailable("needs ODR_TEST_POSTGRES_URL and ODR_TEST_REDIS_URL")
    return pg, redis


@pytest.fixture
def top(tmp_path: Path) -> Iterator[Topology]:
    pg, redis = _services()
    with topology(tmp_path, pg, redis) as running:
        yield running


@pytest.fixture
def portal_db(top: Topology) -> Iterator[Engine]:
    engine = create_engine(top.database_url)
    yield engine
    engine.dispose()


def _token(client: httpx.Client, phone: str) -> dict[str, str]:
    got = client.post("/api/v1/auth/token", json={"phone": phone, "password": DEMO_PASSWORD})
    assert got.status_code == 200, got.text
    return {"Authorization": f"Bearer {got.json()['access_token']}"}


def _login(client: httpx.Client, phone: str) -> None:
    client.get("/login")
    done = client.post("/login", data={"phone": phone, "password": DEMO_PASSWORD,
                                       "csrftoken": client.cookies["odr_csrf"]})
    assert done.status_code == 303, done.text


def _form(client: httpx.Client, url: str, **data: str) -> httpx.Response:
    return client.post(url, data={"csrftoken": client.cookies["odr_csrf"], **data})


def _pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _one(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _status(api: httpx.Client, number: str, auth: dict[str, str]) -> str:
    return str(api.get(f"/api/v1/cases/{number}", headers=auth).json()["status"])


def _failed_mediation(api: httpx.Client) -> str:
    """Apply, submit, accept; the respondent refuses: mediation failed. Over the JSON API."""
    party = _token(api, APPLICANT)
    started = api.post("/api/v1/applications", headers=party, json={
        "create_key": "topology-case-0001", "values": application_values("type")})
    assert started.status_code == 201, started.text
    number = str(started.json()["number"])
    them = {"r-0-kind": "person", "r-0-name": "李四", "r-0-phone": "13900000002",
            "r-0-id_number": "330602199211034562", "r-0-address": "枫桥镇枫源村",
            "r-0-email": ""}
    for step, values in (("parties", application_values("parties", **{"a-name": "张三"})),
                         ("respondents", them), ("claims", application_values("claims"))):
        saved = api.put(f"/api/v1/applications/{number}/{step}", headers=party,
                        json={"values": values})
        assert saved.status_code == 200, saved.text
    staff = _token(api, BODY_ADMIN)
    mine = api.get("/api/v1/me", headers=staff).json()["body_id"]
    assert api.put(f"/api/v1/applications/{number}/body", headers=party,
                   json={"values": {"body_id": str(mine)}}).status_code == 200
    evidence = api.post(f"/api/v1/cases/{number}/evidence", headers=party,
                        data={"description": "工资条与考勤记录"},
                        files={"file": ("考勤记录.pdf", _pdf(EVIDENCE_PAGES), "application/pdf")})
    assert evidence.status_code == 201, evidence.text
    for who, trigger in ((party, "submit"), (staff, "accept")):
        moved = api.post(f"/api/v1/cases/{number}/actions", headers=who,
                         json={"trigger": trigger, "consent_online": True,
                               "consent_service": True})
        assert moved.status_code == 200, moved.text
    if _status(api, number, staff) == "accepted":
        assert api.post(f"/api/v1/cases/{number}/actions", headers=staff,
                        json={"trigger": "contact_respondent"}).status_code == 200
    # The respondent answered the body's phone call: no mediation.
    refused = api.post(f"/api/v1/cases/{number}/actions", headers=staff,
                       json={"trigger": "respondent_refuse",
                             "reason": "被申请人电话答复不同意调解，要求直接诉讼"})
    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "mediation_failed"
    return number


def _restart_worker(top: Topology) -> None:
    # Past the broker's visibility timeout the message the dead worker held is handed out
    # again, marked redelivered, when the new worker starts.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    top.worker.start()


def test_case_to_docket_with_the_worker_killed_mid_dossier_and_mid_delivery(
        top: Topology, portal_db: Engine) -> None:
    with httpx.Client(base_url=top.portal_url, timeout=60) as api:
        number = _failed_mediation(api)
        case_id = _one(portal_db, "SELECT id FROM cases WHERE number = :n", n=number)

        # 1. A dossier build, killed halfway.
        with httpx.Client(base_url=top.portal_url, timeout=60) as web:
            _login(web, APPLICANT)
            asked = _form(web, f"/cases/{number}/dossier")
            assert asked.status_code in (200, 303), asked.text
        job = _one(portal_db, "SELECT max(id) FROM dossier_jobs WHERE case_id = :c", c=case_id)

        def building() -> bool:
            return bool(_one(portal_db, "SELECT count(*) FROM dossier_jobs WHERE id = :j AND "
                             "status = 'running' AND progress > 0", j=job))

        wait_for(building, 120, "the dossier build to start", top.alive, 0.02)
        top.worker.kill()
        assert _one(portal_db, "SELECT status FROM dossier_jobs WHERE id = :j", j=job) == (
            "running")
        _restart_worker(top)
        wait_for(lambda: _one(portal_db, "SELECT status FROM dossier_jobs WHERE id = :j",
                              j=job) == "done", 180, "the dossier to finish", top.alive, 0.2)
        with portal_db.connect() as conn:
            built = [json.loads(d) for d in conn.execute(text(
                "SELECT data FROM audit_log WHERE action = 'case.dossier_built'")).scalars()]
        assert [b["job"] for b in built] == [job], top.logs()

        # 2. The court filing, its delivery caught in flight and the worker killed.
        with httpx.Client(base_url=top.portal_url, timeout=60) as web:
            _login(web, APPLICANT)
            assert web.get(f"/cases/{number}/filing").status_code == 200
            filed = _form(web, f"/cases/{number}/filing", court_id="zhuji")
            assert filed.status_code == 303, filed.text
        wait_for(lambda: bool(top.proxy.held), 120, "the delivery to reach the court",
                 top.alive, 0.05)
        assert _one(portal_db, "SELECT status FROM filings WHERE case_id = :c", c=case_id) == (
            "delivering")
        top.worker.kill()
        top.proxy.release()
        _restart_worker(top)
        party = _token(api, APPLICANT)
        wait_for(lambda: _status(api, number, party) == "filing_received", 180,
                 "the court to receive the filing", top.alive, 0.3)

        # 3. The clerk dockets it in the court's own inbox; the court calls the portal back.
        filing_id = str(_one(portal_db, "SELECT court_filing_id FROM filings WHERE case_id = :c",
                             c=case_id))
        with httpx.Client(base_url=top.court_url, timeout=60) as clerk:
            page = clerk.get("/login")
            token = re.search(r'name="court_csrf" value="([^"]+)"', page.text)
            assert token, page.text
            assert clerk.post("/login", data={"username": CLERK, "password": CLERK_PASSWORD,
                                              "court_csrf": token.group(1)}).status_code == 303
            detail = clerk.get(f"/inbox/{filing_id}")
            assert number in detail.text
            token = re.search(r'name="court_csrf" value="([^"]+)"', detail.text)
            assert token
            accepted = clerk.post(f"/inbox/{filing_id}/accept",
                                  data={"court_csrf": token.group(1)}, follow_redirects=True)
            docket = DOCKET.search(accepted.text)
            assert docket, accepted.text
        wait_for(lambda: _status(api, number, party) == "docketed", 120,
                 "the court's decision to reach the portal", top.alive, 0.3)

    # Exactly once, on both sides.
    with sqlite3.connect(top.root / "court" / "court.sqlite3") as court_db:
        assert court_db.execute("SELECT count(*) FROM court_filings").fetchone()[0] == 1
    assert _one(portal_db, "SELECT count(*) FROM filings WHERE case_id = :c", c=case_id) == 1
    assert _one(portal_db, "SELECT docket_number FROM filings WHERE case_id = :c",
                c=case_id) == docket.group(0)
    for trigger in ("request_filing", "court_receive", "docket"):
        assert _one(portal_db, "SELECT count(*) FROM case_events WHERE case_id = :c AND "
                    "trigger = :t", c=case_id, t=trigger) == 1, trigger
    assert top.alive() is None, top.logs()
