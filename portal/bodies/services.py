from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from portal.bodies.models import Area


def area_subtree_ids(session: Session, area_id: int) -> list[int]:
    """The area and every area below it (recursive; works on SQLite and PostgreSQL)."""
    tree = select(Area.id).where(Area.id == area_id).cte("tree", recursive=True)
    child = aliased(Area)
    tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
    return list(session.execute(select(tree.c.id)).scalars())
