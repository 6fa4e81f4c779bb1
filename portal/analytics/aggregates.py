"""Daily pre-aggregates of the order loop: the dashboard reads these, not the raw history.

The figures are those of portal.dispatch.figures, counted per local day (Asia/Shanghai):

- **received**: orders created that day; **closed**: orders closed that day, merged
  duplicates left out; **resolved**: the closed ones that ended in an agreement (confirmed
  or not); **closed_seconds**: their (closed − created), summed; **rating_count /
  rating_sum**: satisfaction scores given that day. They count at the order's level (the
  level that handles it now, or did when it closed), like the figures.
- **steps / seconds / overdue** (``DailyStepFigure``): steps that ended that day, their
  lengths, and those still open at their deadline, at the step's own level.

``DailyFigure`` rows are by (day, the order's area, dispute type, level, source);
``DailyBodyFigure`` by (day, area, type, level, the case's body and mediator);
``DailyStepFigure`` by (day, area, type, level, step). Month rows (``Span.MONTH``) are the
sums of their day rows. Durations are whole seconds. All of it is computed in the database
(INSERT … SELECT): no rows travel.

``refresh`` recomputes whole days, so running it twice changes nothing. The days: every
day on which an order touched since the last run (a step started or ended, a case event, a
rating, created or closed) has something counted, because a touch can change what an
earlier day counted the order by (its level after an escalation, its body, its mediator).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    FromClause,
    Select,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    union,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from portal.analytics.models import (
    AggregateState,
    DailyBodyFigure,
    DailyFigure,
    DailyStepFigure,
    Span,
)
from portal.cases.models import Case, CaseEvent
from portal.db.types import utcnow
from portal.deadlines.calendar import TIME_ZONE
from portal.dispatch.figures import RESOLVED
from portal.dispatch.models import OrderStep, Outcome, SatisfactionRating, Step, WorkOrder

STATE = "daily"
# Changes committed late (a long transaction) carry earlier times than the last run's
# watermark; looking back this much further catches them. Recounting a day is harmless.
OVERLAP = dt.timedelta(minutes=15)
STEPS = (Step.DISPATCH, Step.ACCEPT, Step.HANDLE, Step.FOLLOW_UP, Step.REVIEW)
ORDER_MEASURES = ("received", "closed", "resolved", "closed_seconds", "rating_count",
                  "rating_sum")
STEP_MEASURES = ("steps", "seconds", "overdue")
Cube = type[DailyFigure] | type[DailyBodyFigure] | type[DailyStepFigure]
CUBES: tuple[Cube, ...] = (DailyFigure, DailyBodyFigure, DailyStepFigure)
# A SELECT of any columns.
Rows = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class Refreshed:
    days: int
    full: bool


def local_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The local date of a UTC timestamp column, in SQL."""
    # Literals, not parameters: PostgreSQL only matches a GROUP BY expression to the
    # selected one when they are the same text.
    if dialect == "postgresql":
        return cast(func.timezone(literal_column(f"'{TIME_ZONE}'"), column), Date)
    # SQLite has no time zones; Asia/Shanghai has been UTC+8 all year round since 1991.
    return func.date(column, literal_column("'+8 hours'"))


def seconds_between(later: Any, earlier: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        # date_part is double precision; EXTRACT would give numeric, much slower to sum.
        return cast(func.round(func.date_part("epoch", later - earlier)), BigInteger)
    return cast(func.round((func.julianday(later) - func.julianday(earlier)) * 86400),
                BigInteger)


def day_start(day: dt.date) -> dt.datetime:
    """The UTC instant at which local ``day`` begins."""
    return dt.datetime.combine(day, dt.time(), tzinfo=TIME_ZONE).astimezone(dt.UTC)


def as_date(value: Any) -> dt.date:
    # SQLite's date() answers text.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _dims(cube: Cube, level: Any) -> list[Any]:
    """The raw columns a cube is counted by, labelled as the cube's columns."""
    found = [WorkOrder.area_id.label("area_id"), Case.dispute_type.label("dispute_type"),
             level.label("level")]
    if cube is DailyFigure:
        return [*found, WorkOrder.source.label("source")]
    if cube is DailyBodyFigure:
        return [*found, Case.body_id.label("body_id"), Case.mediator_id.label("mediator_id")]
    return [*found, OrderStep.step.label("step")]


def dim_names(cube: Cube) -> tuple[str, ...]:
    extra = {DailyFigure: ("source",), DailyBodyFigure: ("body_id", "mediator_id"),
             DailyStepFigure: ("step",)}[cube]
    return ("area_id", "dispute_type", "level", *extra)


def measures_of(cube: Cube) -> tuple[str, ...]:
    return STEP_MEASURES if cube is DailyStepFigure else ORDER_MEASURES


def _grouped(cube: Cube, source: FromClause, where: list[ColumnElement[bool]],
             day: ColumnElement[Any], dims: list[Any],
             values: Mapping[str, ColumnElement[Any]]) -> Rows:
    """One kind of event grouped by day and the cube's columns; 0 for the other measures."""
    measures = [values.get(name, literal_column("0")).label(name)
                for name in measures_of(cube)]
    return (select(day.label("day"), *dims, *measures).select_from(source).where(*where)
            .group_by(day, *(d.element for d in dims)))


def _queries(cube: Cube, lo: dt.datetime, hi: dt.datetime, dialect: str) -> list[Rows]:
    """One query per kind of event in [lo, hi) that the cube counts."""
    orders = WorkOrder.__table__.join(Case.__table__, Case.id == WorkOrder.case_id)
    if cube is DailyStepFigure:
        steps = OrderStep.__table__.join(
            WorkOrder.__table__, WorkOrder.id == OrderStep.order_id).join(
            Case.__table__, Case.id == WorkOrder.case_id)
        length = seconds_between(OrderStep.ended_at, OrderStep.started_at, dialect)
        return [_grouped(cube, steps, [OrderStep.ended_at >= lo, OrderStep.ended_at < hi],
                         local_day(OrderStep.ended_at, dialect), _dims(cube, OrderStep.level),
                         {"steps": func.count(), "seconds": func.sum(length),
                          "overdue": func.sum(case((OrderStep.went_overdue, 1), else_=0))})]
    dims = _dims(cube, WorkOrder.level)
    resolved = case((WorkOrder.outcome.in_([o.value for o in RESOLVED]), 1), else_=0)
    length = seconds_between(WorkOrder.closed_at, WorkOrder.created_at, dialect)
    not_merged = or_(WorkOrder.outcome.is_(None), WorkOrder.outcome != Outcome.MERGED.value)
    ratings = SatisfactionRating.__table__.join(
        WorkOrder.__table__, WorkOrder.id == SatisfactionRating.order_id).join(
        Case.__table__, Case.id == WorkOrder.case_id)
    return [
        _grouped(cube, orders, [WorkOrder.created_at >= lo, WorkOrder.created_at < hi],
                 local_day(WorkOrder.created_at, dialect), dims, {"received": func.count()}),
        _grouped(cube, orders,
                 [WorkOrder.closed_at >= lo, WorkOrder.closed_at < hi, not_merged],
                 local_day(WorkOrder.closed_at, dialect), dims,
                 {"closed": func.count(), "resolved": func.sum(resolved),
                  "closed_seconds": func.sum(length)}),
        _grouped(cube, ratings, [SatisfactionRating.created_at >= lo,
                                 SatisfactionRating.created_at < hi],
                 local_day(SatisfactionRating.created_at, dialect), dims,
                 {"rating_count": func.count(),
                  "rating_sum": func.sum(SatisfactionRating.score)}),
    ]


def _count_days(session: Session, cube: Cube, lo: dt.datetime, hi: dt.datetime) -> None:
    """Insert the day rows of [lo, hi), computed in the database."""
    dialect = session.get_bind().dialect.name
    names, measures = dim_names(cube), measures_of(cube)
    queries = _queries(cube, lo, hi, dialect)
    if len(queries) == 1:
        query = queries[0]
    else:
        # Several kinds of event may fall on the same row: added up.
        events = union_all(*queries).subquery("events")
        keys = [events.c.day, *(events.c[name] for name in names)]
        query = select(*keys, *(func.sum(events.c[name]) for name in measures)
                       ).group_by(*keys)
    query = select(literal_column(f"'{Span.DAY.value}'"), query.subquery())
    session.execute(insert(cube).from_select(["span", "day", *names, *measures], query))


def _runs(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) pairs."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + dt.timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _chunks(first: dt.date, last: dt.date, months: int) -> Iterator[tuple[dt.date, dt.date]]:
    """[first, last] cut at month starts into pieces of at most ``months`` months."""
    start = first
    while start <= last:
        end = month_of(start)
        for _ in range(months):
            end = next_month(end)
        yield start, min(last, end - dt.timedelta(days=1))
        start = end


def recompute(session: Session, days: Iterable[dt.date], *, months: int = 1) -> int:
    """Count ``days`` again from the raw tables, and the months they fall in; consecutive
    days are counted ``months`` months at a time."""
    wanted = sorted(set(days))
    for first, last in _runs(wanted):
        for lo_day, hi_day in _chunks(first, last, months):
            for cube in CUBES:
                session.execute(delete(cube).where(cube.span == Span.DAY, cube.day >= lo_day,
                                                   cube.day <= hi_day))
                _count_days(session, cube, day_start(lo_day),
                            day_start(hi_day + dt.timedelta(days=1)))
    for month in sorted({month_of(day) for day in wanted}):
        for cube in CUBES:
            _month(session, cube, month)
    return len(wanted)


def _month(session: Session, cube: Cube, month: dt.date) -> None:
    session.execute(delete(cube).where(cube.span == Span.MONTH, cube.day == month))
    names, measures = dim_names(cube), measures_of(cube)
    columns = [getattr(cube, name) for name in names]
    sums = [func.sum(getattr(cube, name)) for name in measures]
    query = (select(literal(Span.MONTH.value), literal(month, Date), *columns, *sums)
             .where(cube.span == Span.DAY, cube.day >= month, cube.day < next_month(month))
             .group_by(*columns))
    session.execute(insert(cube).from_select(["span", "day", *names, *measures], query))


def touched_days(session: Session, since: dt.datetime) -> set[dt.date]:
    """The days on which an order touched since ``since`` has something counted."""
    dialect = session.get_bind().dialect.name
    touched = union(
        select(OrderStep.order_id).where(or_(OrderStep.started_at >= since,
                                             OrderStep.ended_at >= since)),
        select(WorkOrder.id).where(or_(WorkOrder.created_at >= since,
                                       WorkOrder.closed_at >= since)),
        select(SatisfactionRating.order_id).where(SatisfactionRating.created_at >= since),
        select(WorkOrder.id).join(CaseEvent, CaseEvent.case_id == WorkOrder.case_id)
        .where(CaseEvent.created_at >= since),
    ).subquery()
    ids = select(touched.c[0])
    days = union(
        select(local_day(WorkOrder.created_at, dialect)).where(WorkOrder.id.in_(ids)),
        select(local_day(WorkOrder.closed_at, dialect)).where(
            WorkOrder.id.in_(ids), WorkOrder.closed_at.is_not(None)),
        select(local_day(OrderStep.ended_at, dialect)).where(
            OrderStep.order_id.in_(ids), OrderStep.ended_at.is_not(None)),
        select(local_day(SatisfactionRating.created_at, dialect)).where(
            SatisfactionRating.order_id.in_(ids)),
    )
    return {as_date(day) for day in session.execute(days).scalars() if day is not None}


def all_days(session: Session) -> list[dt.date]:
    """Every day from the first order to today."""
    first = session.execute(select(func.min(WorkOrder.created_at))).scalar()
    if first is None:
        return []
    start = first.astimezone(TIME_ZONE).date()
    today = utcnow().astimezone(TIME_ZONE).date()
    return [start + dt.timedelta(days=n) for n in range((today - start).days + 1)]


def _state(session: Session) -> AggregateState:
    # Locked for the run (PostgreSQL): two runs at once would count the same days twice.
    state = session.get(AggregateState, STATE, with_for_update=True)
    if state is None:
        state = AggregateState(name=STATE, until=None)
        session.add(state)
        session.flush()
    return state


def refresh(session: Session, *, full: bool = False) -> Refreshed:
    """Bring the pre-aggregates up to date: every day at the first run or with ``full``,
    else the days touched since the last run."""
    now = utcnow()
    state = _state(session)
    rebuild = full or state.until is None
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and not rebuild:
        # A day's steps are a few thousand index look-ups into the orders; with the default
        # cost of a random read (disks of old) the planner scans all orders instead.
        session.execute(text("SET LOCAL random_page_cost = 1.1"))
    if rebuild:
        if postgres:
            # One pass over the whole history hashes the large joins in memory.
            session.execute(text("SET LOCAL work_mem = '256MB'"))
        for cube in CUBES:
            session.execute(delete(cube))
        days: Sequence[dt.date] = all_days(session)
    else:
        assert state.until is not None
        days = sorted(touched_days(session, state.until - OVERLAP))
    # A whole history is counted in one pass: one scan of each table, not one a month.
    counted = recompute(session, days, months=len(days) // 28 + 1 if rebuild else 1)
    state.until, state.updated_at = now, now
    return Refreshed(days=counted, full=rebuild)


def updated_at(session: Session) -> dt.datetime | None:
    state = session.get(AggregateState, STATE)
    return state.until if state is not None else None

