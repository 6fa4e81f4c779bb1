from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from portal.bodies.models import Area, MediationBody


def area_subtree_ids(session: Session, area_id: int) -> list[int]:
    """The area and every area below it (recursive; works on SQLite and PostgreSQL)."""
    tree = select(Area.id).where(Area.id == area_id).cte("tree", recursive=True)
    child = aliased(Area)
    tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
    return list(session.execute(select(tree.c.id)).scalars())


@dataclass(frozen=True)
class Reason:
    """Why a body was suggested: a gettext msgid and its parameters."""

    msgid: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    body: MediationBody
    score: float
    reasons: list[Reason]


def suggest_bodies(
    session: Session, *, dispute_type: str, area_id: int | None, limit: int = 5
) -> list[Suggestion]:
    """Active bodies ranked for a dispute: type accepted, nearness of area, level."""
    near: dict[int, int] = {}
    if area_id is not None:
        area = session.get(Area, area_id)
        if area is not None:
            near = {a.id: distance for distance, a in enumerate(area.lineage())}
    bodies = session.execute(
        select(MediationBody).where(MediationBody.is_active.is_(True))
    ).scalars()
    ranked: list[Suggestion] = []
    for body in bodies:
        score = 0.0
        reasons: list[Reason] = []
        if dispute_type in (body.dispute_types or []):
            score += 3
            reasons.append(Reason("Handles this type of dispute"))
        elif body.dispute_types:
            continue
        if body.area_id in near:
            score += 2 - 0.5 * near[body.area_id]
            reasons.append(Reason("Serves your area"))
        ranked.append(Suggestion(body, score, reasons))
    ranked.sort(key=lambda s: (-s.score, s.body.name))
    return ranked[:limit]
