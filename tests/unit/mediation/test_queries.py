"""Reading sessions: a user's upcoming ones, a case's requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from portal.db.types import utcnow
from portal.mediation import queries, services
from portal.mediation.models import MediationSession
from tests.mediation_world import World, next_hour


def test_upcoming_lists_only_the_users_sessions_not_yet_over(
        db: Session, world: World, make_session: Any) -> None:
    soon = make_session(starts_at=next_hour(days=1))
    later = make_session(starts_at=next_hour(days=2))
    cancelled = make_session(starts_at=next_hour(days=3))
    services.cancel(db, meeting=cancelled, actor=world.mediator, reason="x")
    db.commit()

    def ids(user_id: int, now: dt.datetime | None = None) -> list[int]:
        query = queries.upcoming_query(user_id, now or utcnow())
        return [m.id for m in db.execute(query.order_by(MediationSession.starts_at)).scalars()]

    assert ids(world.respondent.id) == [soon.id, later.id]
    assert ids(world.mediator.id) == [soon.id, later.id]
    assert ids(world.boss.id) == []
    assert ids(world.applicant.id, soon.ends_at) == [later.id]


def test_invitee_of_finds_parties_through_their_participant_row(
        db: Session, world: World, make_session: Any) -> None:
    meeting = make_session()
    assert queries.invitee_of(meeting, world.respondent.id).name == "李四"  # type: ignore[union-attr]
    assert queries.invitee_of(meeting, world.mediator.id).name == "王调解"  # type: ignore[union-attr]
    assert queries.invitee_of(meeting, world.boss.id) is None
    meeting.invitees[1].removed_at = utcnow()
    assert queries.invitee_of(meeting, world.applicant.id) is None


def test_requests_of_sessions(db: Session, world: World, make_session: Any) -> None:
    one, two = make_session(), make_session(starts_at=next_hour(days=3))
    services.request_reschedule(db, meeting=two, actor=world.applicant, reason="x", proposed="y")
    db.commit()
    assert queries.requests_of(db, []) == []
    assert [r.session_id for r in queries.requests_of(db, [one.id, two.id])] == [two.id]
    assert [r.session_id for r in queries.open_requests(db, two.id)] == [two.id]
