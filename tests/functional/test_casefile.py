"""The case file through the pages: papers, building the dossier, its progress, download."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.casefile import dossier
from portal.casefile.models import DossierJob, JobStatus
from portal.db.types import utcnow
from tests.factories import UserFactory
from tests.functional.conftest import Browser
from tests.unit.casefile.test_jobs import SECTIONS
from tests.unit.casefile.world import (
    APPLICANT,
    APPLICANT_PHONE,
    RESPONDENT,
    build_world,
    require_embedded_font,
)


@pytest.fixture(autouse=True)
def _embedded_font() -> None:
    require_embedded_font()


def _text(pdf: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_papers_are_listed_and_downloaded(db: Session, make_browser: Any) -> None:
    world = build_world(db)
    number = world.case.number
    browser: Browser = make_browser()
    browser.login(APPLICANT_PHONE)
    page = browser.get(f"/cases/{number}")
    assert page.status_code == 200
    for slug in ("application", "acceptance", "evidence-list", "termination", "complaint",
                 "receipts", f"minutes-{world.meeting.id if world.meeting else 0}"):
        assert f"/cases/{number}/papers/{slug}" in page.text, slug
    response = browser.get(f"/cases/{number}/papers/application")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    text = _text(response.content)
    assert APPLICANT in text and RESPONDENT in text
    assert browser.get(f"/cases/{number}/papers/confirmation").status_code == 404


def test_build_poll_and_download_the_dossier(db: Session, make_browser: Any) -> None:
    world = build_world(db)
    base = f"/cases/{world.case.number}/dossier"
    browser: Browser = make_browser()
    browser.login(APPLICANT_PHONE)
    assert browser.get(f"{base}/progress").json()["status"] == "none"
    assert browser.get(f"{base}/download").status_code == 404
    page = browser.get(base)
    assert page.status_code == 200 and f'action="{base}"' in page.text

    response = browser.submit(base)
    assert response.status_code == 303 and response.headers["location"] == base
    for _ in range(100):  # a worker would take a moment; eager mode is done already
        state = browser.get(f"{base}/progress").json()
        if state["finished"]:
            break
        time.sleep(0.1)
    assert state["status"] == "done" and state["progress"] == 1.0

    page = browser.get(base)
    assert f"{base}/download" in page.text and "<progress" not in page.text
    pdf = browser.get(f"{base}/download")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    assert [o.title for o in reader.outline if not isinstance(o, list)] == SECTIONS
    job = db.query(DossierJob).one()
    assert job.sha256 in page.text
    # Asking again for an unchanged case gives the same dossier.
    assert browser.submit(base).status_code == 303
    assert db.query(DossierJob).count() == 1


def test_a_running_build_shows_progress_with_a_fallback(db: Session, make_browser: Any) -> None:
    world = build_world(db)
    db.add(DossierJob(case_id=world.case.id, fingerprint="a" * 64, status=JobStatus.RUNNING,
                      progress=0.42, started_at=utcnow()))
    db.commit()
    base = f"/cases/{world.case.number}/dossier"
    browser: Browser = make_browser()
    browser.login(APPLICANT_PHONE)
    for url in (base, f"/cases/{world.case.number}"):
        page = browser.get(url).text
        assert f'<progress class="w-100" max="100" value="42" data-dossier-progress="{base}' \
               '/progress"' in page
        assert f'href="{base}" data-dossier-reload' in page  # works without JavaScript
        assert '<script src="/static/js/dossier.js" defer></script>' in page
    state = browser.get(f"{base}/progress").json()
    assert state == {"status": "running", "progress": 0.42, "finished": False, "error": ""}


def test_a_failed_build_says_why_and_offers_a_retry(db: Session, make_browser: Any) -> None:
    world = build_world(db)
    db.add(DossierJob(case_id=world.case.id, fingerprint="b" * 64, status=JobStatus.FAILED,
                      error=dossier.MISSING_EVIDENCE, error_params='{"name": "劳动合同.pdf"}'))
    db.commit()
    base = f"/cases/{world.case.number}/dossier"
    browser: Browser = make_browser()
    browser.login(APPLICANT_PHONE)
    page = browser.get(base).text
    assert "劳动合同.pdf" in page and 'role="alert"' in page and f'action="{base}"' in page
    assert browser.get(f"{base}/progress").json()["status"] == "failed"


def test_outsiders_get_nothing(db: Session, make_browser: Any) -> None:
    world = build_world(db)
    number = world.case.number
    stranger: Browser = make_browser()
    stranger.login(world.stranger.phone)
    for url in (f"/cases/{number}/papers/application", f"/cases/{number}/dossier",
                f"/cases/{number}/dossier/progress", f"/cases/{number}/dossier/download"):
        assert stranger.get(url).status_code == 404, url
    assert stranger.submit(f"/cases/{number}/dossier").status_code == 404
    assert db.query(DossierJob).count() == 0
    # The court sees the case's papers but does not build the mediation dossier.
    clerk: Browser = make_browser()
    clerk.login(UserFactory(role=Role.COURT_CLERK, court_name="诸暨市人民法院").phone)
    assert clerk.get(f"/cases/{number}/papers/complaint").status_code == 200
    assert clerk.get(f"/cases/{number}/dossier").status_code == 403
    assert clerk.submit(f"/cases/{number}/dossier").status_code == 403
