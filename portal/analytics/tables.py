"""The dashboard's figures as tables (for the page and CSV) and as chart data (for ECharts).

Each ``Table`` is both: its rows are what the page shows and the CSV holds, and ``chart``
says how static/js/analytics.js draws it. Labels are translated here, in the reader's
language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portal.analytics.aggregates import STEPS
from portal.analytics.dashboard import Bucket, Dashboard, Measures, Named
from portal.bodies.labels import LEVEL_LABELS
from portal.bodies.models import Level
from portal.cases.disputes import DISPUTE_TYPES
from portal.dispatch.labels import SOURCE_LABELS, STEP_LABELS
from portal.dispatch.levels import LEVEL_ORDER
from portal.i18n import N_, gettext_

# Bars in a comparison chart; the table lists every body or mediator.
CHART_MAX_BARS = 15
TITLES = {
    "received": N_("Disputes received over time, by type"),
    "areas": N_("By village and town"),
    "sources": N_("By source"),
    "levels": N_("Resolution by level"),
    "steps": N_("Average days per step"),
    "overdue": N_("Overdue orders"),
    "bodies": N_("Mediation bodies compared"),
    "mediators": N_("Mediators compared"),
}


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    chart: dict[str, Any] = field(default_factory=dict)


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _level(level: Level | None) -> str:
    return gettext_(LEVEL_LABELS[level]) if level is not None else ""


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def bucket_label(day: dt.date, bucket: Bucket) -> str:
    if bucket is Bucket.MONTH:
        return day.strftime("%Y-%m")
    return day.isoformat()


def received(found: Dashboard) -> Table:
    bucket = found.filters.bucket
    kinds = [k for k in DISPUTE_TYPES if any(key[1] == k for key in found.series)]
    labels = [bucket_label(day, bucket) for day in found.buckets]
    rows = []
    for day, label in zip(found.buckets, labels, strict=True):
        counts = [found.series.get((day, kind), 0) for kind in kinds]
        rows.append([label, *map(str, counts), str(sum(counts))])
    series = [{"name": gettext_(DISPUTE_TYPES[k]), "stack": "received",
               "data": [found.series.get((day, k), 0) for day in found.buckets]} for k in kinds]
    headers = [{Bucket.DAY: gettext_("Day"), Bucket.WEEK: gettext_("Week from"),
                Bucket.MONTH: gettext_("Month")}[bucket],
               *(gettext_(DISPUTE_TYPES[k]) for k in kinds), gettext_("Total")]
    return Table("received", gettext_(TITLES["received"]), headers, rows,
                 {"type": "bar", "categories": labels, "series": series})


def areas(found: Dashboard) -> Table:
    rows = [[r.label, _level(r.level), str(r.measures.received), str(r.measures.closed),
             str(r.measures.resolved), percent(r.measures.resolution_rate),
             str(r.measures.overdue)] for r in found.breakdown.areas]
    headers = [gettext_("Area"), gettext_("Level"), gettext_("Received"), gettext_("Closed"),
               gettext_("Resolved"), gettext_("Resolution rate"), gettext_("Overdue")]
    shown = found.breakdown.areas[:CHART_MAX_BARS * 2]
    return Table("areas", gettext_(TITLES["areas"]), headers, rows, {
        "type": "hbar", "categories": [r.label for r in shown],
        "series": [{"name": gettext_("Received"), "data": [r.measures.received for r in shown]},
                   {"name": gettext_("Resolved"), "data": [r.measures.resolved for r in shown]}]})


def sources(found: Dashboard) -> Table:
    total = found.breakdown.total.received
    pairs = [(gettext_(SOURCE_LABELS[s]), m) for s, m in found.breakdown.sources.items()]
    rows = [[label, str(m.received), percent(m.received / total if total else None)]
            for label, m in pairs]
    return Table("sources", gettext_(TITLES["sources"]),
                 [gettext_("Source"), gettext_("Received"), gettext_("Share")], rows, {
                     "type": "pie", "series": [{"name": gettext_("Received"), "data": [
                         {"name": label, "value": m.received} for label, m in pairs
                         if m.received]}]})


def levels(found: Dashboard) -> Table:
    shares = found.breakdown.share_by_level
    by_level = found.breakdown.levels
    rows = [[_level(level), str(m.received), str(m.closed), str(m.resolved),
             percent(m.resolution_rate), percent(shares[level])]
            for level in LEVEL_ORDER for m in [by_level[level]]]
    headers = [gettext_("Level"), gettext_("Received"), gettext_("Closed"),
               gettext_("Resolved"), gettext_("Resolution rate"),
               gettext_("Share of all resolved")]
    return Table("levels", gettext_(TITLES["levels"]), headers, rows, {
        "type": "bar", "unit": "%", "categories": [_level(level) for level in LEVEL_ORDER],
        "series": [
            {"name": gettext_("Resolution rate"),
             "data": [_number(_pct(by_level[level].resolution_rate)) for level in LEVEL_ORDER]},
            {"name": gettext_("Share of all resolved"),
             "data": [_number(_pct(shares[level])) for level in LEVEL_ORDER]}]})


def _pct(value: float | None) -> float | None:
    return None if value is None else value * 100


def steps(found: Dashboard) -> Table:
    total = found.breakdown.total
    days = total.avg_days_per_step
    labels = [gettext_(STEP_LABELS[step]) for step in STEPS]
    rows = [[label, str(total.step_counts.get(step, 0)), decimal(days[step])]
            for label, step in zip(labels, STEPS, strict=True)]
    return Table("steps", gettext_(TITLES["steps"]),
                 [gettext_("Step"), gettext_("Steps ended"), gettext_("Average days")], rows, {
                     "type": "hbar", "categories": labels, "series": [
                         {"name": gettext_("Average days"),
                          "data": [_number(days[step]) for step in STEPS]}]})


def overdue(found: Dashboard) -> Table:
    by_level = found.breakdown.levels
    late, still = gettext_("Steps that ran past their time limit"), gettext_(
        "Open orders past their time limit")
    rows = [[_level(level), str(m.overdue_steps), str(m.open_overdue), str(m.overdue)]
            for level in LEVEL_ORDER for m in [by_level[level]]]
    return Table("overdue", gettext_(TITLES["overdue"]),
                 [gettext_("Level"), late, still, gettext_("Total")], rows, {
                     "type": "bar", "categories": [_level(level) for level in LEVEL_ORDER],
                     "series": [
                         {"name": late, "stack": "overdue",
                          "data": [by_level[level].overdue_steps for level in LEVEL_ORDER]},
                         {"name": still, "stack": "overdue",
                          "data": [by_level[level].open_overdue for level in LEVEL_ORDER]}]})


def _compared(key: str, first: str, rows: list[Named]) -> Table:
    def cells(m: Measures) -> list[str]:
        return [str(m.received), str(m.closed), str(m.resolved), percent(m.resolution_rate),
                decimal(m.avg_days_to_close), decimal(m.satisfaction), str(m.rating_count)]

    headers = [first, gettext_("Level"), gettext_("Cases received"), gettext_("Closed"),
               gettext_("Resolved"), gettext_("Resolution rate"),
               gettext_("Average days to close"), gettext_("Satisfaction (1-5)"),
               gettext_("Ratings")]
    shown = rows[:CHART_MAX_BARS]
    return Table(key, gettext_(TITLES[key]), headers,
                 [[r.label, _level(r.level), *cells(r.measures)] for r in rows], {
                     "type": "hbar", "categories": [r.label for r in shown], "series": [
                         {"name": gettext_("Cases received"),
                          "data": [r.measures.received for r in shown]},
                         {"name": gettext_("Resolved"),
                          "data": [r.measures.resolved for r in shown]}]})


def bodies(found: Dashboard) -> Table:
    return _compared("bodies", gettext_("Mediation body"), found.bodies)


def mediators(found: Dashboard) -> Table:
    return _compared("mediators", gettext_("Mediator"), found.mediators)


BUILDERS: dict[str, Callable[[Dashboard], Table]] = {
    "received": received, "areas": areas, "sources": sources, "levels": levels,
    "steps": steps, "overdue": overdue, "bodies": bodies, "mediators": mediators,
}


def all_tables(found: Dashboard) -> list[Table]:
    return [build(found) for build in BUILDERS.values()]


def summary(total: Measures) -> list[tuple[str, str]]:
    """The headline figures of the period, as (label, value)."""
    return [(gettext_("Received"), str(total.received)),
            (gettext_("Closed"), str(total.closed)),
            (gettext_("Resolution rate"), percent(total.resolution_rate) or "—"),
            (gettext_("Average days to close"), decimal(total.avg_days_to_close) or "—"),
            (gettext_("Satisfaction (1-5)"), decimal(total.satisfaction) or "—"),
            (gettext_("Overdue"), str(total.overdue))]
