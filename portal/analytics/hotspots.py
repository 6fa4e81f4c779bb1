"""Hotspots: a village or town whose disputes this period are far above its own baseline.

Periods are blocks of ``period_days`` local days counted from a fixed Monday, so a period
has the same bounds in every scan; the current one is still running, and a closed alert
is raised again only in a later period. Counts are one indexed range query per period,
grouped by the order's area and rolled up the area tree in memory (areas are few).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.analytics.findings import Finding
from portal.analytics.models import RuleKey
from portal.analytics.rules import RuleConfig
from portal.bodies.models import Area, Level
from portal.deadlines.calendar import TIME_ZONE
from portal.dispatch.models import WorkOrder
from portal.i18n import N_

EPOCH = dt.date(2024, 1, 1)  # a Monday
WATCHED = frozenset({Level.VILLAGE, Level.TOWN})


def period_start(day: dt.date, days: int) -> dt.date:
    return EPOCH + dt.timedelta(days=(day - EPOCH).days // days * days)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=TIME_ZONE).astimezone(dt.UTC)


def _counts(session: Session, lo: dt.datetime, hi: dt.datetime) -> Counter[int]:
    rows = session.execute(
        select(WorkOrder.area_id, func.count()).where(
            WorkOrder.created_at >= lo, WorkOrder.created_at < hi)
        .group_by(WorkOrder.area_id)).all()
    return Counter({area_id: int(n) for area_id, n in rows})


def _rolled_up(counts: Counter[int], parents: dict[int, int | None]) -> Counter[int]:
    """Each area's count plus the counts of every area below it."""
    total: Counter[int] = Counter()
    for area_id, n in counts.items():
        node: int | None = area_id
        while node is not None:
            total[node] += n
            node = parents.get(node)
    return total


def hotspots(session: Session, cfg: RuleConfig, now: dt.datetime) -> list[Finding]:
    days, periods = cfg["period_days"], cfg["baseline_periods"]
    start = period_start(now.astimezone(TIME_ZONE).date(), days)
    areas = session.execute(select(Area.id, Area.parent_id, Area.level, Area.name)).all()
    parents = {a.id: a.parent_id for a in areas}
    current = _rolled_up(_counts(session, _midnight(start), now), parents)
    if not current:
        return []
    before: Counter[int] = Counter()
    for i in range(1, periods + 1):
        lo = start - dt.timedelta(days=days * i)
        before += _rolled_up(_counts(session, _midnight(lo),
                                     _midnight(lo + dt.timedelta(days=days))), parents)
    found = []
    for area in areas:
        count = current.get(area.id, 0)
        if area.level not in WATCHED or count < cfg["min_count"]:
            continue
        baseline = before.get(area.id, 0) / periods
        if count * 100 < cfg["factor_percent"] * baseline:
            continue
        found.append(Finding(
            rule=RuleKey.HOTSPOT, subject=f"area:{area.id}", level=cfg.level, facts=[{
                "msg": N_("{area} received {count} disputes in the current period of {days} "
                          "days from {start}; its average in the {periods} periods before "
                          "was {baseline} (threshold: {factor}% of the average and at least "
                          "{min_count} disputes)."),
                "area": area.name, "count": count, "days": days, "start": start.isoformat(),
                "periods": periods, "baseline": f"{baseline:.1f}",
                "factor": cfg["factor_percent"], "min_count": cfg["min_count"]}],
            case_ids=[], evidence_at=_midnight(start), area_ids={area.id}))
    return found
