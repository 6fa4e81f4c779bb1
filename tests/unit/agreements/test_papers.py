from __future__ import annotations

from sqlalchemy.orm import Session

from portal.agreements import services
from portal.agreements.papers import agreement_data, case_data, parties_of
from portal.cases.models import CaseParticipant, ParticipantRole, PartyKind
from tests.unit.agreements.support import sample_draft, signing_world


def test_parties_sign_applicants_first_then_respondents(db: Session) -> None:
    w = signing_world(db)
    w.case.participants.insert(0, CaseParticipant(
        role=ParticipantRole.RESPONDENT, name="某建材有限公司", kind=PartyKind.ORGANISATION,
        legal_representative="王建国", phone="13500000000"))
    db.commit()
    assert [p.name for p in parties_of(w.case)] == ["张三", "某建材有限公司", "李四", "钱五"]
    data = case_data(w.case)
    company = data.parties[1]
    assert company.organisation and company.representative == "王建国"
    assert data.mediator == "王调解" and data.dispute_type == "labour"


def test_a_version_renders_with_its_own_parties_and_the_signing_order(db: Session) -> None:
    w = signing_world(db)
    version = services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    w.third.name = "钱五改名"  # later changes to the case do not change the saved version
    db.commit()
    data = agreement_data(version, w.case)
    assert [p.name for p in data.parties] == ["张三", "李四", "钱五"]
    assert [s.field_name for s in data.signatures] == [
        "party-1", "party-2", "party-3", "mediator", "body-seal"]
    assert data.signatures[-1].seal and data.total_amount == 12000
