"""Who sees which alert: a town's staff never see another town's; bodies see their cases'."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.analytics import alerts as service
from portal.analytics.models import AlertStatus, RuleKey
from portal.cases.services import NotAllowed
from portal.dispatch import services as dispatch
from tests.factories import UserFactory
from tests.unit.analytics.alert_support import DAY, T0, alerts, report, run_scan, world

__all__ = ["world"]
W = dict[str, Any]


def _seen(db: Session, user: Any) -> set[int]:
    return {a.id for a in db.execute(service.visible_alerts(db, user)).scalars()}


@pytest.fixture
def two_towns(db: Session, world: W) -> dict[str, Any]:
    """A land dispute in each town; the village's is with the town body."""
    here = report(db, world, T0, dispute_type="land")
    dispatch.dispatch(db, order=here, body_id=world["town_body"].id,
                      actor=world["town_dispatcher"])
    db.commit()
    report(db, world, T0, dispute_type="land", area=world["other_town"])
    run_scan(db, T0 + DAY)
    mine, theirs = sorted(alerts(db, RuleKey.SENSITIVE_TYPE),
                          key=lambda a: a.area_id != world["village"].id)
    return {"mine": mine, "theirs": theirs}


def test_each_town_sees_its_own(db: Session, world: W, two_towns: dict[str, Any]) -> None:
    mine, theirs = two_towns["mine"].id, two_towns["theirs"].id
    assert _seen(db, world["town_dispatcher"]) == {mine}
    assert _seen(db, world["other_dispatcher"]) == {theirs}
    assert _seen(db, world["city_dispatcher"]) == {mine, theirs}
    assert _seen(db, world["admin"]) == {mine, theirs}
    assert _seen(db, world["town_admin"]) == {mine}  # its body's case
    assert _seen(db, world["village_admin"]) == set()
    for role_user in (world["grid"], world["village_mediator"], UserFactory()):
        assert _seen(db, role_user) == set()


def test_another_towns_alert_cannot_be_found_or_moved(db: Session, world: W,
                                                      two_towns: dict[str, Any]) -> None:
    theirs = two_towns["theirs"]
    assert service.get_visible(db, world["town_dispatcher"], theirs.id) is None
    with pytest.raises(NotAllowed):
        service.move(db, alert=theirs, to=AlertStatus.ACKNOWLEDGED,
                     actor=world["town_dispatcher"])
    assert theirs.status is AlertStatus.OPEN


def test_an_inactive_dispatcher_sees_nothing(db: Session, world: W,
                                             two_towns: dict[str, Any]) -> None:
    world["town_dispatcher"].is_active = False
    db.commit()
    assert _seen(db, world["town_dispatcher"]) == set()


def test_the_list_filters_and_orders(db: Session, world: W, two_towns: dict[str, Any]) -> None:
    red = report(db, world, T0 + DAY, description="扬言要砍人")
    run_scan(db, T0 + 2 * DAY)
    city = world["city_dispatcher"]
    page = service.listing(db, city)
    assert page.items[0].case_id == red.case_id  # red first
    assert {a.rule for a in service.listing(db, city, rule="keywords").items} == {
        RuleKey.KEYWORDS}
    assert [a.level.value for a in service.listing(db, city, level="red").items] == ["red"]
    assert service.listing(db, city, status="closed").total == 0
    assert service.listing(db, city, per_page=1, page=2).total == page.total
