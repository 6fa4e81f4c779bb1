"""The public directory of bodies: filters, pages, and what a body's page shows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, String, case, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.figures import Figures, body_figures, mediator_figures
from portal.bodies.models import Area, BodyKind, Level, MediationBody, MediatorProfile
from portal.bodies.services import area_subtree_ids, body_mediators
from portal.cases.disputes import DISPUTE_TYPES

LEVEL_ORDER = {Level.CITY: 0, Level.TOWN: 1, Level.VILLAGE: 2, Level.GRID: 3}


@dataclass(frozen=True)
class Filters:
    """Directory filters; empty strings and unknown values mean "any"."""

    dispute_type: str = ""
    level: str = ""
    kind: str = ""
    area_id: int | None = None
    q: str = ""
    include_inactive: bool = False


@dataclass(frozen=True)
class Listing:
    bodies: list[MediationBody]
    figures: dict[int, Figures]
    mediators: dict[int, int]
    total: int


def _query(session: Session, f: Filters) -> Select[MediationBody]:
    query = select(MediationBody)
    if not f.include_inactive:
        query = query.where(MediationBody.is_active.is_(True))
    if f.dispute_type in DISPUTE_TYPES:
        # JSON lists are stored as text on both backends; the quotes make the match exact.
        as_text = cast(MediationBody.dispute_types, String)
        query = query.where(or_(as_text.like(f'%"{f.dispute_type}"%'), as_text == "[]"))
    if f.level in set(Level):
        query = query.where(MediationBody.level == Level(f.level))
    if f.kind in set(BodyKind):
        query = query.where(MediationBody.kind == BodyKind(f.kind))
    if f.area_id is not None:
        query = query.where(MediationBody.area_id.in_(area_subtree_ids(session, f.area_id)))
    if f.q:
        query = query.where(or_(*(column.icontains(f.q, autoescape=True) for column in (
            MediationBody.name, MediationBody.address, MediationBody.specialties,
            MediationBody.description))))
    return query


def search(session: Session, *, filters: Filters, page: int, size: int,
           body_id: int | None = None) -> Listing:
    """One page of bodies matching ``filters`` (and ``body_id`` when given): city first,
    then town, then village."""
    query = _query(session, filters)
    if body_id is not None:
        query = query.where(MediationBody.id == body_id)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    level_rank = case(*((MediationBody.level == lv, rank) for lv, rank in LEVEL_ORDER.items()),
                      else_=len(LEVEL_ORDER))
    rows = list(session.execute(
        query.options(selectinload(MediationBody.area))
        .order_by(level_rank, MediationBody.name, MediationBody.id)
        .limit(size).offset((page - 1) * size)
    ).scalars())
    ids = [b.id for b in rows]
    counts = dict(session.execute(
        select(User.body_id, func.count()).where(User.body_id.in_(ids), User.is_active.is_(True),
                                                  User.role == Role.MEDIATOR)
        .group_by(User.body_id)).all()) if ids else {}
    return Listing(rows, body_figures(session, body_ids=ids),
                   {i: int(counts.get(i, 0)) for i in ids}, total)


@dataclass(frozen=True)
class MediatorEntry:
    user: User
    profile: MediatorProfile | None
    figures: Figures


@dataclass(frozen=True)
class BodyPage:
    body: MediationBody
    figures: Figures
    mediators: list[MediatorEntry]


def body_page(session: Session, *, body_id: int, include_inactive: bool = False
              ) -> BodyPage | None:
    body = session.get(MediationBody, body_id, options=[selectinload(MediationBody.area)])
    if body is None or not (body.is_active or include_inactive):
        return None
    people = body_mediators(session, body_id=body.id)
    figures = mediator_figures(session, mediator_ids=[u.id for u, _ in people])
    return BodyPage(body, body_figures(session, body_ids=[body.id])[body.id],
                    [MediatorEntry(u, p, figures[u.id]) for u, p in people])


def areas(session: Session) -> list[Area]:
    """Every area, for the filter: ordered by code, so children follow their parent."""
    return list(session.execute(select(Area).order_by(Area.code)).scalars())
