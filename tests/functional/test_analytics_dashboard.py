"""The analytics dashboard and its CSV downloads: scope, bad filters, streaming and its cap."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
import time_machine
from sqlalchemy.orm import Session

from portal.analytics import aggregates
from portal.web.views import analytics as views
from tests.factories import UserFactory
from tests.functional.conftest import Browser
from tests.unit.analytics.dashboard_history import NOW, build

PERIOD = "from=2026-10-20&to=2026-11-30"


@pytest.fixture
def history(db: Session) -> Iterator[dict[str, Any]]:
    found = build(db)
    with time_machine.travel(NOW, tick=True):
        aggregates.refresh(db)
        db.commit()
        yield found


def _as(make_browser: Any, user: Any) -> Browser:
    browser: Browser = make_browser()
    browser.get("/lang/en")
    browser.login(user.phone)
    return browser


def _charts(html: str) -> dict[str, Any]:
    found = re.search(r'data-charts="([^"]*)"', html)
    assert found is not None
    charts: dict[str, Any] = json.loads(unescape(found.group(1)))
    return charts


def _summary(html: str) -> dict[str, str]:
    pairs = re.findall(r'<div class="small text-muted">([^<]+)</div><div class="fs-4 '
                       r'fw-semibold">([^<]+)</div>', html)
    return dict(pairs)


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_a_town_dispatcher_sees_the_figures_of_the_town_only(
        history: dict[str, Any], make_browser: Any) -> None:
    browser = _as(make_browser, history["town_dispatcher"])
    page = browser.get(f"/analytics?{PERIOD}")
    assert page.status_code == 200
    assert '<a class="nav-link active" aria-current="page" href="/analytics">' in page.text
    # A B D E F of the town; C of 城南街道 is not counted and its town is not listed.
    assert _summary(page.text) == {"Received": "5", "Closed": "2", "Resolution rate": "50.0%",
                                   "Average days to close": "1.7",
                                   "Satisfaction (1-5)": "4.5", "Overdue": "2"}
    assert "城南街道" not in page.text
    charts = _charts(page.text)
    assert set(charts) == {"received", "areas", "sources", "levels", "steps", "overdue",
                           "bodies", "mediators"}
    assert charts["areas"]["categories"] == ["枫桥镇", "枫源村"]
    assert charts["areas"]["series"][0]["data"] == [5, 4]
    assert charts["levels"]["series"][0]["data"] == [100.0, 0.0, None]  # resolution rate
    # Every chart is also a table.
    assert page.text.count("<table") == 8
    assert '<script src="/static/vendor/echarts/echarts.common.min.js">' in page.text


def test_another_towns_area_is_refused(history: dict[str, Any], make_browser: Any) -> None:
    browser = _as(make_browser, history["other_dispatcher"])
    own = browser.get(f"/analytics?{PERIOD}")
    assert _summary(own.text)["Received"] == "1" and "枫源村" not in own.text
    town = history["town"].id
    for url in (f"/analytics?{PERIOD}&area={town}",
                f"/analytics/export?table=areas&{PERIOD}&area={town}",
                f"/analytics/export?table=orders&area={town}"):
        response = browser.get(url)
        assert response.status_code == 403, url
        assert "You may only see the figures of your own area." in response.text
    assert browser.get(f"/analytics?area={history['other_town'].id}").status_code == 200


def test_an_administrator_sees_everywhere(history: dict[str, Any], make_browser: Any) -> None:
    browser = _as(make_browser, history["admin"])
    page = browser.get(f"/analytics?{PERIOD}")
    assert '<option value="">All areas</option>' in page.text
    assert _summary(page.text)["Received"] == "6"
    village = browser.get(f"/analytics?{PERIOD}&area={history['village'].id}&type=neighbour")
    assert _summary(village.text)["Received"] == "3"  # A D E


@pytest.mark.parametrize("query,field,message", [
    ("from=2026-13-01", "from", "Enter a date as YYYY-MM-DD."),
    ("from=2026-11-30&to=2026-10-01", "to", "The end date is before the start date."),
    ("from=1066-10-14", "from", "Choose a date between 2000-01-01 and"),
    ("to=9999-12-31", "to", "Choose a date between 2000-01-01 and"),
    ("type=alien", "type", "Choose a dispute type from the list."),
    ("level=grid", "level", "Choose a level from the list."),
    ("area=north", "area", "Choose an area from the list."),
    ("area=99999999", "area", "Choose an area from the list."),
])
def test_bad_filters_are_a_form_error(history: dict[str, Any], make_browser: Any, query: str,
                                      field: str, message: str) -> None:
    browser = _as(make_browser, history["admin"])
    for url in (f"/analytics?{query}", f"/analytics/export?table=levels&{query}"):
        page = browser.get(url)
        assert page.status_code == 400, url
        assert f'id="e-{field}" class="invalid-feedback">{message}' in page.text
        assert "data-charts" not in page.text and "text/csv" not in page.headers[
            "content-type"]


def test_csv_of_a_chart_and_of_the_orders(history: dict[str, Any], make_browser: Any) -> None:
    browser = _as(make_browser, history["town_dispatcher"])
    levels = browser.get(f"/analytics/export?table=levels&{PERIOD}")
    assert levels.status_code == 200 and levels.headers["content-type"].startswith("text/csv")
    assert "attachment" in levels.headers["content-disposition"]
    assert _csv(levels.content) == [
        ["Level", "Received", "Closed", "Resolved", "Resolution rate",
         "Share of all resolved"],
        ["Village or community", "3", "1", "1", "100.0%", "100.0%"],
        ["Town or street", "2", "1", "0", "0.0%", "0.0%"],
        ["City", "0", "0", "0", "", "0.0%"]]
    orders = _csv(browser.get(f"/analytics/export?table=orders&{PERIOD}").content)
    numbers = {o.case.number for k, o in history["orders"].items() if k in "ABDEF"}
    assert {row[0] for row in orders[1:]} == numbers and len(orders) == 6
    [e] = [row for row in orders if row[0] == history["orders"]["E"].case.number]
    assert e[1:6] == ["2026-11-01 01:00", "枫源村", "Neighbours", "Village or community",
                      "Grid worker's report"]
    assert browser.get("/analytics/export?table=secrets").status_code == 400


def test_an_export_over_the_cap_is_refused_with_a_message(
        history: dict[str, Any], make_browser: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "CSV_MAX_ROWS", 4)
    browser = _as(make_browser, history["town_dispatcher"])
    refused = browser.get(f"/analytics/export?table=orders&{PERIOD}")
    assert refused.status_code == 400 and refused.headers["content-type"].startswith(
        "text/html")
    assert ("This export would have 5 rows, more than the 4 that can be downloaded at once."
            in refused.text)
    assert "data-charts" in refused.text  # the dashboard, with the message on top
    narrower = browser.get("/analytics/export?table=orders&from=2026-10-26&to=2026-10-28")
    assert narrower.status_code == 200 and len(_csv(narrower.content)) == 4  # A B D


def test_csv_is_written_in_pieces() -> None:
    rows = ([str(n), "枫源村" * 10] for n in range(20_000))
    pieces = list(views._csv(rows))
    assert len(pieces) > 5 and all(len(p.decode()) < 70_000 for p in pieces)
    assert len(_csv(b"".join(pieces))) == 20_000


def test_only_dispatchers_and_administrators(history: dict[str, Any],
                                             make_browser: Any) -> None:
    for user in (history["town_admin"], history["grid"], UserFactory()):
        browser = _as(make_browser, user)
        assert browser.get("/analytics").status_code == 403
        assert 'href="/analytics"' not in browser.get("/cases").text
    no_area = _as(make_browser, UserFactory(role=history["town_dispatcher"].role))
    assert no_area.get("/analytics").status_code == 403


def test_one_end_of_the_period_sets_the_other(history: dict[str, Any],
                                              make_browser: Any) -> None:
    browser = _as(make_browser, history["admin"])
    page = browser.get("/analytics?to=2026-11-30")
    assert 'name="from" value="2025-12-01"' in page.text  # twelve months up to it
    later = browser.get("/analytics?from=2027-01-10")  # after today: a period of one day
    assert later.status_code == 200 and 'name="to" value="2027-01-10"' in later.text
