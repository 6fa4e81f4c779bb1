"""Working-day arithmetic: weekends, holidays (also across a weekend), working Saturdays."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.deadlines import calendar as cal
from portal.deadlines.holidays import demo_rows

D = dt.date.fromisoformat
SHANGHAI = cal.TIME_ZONE

# The National Day week of 2026: Thu 1 Oct to Wed 7 Oct off, Sat 10 Oct worked.
NATIONAL_DAY = frozenset(D("2026-10-01") + dt.timedelta(days=n) for n in range(7))
WORKED_SATURDAY = frozenset({D("2026-10-10")})


def test_weekdays_count_and_weekends_do_not() -> None:
    assert cal.add_working_days(D("2026-12-01"), 3) == D("2026-12-04")  # Tue → Fri
    # Thursday + 3: Friday, then Monday and Tuesday.
    assert cal.add_working_days(D("2026-12-03"), 3) == D("2026-12-08")
    # A start on a Saturday is not counted: Monday is the first day.
    assert cal.add_working_days(D("2026-12-05"), 1) == D("2026-12-07")


def test_a_holiday_spanning_a_weekend_is_skipped_whole() -> None:
    # Filed on Wednesday 30 Sep: the week off and the weekend inside it do not count;
    # Thursday 8 and Friday 9 Oct do, and so does the worked Saturday 10 Oct.
    due = cal.add_working_days(D("2026-09-30"), 3, NATIONAL_DAY, WORKED_SATURDAY)
    assert due == D("2026-10-10")
    # Without the worked Saturday the third working day is the next Monday.
    assert cal.add_working_days(D("2026-09-30"), 3, NATIONAL_DAY) == D("2026-10-12")


def test_a_working_saturday_counts() -> None:
    friday = D("2026-10-09")
    assert cal.is_working_day(D("2026-10-10"), NATIONAL_DAY, WORKED_SATURDAY)
    assert not cal.is_working_day(D("2026-10-10"), NATIONAL_DAY)
    assert cal.add_working_days(friday, 1, NATIONAL_DAY, WORKED_SATURDAY) == D("2026-10-10")
    assert cal.add_working_days(friday, 1, NATIONAL_DAY) == D("2026-10-12")


def test_spring_festival_2026_from_the_demo_calendar() -> None:
    rows = demo_rows()
    holidays = frozenset(r.day for r in rows if not r.is_workday)
    workdays = frozenset(r.day for r in rows if r.is_workday)
    # Filed on Friday 13 Feb: Saturday 14 Feb is worked, then nine days off (15-23 Feb).
    assert cal.add_working_days(D("2026-02-13"), 1, holidays, workdays) == D("2026-02-14")
    assert cal.add_working_days(D("2026-02-13"), 3, holidays, workdays) == D("2026-02-25")
    assert all(d.weekday() >= 5 for d in workdays)
    assert len(holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7


def test_due_is_the_end_of_the_last_day_in_shanghai() -> None:
    work = cal.WorkCalendar(NATIONAL_DAY, WORKED_SATURDAY)
    # 23:30 UTC on 29 Sep is already 30 Sep in Shanghai: day one is then 8 Oct.
    late = dt.datetime(2026, 9, 29, 23, 30, tzinfo=dt.UTC)
    due = work.due_after_working_days(late, 1)
    assert due == dt.datetime(2026, 10, 8, 23, 59, 59, tzinfo=SHANGHAI)
    assert due.tzinfo == dt.UTC and due.hour == 15  # 23:59:59 +08:00


def test_calendar_days_and_days_left() -> None:
    start = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    assert cal.due_after_days(start, 30) == cal.end_of_day(D("2026-12-31"))
    work = cal.WorkCalendar()
    due = work.due_after_working_days(start, 3)  # Fri 4 Dec
    assert work.working_days_left(start, due) == 3  # Wed, Thu, Fri; today is not counted
    assert work.working_days_left(due - dt.timedelta(days=1), due) == 1
    assert work.working_days_left(due - dt.timedelta(hours=1), due) == 0  # the last day
    assert work.working_days_left(due, due) == 0
    assert cal.working_days_between(D("2026-12-04"), D("2026-12-07")) == 1


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        cal.add_working_days(D("2026-01-01"), 0)
    every_day = frozenset(D("2026-01-01") + dt.timedelta(days=n) for n in range(4000))
    with pytest.raises(ValueError, match="no working days"):
        cal.add_working_days(D("2026-01-01"), 1, every_day)


@given(start=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
       n=st.integers(min_value=1, max_value=40))
def test_the_result_is_the_nth_working_day(start: dt.date, n: int) -> None:
    due = cal.add_working_days(start, n, NATIONAL_DAY, WORKED_SATURDAY)
    assert cal.is_working_day(due, NATIONAL_DAY, WORKED_SATURDAY)
    assert cal.working_days_between(start, due, NATIONAL_DAY, WORKED_SATURDAY) == n
