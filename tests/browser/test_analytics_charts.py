"""The analytics dashboard on a phone: ECharts draws every chart under the strict CSP."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from sqlalchemy.orm import Session

from portal.analytics import aggregates
from tests.factories import PASSWORD
from tests.unit.analytics.dashboard_history import NOW, build

pytestmark = pytest.mark.browser


def test_charts_on_a_phone(db: Session, live_server: str, chromium: Any) -> None:
    history = build(db)
    with time_machine.travel(NOW, tick=True):
        aggregates.refresh(db)
        db.commit()
    context = chromium.new_context(base_url=live_server, viewport={"width": 360, "height": 740},
                                   is_mobile=True, has_touch=True)
    page = context.new_page()
    problems: list[str] = []

    def console(message: Any) -> None:
        # The browser asks for /favicon.ico on its own; the portal has none.
        if message.type == "error" and not message.location.get("url", "").endswith(
                "/favicon.ico"):
            problems.append(f"{message.text} {message.location}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto("/login")
    page.fill("[name=phone]", history["town_dispatcher"].phone)
    page.fill("[name=password]", PASSWORD)
    page.click("main form button")
    page.goto("/analytics?from=2026-10-20&to=2026-11-30")
    page.wait_for_function("document.querySelectorAll('[data-chart] canvas').length >= 8")
    # Every chart drawn, its table folded away (still there, one click to open).
    assert page.locator("details[data-chart-table][open]").count() == 0
    assert page.locator("details[data-chart-table] table").count() == 8
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # A tooltip: ECharts' HTML tooltips carry style attributes, which the CSP refuses.
    page.locator("[data-chart=levels] canvas").first.hover()
    page.wait_for_timeout(300)
    assert problems == []  # no script error, nothing refused by the CSP
    context.close()
