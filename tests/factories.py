"""factory_boy factories for test data; ``bind`` attaches them to the test's session."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.accounts.roles import Role
from portal.bodies.models import Area, BodyKind, Level, MediationBody, MediatorProfile
from portal.cases import services as cases
from portal.cases.models import Case, CaseParticipant, ParticipantRole

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
