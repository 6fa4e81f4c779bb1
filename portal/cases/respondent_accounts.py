"""The respondent's account, needed to answer: ``respondent_agree`` is fired by a person.

A respondent who proved control of the phone is linked to the party account with that
phone, or one is created for them without a password: the verification logs them in,
and they may set a password from the case page (``set_first_password``) to log in later;
registering again with the phone is refused as for any existing account. A staff
account's phone, or the phone of another party of the case, is not linked: the body then
records that respondent's answer.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField, check_password
from portal.audit import services as audit
from portal.cases.models import Case, CaseParticipant, PartyKind
from portal.db.types import utcnow
from portal.i18n import N_


def account_to_link(session: Session, case: Case, participant: CaseParticipant) -> User | None:
    """The account to link, if there is one; raises when the phone cannot be linked."""
    if participant.user_id is not None:
        user = session.get(User, participant.user_id)
    else:
        user = session.execute(
            select(User).where(User.phone == participant.phone)).scalar_one_or_none()
    if user is None:
        return None
    elsewhere = any(p.user_id == user.id and p.id != participant.id for p in case.participants)
    if user.role is not Role.PARTY or not user.is_active or elsewhere:
        raise InvalidField("code", N_("This phone number belongs to an account that cannot "
                                      "answer for the respondent. Please ask the mediation "
                                      "body to record your answer."))
    if user.id_number and participant.id_number and user.id_number != participant.id_number:
        raise InvalidField("id_last4", N_("The account registered with this phone has another "
                                          "ID number. Please contact the mediation body."))
    return user


def new_account(session: Session, participant: CaseParticipant) -> User:
    person = participant.kind is PartyKind.PERSON
    id_number = participant.id_number if person else None
    if id_number and session.execute(select(User.id).where(User.id_number == id_number)).first():
        id_number = None
    name = participant.name if person else (participant.legal_representative or participant.name)
    # An empty hash never verifies: no password login until the person sets one.
    user = User(phone=participant.phone, name=name[:100], id_number=id_number, role=Role.PARTY,
                password_hash="", phone_verified_at=utcnow())
    session.add(user)
    session.flush()
    audit.append(session, kind="security", action="account.created_for_respondent",
                 subject=f"user:{user.id}", actor_id=user.id,
                 data={"participant": participant.id})
    return user


def needs_password(user: User) -> bool:
    return user.role is Role.PARTY and not user.password_hash


def set_first_password(session: Session, *, user: User, password: str, repeat: str) -> None:
    """The first password of an account opened by the respondent's link."""
    if not needs_password(user):
        raise InvalidField("password", N_("Your account already has a password."))
    check_password(password, user_inputs=[user.name, user.phone, user.id_number or ""])
    if password != repeat:
        raise InvalidField("password2", N_("The two passwords do not match."))
    user.password_hash = hash_password(password)
    audit.append(session, kind="security", action="account.password_set",
                 subject=f"user:{user.id}", actor_id=user.id)
