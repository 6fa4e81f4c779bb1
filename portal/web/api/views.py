"""API endpoints. Authentication: ``Authorization: Bearer <access token>`` from
/api/v1/auth/token, or the portal's login cookie plus an ``X-CSRFToken`` header."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from spectree import Response as Resp
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal.accounts import services as accounts
from portal.accounts import tokens
from portal.bodies.services import suggest_bodies
from portal.cases import access, application, consent
from portal.cases import services as cases
from portal.cases.application_fields import StepInvalid
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.models import Case, CaseEvent
from portal.cases.states import Actor, IllegalTransition, Trigger
from portal.config import get_settings
from portal.i18n import gettext_, translate
from portal.web.api import schemas as s
from portal.web.api.spec import spec
from portal.web.deps import client_address, in_db, load_user
from portal.web.security import public, requires, user_of

M = TypeVar("M", bound=BaseModel)
ANSWERS = (Trigger.RESPONDENT_AGREE, Trigger.RESPONDENT_REFUSE)
ERRORS = {"HTTP_401": s.ErrorOut, "HTTP_403": s.ErrorOut, "HTTP_404": s.ErrorOut}


def json_body(request: Request, model: type[M]) -> M:
    """The validated JSON body; spectree leaves it unset for other content types."""
    data = getattr(getattr(request, "context", None), "json", None)
    if not isinstance(data, model):
        raise HTTPException(415, gettext_("Send the request body as JSON "
                                          "(Content-Type: application/json)."))
    return data


def ok(model: BaseModel, status: int = 200) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status)


def error(code: int, msgid: str, **params: Any) -> JSONResponse:
    return JSONResponse(s.ErrorOut(error=translate(msgid, **params)).model_dump(
        exclude_none=True), code)


@public
@spec.validate(json=s.TokenIn, resp=Resp(HTTP_200=s.TokenOut, HTTP_400=s.ErrorOut,
                                        HTTP_429=s.ErrorOut), tags=["auth"], security={})
async def token(request: Request) -> Response:
    """Exchange a phone number and password for an access and a refresh token."""
    data = json_body(request, s.TokenIn)

    def work(session: Session) -> tokens.IssuedTokens | accounts.LoginFailed:
        try:
            return accounts.authenticate(session, phone=data.phone, password=data.password,
                                         client=client_address(request),
                                         user_agent=request.headers.get("user-agent", ""))[1]
        except accounts.LoginFailed as exc:
            return exc

    result = await in_db(work)
    if isinstance(result, accounts.LoginFailed):
        return error(429 if result.throttled else 400, result.message)
    return ok(s.TokenOut(access_token=result.access, refresh_token=result.refresh,
                         expires_in=get_settings().access_token_minutes * 60))


@public
@spec.validate(json=s.RefreshIn, resp=Resp(HTTP_200=s.TokenOut, HTTP_401=s.ErrorOut),
               tags=["auth"], security={})
async def refresh(request: Request) -> Response:
    """Rotate a refresh token; the old one stops working."""
    data = json_body(request, s.RefreshIn)

    def work(session: Session) -> tokens.IssuedTokens | None:
        rotated = tokens.rotate(session, data.refresh_token)
        return rotated[1] if rotated else None

    issued = await in_db(work)
    if issued is None:
        return error(401, "This refresh token is no longer valid. Log in again.")
    return ok(s.TokenOut(access_token=issued.access, refresh_token=issued.refresh,
                         expires_in=get_settings().access_token_minutes * 60))


@requires()
@spec.validate(resp=Resp(HTTP_200=s.MeOut, **ERRORS), tags=["auth"])
async def me(request: Request) -> Response:
    """The logged-in user."""
    current = user_of(request)
    user = await in_db(lambda session: load_user(session, current))
    return ok(s.MeOut.model_validate(user))


@requires()
@spec.validate(query=s.CaseListQuery, resp=Resp(HTTP_200=s.CaseListOut, **ERRORS),
               tags=["cases"])
async def case_list(request: Request) -> Response:
    """The cases the user may see, newest activity first."""
    current = user_of(request)
    q: s.CaseListQuery = request.context.query  # type: ignore[attr-defined]

    def work(session: Session) -> s.CaseListOut:
        query = access.visible_cases(session, load_user(session, current))
        if q.status is not None:
            query = query.where(Case.status == q.status)
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = session.execute(query.order_by(Case.updated_at.desc(), Case.id.desc())
                               .limit(q.per_page).offset((q.page - 1) * q.per_page)).scalars()
        return s.CaseListOut(items=[s.CaseSummaryOut.model_validate(c) for c in rows],
                             page=q.page, per_page=q.per_page, total=total)

    return ok(await in_db(work))


def case_out(session: Session, request: Request, number: str, *,
             after_action: bool = False) -> tuple[Case, s.CaseOut]:
    """The case as the user sees it; ``after_action`` answers the user who just acted on
    it even when the action took it out of their sight (a referral to another body)."""
    current = user_of(request)
    user = load_user(session, current)
    case = session.execute(select(Case).where(Case.number == number).options(
        selectinload(Case.participants), selectinload(Case.events).selectinload(CaseEvent.actor),
    ).execution_options(populate_existing=True)).scalar_one_or_none()
    if case is None or not (after_action or access.can_view(session, case, user)):
        raise HTTPException(404)
    out = s.CaseOut.model_validate({
        **{k: getattr(case, k) for k in s.CaseSummaryOut.model_fields},
        "summary": case.summary, "mediator_id": case.mediator_id,
        "participants": case.participants, "events": case.events,
        "allowed_actions": cases.available_triggers(session, case, user),
    })
    return case, out


@requires()
@spec.validate(resp=Resp(HTTP_200=s.CaseOut, **ERRORS), tags=["cases"])
async def case_detail(request: Request) -> Response:
    """One case with its parties, timeline and the actions open to the user."""
    number = request.path_params["number"]
    _, out = await in_db(lambda session: case_out(session, request, number))
    return ok(out)


@requires()
@spec.validate(json=s.ActionIn, resp=Resp(HTTP_200=s.CaseOut, HTTP_400=s.ErrorOut,
                                         HTTP_409=s.ErrorOut, **ERRORS), tags=["cases"])
async def case_action(request: Request) -> Response:
    """Apply an action (a state-machine trigger) to a case."""
    number = request.path_params["number"]
    data = json_body(request, s.ActionIn)
    current = user_of(request)

    def work(session: Session) -> s.CaseOut:
        case, _ = case_out(session, request, number)
        actor = load_user(session, current)
        if data.trigger is Trigger.SUBMIT and Actor.APPLICANT in access.capacities(
                session, case, actor):
            consents = {"consent_online": "yes" if data.consent_online else "",
                        "consent_service": "yes" if data.consent_service else ""}
            application.submit(session, case=case, actor=actor, values=consents)
        elif data.trigger in ANSWERS and Actor.RESPONDENT in access.capacities(
                session, case, actor):
            # Through the consent service, which waits until every respondent has agreed.
            consent.answer_in_portal(session, case=case, user=actor, reason=data.reason,
                                     agree=data.trigger is Trigger.RESPONDENT_AGREE)
        else:
            cases.act(session, case=case, trigger=data.trigger, actor=actor,
                      reason=data.reason, mediator_id=data.mediator_id)
        session.flush()
        return case_out(session, request, number)[1]

    try:
        return ok(await in_db(work))
    except StepInvalid as exc:
        return JSONResponse(s.ErrorOut(
            error=gettext_("The application is not complete."),
            fields={k: translate(msgid, **params) for k, (msgid, params) in exc.errors.items()},
        ).model_dump(exclude_none=True), 400)
    except cases.MissingInput as exc:
        return JSONResponse(s.ErrorOut(error=gettext_(exc.message),
                                       fields={exc.field: gettext_(exc.message)})
                            .model_dump(exclude_none=True), 400)
    except cases.NotAllowed:
        return error(403, "You may not take this action on this case.")
    except IllegalTransition as exc:
        return error(409, "This action is not possible while the case is “{status}”.",
                     status=exc.status.value)


@public
@spec.validate(query=s.SuggestQuery, resp=Resp(HTTP_200=s.SuggestionsOut, HTTP_400=s.ErrorOut),
               tags=["bodies"], security={})
async def body_suggestions(request: Request) -> Response:
    """Mediation bodies ranked for a dispute type and area, with the reasons."""
    q: s.SuggestQuery = request.context.query  # type: ignore[attr-defined]
    if q.dispute_type not in DISPUTE_TYPES:
        return JSONResponse(s.ErrorOut(
            error=gettext_("Some fields are missing or invalid."),
            fields={"dispute_type": gettext_("Choose a dispute type from the list.")},
        ).model_dump(exclude_none=True), 400)

    def work(session: Session) -> s.SuggestionsOut:
        found = suggest_bodies(session, dispute_type=q.dispute_type, area_id=q.area_id,
                               limit=q.limit)
        return s.SuggestionsOut(items=[s.SuggestionOut(
            body_id=x.body.id, name=x.body.name, level=x.body.level.value, score=x.score,
            reasons=[translate(r.msgid, **r.params) for r in x.reasons]) for x in found])

    return ok(await in_db(work))


@public
async def openapi(request: Request) -> Response:
    return JSONResponse(spec.spec)


ROUTES = [
    Route("/api/v1/openapi.json", openapi, name="api_openapi"),
    Route("/api/v1/auth/token", token, methods=["POST"], name="api_token"),
    Route("/api/v1/auth/refresh", refresh, methods=["POST"], name="api_refresh"),
    Route("/api/v1/me", me, name="api_me"),
    Route("/api/v1/cases", case_list, name="api_cases"),
    Route("/api/v1/cases/{number}", case_detail, name="api_case"),
    Route("/api/v1/cases/{number}/actions", case_action, methods=["POST"], name="api_case_action"),
    Route("/api/v1/bodies/suggestions", body_suggestions, name="api_body_suggestions"),
]
