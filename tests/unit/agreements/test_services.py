from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.agreements import services, signing
from portal.agreements.models import DocumentStatus, SignerRole
from portal.audit.models import AuditEntry
from portal.cases import services as cases
from portal.cases.models import CaseEvent, CaseParticipant, ParticipantRole
from portal.cases.states import IllegalTransition, Status, Trigger
from portal.storage import Storage
from tests.unit.agreements.support import SigningWorld, sample_draft, signing_world


@pytest.fixture
def w(db: Session) -> SigningWorld:
    return signing_world(db)


def _triggers(db: Session, w: SigningWorld) -> list[Trigger]:
    return [e.trigger for e in db.execute(select(CaseEvent).where(
        CaseEvent.case_id == w.case.id).order_by(CaseEvent.id)).scalars()]


def test_template_draft_fills_parties_and_amount(w: SigningWorld) -> None:
    draft = services.template_draft(w.case, amount=Decimal("8000"))
    text = "\n".join(draft.terms)
    assert "李四、钱五" in text and "张三" in text and "8,000.00" in text
    assert draft.schedule == ()  # no due date, no instalment


def test_first_draft_is_version_one_and_moves_the_case(db: Session, w: SigningWorld) -> None:
    row = services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    db.commit()
    assert row.number == 1 and w.case.status is Status.AGREEMENT_DRAFTED
    assert [p["name"] for p in row.parties] == ["张三", "李四", "钱五"]
    assert row.parties[1]["representative"] == "赵律师"  # the respondent's agent
    assert _triggers(db, w)[-1] is Trigger.DRAFT_AGREEMENT


def test_revision_needs_a_note_and_keeps_the_old_version(db: Session, w: SigningWorld) -> None:
    services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    with pytest.raises(cases.MissingInput) as caught:
        services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft("9000"))
    assert caught.value.field == "note"
    second = services.save_version(db, case=w.case, actor=w.mediator,
                                   draft=sample_draft("9000"), note="金额改为九千")
    db.commit()
    assert second.number == 2 and w.case.status is Status.AGREEMENT_DRAFTED
    assert [v.number for v in services.versions_of(db, w.case)] == [1, 2]
    assert services.version(db, w.case, 1).schedule[0]["amount"] == "12000.00"  # type: ignore[union-attr]
    assert _triggers(db, w)[-2:] == [Trigger.REVISE_AGREEMENT, Trigger.DRAFT_AGREEMENT]


def test_unchanged_draft_is_refused(db: Session, w: SigningWorld) -> None:
    services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    with pytest.raises(cases.MissingInput, match="Nothing changed"):
        services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft(),
                              note="again")


def test_only_the_cases_mediator_drafts(db: Session, w: SigningWorld) -> None:
    for user in (w.world.applicant, w.world.other_mediator, w.boss):
        with pytest.raises(cases.NotAllowed):
            services.save_version(db, case=w.case, actor=user, draft=sample_draft())


def test_no_drafting_before_mediation(db: Session, w: SigningWorld) -> None:
    w.case.status = Status.MEDIATOR_ASSIGNED
    db.commit()
    with pytest.raises(IllegalTransition):
        services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())


@pytest.mark.parametrize(("values", "field"), [
    ({"terms": "a", "breach_clause": "b"}, "facts"),
    ({"facts": "f", "breach_clause": "b"}, "terms"),
    ({"facts": "f", "terms": "a"}, "breach_clause"),
    ({"facts": "f", "terms": "a", "breach_clause": "b", "s-0-due": "soon"}, "s-0-due"),
    ({"facts": "f", "terms": "a", "breach_clause": "b", "s-1-due": "2026-08-01",
      "s-1-amount": "-5", "s-1-payer": "x", "s-1-payee": "y"}, "s-1-amount"),
    ({"facts": "f", "terms": "a", "breach_clause": "b", "s-0-due": "2026-08-01",
      "s-0-amount": "5"}, "s-0-payer"),
])
def test_parse_draft_names_the_wrong_field(values: dict[str, str], field: str) -> None:
    with pytest.raises(cases.MissingInput) as caught:
        services.parse_draft(values)
    assert caught.value.field == field


def test_parse_draft_reads_terms_per_line_and_instalments() -> None:
    draft = services.parse_draft({
        "facts": " 事实 ", "terms": "一\n\n二\n", "breach_clause": "违约",
        "s-0-due": "2026-08-01", "s-0-amount": "1,500", "s-0-payer": "李四",
        "s-0-payee": "张三", "s-0-method": "现金"})
    assert draft.terms == ("一", "二") and draft.facts == "事实"
    assert draft.schedule[0].amount == Decimal("1500.00")


def test_parties_and_staff_comment_strangers_do_not(db: Session, w: SigningWorld) -> None:
    services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    row = services.comment(db, case=w.case, actor=w.world.respondent, number=1,
                           text="付款日期太早")
    assert row.version.number == 1
    with pytest.raises(cases.MissingInput):
        services.comment(db, case=w.case, actor=w.world.applicant, number=7, text="x")
    with pytest.raises(cases.MissingInput):
        services.comment(db, case=w.case, actor=w.world.applicant, number=1, text="  ")
    with pytest.raises(cases.NotAllowed):
        services.comment(db, case=w.case, actor=w.world.other_mediator, number=1, text="x")


def test_compare_lists_changed_parts(db: Session, w: SigningWorld) -> None:
    one = services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    two = services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft("9000"),
                                note="金额")
    diff = services.compare(one, two, w.case)
    assert diff.parts() == ["schedule"] and (diff.old_version, diff.new_version) == (1, 2)


def _open(db: Session, w: SigningWorld, storage: Storage) -> Any:
    services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    document = services.open_signing(db, case=w.case, actor=w.mediator, storage=storage)
    db.commit()
    return document


def test_open_signing_renders_stores_and_audits(db: Session, w: SigningWorld,
                                                storage: Storage) -> None:
    document = _open(db, w, storage)
    assert w.case.status is Status.SIGNING
    assert [(s.field_name, s.role, s.name) for s in document.signers] == [
        ("party-1", SignerRole.PARTY, "张三"), ("party-2", SignerRole.PARTY, "李四"),
        ("party-3", SignerRole.PARTY, "钱五"), ("mediator", SignerRole.MEDIATOR, "王调解"),
        ("body-seal", SignerRole.BODY, w.case.body.name)]  # type: ignore[union-attr]
    assert document.signers[2].participant_id == w.third.id
    reader = storage.open(document.current_name)
    assert reader.read()[:5] == b"%PDF-"
    reader.close()
    entry = db.execute(select(AuditEntry).where(
        AuditEntry.subject == signing.audit_subject(document.current_sha256))).scalar_one()
    assert entry.action == "document.rendered"


def test_open_signing_needs_a_draft_and_phones(db: Session, w: SigningWorld,
                                               storage: Storage) -> None:
    with pytest.raises(IllegalTransition):  # still in mediation: nothing drafted
        services.open_signing(db, case=w.case, actor=w.mediator, storage=storage)
    w.third.phone = ""
    db.commit()
    services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    with pytest.raises(cases.MissingInput, match="No mobile number"):
        services.open_signing(db, case=w.case, actor=w.mediator, storage=storage)


def test_open_signing_refuses_when_parties_changed(db: Session, w: SigningWorld,
                                                   storage: Storage) -> None:
    services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    w.case.participants.append(CaseParticipant(role=ParticipantRole.APPLICANT, name="孙六",
                                               phone="13500001111"))
    db.commit()
    with pytest.raises(cases.MissingInput, match="parties of the case changed"):
        services.open_signing(db, case=w.case, actor=w.mediator, storage=storage)


def test_revision_while_signing_voids_the_document(db: Session, w: SigningWorld,
                                                   storage: Storage) -> None:
    document = _open(db, w, storage)
    services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft("9000"),
                          note="改金额")
    db.commit()
    assert document.status is DocumentStatus.VOID and "version 2" in document.void_reason
    assert w.case.status is Status.AGREEMENT_DRAFTED
    assert services.current_document(db, w.case) is None
