"""A realistic case for the case file: an applicant with an agent, a company as respondent,
claims, evidence of several kinds, notices sent, one session held, and (by default) mediation
ended without agreement."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal

from PIL import Image
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.cases import services as cases
from portal.cases.models import (
    Case,
    CaseClaim,
    CaseParticipant,
    EvidenceFile,
    ParticipantRole,
    PartyKind,
)
from portal.cases.states import Status, Trigger
from portal.db.types import utcnow
from portal.mediation import services as mediation
from portal.mediation.models import (
    Audience,
    ChatMessage,
    InviteeRole,
    MediationSession,
    SessionStatus,
)
from portal.storage import get_storage, new_name
from tests.factories import ID_NUMBERS, AreaFactory, BodyFactory, CaseFactory, UserFactory
from tests.services import unavailable

APPLICANT, RESPONDENT, AGENT = "张秀英", "诸暨市宏达建材有限公司", "赵律师"
APPLICANT_PHONE, APPLICANT_EMAIL = "13900009999", "zhang@example.com"
RESPONDENT_PHONE = "13700001111"
FAILURE_REASON = "双方对经济补偿金数额分歧较大，未能达成协议"
CAUCUS_SECRET = "私下可以让步到两万"


@dataclass
class World:
    case: Case
    applicant: User
    respondent: User
    mediator: User
    boss: User
    stranger: User
    evidence: list[EvidenceFile]
    meeting: MediationSession | None


def require_embedded_font() -> None:
    """Text extraction of the CID fallback font is unreliable; CI installs fonts-wqy-zenhei."""
    from documents.fonts import FALLBACK_FONT, cjk_font

    if cjk_font() == FALLBACK_FONT:
        unavailable("fonts-wqy-zenhei is not installed")


def pdf_bytes(line: str = "劳动合同 第一页") -> bytes:
    from documents.fonts import cjk_font

    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.setFont(cjk_font(), 14)
    canvas.drawString(72, 720, line)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def store_evidence(db: Session, case: Case, uploader: User, name: str, data: bytes,
                   extension: str, content_type: str, description: str) -> EvidenceFile:
    saved = get_storage().save_sync(new_name("evidence", extension), [data])
    row = EvidenceFile(case_id=case.id, uploaded_by_id=uploader.id, original_name=name,
                       stored_name=saved.name, content_type=content_type, size=saved.size,
                       sha256=hashlib.sha256(data).hexdigest(), description=description)
    db.add(row)
    db.commit()
    return row


def _hold_session(db: Session, case: Case, mediator: User) -> MediationSession:
    """Scheduled through the service (so the parties are sent notices), then held."""
    start = (utcnow() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    people = [p.id for p in case.participants]
    meeting = mediation.schedule(db, case=case, actor=mediator, starts_at=start, duration=60,
                                 mode="online", participant_ids=people)
    db.commit()
    meeting.status = SessionStatus.ENDED
    meeting.started_at, meeting.ended_at = start, start + dt.timedelta(minutes=50)
    by_role = {}
    for invitee in meeting.invitees:
        invitee.joined_at = start
        by_role.setdefault(invitee.role, invitee)
    said = [(InviteeRole.MEDIATOR, "今天就工资和补偿金问题进行调解。", Audience.ALL),
            (InviteeRole.PARTY, "公司拖欠三个月工资，请求全部支付。", Audience.ALL),
            (InviteeRole.MEDIATOR, CAUCUS_SECRET, Audience.APPLICANT)]
    for i, (role, text, audience) in enumerate(said):
        db.add(ChatMessage(session_id=meeting.id, invitee_id=by_role[role].id, text=text,
                           audience=audience, created_at=start + dt.timedelta(minutes=i + 1)))
    db.commit()
    return meeting


def build_world(db: Session, *, until: Status = Status.MEDIATION_FAILED) -> World:
    """``until``: MEDIATION_FAILED, IN_MEDIATION, AGREEMENT_IN_EFFECT or ACCEPTED."""
    area = AreaFactory(name="枫桥镇")
    body = BodyFactory(name="诸暨市枫桥镇人民调解委员会", area=area)
    applicant = UserFactory(phone=APPLICANT_PHONE, name=APPLICANT)
    respondent = UserFactory(phone=RESPONDENT_PHONE, name="李卫东")
    boss = UserFactory(role=Role.BODY_ADMIN, body_id=body.id, name="陈主任")
    mediator = UserFactory(role=Role.MEDIATOR, body_id=body.id, name="王建国")
    case = CaseFactory(applicant=applicant, body_id=body.id, area_id=area.id,
                       dispute_type="labour", title="拖欠工资", status=Status.SUBMITTED,
                       submitted_at=utcnow() - dt.timedelta(days=3),
                       court_name="诸暨市人民法院",
                       summary="申请人于2024年3月入职被申请人处，被申请人拖欠2024年10月至12月工资。")
    own = case.participants[0]
    own.id_number, own.address = ID_NUMBERS[1], "诸暨市枫桥镇新街1号"
    own.phone, own.email = APPLICANT_PHONE, APPLICANT_EMAIL
    company = CaseParticipant(role=ParticipantRole.RESPONDENT, user_id=respondent.id,
                              kind=PartyKind.ORGANISATION, name=RESPONDENT,
                              id_number="91330681MA2BXXXX1X", legal_representative="李卫东",
                              phone=RESPONDENT_PHONE, address="诸暨市枫桥镇工业园")
    case.participants.append(company)
    db.flush()
    case.participants.append(CaseParticipant(role=ParticipantRole.AGENT, name=AGENT,
                                             phone="13600002222", represents_id=own.id,
                                             relation="lawyer"))
    case.claims += [CaseClaim(position=0, description="支付拖欠工资", amount=Decimal("36800.00")),
                    CaseClaim(position=1, description="支付解除劳动合同经济补偿金")]
    db.commit()
    evidence = [
        store_evidence(db, case, applicant, "劳动合同.pdf", pdf_bytes(), "pdf",
                       "application/pdf", "证明劳动关系"),
        store_evidence(db, case, applicant, "工资条.png", png_bytes(), "png", "image/png",
                       "证明工资标准"),
        store_evidence(db, case, applicant, "考勤记录.docx", b"PK\x03\x04 not really a docx",
                       "docx", "application/vnd.openxmlformats-officedocument."
                       "wordprocessingml.document", "证明出勤情况"),
        store_evidence(db, case, respondent, "付款凭证.png", png_bytes((30, 30)), "png",
                       "image/png", "证明已付部分工资"),
    ]
    cases.act(db, case=case, trigger=Trigger.ACCEPT, actor=boss)
    db.commit()
    meeting = None
    if until is not Status.ACCEPTED:
        for trigger in (Trigger.CONTACT_RESPONDENT, Trigger.RESPONDENT_AGREE):
            cases.transition(db, case=case, trigger=trigger, actor=boss)
        cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=boss,
                  mediator_id=mediator.id)
        cases.act(db, case=case, trigger=Trigger.START_MEDIATION, actor=mediator)
        db.commit()
        meeting = _hold_session(db, case, mediator)
    if until is Status.MEDIATION_FAILED:
        cases.act(db, case=case, trigger=Trigger.FAIL_MEDIATION, actor=mediator,
                  reason=FAILURE_REASON)
    elif until is Status.AGREEMENT_IN_EFFECT:
        for trigger in (Trigger.DRAFT_AGREEMENT, Trigger.OPEN_SIGNING):
            cases.transition(db, case=case, trigger=trigger, actor=mediator)
        cases.transition(db, case=case, trigger=Trigger.ALL_SIGNED, actor=None)
    db.commit()
    return World(case=case, applicant=applicant, respondent=respondent, mediator=mediator,
                 boss=boss, stranger=UserFactory(name="路人"), evidence=evidence,
                 meeting=meeting)
