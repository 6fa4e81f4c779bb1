"""Browser tests: the real app on a loopback port, driven by the system's chromium.

Playwright never downloads a browser here; it starts /usr/bin/chromium. Without it the
tests are skipped, except in CI (ODR_TEST_REQUIRE_SERVICES=1), where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portal.web.app import create_app
from tests.live import serving
from tests.services import unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]



@pytest.fixture
def live_server() -> Iterator[str]:
    """The portal served by uvicorn in a thread, on the test database."""
    with serving(lambda _url: create_app()) as url:
        yield url


@pytest.fixture
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
