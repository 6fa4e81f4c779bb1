"""The holiday calendar kept by the system administrator, and the 2026 public holidays."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField
from portal.audit import services as audit
from portal.deadlines.models import Holiday

NAME_MAX = 100


class PermissionDenied(Exception):
    pass


def _days(first: str, last: str) -> list[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


# The State Council's arrangement for 2026 (国办发明电〔2025〕7号): days off, and the
# weekend days worked in exchange (调休上班).
HOLIDAYS_2026: list[tuple[str, str, str]] = [
    ("元旦", "2026-01-01", "2026-01-03"),
    ("春节", "2026-02-15", "2026-02-23"),
    ("清明节", "2026-04-04", "2026-04-06"),
    ("劳动节", "2026-05-01", "2026-05-05"),
    ("端午节", "2026-06-19", "2026-06-21"),
    ("中秋节", "2026-09-25", "2026-09-27"),
    ("国庆节", "2026-10-01", "2026-10-07"),
]
WORKDAYS_2026: list[tuple[str, str]] = [
    ("元旦调休上班", "2026-01-04"),
    ("春节调休上班", "2026-02-14"),
    ("春节调休上班", "2026-02-28"),
    ("劳动节调休上班", "2026-05-09"),
    ("国庆节调休上班", "2026-09-20"),
    ("国庆节调休上班", "2026-10-10"),
]


def demo_rows() -> list[Holiday]:
    rows = [Holiday(day=day, name=name, is_workday=False)
            for name, first, last in HOLIDAYS_2026 for day in _days(first, last)]
    rows += [Holiday(day=dt.date.fromisoformat(day), name=name, is_workday=True)
             for name, day in WORKDAYS_2026]
    return rows


def load_holidays(session: Session) -> int:
    """Add the 2026 public holidays and working weekends; days already set are kept."""
    known = set(session.execute(select(Holiday.day)).scalars())
    added = [row for row in demo_rows() if row.day not in known]
    session.add_all(added)
    session.flush()
    return len(added)


def holidays_in(session: Session, year: int) -> list[Holiday]:
    return list(session.execute(
        select(Holiday).where(Holiday.day >= dt.date(year, 1, 1),
                              Holiday.day <= dt.date(year, 12, 31)).order_by(Holiday.day)
    ).scalars())


def years(session: Session) -> list[int]:
    first, last = session.execute(select(func.min(Holiday.day), func.max(Holiday.day))).one()
    if first is None or last is None:
        return []
    return list(range(first.year, last.year + 1))


def parse_day(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidField("day", "Enter a date as YYYY-MM-DD.") from None
    if not 2000 <= day.year <= 2100:
        raise InvalidField("day", "Enter a date between the years 2000 and 2100.")
    return day


def _check_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN or not actor.is_active:
        raise PermissionDenied


def add_holiday(session: Session, *, actor: User, day: str, name: str,
                is_workday: bool) -> Holiday:
    _check_admin(actor)
    when = parse_day(day)
    clean = " ".join(name.split())
    if not clean:
        raise InvalidField("name", "This field is required.")
    if len(clean) > NAME_MAX:
        raise InvalidField("name", "Keep the name under 100 characters.")
    if session.execute(select(Holiday.id).where(Holiday.day == when)).first():
        raise InvalidField("day", "This day is already in the calendar. Delete it first to "
                                  "change it.")
    if is_workday and when.weekday() < 5:
        raise InvalidField("is_workday", "Only a Saturday or Sunday can be made a working day.")
    row = Holiday(day=when, name=clean, is_workday=is_workday)
    session.add(row)
    session.flush()
    audit.append(session, kind="admin", action="holiday.added", subject=f"holiday:{when}",
                 actor_id=actor.id, data={"name": clean, "is_workday": is_workday})
    return row


def delete_holiday(session: Session, *, actor: User, holiday_id: int) -> Holiday | None:
    """Remove a day; deadlines already set keep their due dates."""
    _check_admin(actor)
    row = session.get(Holiday, holiday_id)
    if row is None:
        return None
    session.delete(row)
    session.flush()
    audit.append(session, kind="admin", action="holiday.deleted", subject=f"holiday:{row.day}",
                 actor_id=actor.id, data={"name": row.name, "is_workday": row.is_workday})
    return row
