"""The schedule form's date and time: typed in Beijing time, stored in UTC."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.web.views.sessions import local_input, parse_local


def test_local_time_is_read_as_beijing_time() -> None:
    assert parse_local("2026-12-03T14:30") == dt.datetime(2026, 12, 3, 6, 30, tzinfo=dt.UTC)
    assert local_input(dt.datetime(2026, 12, 3, 6, 30, tzinfo=dt.UTC)) == "2026-12-03T14:30"
    # Across midnight in UTC.
    assert parse_local("2026-12-03T07:00") == dt.datetime(2026, 12, 2, 23, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("value", ["", "tomorrow", "2026-13-01T10:00", "1999-01-01T10:00",
                                   "2026-12-03T14:30+08:00", "9" * 40])
def test_unreadable_values_are_none(value: str) -> None:
    assert parse_local(value) is None
