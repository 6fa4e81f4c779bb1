from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories import dispatch_world

# A Monday without holidays (the test database has none): 17:00 in Shanghai.
MONDAY = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(db: Session) -> dict[str, Any]:
    return dispatch_world(db)
