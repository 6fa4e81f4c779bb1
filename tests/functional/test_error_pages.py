"""404, 403 and 500 pages share the site's layout and speak the user's language."""

from __future__ import annotations

import pytest
from starlette.routing import request_response
from starlette.testclient import TestClient

from portal.accounts.roles import Role
from portal.web.app import create_app
from portal.web.views import health
from tests.factories import UserFactory
from tests.functional.conftest import Browser


def test_not_found_in_chinese_then_english(browser: Browser) -> None:
    page = browser.get("/no/such/page")
    assert page.status_code == 404 and "页面不存在" in page.text and "枫桥ODR" in page.text
    browser.get("/lang/en")
    page = browser.get("/no/such/page")
    assert page.status_code == 404 and "Page not found" in page.text


def test_forbidden_page(browser: Browser, db: object) -> None:
    browser.login(UserFactory(role=Role.MEDIATOR).phone)
    page = browser.get("/admin/audit")
    assert page.status_code == 403 and "无权操作" in page.text


def test_server_error_page_hides_the_details(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(request: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(health.ROUTES[0], "endpoint", broken)
    monkeypatch.setattr(health.ROUTES[0], "app", request_response(broken))
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        page = client.get("/healthz")
    assert page.status_code == 500
    assert "secret internals" not in page.text and "系统出现错误" in page.text
