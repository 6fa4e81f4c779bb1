"""One platform CA per test session: keys are slow to make, and the portal keeps one per
process anyway (portal.agreements.pki)."""

from __future__ import annotations

import pytest

from documents.ca import PlatformCA
from portal.agreements.pki import get_ca, timestamper
from portal.storage import Storage, get_storage


@pytest.fixture(scope="session")
def ca() -> PlatformCA:
    found = get_ca()
    timestamper(found)  # makes the TSA key now, not inside the first test
    return found


@pytest.fixture
def storage() -> Storage:
    return get_storage()
