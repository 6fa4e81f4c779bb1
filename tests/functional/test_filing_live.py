"""Court filing over real HTTP on loopback.

1. The embedded default, as ``odr serve`` runs it: one uvicorn process serving the portal
   and the court's receiver at /court, Celery eager. Filing from the portal's page POSTs the
   package to the same process from inside the request (in a worker thread, never on the
   event loop, which would deadlock), a clerk dockets it in the receiver's inbox, and the
   receiver's callback moves the case.
2. A receiver that refuses connections, answers 500, then answers too late, then accepts:
   one filing at the court and one docket number.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.types import Message, Receive, Scope, Send

from court_export.receiver import decisions as court_decisions
from court_export.receiver.app import create_app as create_receiver
from court_export.receiver.config import PlatformConfig, ReceiverConfig
from court_export.receiver.models import DocketCounter
from court_export.receiver.models import Filing as CourtFiling
from portal.cases.states import Status, Trigger
from portal.config import get_settings
from portal.db.types import utcnow
from portal.demo import DEMO_PASSWORD
from portal.filing import courts, delivery, scan, services
from portal.filing.models import Filing, FilingStatus
from portal.web.app import create_app
from portal.web.court_mount import DEMO_CLERK
from tests.factories import PASSWORD
from tests.live import loopback_socket, serving, url_of
from tests.unit.casefile.world import (
    APPLICANT_PHONE,
    build_world,
    require_embedded_font,
    store_evidence,
)
from tests.unit.filing.support import courts_file

DOCKET = re.compile(r"\(\d{4}\)浙0681民初\d+号")


@pytest.fixture(autouse=True)
def _embedded_font() -> None:
    require_embedded_font()


def _token(client: httpx.Client, name: str) -> str:
    return str(client.cookies[name])


def _wait(check: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_filed_received_docketed_through_the_embedded_court(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    world = build_world(db)
    # Larger than the portal's request limit (ODR_REQUEST_MAX_BYTES): the receiver's own
    # limit applies to packages, not the portal's.
    big = os.urandom(3 * 1024 * 1024)
    store_evidence(db, world.case, world.applicant, "监控录像.mp4", big, "mp4", "video/mp4",
                   "证明事发经过")
    number = world.case.number
    settings = get_settings()
    assert len(big) > settings.request_max_bytes

    def portal(url: str) -> Any:
        # The embedded court's endpoint and its callback are this server's own URL.
        monkeypatch.setattr(settings, "base_url", url)
        return create_app()

    with serving(portal) as url, httpx.Client(base_url=url, timeout=60) as party:
        party.get("/login")
        assert party.post("/login", data={"phone": APPLICANT_PHONE, "password": PASSWORD,
                                          "csrftoken": _token(party, "odr_csrf")}
                          ).status_code == 303
        assert party.get(f"/cases/{number}/filing").status_code == 200
        started = time.monotonic()
        filed = party.post(f"/cases/{number}/filing", data={
            "court_id": "zhuji", "csrftoken": _token(party, "odr_csrf")})
        assert filed.status_code == 303, filed.text
        assert time.monotonic() - started < 30  # no deadlock waiting for a timeout
        # Delivered during that request: the court's system has it.
        db.expire_all()
        filing = db.execute(select(Filing)).scalar_one()
        assert filing.status is FilingStatus.DELIVERED and filing.court_filing_id
        assert (filing.package_size or 0) > len(big)
        assert world.case.status is Status.FILING_RECEIVED

        with httpx.Client(base_url=url, timeout=60) as clerk:
            page = clerk.get("/court/login")
            csrf = re.search(r'name="court_csrf" value="([^"]+)"', page.text)
            assert csrf, page.text
            assert clerk.post("/court/login", data={
                "username": DEMO_CLERK, "password": DEMO_PASSWORD,
                "court_csrf": csrf.group(1)}).status_code == 303
            inbox = clerk.get("/court/inbox")
            assert number in inbox.text
            detail = clerk.get(f"/court/inbox/{filing.court_filing_id}")
            assert "民事起诉状" in detail.text
            csrf = re.search(r'name="court_csrf" value="([^"]+)"', detail.text)
            assert csrf
            accepted = clerk.post(f"/court/inbox/{filing.court_filing_id}/accept",
                                  data={"court_csrf": csrf.group(1)}, follow_redirects=True)
            shown = DOCKET.search(accepted.text)
            assert shown, accepted.text

        # The receiver calls the portal back; the case is docketed with that number.
        def docketed() -> bool:
            db.expire_all()
            return world.case.status is Status.DOCKETED

        assert _wait(docketed), world.case.status
        db.refresh(filing)
        assert filing.status is FilingStatus.ACCEPTED
        assert filing.docket_number == shown.group(0)
        page = party.get(f"/cases/{number}")
        assert shown.group(0) in page.text


class Flaky:
    """In front of the court: 500 to the first POST, an answer too late to the second (the
    court has stored the package by then), the real court's answer afterwards."""

    def __init__(self, court: Any, *, late: float) -> None:
        self.court = court
        self.late = late
        self.posts = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.court(scope, receive, send)
            return
        self.posts += 1
        if self.posts == 1:
            while (await receive()).get("more_body"):
                pass
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"upstream down"})
            return
        if self.posts == 2:
            held: list[Message] = []

            async def hold(message: Message) -> None:
                held.append(message)

            await self.court(scope, receive, hold)
            await asyncio.sleep(self.late)
            for message in held:
                try:
                    await send(message)
                except Exception:  # the portal gave up waiting, as it should
                    return
            return
        await self.court(scope, receive, send)


def test_a_failing_court_gets_one_filing_and_gives_one_docket_number(
        db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    sock = loopback_socket()  # bound, not listening: the first attempt is refused
    court_dir = tmp_path / "court"
    receiver = create_receiver(ReceiverConfig(
        court_id="test", court_name="测试人民法院", var_dir=court_dir,
        platforms={courts.DEFAULT_PLATFORM_ID: PlatformConfig(
            public_key_dir=courts.platform_key_dir(settings))}))
    monkeypatch.setattr(settings, "courts_file", courts_file(
        tmp_path, f"{url_of(sock)}/api/v1/filings", court_dir / "keys"))
    monkeypatch.setattr(settings, "court_timeout", 1.0)
    world = build_world(db)
    sent: list[int] = []
    monkeypatch.setattr(services.tasks.deliver, "delay", sent.append)
    filing = services.request_filing(db, case=world.case, user=world.applicant,
                                     court_id="test")
    db.commit()
    later = utcnow()

    def attempt() -> FilingStatus | None:
        nonlocal later
        later += dt.timedelta(hours=2)  # past any backoff
        return delivery.deliver(filing.id, now=later)

    assert attempt() is FilingStatus.QUEUED
    db.refresh(filing)
    assert "ConnectError" in filing.last_error
    flaky = Flaky(receiver, late=3.0)
    with serving(lambda _url: flaky, sock):
        assert attempt() is FilingStatus.QUEUED
        db.refresh(filing)
        assert "HTTP 500" in filing.last_error
        assert attempt() is FilingStatus.QUEUED
        db.refresh(filing)
        assert "timeout" in filing.last_error
        # The court filed the package while the portal waited; the same key again gets
        # the first answer, not a second filing.
        assert attempt() is FilingStatus.DELIVERED
        db.expire_all()
        assert filing.attempts == 4 and world.case.status is Status.FILING_RECEIVED
        court = receiver.state.court
        with court.db.session() as s:
            rows = s.execute(select(CourtFiling)).scalars().all()
            assert [(r.id, r.package_id) for r in rows] == [
                (filing.court_filing_id, filing.package_id)]
        docketed = court_decisions.accept(court, rows[0].id, clerk="书记员")
        # No callback is configured for this court: the portal asks.
        assert scan.poll(filing.id) is True
        assert scan.poll(filing.id) is False
    db.expire_all()
    assert world.case.status is Status.DOCKETED
    assert filing.docket_number == docketed.docket_number
    assert [e.trigger for e in world.case.events].count(Trigger.DOCKET) == 1
    with court.db.session() as s:
        assert s.execute(select(func.count()).select_from(CourtFiling)).scalar_one() == 1
        assert s.execute(select(func.sum(DocketCounter.last_seq))).scalar_one() == 1
    assert flaky.posts == 3 and sent == [filing.id]
