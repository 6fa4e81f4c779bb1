import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts import services as accounts
from portal.accounts.codes import MAX_ATTEMPTS, TooManyRequests
from portal.accounts.models import OneTimeCode, User, UserSession
from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField
from portal.audit.models import AuditEntry
from portal.notifications.models import OutboundMessage
from tests.factories import BodyFactory, UserFactory

PHONE = "13712345678"
GOOD = dict(name="王五", id_number="110101199003074477", phone=PHONE,
            password="river lantern autumn bridge")


def _code(db: Session) -> str:
    newest = select(OutboundMessage.body).order_by(OutboundMessage.id.desc())
    body = db.execute(newest).scalars().first()
    assert body is not None
    return "".join(ch for ch in body if ch.isdigit())[:6]


def _users(db: Session) -> int:
    return db.execute(select(func.count()).select_from(User)).scalar_one()


def test_register_with_code(db: Session) -> None:
    accounts.send_registration_code(db, phone=PHONE, client="1.2.3.4")
    db.commit()
    user = accounts.register_party(db, accounts.Registration(**GOOD, code=_code(db)))
    db.commit()
    assert user.role is Role.PARTY and user.phone_verified_at is not None
    assert user.password_hash.startswith("$argon2")
    actions = db.execute(select(AuditEntry.action)).scalars().all()
    assert "account.registered" in actions


def test_wrong_code_counts_and_creates_nothing(db: Session) -> None:
    accounts.send_registration_code(db, phone=PHONE, client="c")
    db.commit()
    right = _code(db)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(InvalidField, match="not correct"):
            accounts.register_party(db, accounts.Registration(**GOOD, code=wrong))
        db.rollback()  # what the web layer does; the attempt must survive it
    with pytest.raises(InvalidField, match="Too many"):
        accounts.register_party(db, accounts.Registration(**GOOD, code=right))
    db.rollback()
    assert _users(db) == 0
    assert db.execute(select(OneTimeCode.attempts)).scalar_one() == MAX_ATTEMPTS


def test_bad_id_checksum_rejected_before_code_is_used(db: Session) -> None:
    accounts.send_registration_code(db, phone=PHONE, client="c")
    db.commit()
    bad = {**GOOD, "id_number": "110101199003074478"}
    with pytest.raises(InvalidField) as err:
        accounts.register_party(db, accounts.Registration(**bad, code=_code(db)))
    assert err.value.field == "id_number"
    db.rollback()
    assert _users(db) == 0
    assert db.execute(select(OneTimeCode.used_at)).scalar_one() is None


def test_duplicate_phone_refused(db: Session) -> None:
    UserFactory(phone=PHONE)
    with pytest.raises(InvalidField) as err:
        accounts.send_registration_code(db, phone=PHONE, client="c")
    assert err.value.field == "phone"


def test_code_resend_is_rate_limited(db: Session) -> None:
    accounts.send_registration_code(db, phone=PHONE, client="c")
    with pytest.raises(TooManyRequests):
        accounts.send_registration_code(db, phone=PHONE, client="c")


def test_login_success_and_failures_audited(db: Session) -> None:
    user = UserFactory(phone=PHONE)
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, phone=PHONE, password="wrong", client="c")
    _, issued = accounts.authenticate(db, phone=PHONE, password="correct horse battery staple",
                                      client="c")
    db.commit()
    assert db.get(UserSession, issued.session_id).user_id == user.id  # type: ignore[union-attr]
    actions = db.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    assert actions == ["login.failed", "login"]


def test_login_rate_limited(db: Session) -> None:
    UserFactory(phone=PHONE)
    for _ in range(5):
        with pytest.raises(accounts.LoginFailed) as err:
            accounts.authenticate(db, phone=PHONE, password="wrong", client="c")
        assert not err.value.throttled
    with pytest.raises(accounts.LoginFailed) as err:
        accounts.authenticate(db, phone=PHONE, password="correct horse battery staple",
                              client="c")
    assert err.value.throttled


def test_body_admin_creates_only_own_mediators(db: Session) -> None:
    body, other = BodyFactory(), BodyFactory()
    boss = UserFactory(role=Role.BODY_ADMIN, body_id=body.id)
    data = accounts.StaffAccount(name="调解员甲", phone="13600000001", role=Role.MEDIATOR,
                                 password="river lantern autumn bridge", body_id=body.id)
    created = accounts.create_staff(db, actor=boss, data=data)
    assert created.role is Role.MEDIATOR and created.body_id == body.id
    for role, body_id in [(Role.MEDIATOR, other.id), (Role.ADMIN, body.id),
                          (Role.BODY_ADMIN, body.id)]:
        with pytest.raises(accounts.PermissionDenied):
            accounts.create_staff(db, actor=boss, data=accounts.StaffAccount(
                name="某人", phone="13600000002", role=role, password="x", body_id=body_id))


def test_party_cannot_create_staff_and_staff_needs_scope(db: Session) -> None:
    admin = UserFactory(role=Role.ADMIN)
    party = UserFactory()
    data = accounts.StaffAccount(name="调度员", phone="13600000003", role=Role.DISPATCHER,
                                 password="river lantern autumn bridge")
    with pytest.raises(accounts.PermissionDenied):
        accounts.create_staff(db, actor=party, data=data)
    with pytest.raises(InvalidField) as err:
        accounts.create_staff(db, actor=admin, data=data)
    assert err.value.field == "area_id"


def test_role_change_revokes_sessions_and_is_audited(db: Session) -> None:
    admin = UserFactory(role=Role.ADMIN)
    user = UserFactory(role=Role.MEDIATOR)
    issued = accounts.tokens.start_session(db, user)
    accounts.set_role(db, actor=admin, user=user, role=Role.BODY_ADMIN)
    db.commit()
    assert db.get(UserSession, issued.session_id).revoked_at is not None  # type: ignore[union-attr]
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "account.role_changed")
                       ).scalar_one()
    assert '"to":"body_admin"' in entry.data
    with pytest.raises(accounts.PermissionDenied):
        accounts.set_role(db, actor=user, user=admin, role=Role.PARTY)
