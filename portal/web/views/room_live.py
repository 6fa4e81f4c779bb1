"""The video room: its page, the room pass and WebSocket that connect a browser to rtc/, and
the mediator's recording switch and caucus notes.

Every way in checks the same thing (portal.web.room_access.grant); the WebSocket also
needs the login cookie and a single-use room pass issued to that login.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from portal.accounts.roles import Role
from portal.cases import access
from portal.cases.evidence import files_of
from portal.cases.services import MissingInput, NotAllowed
from portal.config import get_settings
from portal.i18n import N_, gettext_, translate
from portal.mediation import room as mediation
from portal.mediation.labels import SIDE_LABELS
from portal.mediation.models import MediationSession, Side
from portal.web.deps import CurrentUser, current_user, in_db, load_user
from portal.web.forms import read_form
from portal.web.room_access import Grant, Refusal, grant
from portal.web.rooms import video_of
from portal.web.rtc_channel import PassRefused, StarletteChannel
from portal.web.security import requires, user_of
from portal.web.templating import render

log = logging.getLogger(__name__)

NO_CONSENT = N_("Not every party agreed to be recorded, so nothing is recorded: the minutes "
                "are required instead.")


def secure(response: Response) -> Response:
    """The room's pages: no join link leaking through the Referer, nothing cached. (The
    content security policy, no inline script or style, is the whole portal's:
    portal.web.security_headers.)"""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": gettext_(message), **extra}, status,
                        headers={"Cache-Control": "no-store"})


def _page_context(session: Session, meeting_id: int, current: CurrentUser) -> dict[str, Any]:
    seat = grant(session, meeting_id=meeting_id, user_id=current.id)
    meeting = session.get(MediationSession, meeting_id)
    assert meeting is not None
    case, user = meeting.case, load_user(session, current)
    ctx: dict[str, Any] = {"seat": seat, "meeting": meeting, "number": case.number,
                           "can_view": access.can_view(session, case, user)}
    if seat.is_mediator:
        parties = [i for i in meeting.invitees if i.role in mediation.PARTY_ROLES
                   and i.removed_at is None]
        ctx.update(
            documents=[(f.id, f.original_name) for f in files_of(session, case)],
            notes=mediation.caucus_notes(session, meeting=meeting, actor=user),
            consented=mediation.all_parties_consented(meeting),
            not_consenting=[i.name for i in parties if i.recording_consent is not True],
            sides=[(side.value, gettext_(SIDE_LABELS[side]))
                   for side in (Side.APPLICANT, Side.RESPONDENT)
                   if any(i.side is side for i in parties)])
    return ctx


@requires()
async def room_page(request: Request) -> Response:
    current, meeting_id = user_of(request), request.path_params["session_id"]
    try:
        ctx = await in_db(_page_context, meeting_id, current)
    except Refusal as exc:
        if exc.join is not None:
            return RedirectResponse(exc.join, status_code=303)
        return secure(render(request, "errors/error.html", {
            "status": exc.status, "title": gettext_("Not allowed"),
            "message": gettext_(exc.message)}, exc.status))
    return secure(render(request, "room/room.html", ctx))


async def _grant(request: Request, *, mediator: bool = False) -> Grant:
    current, meeting_id = user_of(request), request.path_params["session_id"]
    seat = await in_db(lambda s: grant(s, meeting_id=meeting_id, user_id=current.id))
    if mediator and not seat.is_mediator:
        raise Refusal(404, N_("Only the session's mediator can do this."))
    return seat


@requires()
async def room_pass(request: Request) -> Response:
    """A fresh single-use pass for the room's WebSocket (every connection needs one)."""
    current = user_of(request)
    try:
        seat = await _grant(request)
    except Refusal as exc:
        return _error(exc.status, exc.message, join=exc.join)
    video = video_of(request)
    if video.rooms.is_ended(seat.room):
        return _error(410, N_("This session is over or was cancelled."))
    try:
        token = video.passes.issue(user_id=current.id, login_id=current.session_id,
                                   meeting_id=seat.meeting_id, invitee_id=seat.invitee_id)
    except PassRefused:
        return _error(429, N_("Please wait a moment and try again."))
    return JSONResponse({"url": f"/sessions/{seat.meeting_id}/ws?pass={token}"},
                        headers={"Cache-Control": "no-store"})


@requires(Role.MEDIATOR)
async def recording(request: Request) -> Response:
    """Start or stop recording; only when every party consented."""
    form = await read_form(request)
    action = form.get("action")
    if action not in ("start", "stop"):
        return _error(400, N_("The request could not be processed"))
    try:
        seat = await _grant(request, mediator=True)
        if action == "start" and not await in_db(
                lambda s: mediation.all_parties_consented(s.get(MediationSession,
                                                                seat.meeting_id))):
            raise Refusal(409, NO_CONSENT)
    except Refusal as exc:
        return _error(exc.status, exc.message)
    video = video_of(request)
    live = video.rooms.room(seat.room)
    if live is None or live.ended:
        return _error(409, N_("The room is not open: join it first."))
    if action == "start":
        await live.start_recording(video.recordings_dir / seat.room)
    else:
        await live.stop_recording()
    return JSONResponse({"recording": live.recording})


@requires(Role.MEDIATOR)
async def caucus_note(request: Request) -> Response:
    """The mediator's private note on a caucus; never shown to a party nor sent to court."""
    current = user_of(request)
    form = await read_form(request)

    def work(session: Session, meeting_id: int) -> dict[str, Any]:
        meeting = session.get(MediationSession, meeting_id)
        assert meeting is not None
        try:
            side = Side(form.get("side"))
        except ValueError:
            side = Side.NONE
        note = mediation.add_caucus_note(session, meeting=meeting,
                                         actor=load_user(session, current), side=side,
                                         text=form.get("text"))
        return {"id": note.id, "side": side.value, "text": note.text,
                "at": note.created_at.isoformat()}

    try:
        seat = await _grant(request, mediator=True)
        return JSONResponse(await in_db(work, seat.meeting_id))
    except Refusal as exc:
        return _error(exc.status, exc.message)
    except MissingInput as exc:
        return JSONResponse({"error": translate(exc.message, **exc.params)}, 400)
    except NotAllowed:
        return _error(404, N_("Only the session's mediator can do this."))


async def _socket_grant(ws: WebSocket) -> Grant | tuple[int, str]:
    """The seat this connection may take, or (close code, reason)."""
    origin = ws.headers.get("origin")
    ours = {ws.headers.get("host"), urlsplit(get_settings().base_url).netloc}
    if origin and urlsplit(origin).netloc not in ours:
        return 4403, "connections from another site are refused"
    user = current_user(ws)
    if user is None:
        return 4401, "log in first"
    meeting_id = ws.path_params["session_id"]
    try:
        issued = video_of(ws).passes.redeem(ws.query_params.get("pass", ""), user_id=user.id,
                                            login_id=user.session_id, meeting_id=meeting_id)
        seat = await in_db(lambda s: grant(s, meeting_id=meeting_id, user_id=user.id))
    except PassRefused as exc:
        return 4403, str(exc)
    except Refusal as exc:
        return 4000 + exc.status, {403: "removed from this session by the mediator",
                                   404: "not invited to this session",
                                   410: "the session has ended"}.get(exc.status, "not ready")
    if seat.invitee_id != issued.invitee_id:
        return 4403, "not a valid room pass"
    return seat


async def room_socket(ws: WebSocket) -> None:
    # Accepted first, so that a refusal reaches the browser with its code and reason.
    await ws.accept()
    channel = StarletteChannel(ws)
    try:
        seat = await _socket_grant(ws)
        if isinstance(seat, tuple):
            await channel.close(*seat)
            return
        await video_of(ws).rooms.connect(channel, seat.ticket())
    except Exception:
        log.exception("room connection failed")
        await channel.close(1011, "internal error")


class RoomSocket:
    """The WebSocket endpoint as an ASGI class: spectree's scan of the routes for the
    OpenAPI document skips classes, and fails on a WebSocket function."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.ws = WebSocket(scope, receive, send)

    def __await__(self) -> Generator[Any, None, None]:
        return room_socket(self.ws).__await__()


ROUTES: list[BaseRoute] = [
    Route("/sessions/{session_id:id}/room", room_page, name="session_room"),
    Route("/sessions/{session_id:id}/room/pass", room_pass, methods=["POST"],
          name="session_room_pass"),
    Route("/sessions/{session_id:id}/room/recording", recording, methods=["POST"],
          name="session_room_recording"),
    Route("/sessions/{session_id:id}/room/notes", caucus_note, methods=["POST"],
          name="session_room_notes"),
    WebSocketRoute("/sessions/{session_id:id}/ws", RoomSocket, name="session_room_ws"),
]
