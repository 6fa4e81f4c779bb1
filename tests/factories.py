"""factory_boy factories for test data; ``bind`` attaches them to the test's session."""

from __future__ import annotations

from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.accounts.roles import Role
from portal.bodies.models import Area, BodyKind, Level, MediationBody, MediatorProfile
from portal.cases import services as cases
from portal.cases.models import Case, CaseParticipant, EvidenceFile, ParticipantRole
from portal.cases.states import Trigger
from portal.dispatch import intake
from portal.dispatch import services as dispatch_services
from portal.dispatch.intake import Report, ReportParty
from portal.dispatch.models import Priority, Step, WorkOrder

PASSWORD = "correct horse battery staple"
_HASH = hash_password(PASSWORD)
# Valid GB 11643 numbers (checksums verified by the validation tests).
ID_NUMBERS = ["11010519491231002X", "110101199003074477", "110101199003072316",
              "110105198001010016", "320102198808084569"]


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "commit"


class AreaFactory(_Base):
    class Meta:
        model = Area

    code = factory.Sequence(lambda n: f"33{n:06d}")
    name = factory.Sequence(lambda n: f"区域{n}")
    level = Level.TOWN


class BodyFactory(_Base):
    class Meta:
        model = MediationBody

    name = factory.Sequence(lambda n: f"调解委员会{n}")
    kind = BodyKind.PEOPLES
    level = Level.TOWN
    area = factory.SubFactory(AreaFactory)


class UserFactory(_Base):
    class Meta:
        model = User

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    name = factory.Sequence(lambda n: f"用户{n}")
    password_hash = _HASH
    role = Role.PARTY


class CaseFactory(_Base):
    class Meta:
        model = Case

    number = factory.Sequence(lambda n: f"FQ-2099-{n:06d}")
    title = factory.Sequence(lambda n: f"纠纷{n}")
    applicant = factory.SubFactory(UserFactory)

    @factory.post_generation
    def parties(obj: Case, create: bool, extracted: object, **kwargs: object) -> None:
        obj.participants.append(CaseParticipant(
            role=ParticipantRole.APPLICANT, user_id=obj.applicant.id, name=obj.applicant.name))
        if create:
            session = CaseFactory._meta.sqlalchemy_session
            assert session is not None
            session.commit()


class MediatorProfileFactory(_Base):
    """A mediator account (``user``) with its published profile."""

    class Meta:
        model = MediatorProfile

    user = factory.SubFactory(UserFactory, role=Role.MEDIATOR)
    user_id = factory.SelfAttribute("user.id")
    specialties = factory.LazyFunction(lambda: ["婚姻家庭"])
    languages = "普通话"
    years = 5
    charges = False
    bio = ""
    accepting_cases = True

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> MediatorProfile:
        kwargs.pop("user", None)
        return super()._create(model_class, *args, **kwargs)  # type: ignore[no-any-return]


def bind(session: Session) -> None:
    for f in (AreaFactory, BodyFactory, UserFactory, CaseFactory, MediatorProfileFactory):
        f._meta.sqlalchemy_session = session


def add_respondent(session: Session, case: Case, user: User) -> None:
    case.participants.append(CaseParticipant(role=ParticipantRole.RESPONDENT, user_id=user.id,
                                             name=user.name))
    session.commit()


__all__ = ["PASSWORD", "cases"]


# Evidence: bytes that content sniffing recognises, and stored files with their rows.
def _ole(marker: bytes) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + marker + b"\0" * 600


def _zip(first: str, first_data: str, *names: str) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(zipfile.ZipInfo(first), first_data)
        for name in names:
            archive.writestr(name, "<x/>")
    return buf.getvalue()


EVIDENCE_HEADS: dict[str, bytes] = {
    "pdf": b"%PDF-1.7\n",
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "png": b"\x89PNG\r\n\x1a\n",
    "gif": b"GIF89a",
    "webp": b"RIFF\x24\0\0\0WEBPVP8 ",
    "heic": b"\0\0\0\x18ftypheic\0\0\0\0mif1heic",
    "mp3": b"ID3\x03\0\0\0\0\0\0",
    "m4a": b"\0\0\0\x20ftypM4A \0\0\0\0M4A mp42isom",
    "wav": b"RIFF\x24\0\0\0WAVEfmt ",
    "amr": b"#!AMR\n",
    "mp4": b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom",
    "mov": b"\0\0\0\x14ftypqt  \0\0\0\0qt  ",
    "webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3"
            b"\x81\x08\x42\x82\x84webm",
    "doc": _ole(b"\xec\xa5\xc1\x00"),
    "xls": _ole(b"\x09\x08\x10\x00\x00\x06\x05\x00"),
    "docx": _zip("[Content_Types].xml", "<Types/>", "_rels/.rels", "word/document.xml"),
    "xlsx": _zip("[Content_Types].xml", "<Types/>", "_rels/.rels", "xl/workbook.xml"),
    "odt": _zip("mimetype", "application/vnd.oasis.opendocument.text", "content.xml"),
    # Not evidence: programs and other things that must be refused.
    "elf": b"\x7fELF\x02\x01\x01\0",
    "exe": b"MZ\x90\0\x03\0\0\0",
    "txt": b"just some text, not a document format",
    "zip": _zip("a.txt", "x"),
}


def evidence_bytes(kind: str = "pdf", size: int = 4096) -> bytes:
    """``size`` bytes that sniff as ``kind`` (see EVIDENCE_HEADS)."""
    head = EVIDENCE_HEADS[kind]
    filler = bytes(range(256)) * (size // 256 + 1)
    return (head + filler)[:max(size, len(head))]


def add_evidence(session: Session, case: Case, uploader: User, *, kind: str = "pdf",
                 size: int = 4096, name: str = "证据.pdf",
                 description: str = "劳动合同") -> EvidenceFile:
    """A stored file and its row, as an upload would leave them."""
    import hashlib

    from portal.cases.evidence import ALLOWED
    from portal.storage import get_storage, new_name

    data = evidence_bytes(kind, size)
    content_type = next(k.content_type for k in ALLOWED.values() if k.extension == kind)
    saved = get_storage().save_sync(new_name("evidence", kind), [data])
    row = EvidenceFile(case_id=case.id, uploaded_by_id=uploader.id, original_name=name,
                       stored_name=saved.name, content_type=content_type, size=saved.size,
                       sha256=hashlib.sha256(data).hexdigest(), description=description)
    session.add(row)
    session.commit()
    return row


# The online application: form values of every step, and a complete draft made through them.
def application_values(step: str, **overrides: str) -> dict[str, str]:
    """Valid form values of one step of /apply (field names as the form posts them)."""
    values: dict[str, dict[str, str]] = {
        "type": {"dispute_type": "labour", "title": "拖欠三个月工资", "area_id": ""},
        "parties": {"a-kind": "person", "a-name": "张三", "a-id_number": ID_NUMBERS[1],
                    "a-phone": "13800138000", "a-email": "", "a-address": "枫桥镇新街1号"},
        "respondents": {"r-0-kind": "organisation", "r-0-name": "某服装有限公司",
                        "r-0-phone": "13900139000", "r-0-id_number": "",
                        "r-0-address": "枫桥镇工业园", "r-0-email": ""},
        "claims": {"c-0-description": "支付拖欠的工资", "c-0-amount": "12000.50",
                   "summary": "2026年3月至5月在该公司工作，公司一直未发工资。"},
        "evidence": {},
        "body": {},
        "review": {"consent_online": "on", "consent_service": "on"},
    }
    return {**values[step], **overrides}


def complete_draft(session: Session, applicant: User, body: MediationBody,
                   create_key: str = "complete-draft-key-0001") -> Case:
    """A draft with every step filled in through the application service, not yet submitted."""
    from portal.cases import application

    case = application.start(session, applicant=applicant, create_key=create_key,
                             values=application_values("type"))
    for step in ("parties", "respondents", "claims", "evidence"):
        application.save_step(session, case=case, step=step, values=application_values(step))
    application.save_step(session, case=case, step="body",
                          values={"body_id": str(body.id)})
    session.commit()
    return case


# Review, consent and mediator assignment: a body with staff and a case with a respondent
# who has no account yet (as the application form leaves it).
def add_respondent_contact(session: Session, case: Case, *, name: str = "李四",
                           phone: str = "13700001111", id_number: str | None = None,
                           email: str = "", user: User | None = None) -> CaseParticipant:
    participant = CaseParticipant(role=ParticipantRole.RESPONDENT, name=name, phone=phone,
                                  id_number=id_number, email=email,
                                  user_id=user.id if user else None)
    case.participants.append(participant)
    session.commit()
    return participant


def review_world(session: Session, *, respondent_phone: str = "13700001111",
                 respondent_id_number: str | None = None) -> dict[str, object]:
    """Applicant, body administrator, two mediators, a dispatcher, and a draft case."""
    area = AreaFactory()
    body = BodyFactory(area=area)
    applicant = UserFactory(phone="13900009999", name="张三")
    case = CaseFactory(applicant=applicant, body_id=body.id, area_id=area.id,
                       dispute_type="labour")
    case.participants[0].phone = applicant.phone
    session.commit()
    respondent = add_respondent_contact(session, case, phone=respondent_phone,
                                        id_number=respondent_id_number)
    return {
        "area": area, "body": body, "applicant": applicant, "case": case,
        "respondent": respondent,
        "boss": UserFactory(role=Role.BODY_ADMIN, body_id=body.id, name="李主任"),
        "mediator": UserFactory(role=Role.MEDIATOR, body_id=body.id, name="王调解"),
        "mediator2": UserFactory(role=Role.MEDIATOR, body_id=body.id, name="赵调解"),
        "dispatcher": UserFactory(role=Role.DISPATCHER, area_id=area.id, name="陈调度"),
    }


# The order loop: a city with a town and a village, a body and staff at each level.
def dispatch_world(session: Session) -> dict[str, Any]:
    """City ← town ← village areas; a body and its administrator at each level; dispatchers
    of the town and the city; a grid worker of the village; two bodies' mediators."""
    city = AreaFactory(level=Level.CITY, name="绍兴市")
    town = AreaFactory(level=Level.TOWN, name="枫桥镇", parent=city)
    village = AreaFactory(level=Level.VILLAGE, name="枫源村", parent=town)
    other_town = AreaFactory(level=Level.TOWN, name="城南街道", parent=city)
    bodies = {
        "village": BodyFactory(name="枫源村调解室", level=Level.VILLAGE, area=village,
                               dispute_types=["family", "neighbour", "land"]),
        "town": BodyFactory(name="枫桥镇调委会", level=Level.TOWN, area=town, dispute_types=[]),
        "city": BodyFactory(name="市调处中心", level=Level.CITY, area=city, dispute_types=[]),
        "other_town": BodyFactory(name="城南街道调委会", level=Level.TOWN, area=other_town,
                                  dispute_types=[]),
        "labour": BodyFactory(name="枫桥镇劳动调解中心", level=Level.TOWN, area=town,
                              dispute_types=["labour"]),
    }
    world: dict[str, Any] = {"city": city, "town": town, "village": village,
                             "other_town": other_town, **{f"{k}_body": v
                                                          for k, v in bodies.items()}}
    for key, body in bodies.items():
        world[f"{key}_admin"] = UserFactory(role=Role.BODY_ADMIN, body_id=body.id,
                                            name=f"{body.name}主任")
        world[f"{key}_mediator"] = UserFactory(role=Role.MEDIATOR, body_id=body.id,
                                               name=f"{body.name}调解员")
    world["town_dispatcher"] = UserFactory(role=Role.DISPATCHER, area_id=town.id,
                                           name="镇调度")
    world["city_dispatcher"] = UserFactory(role=Role.DISPATCHER, area_id=city.id,
                                           name="市调度")
    world["other_dispatcher"] = UserFactory(role=Role.DISPATCHER, area_id=other_town.id,
                                            name="城南调度")
    world["grid"] = UserFactory(role=Role.GRID_WORKER, area_id=village.id, name="赵网格")
    world["admin"] = UserFactory(role=Role.ADMIN, name="管理员")
    return world


def report_data(area: Area, **overrides: Any) -> Report:
    """A valid grid report in ``area``; ``overrides`` replace its fields."""
    values: dict[str, Any] = {
        "dispute_type": "neighbour", "title": "宅基地边界纠纷",
        "description": "两户因院墙位置发生争执，已有推搡。", "area_id": area.id,
        "address": "枫源村3组12号", "latitude": None, "longitude": None,
        "priority": Priority.NORMAL, "is_group": False,
        "parties": [ReportParty(role=ParticipantRole.APPLICANT, name="张三",
                                phone="13700001111"),
                    ReportParty(role=ParticipantRole.RESPONDENT, name="李四",
                                phone="13700002222")],
    }
    values.update(overrides)
    return Report(**values)


def make_report(session: Session, reporter: User, area: Area, **overrides: Any) -> WorkOrder:
    """A grid worker's report through the intake service: a work order waiting at DISPATCH."""
    order = intake.report(session, reporter=reporter, data=report_data(area, **overrides))
    session.commit()
    return order


def settle(db: Session, order: WorkOrder, world: dict[str, Any], body: str = "town") -> None:
    """Dispatch ``order`` to the ``body`` and take its case to an agreement in effect."""
    boss, mediator = world[f"{body}_admin"], world[f"{body}_mediator"]
    if order.step is Step.DISPATCH:
        dispatch_services.dispatch(db, order=order, body_id=world[f"{body}_body"].id,
                          actor=world["town_dispatcher"] if body != "city"
                          else world["city_dispatcher"])
    if order.step is Step.ACCEPT:
        dispatch_services.accept(db, order=order, actor=boss)
    case = order.case
    cases.act(db, case=case, trigger=Trigger.RESPONDENT_AGREE, actor=boss)
    cases.act(db, case=case, trigger=Trigger.ASSIGN_MEDIATOR, actor=boss,
              mediator_id=mediator.id)
    for trigger in (Trigger.START_MEDIATION, Trigger.DRAFT_AGREEMENT, Trigger.OPEN_SIGNING):
        cases.transition(db, case=case, trigger=trigger, actor=mediator)
    cases.transition(db, case=case, trigger=Trigger.ALL_SIGNED, actor=None)
    db.commit()
