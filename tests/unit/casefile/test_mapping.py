from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.casefile import hooks, mapping, papers
from portal.casefile import receipts as service
from portal.cases.models import Case
from portal.cases.states import Status
from portal.notifications.models import Notification
from tests.unit.casefile.conftest import pdf_text, squeezed
from tests.unit.casefile.world import (
    AGENT,
    APPLICANT,
    APPLICANT_EMAIL,
    APPLICANT_PHONE,
    CAUCUS_SECRET,
    FAILURE_REASON,
    RESPONDENT,
    World,
    build_world,
)


def test_gender_and_birth_date_come_from_the_resident_id_number() -> None:
    assert mapping.person_from_id_number("110101199003074477") == ("男", dt.date(1990, 3, 7))
    assert mapping.person_from_id_number("11010519491231002X") == ("女", dt.date(1949, 12, 31))
    assert mapping.person_from_id_number("110101199013074477") == ("", None)  # month 13
    assert mapping.person_from_id_number("91330681MA2BXXXX1X") == ("", None)
    assert mapping.person_from_id_number(None) == ("", None)


def test_parties_carry_agents_and_organisations(world: World, db: Session) -> None:
    applicant, company = mapping.parties(db, world.case)
    assert (applicant.name, applicant.side, applicant.representative) == (
        APPLICANT, "applicant", AGENT)
    assert applicant.gender == "男" and applicant.phone == APPLICANT_PHONE
    assert company.organisation and company.side == "respondent"
    assert company.representative == "李卫东" and company.gender == ""


def test_application_lists_only_its_own_sides_evidence(world: World, db: Session) -> None:
    data = mapping.application_data(db, world.case)
    assert [c.amount for c in data.claims] == [Decimal("36800.00"), None]
    assert [e.name for e in data.evidence] == ["劳动合同.pdf", "工资条.png", "考勤记录.docx"]
    assert data.accepted_on is not None and data.filed_on is not None
    assert data.mediator == "王建国"


def _render(db: Session, case: Case, slug: str) -> bytes:
    found = papers.find(db, case, slug)
    assert found is not None, slug
    paper, data = found
    return papers.render(paper.kind, data)


PAPERS = {
    "application": ["人民调解申请书", APPLICANT, RESPONDENT, "叁万陆仟捌佰元整"],
    "acceptance": ["受理通知书", APPLICANT, RESPONDENT, "予以受理"],
    "evidence-list": ["证据清单", "劳动合同.pdf", "付款凭证.png"],
    "termination": ["调解终结书", APPLICANT, RESPONDENT, FAILURE_REASON],
    "complaint": ["民事起诉状", "原告", APPLICANT, "被告", RESPONDENT, "诸暨市人民法院"],
    "receipts": ["送达回证", "受理通知书", APPLICANT, APPLICANT_EMAIL, "电子送达"],
}


@pytest.mark.parametrize("slug", list(PAPERS))
def test_each_paper_renders_the_cases_data(slug: str, world: World, db: Session) -> None:
    text = squeezed(_render(db, world.case, slug))
    for wanted in PAPERS[slug]:
        assert "".join(wanted.split()) in text, (slug, wanted)


def test_evidence_list_and_application_print_every_files_sha256(
        world: World, db: Session) -> None:
    listing = squeezed(_render(db, world.case, "evidence-list"))
    application = squeezed(_render(db, world.case, "application"))
    for row in world.evidence:
        assert row.sha256 in listing
    assert world.evidence[0].sha256 in application
    assert world.evidence[3].sha256 not in application  # the respondent's


def test_minutes_record_the_open_chat_and_never_the_caucus(world: World, db: Session) -> None:
    assert world.meeting is not None
    text = pdf_text(_render(db, world.case, f"minutes-{world.meeting.id}"))
    assert "调解笔录" in text and "第1次" in text
    assert APPLICANT in text and "王建国" in text and AGENT in text
    assert "公司拖欠三个月工资" in text
    assert CAUCUS_SECRET not in text


def test_termination_reason_falls_back_when_the_event_gives_none(
        world: World, db: Session) -> None:
    event = mapping.last_event(world.case, to=Status.MEDIATION_FAILED)
    assert event is not None
    event.reason = ""
    data = mapping.termination_data(db, world.case)
    assert data is not None and data.reason == "当事人之间未能达成调解协议"


def test_receipts_one_per_notice_and_person_with_what_was_said(
        world: World, db: Session) -> None:
    receipts = service.service_receipts(db, world.case)
    accepted = [r for r in receipts if r.document_title == "受理通知书"]
    # The applicant and its agent; the respondent is told only from the consent step on.
    assert sorted(r.addressee for r in accepted) == sorted([APPLICANT, AGENT])
    mine = next(r for r in accepted if r.addressee == APPLICANT)
    assert mine.method == "电子送达（短信、电子邮件）"
    assert mine.address == f"{APPLICANT_PHONE}；{APPLICANT_EMAIL}"
    assert "受理" in mine.notes and mine.received_at is None
    session_notices = [r for r in receipts if r.document_title == "调解会议通知书"]
    assert {r.addressee for r in session_notices} == {APPLICANT, RESPONDENT, AGENT}
    # Session notices carry each invitee's personal join link: never printed.
    assert all("join" not in r.notes for r in session_notices)


def test_a_notice_read_in_the_portal_has_a_receipt_time(world: World, db: Session) -> None:
    event = mapping.last_event(world.case, to=Status.ACCEPTED)
    assert event is not None
    read = dt.datetime(2026, 1, 5, 1, 30, tzinfo=dt.UTC)
    notice = db.execute(select(Notification).where(
        Notification.event_id == event.id, Notification.user_id == world.applicant.id)
    ).scalar_one()
    notice.read_at = read
    db.commit()
    mine = next(r for r in service.service_receipts(db, world.case)
                if r.document_title == "受理通知书" and r.addressee == APPLICANT)
    assert mine.received_at == read.astimezone(mine.served_at.tzinfo)
    assert "2026-01-05 09:30" in mine.notes


def test_papers_follow_the_cases_status(db: Session) -> None:
    accepted = build_world(db, until=Status.ACCEPTED)
    slugs = [p.slug for p in papers.listing(db, accepted.case)]
    assert slugs == ["application", "acceptance", "evidence-list", "receipts"]
    assert papers.find(db, accepted.case, "termination") is None
    assert papers.find(db, accepted.case, "nonsense") is None


def test_an_agreement_in_effect_offers_the_judicial_confirmation(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    settled = build_world(db, until=Status.AGREEMENT_IN_EFFECT)
    slugs = [p.slug for p in papers.listing(db, settled.case)]
    assert "confirmation" in slugs and "termination" not in slugs
    text = squeezed(_render(db, settled.case, "confirmation"))
    assert "司法确认申请书" in text and APPLICANT in text and RESPONDENT in text
    assert "详见所附人民调解协议书" in text
    monkeypatch.setattr(hooks, "agreement_terms", lambda s, case_id: ["被申请人支付工资三万元。"])
    assert "被申请人支付工资三万元" in squeezed(_render(db, settled.case, "confirmation"))


def test_timeline_and_cover_data(world: World, db: Session) -> None:
    head = mapping.dossier_head(db, world.case)
    assert head.title == f"{APPLICANT}与{RESPONDENT}劳动争议纠纷"
    assert head.outcome == "调解不成，终结调解"
    assert head.keeper == "王建国"
    assert [e.event.split("（")[0] for e in head.timeline][:2] == ["受理案件", "联系被申请人"]
    assert any(FAILURE_REASON in e.event for e in head.timeline)
