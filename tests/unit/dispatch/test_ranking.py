"""Suggested bodies for an order: never below its level, explained."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from portal.bodies.models import Level
from portal.bodies.services import suggest_bodies
from portal.dispatch import ranking, services
from portal.dispatch.models import Priority
from tests.factories import BodyFactory, make_report


def _names(suggestions: list[Any]) -> list[str]:
    return [s.body.name for s in suggestions]


def test_a_village_order_gets_the_village_body_first(db: Session,
                                                     world: dict[str, Any]) -> None:
    order = make_report(db, world["grid"], world["village"])
    found = ranking.suggest(db, order)
    assert _names(found)[0] == "枫源村调解室"
    # Not the labour body (another type), nor another town's body (out of reach).
    assert "枫桥镇劳动调解中心" not in _names(found)
    assert "城南街道调委会" not in _names(found)
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert all(s.reasons for s in found)


def test_an_escalated_order_never_goes_back_down(db: Session, world: dict[str, Any]) -> None:
    order = make_report(db, world["grid"], world["village"])
    services.dispatch(db, order=order, body_id=world["village_body"].id,
                      actor=world["town_dispatcher"])
    services.escalate(db, order=order, actor=world["village_admin"], reason="村里调不了")
    db.commit()
    assert order.level is Level.TOWN
    found = ranking.suggest(db, order)
    assert "枫源村调解室" not in _names(found)
    assert set(_names(found)) == {"枫桥镇调委会", "市调处中心"}


def test_major_disputes_are_explained_and_go_to_the_city(db: Session,
                                                         world: dict[str, Any]) -> None:
    order = make_report(db, world["grid"], world["village"], priority=Priority.MAJOR)
    BodyFactory(name="市劳动调解中心", level=Level.CITY, area=world["city"],
                dispute_types=["labour"])
    found = ranking.suggest(db, order)
    assert _names(found) == ["市调处中心"]
    msgids = [r.msgid for r in found[0].reasons]
    assert ranking.CITY_REASON.msgid in msgids
    plain = suggest_bodies(db, dispute_type="neighbour", area_id=order.area_id,
                                   limit=20)
    city = next(s for s in plain if s.body.name == "市调处中心")
    assert found[0].score == round(city.score + ranking.CITY_BONUS, 2)


def test_limit(db: Session, world: dict[str, Any]) -> None:
    order = make_report(db, world["grid"], world["village"])
    assert len(ranking.suggest(db, order, limit=1)) == 1
