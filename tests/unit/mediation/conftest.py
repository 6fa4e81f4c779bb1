from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.mediation import services
from portal.mediation.models import MediationSession
from tests.mediation_world import World, mediation_world, next_hour


@pytest.fixture
def world(db: Session) -> World:
    return mediation_world(db)


@pytest.fixture
def make_session(db: Session, world: World) -> Any:
    """Schedule (and commit) a session; keyword arguments override the defaults."""

    def make(**overrides: Any) -> MediationSession:
        values: dict[str, Any] = {
            "case": world.case, "actor": world.mediator, "starts_at": next_hour(),
            "duration": 60, "mode": "online", "participant_ids": world.party_ids}
        values.update(overrides)
        meeting = services.schedule(db, **values)
        db.commit()
        return meeting

    return make

