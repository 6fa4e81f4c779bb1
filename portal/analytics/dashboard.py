"""The dashboard's figures, read from the daily pre-aggregates (portal.analytics.aggregates).

The definitions are portal.dispatch.figures' (and give the same numbers); the dashboard adds
the dispute type and source, satisfaction, and average days from receipt to closing. Only
"open orders past their deadline" is read live: it is the orders' state at the end of the
period (or now, if sooner), not something that happened on a day, and there are few open
orders (an index on (step, due_at) finds them).

Every query takes the same ``Filters``: a period of local days (both ends included), the
areas in scope (an area and those below it), a dispute type and a level.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.analytics.aggregates import (
    ORDER_MEASURES,
    STEP_MEASURES,
    Cube,
    Rows,
    day_start,
    month_of,
    next_month,
)
from portal.analytics.measures import Breakdown, Bucket, Filters, Measures, Named
from portal.analytics.models import DailyBodyFigure, DailyFigure, DailyStepFigure, Span
from portal.bodies.models import Area, Level, MediationBody
from portal.cases.models import Case
from portal.db.types import utcnow
from portal.dispatch.levels import LEVEL_ORDER
from portal.dispatch.models import Source, Step, WorkOrder

__all__ = ["Breakdown", "Bucket", "Filters", "Measures", "Named", "dashboard"]

OPEN_STEPS = tuple(s.value for s in Step if s is not Step.CLOSED)
ROLLED_UP = frozenset({Level.VILLAGE, Level.TOWN})


def _period(cube: Cube, filters: Filters, *, months: bool) -> ColumnElement[bool]:
    """The rows of the period: whole months from month rows when ``months``, the rest
    from day rows."""
    days = and_(cube.span == Span.DAY, cube.day >= filters.start, cube.day <= filters.end)
    if not months:
        return days
    first = filters.start if filters.start.day == 1 else next_month(filters.start)
    after = month_of(filters.end + dt.timedelta(days=1))
    if first >= after:
        return days
    return or_(and_(cube.span == Span.MONTH, cube.day >= first, cube.day < after),
               and_(cube.span == Span.DAY, or_(
                   and_(cube.day >= filters.start, cube.day < first),
                   and_(cube.day >= after, cube.day <= filters.end))))


def _where(cube: Cube, filters: Filters, *, months: bool = True) -> list[ColumnElement[bool]]:
    found = [_period(cube, filters, months=months)]
    if filters.area_ids is not None:
        found.append(cube.area_id.in_(filters.area_ids))
    if filters.dispute_type:
        found.append(cube.dispute_type == filters.dispute_type)
    if filters.level:
        found.append(cube.level == filters.level)
    return found


def _sums(cube: Cube, names: Iterable[str]) -> list[Any]:
    return [func.sum(getattr(cube, name)).label(name) for name in names]


def bucket_start(day: dt.date, bucket: Bucket) -> dt.date:
    if bucket is Bucket.MONTH:
        return month_of(day)
    if bucket is Bucket.WEEK:
        return day - dt.timedelta(days=day.weekday())
    return day


def buckets(filters: Filters) -> list[dt.date]:
    """Every bucket of the period, the first one starting on or before its first day."""
    bucket, found = filters.bucket, []
    current = bucket_start(filters.start, bucket)
    while current <= filters.end:
        found.append(current)
        current = (next_month(current) if bucket is Bucket.MONTH else
                   current + dt.timedelta(days=7 if bucket is Bucket.WEEK else 1))
    return found


def series_query(filters: Filters) -> Rows:
    cube = DailyFigure
    return (select(cube.day, cube.dispute_type, func.sum(cube.received))
            .where(*_where(cube, filters, months=filters.bucket is Bucket.MONTH))
            .group_by(cube.day, cube.dispute_type))


def received_series(session: Session, filters: Filters) -> dict[tuple[dt.date, str], int]:
    """Orders received per bucket (day, week or month) and dispute type."""
    found: dict[tuple[dt.date, str], int] = {}
    for day, kind, count in session.execute(series_query(filters)):
        key = (bucket_start(day, filters.bucket), kind)
        found[key] = found.get(key, 0) + int(count or 0)
    return {key: count for key, count in found.items() if count}


def breakdown_query(filters: Filters) -> Rows:
    cube = DailyFigure
    return (select(cube.area_id, cube.level, cube.source, *_sums(cube, ORDER_MEASURES))
            .where(*_where(cube, filters))
            .group_by(cube.area_id, cube.level, cube.source))


def steps_query(filters: Filters) -> Rows:
    cube = DailyStepFigure
    return (select(cube.area_id, cube.level, cube.step, *_sums(cube, STEP_MEASURES))
            .where(*_where(cube, filters))
            .group_by(cube.area_id, cube.level, cube.step))


def open_overdue_query(filters: Filters, now: dt.datetime | None = None) -> Rows:
    """Open orders whose current step is past due at the end of the period (or now)."""
    cutoff = min(day_start(filters.end + dt.timedelta(days=1)), now or utcnow())
    query = (select(WorkOrder.area_id, WorkOrder.level, WorkOrder.source, func.count())
             .where(WorkOrder.step.in_(OPEN_STEPS), WorkOrder.due_at < cutoff)
             .group_by(WorkOrder.area_id, WorkOrder.level, WorkOrder.source))
    if filters.area_ids is not None:
        query = query.where(WorkOrder.area_id.in_(filters.area_ids))
    if filters.level:
        query = query.where(WorkOrder.level == filters.level)
    if filters.dispute_type:
        query = query.join(Case, Case.id == WorkOrder.case_id).where(
            Case.dispute_type == filters.dispute_type)
    return query


def _areas(session: Session) -> dict[int, tuple[int | None, Level, str, str]]:
    return {row.id: (row.parent_id, row.level, row.code, row.name) for row in session.execute(
        select(Area.id, Area.parent_id, Area.level, Area.code, Area.name))}


def _rolled_up(area_id: int, areas: Mapping[int, tuple[int | None, Level, str, str]],
               shown: set[int] | None) -> list[int]:
    """The villages and towns on the area's lineage that the table shows."""
    found, node = [], area_id
    while node in areas:
        parent, level, _, _ = areas[node]
        if level in ROLLED_UP and (shown is None or node in shown):
            found.append(node)
        if parent is None:
            break
        node = parent
    return found


def breakdown(session: Session, filters: Filters, *,
              now: dt.datetime | None = None) -> Breakdown:
    """Totals, and rows by level, source and village or town. Only the villages and towns
    in scope have a row: a village's town above it would only repeat the village."""
    total = Measures()
    levels = {level: Measures() for level in LEVEL_ORDER}
    sources = {source: Measures() for source in Source}
    by_area: dict[int, Measures] = {}
    areas = _areas(session)
    shown = set(filters.area_ids) if filters.area_ids is not None else None

    def count(area_id: int, level: Level, source: Source | None,
              values: Mapping[Any, Any]) -> None:
        targets = [total, levels[level], *([sources[source]] if source else []), *(
            by_area.setdefault(a, Measures()) for a in _rolled_up(area_id, areas, shown))]
        for target in targets:
            target.add(values)

    for row in session.execute(breakdown_query(filters)).mappings():
        count(row["area_id"], Level(row["level"]), Source(row["source"]), row)
    # Steps are not counted by source.
    for row in session.execute(steps_query(filters)).mappings():
        count(row["area_id"], Level(row["level"]), None, row)
    for area_id, level, source, n in session.execute(open_overdue_query(filters, now)):
        count(area_id, Level(level), Source(source), {"open_overdue": n})
    rows = [Named(key, areas[key][3], areas[key][1], m) for key, m in by_area.items()
            if m.active]
    rows.sort(key=lambda r: areas[r.key][2])
    return Breakdown(total, levels, sources, rows)


def people_query(filters: Filters, by: str) -> Rows:
    cube = DailyBodyFigure
    column = getattr(cube, by)
    return (select(column, *_sums(cube, ORDER_MEASURES)).where(*_where(cube, filters),
                                                              column.is_not(None))
            .group_by(column))


def _compared(session: Session, filters: Filters, by: str,
              names: Rows) -> list[Named]:
    found = {row[by]: row for row in session.execute(people_query(filters, by)).mappings()}
    if not found:
        return []
    labels = {key: (label, level) for key, label, level in session.execute(
        names.where(names.selected_columns[0].in_(list(found))))}
    rows = []
    for key, values in found.items():
        measures = Measures()
        measures.add(values)
        label, level = labels.get(key, (str(key), None))
        rows.append(Named(key, label, level, measures))
    rows.sort(key=lambda r: (-r.measures.received, -r.measures.closed, r.label))
    return rows


def bodies(session: Session, filters: Filters) -> list[Named]:
    """Each body that had cases in scope: caseload, closing, resolution, satisfaction."""
    return _compared(session, filters, "body_id", select(
        MediationBody.id, MediationBody.name, MediationBody.level))


def mediators(session: Session, filters: Filters) -> list[Named]:
    return _compared(session, filters, "mediator_id", select(
        User.id, User.name, select(MediationBody.level).where(
            MediationBody.id == User.body_id).scalar_subquery()))


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    series: dict[tuple[dt.date, str], int]
    buckets: list[dt.date]
    breakdown: Breakdown
    bodies: list[Named]
    mediators: list[Named]


def dashboard(session: Session, filters: Filters, *,
              now: dt.datetime | None = None) -> Dashboard:
    return Dashboard(filters, received_series(session, filters), buckets(filters),
                     breakdown(session, filters, now=now),
                     bodies(session, filters), mediators(session, filters))
