"""What the dashboard's queries take and give: filters, and measures with their ratios."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from portal.analytics.aggregates import STEPS
from portal.bodies.models import Level
from portal.dispatch.levels import LEVEL_ORDER
from portal.dispatch.models import Source, Step


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    # The areas in scope (an area and every area below it); None is everywhere.
    area_ids: tuple[int, ...] | None = None
    dispute_type: str | None = None
    level: Level | None = None

    @property
    def bucket(self) -> Bucket:
        days = (self.end - self.start).days + 1
        return Bucket.DAY if days <= 62 else Bucket.WEEK if days <= 183 else Bucket.MONTH


def default_period(day: dt.date) -> tuple[dt.date, dt.date]:
    """The dashboard's first page: the twelve months up to ``day``, from the 1st of the
    month eleven months before."""
    month = day.year * 12 + day.month - 1 - 11
    return dt.date(month // 12, month % 12 + 1, 1), day


@dataclass
class Measures:
    received: int = 0
    closed: int = 0
    resolved: int = 0
    closed_seconds: int = 0
    rating_count: int = 0
    rating_sum: int = 0
    overdue_steps: int = 0
    # Open orders past their step's deadline at the end of the period (read live).
    open_overdue: int = 0
    step_counts: dict[Step, int] = field(default_factory=dict)
    step_seconds: dict[Step, int] = field(default_factory=dict)

    def add(self, values: Mapping[Any, Any]) -> None:
        """Add a row of sums: order measures, or a step's ``step``, ``steps``, ``seconds``
        and ``overdue``, or ``open_overdue``."""
        if "step" in values:
            step = Step(values["step"])
            self.step_counts[step] = self.step_counts.get(step, 0) + int(values["steps"] or 0)
            self.step_seconds[step] = (self.step_seconds.get(step, 0)
                                       + int(values["seconds"] or 0))
            self.overdue_steps += int(values["overdue"] or 0)
            return
        for name, value in values.items():
            if name in _COUNTERS:
                setattr(self, name, getattr(self, name) + int(value or 0))

    @property
    def overdue(self) -> int:
        """As the figures count it: steps that ran late, and open orders past due."""
        return self.overdue_steps + self.open_overdue

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.closed if self.closed else None

    @property
    def avg_days_to_close(self) -> float | None:
        return self.closed_seconds / self.closed / 86400 if self.closed else None

    @property
    def satisfaction(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None

    @property
    def avg_days_per_step(self) -> dict[Step, float | None]:
        return {step: (self.step_seconds[step] / n / 86400
                       if (n := self.step_counts.get(step, 0)) else None) for step in STEPS}

    @property
    def active(self) -> bool:
        return bool(self.received or self.closed or self.overdue or self.rating_count
                    or any(self.step_counts.values()))


_COUNTERS = ("received", "closed", "resolved", "closed_seconds", "rating_count", "rating_sum",
             "overdue_steps", "open_overdue")


@dataclass(frozen=True)
class Named:
    key: int
    label: str
    level: Level | None
    measures: Measures


@dataclass(frozen=True)
class Breakdown:
    """The period's figures in total and by level, source and area."""

    total: Measures
    levels: dict[Level, Measures]
    sources: dict[Source, Measures]
    areas: list[Named]

    @property
    def share_by_level(self) -> dict[Level, float | None]:
        resolved = self.total.resolved
        return {level: self.levels[level].resolved / resolved if resolved else None
                for level in LEVEL_ORDER}
