"""The receiver mounted in a host application under /court, as the portal's embedded
default does: links, redirects and forms stay inside the mount, the host's own CSRF check
(asgi-csrf) passes on the receiver's forms, and the host runs the callback loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from asgi_csrf import asgi_csrf_decorator
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient
from starlette.types import ASGIApp

from court_export.keys import SigningKey
from court_export.receiver.app import create_app, receiver_lifespan
from court_export.receiver.config import PlatformConfig, ReceiverConfig
from tests.functional import court_receiver_support as support
from tests.functional.court_receiver_support import (
    CLERK,
    CLERK_PASSWORD,
    build,
    csrf_from,
    loopback,
    package_id_of,
)

platform_key = support.platform_key  # the shared fixture, used here by name


@pytest.fixture
def config(tmp_path: Path, platform_key: SigningKey) -> Iterator[ReceiverConfig]:
    config = support.receiver_config(tmp_path / "court", platform_key)
    yield config
    support.drop_tables(config)


def _host(receiver: Starlette) -> ASGIApp:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with receiver_lifespan(receiver):
            yield

    host = Starlette(routes=[Mount("/court", receiver)], lifespan=lifespan)
    protect = asgi_csrf_decorator(signing_secret="host-secret", cookie_name="odr_csrf",
                                  form_input="csrftoken")
    wrapped: ASGIApp = protect(host)
    return wrapped


def test_mounted_pages_forms_and_callbacks(config: ReceiverConfig, platform_key: SigningKey,
                                           tmp_path: Path) -> None:
    with loopback() as platform:
        platform_config = PlatformConfig(
            keys={platform_key.kid: platform_key.public_pem()}, callback_url=platform.url)
        config = replace(config, platforms={support.PLATFORM_ID: platform_config})
        receiver = create_app(config)
        with TestClient(_host(receiver), base_url="https://portal.test") as client:
            package = build(tmp_path, platform_key)
            answer = support.post_to(client, "/court/api/v1/filings", package,
                                     package_id_of(package))
            assert answer.status_code == 201, answer.text
            filing_id = answer.json()["filing_id"]

            to_login = client.get("/court/inbox", follow_redirects=False)
            assert to_login.headers["location"] == (
                "https://portal.test/court/login?next=%2Fcourt%2Finbox")
            page = client.get("/court/login?next=/court/inbox")
            assert 'href="https://portal.test/court/static/court.css"' in page.text
            assert 'name="csrftoken"' in page.text  # the host's token, passed through
            outer = page.text.split('name="csrftoken" value="')[1].split('"')[0]
            logged_in = client.post("/court/login", follow_redirects=False, data={
                "username": CLERK, "password": CLERK_PASSWORD, "next": "/court/inbox",
                "court_csrf": csrf_from(page.text), "csrftoken": outer})
            assert logged_in.status_code == 303
            assert logged_in.headers["location"] == "/court/inbox"
            # Somewhere outside the mount is not a place to be sent after login.
            assert client.get("/court/login?next=//evil.test/x",
                              follow_redirects=False).headers["location"].endswith(
                                  "/court/inbox")

            filing_page = client.get(f"/court/inbox/{filing_id}")
            assert f'action="https://portal.test/court/inbox/{filing_id}/accept"' in \
                filing_page.text
            accepted = client.post(f"/court/inbox/{filing_id}/accept", follow_redirects=False,
                                   data={"court_csrf": csrf_from(filing_page.text),
                                         "csrftoken": outer})
            assert accepted.status_code == 303
            bodies = platform.wait_for(1)
    assert len(bodies) == 1
