"""The alerts pages over HTTP: scope, filters, the life of an alert, the rules page, risk."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.analytics.models import Alert, AlertStatus, RuleKey
from portal.audit.models import AuditEntry
from tests.factories import UserFactory, dispatch_world
from tests.functional.conftest import Browser
from tests.unit.analytics.alert_support import DAY, T0, alerts, report, run_scan

W = dict[str, Any]


def _login(make_browser: Any, user: Any) -> Browser:
    browser: Browser = make_browser()
    browser.login(user.phone)
    browser.get("/lang/en")
    return browser


def _world(db: Session) -> W:
    """A threatening dispute in the village and a land dispute in the other town."""
    w = dispatch_world(db)
    w["threat"] = report(db, w, T0, description="对方扬言要报复，还说要去上访。")
    w["land"] = report(db, w, T0, dispute_type="land", area=w["other_town"])
    run_scan(db, T0)
    w["mine"] = alerts(db, RuleKey.KEYWORDS)[0]
    w["theirs"] = alerts(db, RuleKey.SENSITIVE_TYPE)[0]
    return w


def test_a_town_sees_its_alerts_and_not_the_other_towns(db: Session, make_browser: Any) -> None:
    w = _world(db)
    browser = _login(make_browser, w["town_dispatcher"])
    page = browser.get("/alerts")
    assert page.status_code == 200
    assert f'href="/alerts/{w["mine"].id}"' in page.text
    assert f'href="/alerts/{w["theirs"].id}"' not in page.text
    assert 'href="/alerts"' in page.text  # in the navigation
    detail = browser.get(f"/alerts/{w['mine'].id}")
    assert detail.status_code == 200
    assert "Petitions and gatherings" in detail.text and "上访" in detail.text
    assert w["threat"].case.number in detail.text
    assert browser.get(f"/alerts/{w['theirs'].id}").status_code == 404
    refused = browser.submit(f"/alerts/{w['theirs'].id}/acknowledge")
    assert refused.status_code == 404
    assert alerts(db, RuleKey.SENSITIVE_TYPE)[0].status is AlertStatus.OPEN


def test_only_staff_may_open_the_alerts(db: Session, make_browser: Any) -> None:
    w = _world(db)
    for user in (UserFactory(), w["grid"], w["village_mediator"]):
        browser = _login(make_browser, user)
        assert browser.get("/alerts").status_code == 403
        assert browser.get(f"/alerts/{w['mine'].id}").status_code == 403
        assert 'href="/alerts"' not in browser.get("/cases").text


def test_empty_state_and_filters(db: Session, make_browser: Any) -> None:
    w = _world(db)
    empty = _login(make_browser, w["town_admin"]).get("/alerts")
    assert "No open alerts in your area" in empty.text
    city = _login(make_browser, w["city_dispatcher"])
    assert f"/alerts/{w['theirs'].id}" in city.get("/alerts?level=yellow").text
    only_orange = city.get("/alerts?level=orange").text
    assert f"/alerts/{w['mine'].id}\"" in only_orange
    assert f"/alerts/{w['theirs'].id}\"" not in only_orange
    none = city.get("/alerts?status=closed")
    assert "No alert matches these filters." in none.text
    assert city.get("/alerts?level=purple&status=nonsense&page=x").status_code == 200


def test_pages_of_alerts(db: Session, make_browser: Any) -> None:
    w = dispatch_world(db)
    for i in range(27):
        report(db, w, T0 + i * DAY / 100, dispute_type="land")
    run_scan(db, T0 + DAY)
    browser = _login(make_browser, w["town_dispatcher"])
    first = browser.get("/alerts?rule=sensitive_type")
    assert "27 alerts" in first.text and "Page 1 of 2" in first.text
    second = browser.get("/alerts?rule=sensitive_type&page=2")
    assert len(re.findall(r'href="/alerts/\d+"', second.text)) == 2


def test_the_life_of_an_alert_over_http(db: Session, make_browser: Any) -> None:
    w = _world(db)
    browser, base = _login(make_browser, w["town_dispatcher"]), f"/alerts/{w['mine'].id}"
    too_soon = browser.submit(f"{base}/close", {"note": "无事"})
    assert too_soon.status_code == 409
    assert "Acknowledge the alert and record how it was handled" in too_soon.text
    assert browser.submit(f"{base}/acknowledge").status_code == 303
    assert "The alert was acknowledged." in browser.get(base).text
    twice = browser.submit(f"{base}/acknowledge")
    assert twice.status_code == 409 and "cannot become" in twice.text
    assert browser.submit(f"{base}/handle", {"note": "已上门走访"}).status_code == 303
    page = browser.get(base).text
    assert "data-confirm=" in page and 'action="' + base + '/close"' in page
    no_note = browser.submit(f"{base}/close", {"note": " "})
    assert no_note.status_code == 400 and "Write how the alert was dealt with" in no_note.text
    assert browser.submit(f"{base}/close", {"note": "矛盾已化解"}).status_code == 303
    closed = browser.get(base).text
    assert "矛盾已化解" in closed and "已上门走访" in closed
    assert "What you can do now" not in closed
    db.expire_all()
    assert db.get(Alert, w["mine"].id).status is AlertStatus.CLOSED  # type: ignore[union-attr]


def test_the_owner_reads_the_notice(db: Session, make_browser: Any) -> None:
    w = _world(db)
    page = _login(make_browser, w["town_dispatcher"]).get("/notifications")
    assert page.status_code == 200
    assert f"An orange early-warning alert needs your attention: #{w['mine'].id}" in page.text
    assert f'href="/alerts/{w["mine"].id}"' in page.text


def test_administrators_set_the_rules(db: Session, make_browser: Any) -> None:
    w = dispatch_world(db)
    admin = _login(make_browser, w["admin"])
    page = admin.get("/admin/alert-rules")
    assert page.status_code == 200 and "Repeat disputes" in page.text
    bad = admin.submit("/admin/alert-rules", {"rule": "repeat", "enabled": "on",
                                              "level": "orange", "min_cases": "1",
                                              "window_days": "90"})
    assert bad.status_code == 400 and "Enter a whole number from 2 to 100." in bad.text
    assert admin.submit("/admin/alert-rules", {"rule": "nope"}).status_code == 400
    ok = admin.submit("/admin/alert-rules", {"rule": "repeat", "level": "red",
                                             "min_cases": "4", "window_days": "60"})
    assert ok.status_code == 303
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "analytics.rule_set")
                       ).scalar_one()
    assert entry.actor_id == w["admin"].id and '"min_cases":4' in entry.data
    saved = admin.get("/admin/alert-rules").text
    assert "Switched off" in saved  # "enabled" was not sent: the rule is off now
    dispatcher = _login(make_browser, w["town_dispatcher"])
    assert dispatcher.get("/admin/alert-rules").status_code == 403
    assert dispatcher.submit("/admin/alert-rules", {"rule": "repeat"}).status_code == 403


def test_risk_on_the_case_page_and_in_the_list(db: Session, make_browser: Any) -> None:
    w = _world(db)
    calm = report(db, w, T0)
    run_scan(db, T0 + DAY / 4)
    number = w["threat"].case.number
    dispatcher = _login(make_browser, w["town_dispatcher"])
    case_page = dispatcher.get(f"/cases/{number}").text
    assert "Risk 25" in case_page and "Escalation language" in case_page
    listed = dispatcher.get("/cases?sort=risk").text
    assert listed.index(number) < listed.index(calm.case.number)
    assert "Risk 25" in listed
    board = dispatcher.get("/orders").text
    assert "Risk 25" in board
    # The grid worker who reported it sees the case, but no score.
    grid = _login(make_browser, w["grid"])
    assert "Risk 25" not in grid.get(f"/cases/{number}").text
    assert "Risk score" not in grid.get("/cases?sort=risk").text
