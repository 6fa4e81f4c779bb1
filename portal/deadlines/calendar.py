"""Working-day arithmetic: weekends, public holidays and weekend days worked instead (调休).

Pure functions over dates; the database's Holiday rows are turned into a ``WorkCalendar``
by portal.deadlines.services. Statutory periods do not count the day on which they start,
and a period of N working days ends at the end (23:59:59 in the portal's time zone) of the
Nth working day after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

TIME_ZONE = ZoneInfo("Asia/Shanghai")
END_OF_DAY = dt.time(23, 59, 59)
# A guard against calendars configured so that no day is ever a working day.
MAX_SCAN_DAYS = 3660


def is_working_day(day: dt.date, holidays: Collection[dt.date] = (),
                   extra_workdays: Collection[dt.date] = ()) -> bool:
    if day in extra_workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(start: dt.date, n: int, holidays: Collection[dt.date] = (),
                     extra_workdays: Collection[dt.date] = ()) -> dt.date:
    """The Nth working day after ``start`` (``start`` itself is not counted)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    day, counted = start, 0
    for _ in range(MAX_SCAN_DAYS):
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays, extra_workdays):
            counted += 1
            if counted == n:
                return day
    raise ValueError("the calendar has no working days in the next ten years")


def working_days_between(start: dt.date, end: dt.date, holidays: Collection[dt.date] = (),
                         extra_workdays: Collection[dt.date] = ()) -> int:
    """Working days after ``start`` up to and including ``end``; 0 when ``end`` <= ``start``."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays, extra_workdays):
            count += 1
    return count


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day of ``moment`` (timezone-aware) in the portal's time zone."""
    return moment.astimezone(TIME_ZONE).date()


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59 local time on ``day``, as a UTC datetime."""
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=TIME_ZONE).astimezone(dt.UTC)


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_working_day(self, day: dt.date) -> bool:
        return is_working_day(day, self.holidays, self.extra_workdays)

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        return add_working_days(start, n, self.holidays, self.extra_workdays)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        return working_days_between(start, end, self.holidays, self.extra_workdays)

    def due_after_working_days(self, start: dt.datetime, n: int) -> dt.datetime:
        """End of the Nth working day after the local day of ``start``."""
        return end_of_day(self.add_working_days(local_date(start), n))

    def working_days_left(self, now: dt.datetime, due: dt.datetime) -> int:
        """Working days after today up to the day of ``due``, counted as the law counts
        them: 3 right after filing on a Tuesday with 3 working days, 0 on the last day."""
        if now >= due:
            return 0
        return self.working_days_between(local_date(now), local_date(due))


def due_after_days(start: dt.datetime, n: int) -> dt.datetime:
    """End of the Nth calendar day after the local day of ``start``."""
    if n < 1:
        raise ValueError("n must be at least 1")
    return end_of_day(local_date(start) + dt.timedelta(days=n))
