"""The parties' requests: the case's move and the filing are written together, and the
delivery starts only once they are committed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.audit.models import AuditEntry
from portal.cases import services as cases
from portal.cases.models import CaseParticipant
from portal.cases.states import Status, Trigger
from portal.filing import confirmation, services
from portal.filing.models import ConfirmationApplicant, Filing, FilingKind, FilingStatus
from tests.factories import UserFactory
from tests.unit.casefile.world import build_world


def _count(db: Session) -> int:
    return db.execute(select(func.count()).select_from(Filing)).scalar_one()


def test_filing_moves_the_case_and_writes_the_filing_together(
        db: Session, held: list[int]) -> None:
    world = build_world(db)
    filing = services.request_filing(db, case=world.case, user=world.applicant,
                                     court_id="zhuji")
    assert world.case.status is Status.FILING_REQUESTED
    assert (filing.kind, filing.status, filing.court_name) == (
        FilingKind.LITIGATION, FilingStatus.QUEUED, "诸暨市人民法院")
    assert world.case.court_name == "诸暨市人民法院"
    assert held == []  # nothing is sent before the commit
    db.commit()
    assert held == [filing.id]
    assert world.case.events[-1].trigger is Trigger.REQUEST_FILING
    assert db.execute(select(AuditEntry.action).where(
        AuditEntry.action == "filing.queued")).scalar_one()


def test_a_rolled_back_request_leaves_no_filing_and_sends_nothing(
        db: Session, held: list[int]) -> None:
    world = build_world(db)
    services.request_filing(db, case=world.case, user=world.applicant, court_id="zhuji")
    db.rollback()
    db.refresh(world.case)
    assert world.case.status is Status.MEDIATION_FAILED
    assert _count(db) == 0 and held == []


def test_the_delivery_runs_after_the_commit_without_a_broker(
        db: Session, unreachable: str) -> None:
    world = build_world(db)
    filing = services.request_filing(db, case=world.case, user=world.applicant,
                                     court_id=unreachable)
    before = dt.datetime.now(dt.UTC)
    db.commit()  # eager: the first attempt runs here, and the court cannot be reached
    db.refresh(filing)
    assert (filing.status, filing.attempts) == (FilingStatus.QUEUED, 1)
    assert filing.next_attempt_at is not None and filing.next_attempt_at >= before
    assert "network error" in filing.last_error
    assert filing.package_name and filing.package_sha256 and filing.package_size


def test_only_the_applicant_of_a_failed_case_files(db: Session, held: list[int]) -> None:
    world = build_world(db)
    for user in (world.respondent, world.mediator, world.stranger):
        with pytest.raises(services.FilingRefused) as caught:
            services.request_filing(db, case=world.case, user=user, court_id="zhuji")
        assert caught.value.message == services.NOT_FILEABLE
    with pytest.raises(services.FilingRefused) as caught:
        services.request_filing(db, case=world.case, user=world.applicant, court_id="nowhere")
    assert caught.value.message == services.UNKNOWN_COURT
    db.rollback()
    assert _count(db) == 0 and world.case.status is Status.MEDIATION_FAILED


@pytest.mark.parametrize("trigger", [Trigger.REQUEST_FILING, Trigger.COURT_RECEIVE,
                                     Trigger.DOCKET, Trigger.REJECT_FILING])
def test_filing_moves_are_not_bare_case_actions(db: Session, trigger: Trigger) -> None:
    world = build_world(db)
    with pytest.raises(cases.NotAllowed):
        cases.act(db, case=world.case, trigger=trigger, actor=world.applicant, reason="x")
    assert trigger not in cases.available_triggers(db, world.case, world.applicant)


def test_the_parties_apply_jointly_for_confirmation(db: Session, held: list[int]) -> None:
    world = build_world(db, until=Status.AGREEMENT_IN_EFFECT)
    assert services.apply_for_confirmation(db, case=world.case, user=world.applicant,
                                           court_id="zhuji") is None
    db.commit()
    assert world.case.status is Status.AGREEMENT_IN_EFFECT and held == []
    with pytest.raises(services.FilingRefused) as caught:
        services.apply_for_confirmation(db, case=world.case, user=world.applicant,
                                        court_id="zhuji")
    assert caught.value.message == confirmation.ALREADY
    db.rollback()
    state = confirmation.state(db, world.case, world.respondent)
    assert state is not None and state.may_apply and state.court_id == "zhuji"
    assert [p.applied_at is not None for p in state.parties] == [True, False]
    # The respondent applies last: the case moves and the filing is written with it.
    filing = services.apply_for_confirmation(db, case=world.case, user=world.respondent,
                                             court_id="ignored: the first party chose")
    assert filing is not None and filing.kind is FilingKind.CONFIRMATION
    assert filing.court_id == "zhuji"
    assert world.case.status is Status.CONFIRMATION_REQUESTED
    db.commit()
    assert held == [filing.id]
    rows = db.execute(select(ConfirmationApplicant)).scalars().all()
    assert len(rows) == 2 and {r.filing_id for r in rows} == {filing.id}
    assert confirmation.state(db, world.case, world.applicant) is None


def test_an_agent_applies_for_the_party_it_represents(db: Session, held: list[int]) -> None:
    world = build_world(db, until=Status.AGREEMENT_IN_EFFECT)
    agent = next(p for p in world.case.participants if p.represents_id is not None)
    lawyer = UserFactory(name="赵律师")
    agent.user_id = lawyer.id
    db.commit()
    assert [p.name for p in confirmation.speaks_for(world.case, lawyer)] == ["张秀英"]
    services.apply_for_confirmation(db, case=world.case, user=lawyer, court_id="zhuji")
    applied = db.execute(select(ConfirmationApplicant)).scalar_one()
    party = db.get(CaseParticipant, applied.participant_id)
    assert party is not None and party.name == "张秀英" and applied.user_id == lawyer.id


def test_after_30_days_the_joint_application_is_refused(db: Session, held: list[int]) -> None:
    world = build_world(db, until=Status.AGREEMENT_IN_EFFECT)
    due = confirmation.due_at(db, world.case)
    assert due is not None
    effect = world.case.events[-1].created_at
    assert dt.timedelta(days=30) <= due - effect < dt.timedelta(days=31)
    late = due + dt.timedelta(seconds=1)
    state = confirmation.state(db, world.case, world.applicant, now=late)
    assert state is not None and state.expired and not state.may_apply
    with pytest.raises(services.FilingRefused) as caught:
        services.apply_for_confirmation(db, case=world.case, user=world.applicant,
                                        court_id="zhuji", now=late)
    assert caught.value.message == confirmation.CLOSED
    assert caught.value.params["date"] == str(confirmation.local_date(due))
    # On its last day it is still open.
    services.apply_for_confirmation(db, case=world.case, user=world.applicant,
                                    court_id="zhuji", now=due - dt.timedelta(minutes=1))


def test_someone_not_a_party_cannot_apply(db: Session, held: list[int]) -> None:
    world = build_world(db, until=Status.AGREEMENT_IN_EFFECT)
    for user in (world.stranger, world.mediator):
        with pytest.raises(services.FilingRefused) as caught:
            services.apply_for_confirmation(db, case=world.case, user=user, court_id="zhuji")
        assert caught.value.message == confirmation.NOT_A_PARTY


def test_a_failed_case_has_no_joint_application(db: Session, held: list[int]) -> None:
    world = build_world(db)
    assert confirmation.state(db, world.case, world.applicant) is None
    with pytest.raises(services.FilingRefused) as caught:
        services.apply_for_confirmation(db, case=world.case, user=world.applicant,
                                        court_id="zhuji")
    assert caught.value.message == confirmation.NOT_OPEN
