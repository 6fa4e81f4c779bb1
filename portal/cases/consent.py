"""The respondent's consent: invitation links, identity check, and the answer.

Each respondent gets a single-use link by SMS (and e-mail), valid until the RESPONDENT
deadline; only the link's SHA-256 is stored. Opening it, the respondent proves control of
the phone with a one-time code (and their name, and the last four characters of their ID
number when the applicant gave one).

Answering needs an account (``respondent_agree`` is fired by a person in the respondent
capacity): see portal.cases.respondent_accounts.

Mediation needs every respondent's consent: the case moves on when the last one agrees,
and ends as soon as one refuses or the deadline passes (``respondent_timeout``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import codes
from portal.accounts.models import User
from portal.accounts.validation import InvalidField
from portal.audit import services as audit
from portal.cases import access
from portal.cases import respondent_accounts as accounts
from portal.cases import services as cases
from portal.cases.models import (
    Case,
    CaseEvent,
    CaseParticipant,
    ParticipantRole,
    RespondentInvite,
)
from portal.cases.states import Actor, IllegalTransition, Status, Trigger
from portal.config import get_settings
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.calendar import local_date
from portal.deadlines.models import DeadlineKind
from portal.i18n import N_, translate
from portal.notifications.channels import GatewayUnavailable, email_gateway, sms_gateway
from portal.notifications.delivery import in_locale

PURPOSE = "respond"
AGREE, REFUSE = "agree", "refuse"
INVITE_TEXT = N_("Fengqiao ODR: {applicant} has applied to {body} for mediation with you "
                 "(case {number}). Open {link} by {due} to read the application and say "
                 "whether you agree to mediation.")
INVITE_SUBJECT = N_("Fengqiao ODR: you are invited to mediation (case {number})")


class LinkInvalid(Exception):
    """A respondent link that cannot be used; ``message`` is a msgid."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def respondents(case: Case) -> list[CaseParticipant]:
    return [p for p in case.participants if p.role is ParticipantRole.RESPONDENT]


def contact_respondents(session: Session, *, case: Case, actor: User | None) -> CaseEvent:
    """Ask the respondents for consent: ``contact_respondent``, whose follow-up invites them."""
    if not any(p.phone for p in respondents(case)):
        raise cases.MissingInput("respondents", N_(
            "No respondent has a mobile phone number, so no one can be invited. Add the "
            "number to the application or contact the respondent another way."))
    return cases.transition(session, case=case, trigger=Trigger.CONTACT_RESPONDENT,
                            actor=actor)


def after_transition(session: Session, event: CaseEvent) -> None:
    if event.trigger is Trigger.CONTACT_RESPONDENT:
        deadline = deadlines.current(session, event.case_id, DeadlineKind.RESPONDENT)
        expires = deadline.due_at if deadline else event.created_at + dt.timedelta(days=3)
        for participant in respondents(event.case):
            if participant.phone:
                invite(session, case=event.case, participant=participant, expires_at=expires)
    elif event.trigger in (Trigger.RESPONDENT_AGREE, Trigger.RESPONDENT_REFUSE,
                           Trigger.RESPONDENT_TIMEOUT):
        answer = {Trigger.RESPONDENT_AGREE: AGREE, Trigger.RESPONDENT_REFUSE: REFUSE}.get(
            event.trigger)
        for row in invites_of(session, event.case_id):
            if row.used_at is None:
                row.used_at = event.created_at
                if answer and event.actor_id and row.participant.user_id == event.actor_id:
                    row.answer = answer


def invite(session: Session, *, case: Case, participant: CaseParticipant,
           expires_at: dt.datetime) -> str:
    """Create the link and send it; returns the token (it is not stored)."""
    token = secrets.token_urlsafe(32)
    session.add(RespondentInvite(case_id=case.id, participant_id=participant.id,
                                 token_hash=token_hash(token), expires_at=expires_at))
    session.flush()
    user = session.get(User, participant.user_id) if participant.user_id else None
    applicant = next((p.name for p in case.participants
                      if p.role is ParticipantRole.APPLICANT),
                     case.applicant.name if case.applicant else "")
    params = {"applicant": applicant, "body": case.body.name if case.body else "",
              "number": case.number, "due": local_date(expires_at).isoformat(),
              "link": f"{get_settings().base_url.rstrip('/')}/respond/{token}"}
    with in_locale(user.locale if user else None):
        text, subject = translate(INVITE_TEXT, **params), translate(INVITE_SUBJECT, **params)
    # No SMS, no invitation: the deadline must not run against someone never told.
    sms_gateway().send(session, participant.phone, text)
    # The SMS carries the link; e-mail is a courtesy.
    if participant.email:
        with contextlib.suppress(GatewayUnavailable):
            email_gateway().send(session, participant.email, subject, text)
    return token


def invites_of(session: Session, case_id: int) -> list[RespondentInvite]:
    return list(session.execute(
        select(RespondentInvite).where(RespondentInvite.case_id == case_id)
        .order_by(RespondentInvite.id)
    ).scalars())


def find_invite(session: Session, token: str, *, now: dt.datetime | None = None,
                lock: bool = False) -> RespondentInvite:
    query = select(RespondentInvite).where(RespondentInvite.token_hash == token_hash(token))
    row = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if row is None:
        raise LinkInvalid(404, N_("This link is not valid. Check that you opened the whole "
                                  "link from the text message."))
    if row.used_at is not None:
        raise LinkInvalid(410, N_("This link has already been used, so it cannot be used "
                                  "again. If you have an account, log in to see the case."))
    if (now or utcnow()) >= row.expires_at:
        raise LinkInvalid(410, N_("This link has expired: the time to answer is over. Please "
                                  "contact the mediation body if you still wish to mediate."))
    if session.get(Case, row.case_id).status is not Status.AWAITING_RESPONDENT:  # type: ignore[union-attr]
        raise LinkInvalid(410, N_("This request is closed: the case no longer waits for "
                                  "your answer."))
    return row


@dataclass(frozen=True)
class Identity:
    name: str
    id_last4: str
    code: str


def asks_id_number(participant: CaseParticipant) -> bool:
    return bool(participant.id_number)


def send_code(session: Session, *, token: str, client: str) -> str:
    """Send the one-time code to the respondent's phone; returns the masked number."""
    phone = find_invite(session, token).participant.phone
    codes.send_code(session, phone=phone, purpose=PURPOSE, client=client)
    return f"{phone[:3]}****{phone[-4:]}"


def _check_identity(participant: CaseParticipant, identity: Identity) -> None:
    names = {" ".join(n.split()).casefold()
             for n in (participant.name, participant.legal_representative) if n}
    if " ".join(identity.name.split()).casefold() not in names:
        raise InvalidField("name", N_("The name does not match the respondent named in the "
                                      "application."))
    if participant.id_number and (
            identity.id_last4.strip().upper() != participant.id_number[-4:].upper()):
        raise InvalidField("id_last4", N_("The last four characters of the ID number do not "
                                          "match."))


def verify(session: Session, *, token: str, identity: Identity,
           now: dt.datetime | None = None) -> User:
    """Check the respondent's identity and return their (linked) party account."""
    row = find_invite(session, token, now=now)
    participant, case = row.participant, session.get(Case, row.case_id)
    assert case is not None
    _check_identity(participant, identity)
    user = accounts.account_to_link(session, case, participant)
    codes.check_code(session, phone=participant.phone, purpose=PURPOSE, code=identity.code)
    if user is None:
        user = accounts.new_account(session, participant)
    participant.user_id = user.id
    if user.phone_verified_at is None:
        user.phone_verified_at = utcnow()
    audit.append(session, kind="security", action="respondent.verified",
                 subject=f"case:{case.number}", actor_id=user.id,
                 data={"participant": participant.id, "invite": row.id})
    return user


def _answered(session: Session, case: Case, participant: CaseParticipant,
              invite_row: RespondentInvite | None, answer: str, now: dt.datetime) -> None:
    if invite_row is None:
        # A respondent who was not invited by link (no phone) answers in the portal.
        invite_row = RespondentInvite(case_id=case.id, participant_id=participant.id,
                                      token_hash=token_hash(secrets.token_urlsafe(32)),
                                      expires_at=now)
        session.add(invite_row)
    invite_row.used_at, invite_row.answer = now, answer
    session.flush()


def _record(session: Session, *, case: Case, participant: CaseParticipant,
            invite_row: RespondentInvite | None, actor: User, agree: bool, reason: str,
            now: dt.datetime) -> CaseEvent | None:
    # Locked so that two respondents agreeing at once still see each other's answer.
    status = session.execute(
        select(Case.status).where(Case.id == case.id).with_for_update()).scalar_one()
    if status is not Status.AWAITING_RESPONDENT:
        raise IllegalTransition(status, Trigger.RESPONDENT_AGREE if agree
                                else Trigger.RESPONDENT_REFUSE)
    _answered(session, case, participant, invite_row, AGREE if agree else REFUSE, now)
    if not agree:
        return cases.transition(session, case=case, trigger=Trigger.RESPONDENT_REFUSE,
                                actor=actor, reason=reason)
    agreed = {i.participant_id for i in invites_of(session, case.id) if i.answer == AGREE}
    if all(p.id in agreed for p in respondents(case)):
        return cases.transition(session, case=case, trigger=Trigger.RESPONDENT_AGREE,
                                actor=actor, reason=reason)
    return None


def answer(session: Session, *, token: str, user: User, agree: bool, reason: str = "",
           now: dt.datetime | None = None) -> CaseEvent | None:
    """The respondent's answer through the link; None while other respondents are awaited."""
    now = now or utcnow()
    row = find_invite(session, token, now=now, lock=True)
    if row.participant.user_id != user.id:
        raise cases.NotAllowed(f"answer invite {row.id}")
    case = session.get(Case, row.case_id)
    assert case is not None
    return _record(session, case=case, participant=row.participant, invite_row=row,
                   actor=user, agree=agree, reason=reason.strip()[:2000], now=now)


def open_invite(session: Session, participant: CaseParticipant,
                now: dt.datetime) -> RespondentInvite | None:
    return session.execute(
        select(RespondentInvite).where(
            RespondentInvite.participant_id == participant.id,
            RespondentInvite.used_at.is_(None), RespondentInvite.expires_at > now)
        .order_by(RespondentInvite.id.desc()).limit(1)
    ).scalar_one_or_none()


def answer_in_portal(session: Session, *, case: Case, user: User, agree: bool,
                     reason: str = "", participant_id: int | None = None,
                     now: dt.datetime | None = None) -> CaseEvent | None:
    """A logged-in respondent answers, or the body records an answer given to it.

    The body names the respondent (``participant_id``) and must give the reason, which
    says how the answer was given.
    """
    now = now or utcnow()
    if case.status is not Status.AWAITING_RESPONDENT:
        raise IllegalTransition(case.status, Trigger.RESPONDENT_AGREE if agree
                                else Trigger.RESPONDENT_REFUSE)
    capacities = access.capacities(session, case, user)
    if participant_id is not None and Actor.BODY in capacities:
        participant = next((p for p in respondents(case) if p.id == participant_id), None)
        if participant is None:
            raise cases.MissingInput("participant_id", N_("Choose a respondent from the list."))
        if not reason.strip():
            raise cases.MissingInput("reason", N_("Say how and when the respondent gave this "
                                                  "answer; it is shown on the timeline."))
    else:
        participant = next((p for p in respondents(case) if p.user_id == user.id), None)
        if participant is None:
            raise cases.NotAllowed(f"answer for {case.number}")
    return _record(session, case=case, participant=participant,
                   invite_row=open_invite(session, participant, now), actor=user,
                   agree=agree, reason=reason.strip()[:2000], now=now)
