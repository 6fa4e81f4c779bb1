"""A case ready for an agreement, signatures as a browser sends them, codes from the outbox."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from documents import templates
from portal.accounts.models import User
from portal.agreements import services, signing
from portal.agreements.models import AgreementVersion, DocumentKind, SignableDocument
from portal.agreements.papers import (
    Draft,
    ScheduleRow,
    agreement_data,
    party_snapshot,
    schedule_json,
)
from portal.cases.models import Case, CaseParticipant, ParticipantRole
from portal.notifications.models import OutboundMessage
from portal.storage import get_storage
from tests.mediation_world import World, mediation_world

THIRD_PHONE = "13600003333"


@dataclass
class SigningWorld:
    """A case in mediation: applicant 张三 and respondent 李四 with accounts, a second
    respondent 钱五 without one, the respondent's agent, the mediator and the body's head."""

    world: World
    third: CaseParticipant

    @property
    def case(self) -> Case:
        return self.world.case

    @property
    def mediator(self) -> User:
        return self.world.mediator

    @property
    def boss(self) -> User:
        return self.world.boss


def signing_world(db: Session, key: int = 0) -> SigningWorld:
    world = mediation_world(db, key=key)
    third = CaseParticipant(role=ParticipantRole.RESPONDENT, name="钱五",
                            phone=THIRD_PHONE if key == 0 else f"1360000{key:04d}")
    world.case.participants.append(third)
    db.commit()
    return SigningWorld(world, third)


def sample_draft(amount: str = "12000.00") -> Draft:
    return Draft(facts="申请人在被申请人处工作三个月，工资未付。",
                 terms=("被申请人于2026年7月31日前支付工资。", "双方再无其他争议。"),
                 schedule=(ScheduleRow(dt.date(2026, 7, 31), Decimal(amount), "李四", "张三",
                                       "银行转账"),),
                 breach_clause="逾期未付的，按日万分之五支付违约金。")


def signature_png() -> bytes:
    img = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(img).line([(10, 80), (80, 20), (150, 70), (220, 15), (290, 60)],
                             fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def data_url(png: bytes | None = None) -> str:
    return "data:image/png;base64," + base64.b64encode(png or signature_png()).decode()


def last_code(db: Session, phone: str) -> str:
    """The newest one-time code texted to ``phone`` (the development SMS outbox)."""
    db.expire_all()
    body = db.execute(select(OutboundMessage.body).where(
        OutboundMessage.channel == "sms", OutboundMessage.recipient == phone)
        .order_by(OutboundMessage.id.desc()).limit(1)).scalar_one()
    match = re.search(r"验证码 (\d{6})", body)
    assert match is not None, body
    return match.group(1)


def add_document(db: Session, case: Case, author: User) -> SignableDocument:
    """Version 1 and its open signing document, whatever the case's status (no moves)."""
    version = AgreementVersion(case_id=case.id, number=1, author_id=author.id,
                               parties=party_snapshot(case), facts=sample_draft().facts,
                               terms=list(sample_draft().terms),
                               schedule=schedule_json(sample_draft().schedule),
                               breach_clause=sample_draft().breach_clause)
    db.add(version)
    db.flush()
    data = agreement_data(version, case)
    document = signing.create_document(
        db, case=case, kind=DocumentKind.AGREEMENT, title="人民调解协议书（第 1 版）",
        pdf=templates.agreement(data), required=services.agreement_signers(version, data, case),
        actor=author, storage=get_storage(), agreement_version_id=version.id)
    db.commit()
    return document
