"""The ranking of bodies: each factor proved with crafted bodies, reasons included."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.bodies.models import BodyKind, Level, MediationBody
from portal.bodies.services import Reason, Suggestion, area_subtree_ids, suggest_bodies
from portal.cases.states import Status
from tests.factories import (
    AreaFactory,
    BodyFactory,
    CaseFactory,
    MediatorProfileFactory,
    UserFactory,
)

ALL = ["labour", "family", "neighbour", "land", "property", "consumer", "maritime", "traffic",
       "medical", "other"]
LOCAL = ["family", "neighbour", "land", "labour", "property", "other"]


def _body(name: str, kind: BodyKind, level: Level, area: Any, types: list[str],
          mediators: int = 1, active: bool = True) -> MediationBody:
    body = BodyFactory(name=name, kind=kind, level=level, area=area, dispute_types=types,
                       is_active=active)
    for _ in range(mediators):
        UserFactory(role=Role.MEDIATOR, body_id=body.id)
    return body


@pytest.fixture
def world(db: Session) -> dict[str, Any]:
    city = AreaFactory(name="City", level=Level.CITY)
    t1 = AreaFactory(name="Town1", level=Level.TOWN, parent=city)
    t2 = AreaFactory(name="Town2", level=Level.TOWN, parent=city)
    v1 = AreaFactory(name="Village1", level=Level.VILLAGE, parent=t1)
    v2 = AreaFactory(name="Village2", level=Level.VILLAGE, parent=t1)
    p, a, i = BodyKind.PEOPLES, BodyKind.ADMINISTRATIVE, BodyKind.INDUSTRY
    bodies = {
        "centre": _body("centre", p, Level.CITY, city, ALL),
        "town1": _body("town1", p, Level.TOWN, t1, LOCAL),
        "town2": _body("town2", p, Level.TOWN, t2, LOCAL),
        "village1": _body("village1", p, Level.VILLAGE, v1, LOCAL),
        "village2": _body("village2", p, Level.VILLAGE, v2, ["family", "neighbour"]),
        "labour1": _body("labour1", a, Level.TOWN, t1, ["labour"]),
        "sea": _body("sea", i, Level.CITY, city, ["maritime", "labour"]),
        "shop": _body("shop", i, Level.CITY, city, ["consumer"]),
        "general1": _body("general1", p, Level.VILLAGE, v1, []),
        "closed1": _body("closed1", p, Level.VILLAGE, v1, ["family"], active=False),
    }
    return {"areas": {"city": city, "t1": t1, "t2": t2, "v1": v1, "v2": v2}, **bodies}


def _names(found: list[Suggestion]) -> list[str]:
    return [s.body.name for s in found]


def _suggest(db: Session, world: dict[str, Any], kind: str, area: str | None,
             limit: int = 20) -> list[Suggestion]:
    area_id = world["areas"][area].id if area else None
    return suggest_bodies(db, dispute_type=kind, area_id=area_id, limit=limit)


def test_family_dispute_goes_to_the_village_first(db: Session, world: dict[str, Any]) -> None:
    found = _suggest(db, world, "family", "v1")
    # The village's general room (it takes every type) ranks after the family room but
    # before the town: nearness and the level rule outweigh specialisation.
    assert _names(found) == ["village1", "general1", "town1", "centre", "village2", "town2"]
    first = found[0]
    assert first.score == 6.5
    assert first.reasons == [
        Reason("Handles this type of dispute"),
        Reason("Located in your area ({area})", {"area": "Village1"}),
        Reason("Village and community mediation rooms are the first stop for family and "
               "neighbour disputes"),
        Reason("Current workload: {cases} open cases per mediator", {"cases": "0.0"}),
    ]
    assert Reason("Serves {area}, the area just above yours", {"area": "Town1"}) in (
        found[2].reasons)
    assert Reason("Serves {area}, two levels above your area", {"area": "City"}) in (
        found[3].reasons)
    # Sibling areas are listed last, and say so.
    assert Reason("Located in {area}, outside your area", {"area": "Village2"}) in (
        found[4].reasons)


def test_inactive_and_non_accepting_bodies_are_left_out(db: Session,
                                                        world: dict[str, Any]) -> None:
    names = _names(_suggest(db, world, "family", "v1"))
    assert "closed1" not in names
    assert not {"labour1", "sea", "shop"} & set(names)


def test_labour_dispute_goes_to_the_town_first(db: Session, world: dict[str, Any]) -> None:
    found = _suggest(db, world, "labour", "v1")
    # The town's specialised labour body, then the town committee, both before the
    # village room that also takes labour disputes.
    assert _names(found)[:3] == ["labour1", "town1", "village1"]
    assert Reason("Specialised body for this type of dispute") in found[0].reasons
    assert Reason("Town and street centres are the first stop for land and labour "
                  "disputes") in found[1].reasons
    assert found[2].score < found[1].score


def test_maritime_dispute_goes_to_the_city_specialised_body(db: Session,
                                                            world: dict[str, Any]) -> None:
    found = _suggest(db, world, "maritime", "v1")
    assert _names(found) == ["sea", "centre", "general1"]
    assert Reason("City-level specialised bodies handle e-commerce and maritime "
                  "disputes") in found[0].reasons
    assert Reason("Takes disputes of every type") in found[2].reasons


def test_other_types_stay_low_and_the_city_is_the_fallback(db: Session,
                                                           world: dict[str, Any]) -> None:
    found = _suggest(db, world, "property", "v1")
    names = _names(found)
    assert names[0] == "village1"
    assert names.index("town1") < names.index("centre")
    assert Reason("The city centre takes disputes that no lower body can settle") in (
        found[names.index("centre")].reasons)
    assert Reason("Bodies close to where a dispute arises are tried before the city "
                  "centre") in found[0].reasons
    # Medical disputes: only the city centre (and the general room) take them.
    assert _names(_suggest(db, world, "medical", "t1")) == ["centre", "general1"]


def test_without_an_area_the_level_rule_orders(db: Session, world: dict[str, Any]) -> None:
    found = _suggest(db, world, "family", None)
    assert _names(found)[:2] == ["village1", "village2"]
    assert all(not r.msgid.startswith(("Located", "Serves")) for s in found for r in s.reasons)


def test_workload_orders_otherwise_equal_bodies(db: Session, world: dict[str, Any]) -> None:
    t2 = world["areas"]["t2"]
    busy = _body("a-busy", BodyKind.PEOPLES, Level.TOWN, t2, ["land"], mediators=1)
    calm = _body("b-calm", BodyKind.PEOPLES, Level.TOWN, t2, ["land"], mediators=2)
    for body, n in ((busy, 3), (calm, 2)):
        for _ in range(n):
            CaseFactory(body_id=body.id, status=Status.IN_MEDIATION)
    # Drafts and finished cases are not workload.
    CaseFactory(body_id=busy.id, status=Status.DRAFT)
    CaseFactory(body_id=calm.id, status=Status.CLOSED)
    found = _suggest(db, world, "land", "t2")
    # Same type, area and level: the lighter workload first, whatever the names.
    assert _names(found)[:3] == ["town2", "b-calm", "a-busy"]
    assert Reason("Current workload: {cases} open cases per mediator", {"cases": "1.0"}) in (
        found[1].reasons)
    assert Reason("Current workload: {cases} open cases per mediator", {"cases": "3.0"}) in (
        found[2].reasons)
    assert found[1].score - found[2].score == pytest.approx(0.2)


def test_a_body_without_mediators_ranks_below_its_twin(db: Session,
                                                       world: dict[str, Any]) -> None:
    t2 = world["areas"]["t2"]
    _body("a-empty", BodyKind.PEOPLES, Level.TOWN, t2, ["land"], mediators=0)
    _body("b-staffed", BodyKind.PEOPLES, Level.TOWN, t2, ["land"])
    found = _suggest(db, world, "land", "t2")
    names = _names(found)
    assert names.index("b-staffed") < names.index("a-empty")
    empty = found[names.index("a-empty")]
    assert Reason("No mediator is taking cases here at the moment") in empty.reasons
    # Deactivated mediators and those not taking cases do not count.
    empty_body = found[names.index("a-empty")].body
    UserFactory(role=Role.MEDIATOR, body_id=empty_body.id, is_active=False)
    MediatorProfileFactory(user__body_id=empty_body.id, accepting_cases=False)
    again = _suggest(db, world, "land", "t2")
    assert Reason("No mediator is taking cases here at the moment") in (
        again[_names(again).index("a-empty")].reasons)
    MediatorProfileFactory(user__body_id=empty_body.id)
    again = _suggest(db, world, "land", "t2")
    assert Reason("No mediator is taking cases here at the moment") not in (
        again[_names(again).index("a-empty")].reasons)


def test_limit_and_area_subtree(db: Session, world: dict[str, Any]) -> None:
    assert len(_suggest(db, world, "family", "v1", limit=2)) == 2
    areas = world["areas"]
    assert set(area_subtree_ids(db, areas["t1"].id)) == {areas["t1"].id, areas["v1"].id,
                                                          areas["v2"].id}
    # A body below the chosen area is near, but the area's own bodies come first.
    found = _suggest(db, world, "family", "t1")
    assert _names(found)[0] == "town1"
    assert Reason("Located in {area}, within the area you chose", {"area": "Village1"}) in (
        found[_names(found).index("village1")].reasons)
