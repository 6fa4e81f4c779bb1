from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from portal.web.app import create_app
from tests.factories import PASSWORD


class Browser(TestClient):
    """A TestClient that behaves like a browser: it sends the CSRF token with forms."""

    def csrf(self) -> str:
        if "odr_csrf" not in self.cookies:
            self.get("/login")
        return str(self.cookies["odr_csrf"])

    def submit(self, url: str, data: dict[str, Any] | None = None, method: str = "POST",
               **kw: Any) -> httpx.Response:
        return self.request(method, url, data={"csrftoken": self.csrf(), **(data or {})},
                            follow_redirects=False, **kw)

    def login(self, phone: str, password: str = PASSWORD) -> httpx.Response:
        response = self.submit("/login", {"phone": phone, "password": password})
        assert response.status_code == 303, response.text
        return response


@pytest.fixture
def app() -> Any:
    return create_app()


@pytest.fixture
def browser(app: Any) -> Iterator[Browser]:
    with Browser(app, raise_server_exceptions=True) as client:
        yield client


@pytest.fixture
def make_browser(app: Any) -> Iterator[Any]:
    opened: list[Browser] = []

    def make() -> Browser:
        client = Browser(app)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
