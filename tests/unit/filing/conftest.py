from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.config import get_settings
from portal.filing import tasks
from tests.unit.casefile.world import require_embedded_font
from tests.unit.filing.support import courts_file

# Nothing listens on port 1 of the loopback: a connection there is refused at once.
UNREACHABLE = "http://127.0.0.1:1/api/v1/filings"


@pytest.fixture(autouse=True)
def _embedded_font() -> None:
    require_embedded_font()  # the papers in the package are rendered with it


@pytest.fixture
def unreachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """One configured court, "test", that cannot be reached; returns its id."""
    monkeypatch.setattr(get_settings(), "courts_file", courts_file(tmp_path, UNREACHABLE))
    return "test"


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Deliveries sent on commit are recorded, not run: the test runs them itself."""
    sent: list[int] = []
    monkeypatch.setattr(tasks.deliver, "delay", sent.append)
    yield sent
