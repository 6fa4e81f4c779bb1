"""Cached case pages: served again only while nothing is committed, per user, for seconds."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import pytest
import time_machine
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session

from portal.accounts import tokens
from portal.accounts.roles import Role
from portal.cases.models import Case
from portal.config import get_settings
from tests.factories import BodyFactory, UserFactory, complete_draft
from tests.functional.conftest import Browser


def _count(outcome: str) -> float:
    return REGISTRY.get_sample_value("odr_page_cache_total", {"outcome": outcome}) or 0.0


class Counts:
    """The page cache's outcomes since the last ``take``."""

    def __init__(self) -> None:
        self._last = self._now()

    @staticmethod
    def _now() -> dict[str, float]:
        return {k: _count(k) for k in ("hit", "miss", "skip")}

    def take(self) -> dict[str, int]:
        now = self._now()
        delta = {k: int(now[k] - self._last[k]) for k in now}
        self._last = now
        return {k: v for k, v in delta.items() if v}


def _filed_case(db: Session, make_browser: Callable[[], Browser]) -> tuple[str, Browser, Browser]:
    """A submitted case, its applicant's browser and the body administrator's."""
    body = BodyFactory(name="枫桥镇人民调解委员会")
    party = UserFactory(name="张三")
    boss = UserFactory(role=Role.BODY_ADMIN, body_id=body.id, name="李主任")
    applicant, staff = make_browser(), make_browser()
    applicant.login(party.phone)
    staff.login(boss.phone)
    number = complete_draft(db, party, body).number
    done = applicant.submit(f"/apply/{number}/review",
                            {"consent_online": "yes", "consent_service": "yes"})
    assert done.status_code == 303, done.text
    applicant.get(done.headers["location"])  # shows (and uses up) the flash message
    return number, applicant, staff


def test_a_page_is_served_again_until_anything_is_committed(
        db: Session, make_browser, caplog: pytest.LogCaptureFixture) -> None:
    number, applicant, staff = _filed_case(db, make_browser)
    counts = Counts()
    first = applicant.get(f"/cases/{number}")
    with caplog.at_level(logging.INFO, logger="portal.access"):
        caplog.clear()  # only this request's line
        again = applicant.get(f"/cases/{number}")
    assert first.status_code == again.status_code == 200
    assert counts.take() == {"miss": 1, "hit": 1}
    assert again.text == first.text
    # The hit keeps the headers of the page (asgi-csrf's Vary), and gets what every answer
    # gets afresh: the security headers, its own request id, its access log line.
    assert again.headers["vary"] == first.headers["vary"] == "Cookie"
    assert "frame-ancestors 'none'" in again.headers["content-security-policy"]
    assert again.headers["x-frame-options"] == "DENY"
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert len(again.headers.get_list("x-request-id")) == 1
    [line] = [r for r in caplog.records if r.name == "portal.access"]
    assert (line.route, line.status) == ("/cases/{number}", 200)  # type: ignore[attr-defined]

    # Another user's action is on the next page at once.
    accepted = staff.submit(f"/cases/{number}/act", {"trigger": "accept",
                                                     "reason": "属于本会受理范围"})
    assert accepted.status_code == 303
    counts.take()
    after = applicant.get(f"/cases/{number}")
    assert "属于本会受理范围" in after.text and "属于本会受理范围" not in first.text
    assert counts.take() == {"miss": 1}
    # So is a change made outside any request (a worker, an administrator's script).
    case = db.query(Case).filter_by(number=number).one()
    case.title = "宅基地边界纠纷（已更正）"
    db.commit()
    assert "宅基地边界纠纷（已更正）" in applicant.get(f"/cases/{number}").text
    assert "宅基地边界纠纷（已更正）" in applicant.get("/cases").text


def test_pages_are_kept_apart_per_user_and_language(db: Session, make_browser) -> None:
    number, applicant, staff = _filed_case(db, make_browser)
    for _ in range(2):
        mine, theirs = applicant.get(f"/cases/{number}"), staff.get(f"/cases/{number}")
        assert "张三 · " in mine.text and "李主任 · " not in mine.text
        assert "李主任 · " in theirs.text and "张三 · " not in theirs.text
        # Each page carries its own reader's CSRF token.
        assert applicant.cookies["odr_csrf"] in mine.text
        assert staff.cookies["odr_csrf"] in theirs.text
    assert "我的案件" in applicant.get("/cases").text or "案件" in applicant.get("/cases").text
    applicant.get("/lang/en", follow_redirects=False)
    english = applicant.get("/cases").text
    assert 'lang="en"' in english
    chinese = staff.get("/cases").text
    assert 'lang="zh-CN"' in chinese


def test_pages_expire_after_the_configured_seconds(db: Session, make_browser) -> None:
    number, applicant, _staff = _filed_case(db, make_browser)
    seconds = get_settings().page_cache_seconds
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        applicant.get(f"/cases/{number}")
        counts = Counts()
        clock.shift(seconds - 0.5)
        applicant.get(f"/cases/{number}")
        assert counts.take() == {"hit": 1}
        clock.shift(1)
        applicant.get(f"/cases/{number}")
        assert counts.take() == {"miss": 1}


def test_flash_messages_are_shown_once_and_never_cached(db: Session, make_browser) -> None:
    number, _applicant, staff = _filed_case(db, make_browser)
    staff.get(f"/cases/{number}")
    staff.submit(f"/cases/{number}/act", {"trigger": "accept", "reason": "受理"})
    counts = Counts()
    assert "已完成" in staff.get(f"/cases/{number}").text
    assert counts.take() == {"skip": 1}
    assert "已完成" not in staff.get(f"/cases/{number}").text
    assert "已完成" not in staff.get(f"/cases/{number}").text
    assert counts.take() == {"miss": 1, "hit": 1}


def test_a_login_ends_at_once_when_its_session_is_revoked(db: Session, make_browser) -> None:
    number, applicant, _staff = _filed_case(db, make_browser)
    assert applicant.get(f"/cases/{number}").status_code == 200
    assert applicant.get(f"/cases/{number}").status_code == 200  # login and page cached
    # Revoked elsewhere (another device's "log out everywhere", an administrator).
    user_id = db.query(Case).filter_by(number=number).one().applicant_id
    tokens.revoke_all(db, user_id)
    db.commit()
    applicant.cookies.delete("odr_refresh")  # only the access token, which is still unexpired
    gone = applicant.get(f"/cases/{number}", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")


def test_logging_out_ends_the_cached_login(db: Session, make_browser) -> None:
    _number, applicant, _staff = _filed_case(db, make_browser)
    assert applicant.get("/cases").status_code == 200
    kept = dict(applicant.cookies.items())
    assert applicant.submit("/logout").status_code == 303
    for name, value in kept.items():
        applicant.cookies.set(name, value)
    gone = applicant.get("/cases", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")


def test_nothing_is_cached_when_switched_off(db: Session, make_browser,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    number, applicant, _staff = _filed_case(db, make_browser)
    monkeypatch.setattr(get_settings(), "page_cache_seconds", 0)
    counts = Counts()
    applicant.get(f"/cases/{number}")
    applicant.get(f"/cases/{number}")
    assert counts.take() == {"skip": 2}
