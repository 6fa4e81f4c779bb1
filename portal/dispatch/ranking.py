"""Bodies suggested for an order: the directory's ranking, held to the order's level.

An escalated order never goes back down, so bodies below the order's level are left out;
so are bodies the owner centre cannot send to (outside its area and not above it). Major,
group and cross-area disputes earn city bodies an extra reason and ``CITY_BONUS``.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from portal.bodies.models import Level
from portal.bodies.services import LEVEL_RULE, Reason, Suggestion, suggest_bodies
from portal.dispatch import levels
from portal.dispatch.models import Priority, WorkOrder
from portal.i18n import N_

CITY_BONUS = LEVEL_RULE
CITY_REASON = Reason(N_("Major, group or cross-area disputes go to the city level"))
# Enough candidates that filtering by level and reach still leaves ``limit`` of them.
CANDIDATES = 200


def suggest(session: Session, order: WorkOrder, limit: int = 5) -> list[Suggestion]:
    found = suggest_bodies(session, dispute_type=order.case.dispute_type,
                           area_id=order.area_id, limit=CANDIDATES)
    centre = order.owner_area_id or order.area_id
    reach = levels.reachable_area_ids(session, centre)
    big = order.priority is Priority.MAJOR or order.is_group
    ranked: list[Suggestion] = []
    for s in found:
        if not levels.at_least(s.body.level, order.level) or s.body.area_id not in reach:
            continue
        if big and s.body.level is Level.CITY:
            s = replace(s, score=round(s.score + CITY_BONUS, 2),
                        reasons=[*s.reasons, CITY_REASON])
        ranked.append(s)
    ranked.sort(key=lambda s: (-s.score, s.body.name))
    return ranked[:limit]
