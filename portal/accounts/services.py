"""Account services: registration, login, staff management. Keyword-only, session first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import codes, ratelimit, tokens
from portal.accounts.models import User
from portal.accounts.passwords import hash_password, needs_rehash, verify_password
from portal.accounts.roles import STAFF_ROLES, Role
from portal.accounts.validation import (
    InvalidField,
    check_password,
    normalise_id_number,
    normalise_phone,
)
from portal.audit import services as audit
from portal.bodies.models import Area, MediationBody
from portal.db.types import utcnow

REGISTER = "register"


class PermissionDenied(Exception):
    pass


class LoginFailed(Exception):
    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.throttled = throttled


@dataclass(frozen=True)
class Registration:
    name: str
    id_number: str
    phone: str
    password: str
    code: str


def _check_unique(session: Session, *, phone: str, id_number: str | None) -> None:
    if session.execute(select(User.id).where(User.phone == phone)).first():
        raise InvalidField("phone", "This phone number is already registered. Log in instead.")
    if id_number and session.execute(select(User.id).where(User.id_number == id_number)).first():
        raise InvalidField("id_number", "An account with this ID number already exists.")


def validate_registration(session: Session, data: Registration) -> Registration:
    """All checks that need no write, so a rejected form changes nothing."""
    name = data.name.strip()
    if not 2 <= len(name) <= 50:
        raise InvalidField("name", "Enter your name as on your ID card (2 to 50 characters).")
    id_number = normalise_id_number(data.id_number)
    phone = normalise_phone(data.phone)
    _check_unique(session, phone=phone, id_number=id_number)
    check_password(data.password, user_inputs=[name, phone, id_number])
    return Registration(name, id_number, phone, data.password, data.code)


def register_party(session: Session, data: Registration) -> User:
    clean = validate_registration(session, data)
    codes.check_code(session, phone=clean.phone, purpose=REGISTER, code=clean.code)
    user = User(
        name=clean.name, id_number=clean.id_number, phone=clean.phone, role=Role.PARTY,
        password_hash=hash_password(clean.password), phone_verified_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.append(session, kind="security", action="account.registered",
                 subject=f"user:{user.id}", actor_id=user.id)
    return user


def send_registration_code(session: Session, *, phone: str, client: str) -> str:
    clean = normalise_phone(phone)
    _check_unique(session, phone=clean, id_number=None)
    codes.send_code(session, phone=clean, purpose=REGISTER, client=client)
    return clean


def authenticate(
    session: Session, *, phone: str, password: str, client: str, user_agent: str = ""
) -> tuple[User, tokens.IssuedTokens]:
    """Check a password login. Failures are audited and must be committed by the caller."""
    try:
        key = normalise_phone(phone)
    except InvalidField:
        key = phone.strip()[:20]
    if not ratelimit.allowed(ratelimit.LOGIN_PER_ACCOUNT, key) or not ratelimit.allowed(
        ratelimit.LOGIN_PER_CLIENT, client
    ):
        raise LoginFailed("Too many login attempts. Please wait a few minutes and try again.",
                          throttled=True)
    user = session.execute(select(User).where(User.phone == key)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        ratelimit.hit(ratelimit.LOGIN_PER_ACCOUNT, key)
        ratelimit.hit(ratelimit.LOGIN_PER_CLIENT, client)
        audit.append(session, kind="security", action="login.failed", subject=f"phone:{key}",
                     actor_id=user.id if user else None, data={"client": client})
        raise LoginFailed("The phone number or password is not correct.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    issued = tokens.start_session(session, user, user_agent=user_agent)
    audit.append(session, kind="security", action="login", subject=f"user:{user.id}",
                 actor_id=user.id, data={"client": client})
    return user, issued


def logout(session: Session, *, user_id: int, session_id: str) -> None:
    tokens.revoke(session, session_id)
    audit.append(session, kind="security", action="logout", subject=f"user:{user_id}",
                 actor_id=user_id)


@dataclass(frozen=True)
class StaffAccount:
    name: str
    phone: str
    role: Role
    password: str
    body_id: int | None = None
    area_id: int | None = None
    court_name: str | None = None


def can_manage(actor: User, role: Role, body_id: int | None) -> bool:
    """Administrators manage all staff; a body administrator only mediators of the body."""
    if actor.role is Role.ADMIN:
        return role in STAFF_ROLES
    if actor.role is Role.BODY_ADMIN:
        return role is Role.MEDIATOR and body_id is not None and body_id == actor.body_id
    return False


def create_staff(session: Session, *, actor: User, data: StaffAccount) -> User:
    if data.role not in STAFF_ROLES:
        raise InvalidField("role", "Choose a staff role.")
    if not can_manage(actor, data.role, data.body_id):
        raise PermissionDenied
    name = data.name.strip()
    if not 2 <= len(name) <= 50:
        raise InvalidField("name", "Enter a name of 2 to 50 characters.")
    phone = normalise_phone(data.phone)
    _check_unique(session, phone=phone, id_number=None)
    _check_scope(session, data)
    check_password(data.password, user_inputs=[name, phone])
    user = User(name=name, phone=phone, role=data.role, body_id=data.body_id,
                area_id=data.area_id, court_name=data.court_name,
                password_hash=hash_password(data.password))
    session.add(user)
    session.flush()
    audit.append(session, kind="security", action="account.created", subject=f"user:{user.id}",
                 actor_id=actor.id, data={"role": user.role.value, "body_id": user.body_id,
                                          "area_id": user.area_id})
    return user


def _check_scope(session: Session, data: StaffAccount) -> None:
    """Each staff role needs the organisation it acts for."""
    needs_body = data.role in (Role.MEDIATOR, Role.BODY_ADMIN)
    if needs_body and (data.body_id is None or session.get(MediationBody, data.body_id) is None):
        raise InvalidField("body_id", "Choose the mediation body this person works for.")
    needs_area = data.role in (Role.DISPATCHER, Role.GRID_WORKER)
    if needs_area and (data.area_id is None or session.get(Area, data.area_id) is None):
        raise InvalidField("area_id", "Choose the area this person works in.")
    if data.role is Role.COURT_CLERK and not (data.court_name or "").strip():
        raise InvalidField("court_name", "Enter the court this clerk works for.")


def set_role(session: Session, *, actor: User, user: User, role: Role) -> None:
    if actor.role is not Role.ADMIN or user.id == actor.id:
        raise PermissionDenied
    if user.role is role:
        return
    old = user.role
    user.role = role
    # Existing logins were issued for the old role.
    tokens.revoke_all(session, user.id)
    audit.append(session, kind="security", action="account.role_changed",
                 subject=f"user:{user.id}", actor_id=actor.id,
                 data={"from": old.value, "to": role.value})


def set_active(session: Session, *, actor: User, user: User, active: bool) -> None:
    allowed = actor.role is Role.ADMIN or can_manage(actor, user.role, user.body_id)
    if not allowed or user.id == actor.id:
        raise PermissionDenied
    if user.is_active == active:
        return
    user.is_active = active
    if not active:
        tokens.revoke_all(session, user.id)
    audit.append(session, kind="security",
                 action="account.activated" if active else "account.deactivated",
                 subject=f"user:{user.id}", actor_id=actor.id)
