"""A grid worker reports a dispute on a 360 px phone screen, with the browser's location."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.dispatch.models import Step, WorkOrder
from tests.factories import PASSWORD, dispatch_world

pytestmark = pytest.mark.browser


def test_grid_worker_reports_from_a_phone(db: Session, live_server: str, chromium: Any) -> None:
    w = dispatch_world(db)
    db.commit()
    context = chromium.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, is_mobile=True,
        has_touch=True, geolocation={"latitude": 29.7145, "longitude": 120.2443},
        permissions=["geolocation"])
    page = context.new_page()
    page.goto("/login")
    page.fill("[name=phone]", w["grid"].phone)
    page.fill("[name=password]", PASSWORD)
    page.click("main form button")
    page.goto("/report")
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.select_option("[name=dispute_type]", "neighbour")
    page.fill("[name=title]", "院墙排水纠纷")
    page.fill("[name=description]", "两户因院墙排水发生争执。")
    page.select_option("[name=area_id]", str(w["village"].id))
    page.click("#use-location")
    page.wait_for_function("document.getElementById('f-latitude').value !== ''")
    page.fill("[name=applicant_name]", "张三")
    page.fill("[name=applicant_phone]", "13700001111")
    page.fill("[name=respondent_name]", "李四")
    page.fill("[name=respondent_phone]", "13700002222")
    page.click("main form button.btn-lg")
    page.wait_for_url("**/orders/*")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
    order = db.execute(select(WorkOrder)).scalar_one()
    assert order.step is Step.DISPATCH
    assert (float(order.latitude or 0), float(order.longitude or 0)) == (29.7145, 120.2443)
