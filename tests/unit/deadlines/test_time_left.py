"""How much time is left, as the case page says it."""

from __future__ import annotations

import datetime as dt

from portal import i18n
from portal.deadlines.calendar import WorkCalendar, end_of_day
from portal.deadlines.models import Deadline, DeadlineKind
from portal.web.views.deadlines import time_left


def _left(kind: DeadlineKind, due_day: dt.date, now: dt.datetime) -> str:
    token = i18n.current_locale.set("en")
    try:
        return time_left(WorkCalendar(), Deadline(kind=kind, due_at=end_of_day(due_day)), now)
    finally:
        i18n.current_locale.reset(token)


def test_time_left() -> None:
    tuesday = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    friday = dt.date(2026, 12, 4)
    assert _left(DeadlineKind.ACCEPT, friday, tuesday) == "3 working days left"
    assert _left(DeadlineKind.ACCEPT, dt.date(2026, 12, 2), tuesday) == "1 working day left"
    assert _left(DeadlineKind.ACCEPT, dt.date(2026, 12, 1), tuesday) == "Due today"
    assert _left(DeadlineKind.ACCEPT, dt.date(2026, 11, 30), tuesday) == "Overdue"
    assert _left(DeadlineKind.MEDIATION_END, dt.date(2026, 12, 31), tuesday) == "30 days left"
