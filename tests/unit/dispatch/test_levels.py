"""Level arithmetic and the centre that owns an order at each level."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.bodies.models import Level
from portal.dispatch import levels
from portal.dispatch.models import Priority
from tests.factories import AreaFactory, UserFactory


def test_next_level_stops_at_the_city() -> None:
    assert levels.next_level(Level.VILLAGE) is Level.TOWN
    assert levels.next_level(Level.TOWN) is Level.CITY
    assert levels.next_level(Level.CITY) is None
    assert levels.next_level(Level.GRID) is Level.TOWN  # a grid counts as the village level


@pytest.mark.parametrize(("kind", "priority", "group", "level"), [
    ("family", Priority.NORMAL, False, Level.VILLAGE),
    ("neighbour", Priority.URGENT, False, Level.VILLAGE),
    ("land", Priority.NORMAL, False, Level.TOWN),
    ("labour", Priority.NORMAL, False, Level.TOWN),
    ("maritime", Priority.NORMAL, False, Level.CITY),
    ("consumer", Priority.NORMAL, False, Level.CITY),
    ("property", Priority.NORMAL, False, Level.VILLAGE),
    ("family", Priority.MAJOR, False, Level.CITY),
    ("family", Priority.NORMAL, True, Level.CITY),
])
def test_initial_level(kind: str, priority: Priority, group: bool, level: Level) -> None:
    assert levels.initial_level(kind, priority, group) is level


def test_the_centre_is_the_lowest_staffed_area_at_the_level(db: Session,
                                                            world: dict[str, Any]) -> None:
    village, town, city = world["village"], world["town"], world["city"]
    # No dispatcher in the village: the town's centre owns village-level orders.
    assert levels.centre_for(db, village, Level.VILLAGE) == town
    assert levels.centre_for(db, village, Level.TOWN) == town
    assert levels.centre_for(db, village, Level.CITY) == city
    UserFactory(role=Role.DISPATCHER, area_id=village.id)
    assert levels.centre_for(db, village, Level.VILLAGE) == village
    assert levels.centre_for(db, village, Level.TOWN) == town


def test_without_any_dispatcher_the_top_of_the_lineage_owns_it(db: Session) -> None:
    city = AreaFactory(level=Level.CITY)
    town = AreaFactory(level=Level.TOWN, parent=city)
    grid = AreaFactory(level=Level.GRID, parent=AreaFactory(level=Level.VILLAGE, parent=town))
    UserFactory(role=Role.DISPATCHER, area_id=town.id, is_active=False)
    assert levels.centre_for(db, grid, Level.VILLAGE) == city


def test_a_centre_reaches_its_subtree_and_the_areas_above(db: Session,
                                                          world: dict[str, Any]) -> None:
    reach = levels.reachable_area_ids(db, world["town"].id)
    assert {world["town"].id, world["village"].id, world["city"].id} <= reach
    assert world["other_town"].id not in reach
