"""Areas, mediators of a body, and the ranking of bodies for a dispute.

The ranking (``suggest_bodies``) adds up one score per factor; each factor that counts adds
a ``Reason`` saying, in plain words, why:

1. type: a body that lists the dispute type scores ``TYPE_LISTED``; one that lists no type
   takes every dispute and scores ``TYPE_ANY``; any other body is left out. An industry or
   administrative body that lists the type is specialised (``SPECIALISED``).
2. area: the body's area on the dispute area's lineage: same area ``AREA_SAME``, parent
   ``AREA_PARENT``, grandparent ``AREA_GRANDPARENT``, further up ``AREA_FURTHER``; an area
   below the chosen one ``AREA_BELOW``; anywhere else ``AREA_OUTSIDE`` (listed last, but
   listed, so a party outside every area still gets an answer).
3. level ("small matters stay in the village, big matters in the town"): family and
   neighbour disputes go to village bodies first, land and labour to town bodies, e-commerce
   and maritime disputes to city-level specialised bodies (``LEVEL_RULE``); every other
   type goes to the lowest level that takes it (``LEVEL_LOWER``), the city centre last.
4. workload: open cases per mediator taking cases, ``WORKLOAD_STEP`` per case, at most
   ``WORKLOAD_MAX``, so it orders bodies that are otherwise alike without overriding
   nearness or the level rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.figures import open_cases
from portal.bodies.models import Area, BodyKind, Level, MediationBody, MediatorProfile
from portal.db.memo import remembered
from portal.i18n import N_

TYPE_LISTED, TYPE_ANY, SPECIALISED = 2.0, 1.0, 1.0
AREA_SAME, AREA_PARENT, AREA_GRANDPARENT, AREA_FURTHER = 3.0, 2.0, 1.0, 0.5
AREA_BELOW, AREA_OUTSIDE = 0.5, -5.0
LEVEL_RULE, LEVEL_LOWER = 1.5, 0.5
WORKLOAD_STEP, WORKLOAD_MAX = 0.1, 0.9

# The level each dispute type goes to first, with the reason a party reads.
LEVEL_RULES: dict[str, tuple[Level, str]] = {
    "family": (Level.VILLAGE, N_("Village and community mediation rooms are the first stop "
                                 "for family and neighbour disputes")),
    "neighbour": (Level.VILLAGE, N_("Village and community mediation rooms are the first "
                                    "stop for family and neighbour disputes")),
    "land": (Level.TOWN, N_("Town and street centres are the first stop for land and "
                            "labour disputes")),
    "labour": (Level.TOWN, N_("Town and street centres are the first stop for land and "
                              "labour disputes")),
    "consumer": (Level.CITY, N_("City-level specialised bodies handle e-commerce and "
                                "maritime disputes")),
    "maritime": (Level.CITY, N_("City-level specialised bodies handle e-commerce and "
                                "maritime disputes")),
}
SPECIALISED_KINDS = frozenset({BodyKind.INDUSTRY, BodyKind.ADMINISTRATIVE})


def _subtree_statement() -> Select[int]:
    tree = select(Area.id).where(Area.id == bindparam("root")).cte("tree", recursive=True)
    child = aliased(Area)
    tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
    return select(tree.c.id)


# Built once: constructing the recursive CTE cost more than running it.
_SUBTREE = _subtree_statement()


def area_subtree_ids(session: Session, area_id: int) -> list[int]:
    """The area and every area below it (recursive; works on SQLite and PostgreSQL).

    Remembered for the transaction (portal.db.memo): access checks ask it once per panel.
    """
    def query() -> tuple[int, ...]:
        return tuple(session.execute(_SUBTREE, {"root": area_id}).scalars())

    return list(remembered(session, ("area_subtree", area_id), query, (Area,)))


def accepts(body: MediationBody, dispute_type: str) -> bool:
    """A body that lists no dispute types takes every type."""
    return not body.dispute_types or dispute_type in body.dispute_types


def mediators_query() -> Select[User, MediatorProfile]:
    """Active mediators with their (optional) published profile."""
    return (select(User, MediatorProfile)
            .outerjoin(MediatorProfile, MediatorProfile.user_id == User.id)
            .where(User.role == Role.MEDIATOR, User.is_active.is_(True)))


def body_mediators(session: Session, *, body_id: int) -> list[tuple[User, MediatorProfile | None]]:
    rows = session.execute(mediators_query().where(User.body_id == body_id)
                           .order_by(User.name, User.id)).all()
    return [(user, profile) for user, profile in rows]


def mediator_counts(session: Session, *, body_ids: Sequence[int]) -> dict[int, int]:
    """Active mediators taking cases (no profile yet counts as taking cases), per body."""
    wanted = sorted(set(body_ids))
    if not wanted:
        return {}
    counts = dict(session.execute(
        select(User.body_id, func.count())
        .outerjoin(MediatorProfile, MediatorProfile.user_id == User.id)
        .where(User.role == Role.MEDIATOR, User.is_active.is_(True), User.body_id.in_(wanted),
               or_(MediatorProfile.user_id.is_(None), MediatorProfile.accepting_cases.is_(True)))
        .group_by(User.body_id)
    ).all())
    return {key: int(counts.get(key, 0)) for key in wanted}


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


def _type_factor(body: MediationBody, dispute_type: str) -> list[tuple[float, Reason]]:
    if not body.dispute_types:
        return [(TYPE_ANY, Reason(N_("Takes disputes of every type")))]
    found = [(TYPE_LISTED, Reason(N_("Handles this type of dispute")))]
    if body.kind in SPECIALISED_KINDS:
        found.append((SPECIALISED, Reason(N_("Specialised body for this type of dispute"))))
    return found


def _area_factor(body: MediationBody, near: dict[int, int],
                 below: set[int]) -> tuple[float, Reason]:
    area = {"area": body.area.name}
    distance = near.get(body.area_id)
    if distance == 0:
        return AREA_SAME, Reason(N_("Located in your area ({area})"), area)
    if distance == 1:
        return AREA_PARENT, Reason(N_("Serves {area}, the area just above yours"), area)
    if distance == 2:
        return AREA_GRANDPARENT, Reason(N_("Serves {area}, two levels above your area"), area)
    if distance is not None:
        return AREA_FURTHER, Reason(N_("Serves {area}, which includes your area"), area)
    if body.area_id in below:
        return AREA_BELOW, Reason(N_("Located in {area}, within the area you chose"), area)
    return AREA_OUTSIDE, Reason(N_("Located in {area}, outside your area"), area)


def _level_factor(body: MediationBody, dispute_type: str) -> tuple[float, Reason] | None:
    rule = LEVEL_RULES.get(dispute_type)
    if rule is not None:
        level, msgid = rule
        return (LEVEL_RULE, Reason(msgid)) if body.level is level else None
    if body.level is Level.CITY:
        return 0.0, Reason(N_("The city centre takes disputes that no lower body can settle"))
    return LEVEL_LOWER, Reason(N_("Bodies close to where a dispute arises are tried before "
                                  "the city centre"))


def _workload_factor(open_count: int, mediators: int) -> tuple[float, Reason]:
    if mediators == 0:
        return -WORKLOAD_MAX, Reason(N_("No mediator is taking cases here at the moment"))
    load = open_count / mediators
    return (-min(load * WORKLOAD_STEP, WORKLOAD_MAX),
            Reason(N_("Current workload: {cases} open cases per mediator"),
                   {"cases": f"{load:.1f}"}))


def suggest_bodies(
    session: Session, *, dispute_type: str, area_id: int | None, limit: int = 5
) -> list[Suggestion]:
    """Active bodies that take ``dispute_type``, best first, each with its reasons."""
    near: dict[int, int] = {}
    below: set[int] = set()
    if area_id is not None:
        area = session.get(Area, area_id)
        if area is not None:
            near = {a.id: distance for distance, a in enumerate(area.lineage())}
            below = set(area_subtree_ids(session, area.id)) - {area.id}
    bodies = [b for b in session.execute(
        select(MediationBody).where(MediationBody.is_active.is_(True))
    ).scalars() if accepts(b, dispute_type)]
    ids = [b.id for b in bodies]
    workload, staff = open_cases(session, body_ids=ids), mediator_counts(session, body_ids=ids)
    ranked: list[Suggestion] = []
    for body in bodies:
        factors = _type_factor(body, dispute_type)
        if near:
            factors.append(_area_factor(body, near, below))
        if (level := _level_factor(body, dispute_type)) is not None:
            factors.append(level)
        factors.append(_workload_factor(workload[body.id], staff[body.id]))
        score = round(sum(points for points, _ in factors), 2)
        ranked.append(Suggestion(body, score, [reason for _, reason in factors]))
    ranked.sort(key=lambda s: (-s.score, s.body.name))
    return ranked[:limit]
