"""The three levels (village → town → city) and which centre owns an order at each."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.models import Area, Level
from portal.bodies.services import LEVEL_RULES, area_subtree_ids
from portal.dispatch.models import Priority

LEVEL_ORDER: tuple[Level, ...] = (Level.VILLAGE, Level.TOWN, Level.CITY)
# Grid areas sit below villages: a grid body or area counts as the village level.
RANK: dict[Level, int] = {Level.GRID: 0, Level.VILLAGE: 0, Level.TOWN: 1, Level.CITY: 2}


def rank(level: Level) -> int:
    return RANK[level]


def order_level(level: Level) -> Level:
    """The order level of a body's or area's level (grid counts as village)."""
    return LEVEL_ORDER[RANK[level]]


def next_level(level: Level) -> Level | None:
    index = RANK[level] + 1
    return LEVEL_ORDER[index] if index < len(LEVEL_ORDER) else None


def at_least(level: Level, floor: Level) -> bool:
    return RANK[level] >= RANK[floor]


def _area_level_rank(area: Area) -> int:
    return {Level.GRID: -1, Level.VILLAGE: 0, Level.TOWN: 1, Level.CITY: 2}[area.level]


def centre_for(session: Session, area: Area, level: Level) -> Area:
    """The centre that owns an order of ``area`` at ``level``: the lowest area on the
    lineage at ``level`` or above with an active dispatcher; the top of the lineage if none."""
    lineage = area.lineage()
    staffed = set(session.execute(
        select(User.area_id).where(User.role == Role.DISPATCHER, User.is_active.is_(True),
                                   User.area_id.in_([a.id for a in lineage]))
    ).scalars())
    for candidate in lineage:
        if _area_level_rank(candidate) >= RANK[level] and candidate.id in staffed:
            return candidate
    return lineage[-1]


def initial_level(dispute_type: str, priority: Priority, is_group: bool) -> Level:
    """Major and group disputes go to the city; others to their type's level, else village."""
    if priority is Priority.MAJOR or is_group:
        return Level.CITY
    rule = LEVEL_RULES.get(dispute_type)
    return order_level(rule[0]) if rule is not None else Level.VILLAGE


def reachable_area_ids(session: Session, area_id: int) -> set[int]:
    """Where a centre may send orders: its own area and below, and the areas above it."""
    area = session.get(Area, area_id)
    if area is None:
        return set()
    return set(area_subtree_ids(session, area_id)) | {a.id for a in area.lineage()}
