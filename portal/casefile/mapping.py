"""Portal rows to the plain dataclasses of ``documents``: the one module that knows both.

Every function reads inside the caller's session and returns frozen data (tuples, not
lists), so the result's ``repr`` is a stable fingerprint of what a paper is made from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents.data import (
    AcceptanceData,
    CaseData,
    Claim,
    ComplaintData,
    ConfirmationData,
    DossierData,
    Evidence,
    EvidenceListData,
    MinutesData,
    MinutesEntry,
    Participant,
    Party,
    SignatureSlot,
    TerminationData,
    TimelineEntry,
)
from documents.drafting import DISPUTE_LABELS
from portal.accounts.models import User
from portal.casefile import hooks, labels
from portal.casefile.labels import local, local_date
from portal.cases.models import (
    Case,
    CaseEvent,
    CaseParticipant,
    EvidenceFile,
    ParticipantRole,
    PartyKind,
)
from portal.cases.states import Status, Trigger
from portal.dispatch.models import WorkOrder
from portal.mediation.minutes import session_data
from portal.mediation.models import MediationSession, SessionMode, SessionStatus

# Said in the judicial confirmation when portal.agreements cannot list the agreed terms.
TERMS_FALLBACK = "各方当事人在人民调解协议书中约定的全部内容（详见所附人民调解协议书）。"


def last_event(case: Case, *, triggers: Iterable[Trigger] = (),
               to: Status | None = None) -> CaseEvent | None:
    wanted = set(triggers)
    found = [e for e in case.events
             if (not wanted or e.trigger in wanted) and (to is None or e.to_status is to)]
    return found[-1] if found else None


def person_from_id_number(value: str | None) -> tuple[str, dt.date | None]:
    """Gender and birth date as a GB 11643 resident ID number encodes them."""
    if not value or len(value) != 18 or not value[:17].isdigit():
        return "", None
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "", None
    return ("男" if int(value[16]) % 2 else "女"), born


def phone_of(session: Session, p: CaseParticipant) -> str:
    if p.phone or p.user_id is None:
        return p.phone
    user = session.get(User, p.user_id)
    return user.phone if user else ""


def parties(session: Session, case: Case) -> tuple[Party, ...]:
    """Applicants and respondents; an agent appears as the representative of its party."""
    agents = {p.represents_id: p.name for p in case.participants
              if p.role is ParticipantRole.AGENT and p.represents_id is not None}
    out = []
    for p in case.participants:
        if p.role is ParticipantRole.AGENT:
            continue
        organisation = p.kind is PartyKind.ORGANISATION
        gender, born = ("", None) if organisation else person_from_id_number(p.id_number)
        representative = (p.legal_representative or "") if organisation else agents.get(p.id, "")
        out.append(Party(
            name=p.name, side="respondent" if p.role is ParticipantRole.RESPONDENT
            else "applicant", id_number=p.id_number or "", gender=gender, birth_date=born,
            address=p.address, phone=phone_of(session, p), organisation=organisation,
            representative=representative))
    return tuple(out)


def _evidence(rows: Sequence[EvidenceFile]) -> tuple[Evidence, ...]:
    return tuple(Evidence(name=r.original_name, sha256=r.sha256, size=r.size,
                          description=r.description,
                          submitted_by=r.uploaded_by.name if r.uploaded_by else "")
                 for r in rows)


def evidence_rows(session: Session, case: Case) -> list[EvidenceFile]:
    return list(session.execute(select(EvidenceFile).where(EvidenceFile.case_id == case.id)
                                .order_by(EvidenceFile.id)).scalars())


def case_data(session: Session, case: Case) -> CaseData:
    accepted = last_event(case, triggers=[Trigger.ACCEPT])
    return CaseData(
        case_number=case.number, dispute_type=case.dispute_type,
        body_name=case.body.name if case.body else "", parties=parties(session, case),
        claims=tuple(Claim(c.description, c.amount) for c in case.claims),
        facts=case.summary, evidence=_evidence(evidence_rows(session, case)),
        mediator=case.mediator.name if case.mediator else "",
        filed_on=local_date(case.submitted_at or case.created_at),
        accepted_on=local_date(accepted.created_at) if accepted else None)


def application_data(session: Session, case: Case) -> CaseData:
    """The application lists the evidence its own side handed in, not the other side's."""
    own = {p.user_id for p in case.participants if p.role is not ParticipantRole.RESPONDENT}
    own.add(case.applicant_id)
    rows = [r for r in evidence_rows(session, case)
            if r.uploaded_by_id is not None and r.uploaded_by_id in own]
    data = case_data(session, case)
    return replace(data, evidence=_evidence(rows))


def _names(items: Iterable[Party]) -> str:
    return "、".join(p.name for p in items)


def acceptance_data(session: Session, case: Case) -> AcceptanceData | None:
    event = last_event(case, triggers=[Trigger.ACCEPT])
    if event is None:
        return None
    data = case_data(session, case)
    return AcceptanceData(case=data, accepted_on=local(event.created_at).date(),
                          addressee=_names(data.side("applicant")))


def evidence_list_data(session: Session, case: Case) -> EvidenceListData | None:
    rows = evidence_rows(session, case)
    if not rows:
        return None
    items = _evidence(rows)
    submitters = dict.fromkeys(e.submitted_by for e in items if e.submitted_by)
    return EvidenceListData(case_number=case.number, submitter="、".join(submitters),
                            items=items, made_on=local_date(rows[-1].created_at))


def termination_data(session: Session, case: Case) -> TerminationData | None:
    event = last_event(case, to=Status.MEDIATION_FAILED)
    if event is None:
        return None
    reason = event.reason.strip().rstrip("。.") or labels.FAILURE_REASONS.get(
        event.trigger, labels.FAILURE_REASONS[Trigger.FAIL_MEDIATION])
    return TerminationData(case=case_data(session, case),
                           ended_on=local(event.created_at).date(), reason=reason)


def _court(case: Case) -> str:
    return case.court_name or "人民法院"


def confirmation_data(session: Session, case: Case) -> ConfirmationData | None:
    effect = last_event(case, to=Status.AGREEMENT_IN_EFFECT)
    if effect is None:
        return None
    asked = last_event(case, triggers=[Trigger.REQUEST_CONFIRMATION])
    people = parties(session, case)
    terms = hooks.agreement_terms(session, case.id) or [TERMS_FALLBACK]
    return ConfirmationData(
        court_name=_court(case), body_name=case.body.name if case.body else "",
        case_number=case.number, parties=people,
        agreement_date=local(effect.created_at).date(), agreement_terms=tuple(terms),
        made_on=local_date(asked.created_at) if asked else None,
        signatures=tuple(SignatureSlot(f"party-{i}", p.name, "申请人", seal=p.organisation)
                         for i, p in enumerate(people, 1)))


def complaint_data(session: Session, case: Case) -> ComplaintData | None:
    failed = last_event(case, to=Status.MEDIATION_FAILED)
    if failed is None:
        return None
    data = case_data(session, case)
    filed = last_event(case, triggers=[Trigger.REQUEST_FILING])
    ended = local(failed.created_at).date()
    note = (f"本案纠纷经{data.body_name or '人民调解组织'}调解（案号：{case.number}），"
            f"于{ended.year}年{ended.month}月{ended.day}日终结调解，未能达成调解协议。")
    return ComplaintData(
        court_name=_court(case), plaintiffs=tuple(data.side("applicant")),
        defendants=tuple(data.side("respondent")), claims=data.claims,
        facts_and_reasons=case.summary, evidence=data.evidence, mediation_note=note,
        made_on=local_date(filed.created_at) if filed else None)


def held_sessions(session: Session, case: Case) -> list[MediationSession]:
    return list(session.execute(
        select(MediationSession).where(MediationSession.case_id == case.id,
                                       MediationSession.status == SessionStatus.ENDED)
        .order_by(MediationSession.starts_at, MediationSession.id)).scalars())


def minutes_data(session: Session, case: Case, meeting_id: int, number: int) -> MinutesData:
    """The minutes of one held session (number ``number`` of the case), from its record."""
    data = session_data(session, meeting_id)
    present = [p for p in data.participants if p.removed_at is None]
    attended = [p for p in present if p.joined_at or p.attends == "in_person"] or present
    absent = [p.name for p in present if p not in attended]
    notes = []
    if data.recorded_with_consent:
        notes.append("经全体当事人同意，本次调解同步录音录像")
        notes += [f"录音录像文件（{r.name}）SHA-256：{r.sha256}" for r in data.recordings]
    if absent:
        notes.append(f"经通知未到场：{'、'.join(absent)}")
    signers = [p for p in attended if p.role in ("party", "agent")]
    slots = [SignatureSlot(f"party-{i}", p.name, labels.participant_role(p.role, p.side))
             for i, p in enumerate(signers, 1)]
    slots.append(SignatureSlot("mediator", data.mediator, "人民调解员"))
    return MinutesData(
        case_number=case.number, body_name=case.body.name if case.body else "",
        session_number=number, started_at=local(data.started_at or data.planned_start),
        mediator=data.mediator,
        participants=tuple(Participant(p.name, labels.participant_role(p.role, p.side))
                           for p in attended),
        entries=tuple(MinutesEntry(c.name, c.text, local(c.at)) for c in data.chat),
        ended_at=local(data.ended_at) if data.ended_at else None,
        place=(data.location or "调解室") if data.mode == SessionMode.IN_PERSON.value
        else "线上视频调解",
        recorder=data.mediator, summary="。".join(notes) + ("。" if notes else ""),
        signatures=tuple(slots))


def timeline(case: Case) -> tuple[TimelineEntry, ...]:
    out = []
    for e in case.events:
        role = labels.ACTORS.get(e.actor_role, e.actor_role)
        actor = f"{e.actor.name}（{role}）" if e.actor else role
        what = f"{labels.trigger(e.trigger)}（{labels.status(e.from_status)} → " \
               f"{labels.status(e.to_status)}）"
        out.append(TimelineEntry(local(e.created_at), actor,
                                 f"{what}：{e.reason}" if e.reason else what))
    return tuple(out)


def outcome(case: Case) -> str:
    status = case.status
    if status is Status.CLOSED:
        closed = last_event(case, to=Status.CLOSED)
        status = closed.from_status if closed else status
    return labels.OUTCOMES.get(status, labels.IN_PROGRESS)


def _day(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def closing(session: Session, case: Case) -> tuple[dt.date | None, str]:
    """Closing date and the closing sheet's notes: the work order's close, visits, ratings."""
    order = session.execute(select(WorkOrder).where(WorkOrder.case_id == case.id)
                            ).scalar_one_or_none()
    closed = last_event(case, to=Status.CLOSED)
    moment = order.closed_at if order and order.closed_at else (
        closed.created_at if closed else None)
    notes: list[str] = []
    if order is not None:
        if order.outcome is not None:
            notes.append(f"结案方式：{labels.outcome(order.outcome)}")
        if order.closing_note.strip():
            notes.append(f"结案说明：{order.closing_note.strip()}")
        notes += [f"回访（{_day(f.visited_on)}）：{labels.performance(f.performance)}；"
                  f"{f.result.strip()}" for f in order.follow_ups]
        notes += [f"满意度评价：{r.party_name} {r.score} 分（满分 5 分）"
                  + (f"，{r.comment.strip()}" if r.comment.strip() else "")
                  for r in order.ratings]
    text = "。".join(n.rstrip("。") for n in notes)
    return local_date(moment), text + ("。" if text else "")


def dossier_head(session: Session, case: Case) -> DossierData:
    """Everything on the dossier but its sections (those need the files' bytes). The mediator
    keeps the file (立卷人); without one the line is left for a hand."""
    data = case_data(session, case)
    label = DISPUTE_LABELS.get(case.dispute_type, case.dispute_type)
    label = label if label.endswith("纠纷") else f"{label}纠纷"
    respondents = _names(data.side("respondent"))
    title = (f"{_names(data.side('applicant'))}与{respondents}{label}" if respondents
             else f"{_names(data.side('applicant'))}{label}")
    closed_on, notes = closing(session, case)
    opened = data.accepted_on or data.filed_on or local(case.created_at).date()
    return DossierData(
        case_number=case.number, title=title, parties=data.parties, body_name=data.body_name,
        mediator=data.mediator, opened_on=opened, outcome=outcome(case), sections=(),
        timeline=timeline(case), closed_on=closed_on, keeper=data.mediator,
        closing_notes=notes)
