from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.cases import services as cases
from portal.cases.states import Trigger
from portal.dispatch import services
from portal.dispatch.models import Step, WorkOrder
from tests.factories import dispatch_world

# A Monday without holidays (the test database has none): 17:00 in Shanghai.
MONDAY = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(db: Session) -> dict[str, Any]:
    return dispatch_world(db)


def settle(db: Session, order: WorkOrder, world: dict[str, Any], body: str = "town") -> None:
    """Dispatch ``order`` to the ``body`` and take its case to an agreement in effect."""
    boss, mediator = world[f"{body}_admin"], world[f"{body}_mediator"]
    if order.step is Step.DISPATCH:
        services.dispatch(db, order=order, body_id=world[f"{body}_body"].id,
                          actor=world["town_dispatcher"] if body != "city"
                          else world["city_dispatcher"])
    if order.step is Step.ACCEPT:
        services.accept(db, order=order, actor=boss)
    case = order.case
    cases.act(db, case=case, trigger=Trigger.RESPONDENT_AGREE, actor=boss)
    cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=boss,
              mediator_id=mediator.id)
    for trigger in (Trigger.START_MEDIATION, Trigger.DRAFT_AGREEMENT, Trigger.OPEN_SIGNING):
        cases.act(db, case=case, trigger=trigger, actor=mediator)
    cases.transition(db, case=case, trigger=Trigger.ALL_SIGNED, actor=None)
    db.commit()
