"""The pre-join page of a video session, opened from the invitation's link: identity
re-check by SMS code, the answer on recording, and a camera and microphone check.

A party follows the respondent's link rules (portal.cases.respondent_accounts): the code
proves control of the phone and logs the party in to their party account, opened for them
if they had none (an agent without an account, a party of a reported dispute). Staff
invitees (the mediator) log in with their password instead; the link then only checks
that they are the invitee. The room itself is portal.web.views.room_live.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts import tokens
from portal.accounts.codes import TooManyRequests
from portal.accounts.validation import InvalidField
from portal.audit import services as audit
from portal.cases.services import MissingInput
from portal.i18n import N_, gettext_, translate
from portal.mediation import room
from portal.mediation.labels import ROLE_LABELS
from portal.mediation.models import InviteeRole, SessionInvitee
from portal.mediation.notices import contact
from portal.web.auth import cookie_headers
from portal.web.deps import CurrentUser, client_address, current_user, in_db
from portal.web.forms import Form, read_form
from portal.web.security import public
from portal.web.templating import render
from portal.web.views.room_live import secure

ELSEWHERE = N_("This link was sent to another person. Log out first if it is yours.")


class _Login(Exception):
    """A staff invitee must log in with their password first."""


def _owner(invitee: SessionInvitee) -> int | None:
    return invitee.participant.user_id if invitee.participant is not None else invitee.user_id


def _invitee(session: Session, token: str, meeting_id: int,
             me: CurrentUser | None) -> SessionInvitee:
    """The link's invitee, if ``me`` may use it (JoinRefused or _Login otherwise)."""
    invitee = room.invitee_for_token(session, token, meeting_id=meeting_id)
    owner = _owner(invitee)
    if invitee.participant is None and me is None:
        raise _Login()
    if me is not None and owner is not None and me.id != owner:
        raise room.JoinRefused(403, ELSEWHERE)
    return invitee


def _context(session: Session, token: str, meeting_id: int,
             me: CurrentUser | None) -> dict[str, Any]:
    invitee = _invitee(session, token, meeting_id, me)
    meeting = invitee.meeting
    party = invitee.role in room.PARTY_ROLES
    # The code is asked again when the party is not logged in as themselves (another device).
    confirmed = not party or (invitee.identity_verified_at is not None and me is not None
                              and me.id == _owner(invitee))
    phone = contact(session, invitee).phone
    return {
        "token": token, "meeting": meeting, "number": meeting.case.number,
        "mediator": meeting.mediator.name, "name": invitee.name,
        "role": gettext_(ROLE_LABELS[invitee.role]), "confirmed": confirmed,
        "masked": f"{phone[:3]}****{phone[-4:]}" if phone else "",
        "asks_consent": party and meeting.recording_requested,
        "consent": invitee.recording_consent,
        "ready": confirmed and not (party and meeting.recording_requested
                                    and invitee.recording_consent is None),
        "base": f"/sessions/{meeting_id}/join", "query": f"?t={quote(token)}",
    }


def _refused(request: Request, exc: room.JoinRefused) -> Response:
    titles = {403: N_("Not allowed"), 404: N_("Link not valid"), 410: N_("Link no longer usable")}
    return secure(render(request, "errors/error.html", {
        "status": exc.status, "title": gettext_(titles.get(exc.status, titles[404])),
        "message": gettext_(exc.message)}, exc.status))


async def _page(request: Request, form: Form | None = None, status: int = 200,
                **extra: Any) -> Response:
    meeting_id, token = request.path_params["session_id"], request.query_params.get("t", "")
    me = current_user(request)
    try:
        ctx = await in_db(_context, token, meeting_id, me)
    except room.JoinRefused as exc:
        return _refused(request, exc)
    except _Login:
        target = quote(f"/sessions/{meeting_id}/join?t={token}")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return secure(render(request, "room/join.html", {
        **ctx, "form": form or Form(), **extra}, status))


def _back(request: Request) -> RedirectResponse:
    meeting_id, token = request.path_params["session_id"], request.query_params.get("t", "")
    return RedirectResponse(f"/sessions/{meeting_id}/join?t={quote(token)}", status_code=303)


@public
async def join(request: Request) -> Response:
    return await _page(request)


@public
async def send_code(request: Request) -> Response:
    meeting_id, token = request.path_params["session_id"], request.query_params.get("t", "")
    me, form = current_user(request), await read_form(request, secret=("code",))

    def work(session: Session) -> str:
        invitee = _invitee(session, token, meeting_id, me)
        return room.send_identity_code(session, invitee=invitee, client=client_address(request))

    try:
        masked = await in_db(work)
    except room.JoinRefused as exc:
        return _refused(request, exc)
    except _Login:
        return _back(request)
    except TooManyRequests as exc:
        form.error("code", exc.message)
        return await _page(request, form, 429, code_sent=True)
    except MissingInput as exc:
        form.error("code", exc.message, **exc.params)
        return await _page(request, form, 400)
    notice = translate("A code was sent to {phone}. It is valid for 5 minutes.", phone=masked)
    return await _page(request, form, notice=notice, code_sent=True)


@public
async def verify(request: Request) -> Response:
    meeting_id, token = request.path_params["session_id"], request.query_params.get("t", "")
    me, form = current_user(request), await read_form(request, secret=("code",))
    form.require("code")
    if not form.ok:
        return await _page(request, form, 400, code_sent=True)

    def work(session: Session) -> tokens.IssuedTokens | None:
        invitee = _invitee(session, token, meeting_id, me)
        if invitee.role not in room.PARTY_ROLES:
            return None  # staff are checked by their login
        room.verify_identity(session, invitee=invitee, code=form.get("code"))
        user = room.account_for(session, invitee=invitee)
        if me is not None and me.id == user.id:
            return None
        if me is not None:
            raise room.JoinRefused(403, ELSEWHERE)
        issued = tokens.start_session(session, user,
                                      user_agent=request.headers.get("user-agent", ""))
        audit.append(session, kind="security", action="login", subject=f"user:{user.id}",
                     actor_id=user.id, data={"client": client_address(request),
                                             "via": "session link"})
        return issued

    try:
        issued = await in_db(work)
    except room.JoinRefused as exc:
        return _refused(request, exc)
    except _Login:
        return _back(request)
    except InvalidField as exc:
        form.error("code", exc.message)
        return await _page(request, form, 400, code_sent=True)
    except MissingInput as exc:
        form.error("code", exc.message, **exc.params)
        return await _page(request, form, 400)
    response = _back(request)
    for value in cookie_headers(issued) if issued is not None else []:
        response.headers.append("set-cookie", value)
    return response


@public
async def consent(request: Request) -> Response:
    meeting_id, token = request.path_params["session_id"], request.query_params.get("t", "")
    me, form = current_user(request), await read_form(request)
    if form.get("consent") not in ("yes", "no"):
        form.error("consent", N_("Choose whether you agree to the recording."))
        return await _page(request, form, 400)

    def work(session: Session) -> None:
        invitee = _invitee(session, token, meeting_id, me)
        if me is None or me.id != _owner(invitee) or invitee.identity_verified_at is None:
            raise room.JoinRefused(403, N_("Please confirm your identity first."))
        if invitee.role is not InviteeRole.MEDIATOR:
            room.record_consent(session, invitee=invitee, consent=form.get("consent") == "yes")

    try:
        await in_db(work)
    except room.JoinRefused as exc:
        return _refused(request, exc)
    except _Login:
        return _back(request)
    except MissingInput as exc:
        form.error("consent", exc.message, **exc.params)
        return await _page(request, form, 400)
    return _back(request)


ROUTES = [
    Route("/sessions/{session_id:id}/join", join, name="session_join"),
    Route("/sessions/{session_id:id}/join/code", send_code, methods=["POST"],
          name="session_join_code"),
    Route("/sessions/{session_id:id}/join/verify", verify, methods=["POST"],
          name="session_join_verify"),
    Route("/sessions/{session_id:id}/join/consent", consent, methods=["POST"],
          name="session_join_consent"),
]
