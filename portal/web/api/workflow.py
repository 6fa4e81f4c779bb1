"""API operations of the application and review workflow, over the same services as the
pages: the application form's steps, referral, mediator choice and answer, the
respondent's answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spectree import Response as Resp
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.cases import application, assignment, consent, review
from portal.cases import services as cases
from portal.cases.application_fields import StepInvalid
from portal.cases.models import Case
from portal.cases.states import IllegalTransition
from portal.i18n import gettext_, translate
from portal.web.api import schemas as s
from portal.web.api.spec import spec
from portal.web.api.views import ERRORS, case_out, error, json_body, ok
from portal.web.deps import in_db, load_user
from portal.web.security import requires, user_of
from portal.web.views import evidence as evidence_views

CONFLICT = {"HTTP_400": s.ErrorOut, "HTTP_409": s.ErrorOut, **ERRORS}


def _fields(errors: dict[str, tuple[str, dict[str, str]]]) -> JSONResponse:
    return JSONResponse(s.ErrorOut(
        error=gettext_("Some fields are missing or invalid."),
        fields={k: translate(msgid, **params) for k, (msgid, params) in errors.items()},
    ).model_dump(exclude_none=True), 400)


async def _guarded(work: Callable[[Session], Any], status: int = 200) -> Response:
    """Run ``work`` in one transaction and turn domain errors into API errors."""
    try:
        return ok(await in_db(work), status)
    except StepInvalid as exc:
        return _fields(exc.errors)
    except cases.MissingInput as exc:
        return _fields({exc.field: (exc.message, exc.params)})
    except (cases.NotAllowed, application.NotADraft):
        return error(403, "You may not take this action on this case.")
    except application.DraftNotFound:
        return error(404, "The page does not exist, or you do not have access to it.")
    except IllegalTransition as exc:
        return error(409, "This action is not possible while the case is “{status}”.",
                     status=exc.status.value)


def _application_out(case: Case) -> s.ApplicationOut:
    return s.ApplicationOut(number=case.number, status=case.status,
                            step=application.resume_step(case),
                            missing_steps=[step for step, _ in application.missing(case)])


@requires(Role.PARTY)
@spec.validate(json=s.ApplicationStartIn, resp=Resp(HTTP_201=s.ApplicationOut, **CONFLICT),
               tags=["applications"])
async def start(request: Request) -> Response:
    """Start an application (its first step); the same create_key returns the same draft."""
    data, current = json_body(request, s.ApplicationStartIn), user_of(request)

    def work(session: Session) -> s.ApplicationOut:
        case = application.start(session, applicant=load_user(session, current),
                                 create_key=data.create_key, values=data.values)
        session.flush()
        return _application_out(case)

    return await _guarded(work, 201)


@requires(Role.PARTY)
@spec.validate(json=s.ApplicationStepIn, resp=Resp(HTTP_200=s.ApplicationOut, **CONFLICT),
               tags=["applications"])
async def save_step(request: Request) -> Response:
    """Save one step of a draft application (type, parties, respondents, claims, evidence,
    body); submit it with the case action ``submit`` and both consents."""
    data, current = json_body(request, s.ApplicationStepIn), user_of(request)
    number, step = request.path_params["number"], request.path_params["step"]
    if step not in application.STEPS or step == "review":
        return error(404, "The page does not exist, or you do not have access to it.")

    def work(session: Session) -> s.ApplicationOut:
        case = application.load_own(session, number=number, user=load_user(session, current))
        application.save_step(session, case=case, step=step, values=data.values)
        return _application_out(case)

    return await _guarded(work)


def _on_case(request: Request, act: Callable[[Session, Case, User], object]) -> Callable[
        [Session], s.CaseOut]:
    number = request.path_params["number"]
    current = user_of(request)

    def work(session: Session) -> s.CaseOut:
        case, _ = case_out(session, request, number)
        act(session, case, load_user(session, current))
        session.flush()
        return case_out(session, request, number, after_action=True)[1]

    return work


@requires(Role.BODY_ADMIN, Role.DISPATCHER)
@spec.validate(json=s.ReferralIn, resp=Resp(HTTP_200=s.CaseOut, **CONFLICT), tags=["review"])
async def refer(request: Request) -> Response:
    """Refer a submitted or accepted case to another body or level."""
    data = json_body(request, s.ReferralIn)
    return await _guarded(_on_case(request, lambda session, case, user: review.refer(
        session, case=case, actor=user, body_id=data.body_id, reason=data.reason)))


@requires(Role.PARTY)
@spec.validate(json=s.MediatorChoiceIn, resp=Resp(HTTP_200=s.CaseOut, **CONFLICT),
               tags=["mediators"])
async def choose_mediator(request: Request) -> Response:
    """A party's pick for the joint choice of mediator."""
    data = json_body(request, s.MediatorChoiceIn)
    return await _guarded(_on_case(request, lambda session, case, user: assignment.choose(
        session, case=case, actor=user, mediator_id=data.mediator_id)))


@requires(Role.MEDIATOR)
@spec.validate(json=s.MediatorAnswerIn, resp=Resp(HTTP_200=s.CaseOut, **CONFLICT),
               tags=["mediators"])
async def mediator_answer(request: Request) -> Response:
    """The appointed mediator accepts (declaring no conflict of interest) or declines."""
    data = json_body(request, s.MediatorAnswerIn)
    return await _guarded(_on_case(request, lambda session, case, user: assignment.answer(
        session, case=case, actor=user, accept=data.accept, no_conflict=data.no_conflict,
        conflict=data.conflict, reason=data.reason)))


@requires(Role.PARTY, Role.BODY_ADMIN)
@spec.validate(json=s.RespondentAnswerIn, resp=Resp(HTTP_200=s.CaseOut, **CONFLICT),
               tags=["review"])
async def respondent_answer(request: Request) -> Response:
    """A respondent with an account agrees to mediation or refuses it."""
    data = json_body(request, s.RespondentAnswerIn)
    return await _guarded(_on_case(request, lambda session, case, user: (
        consent.answer_in_portal(session, case=case, user=user, agree=data.agree,
                                 reason=data.reason))))


# Grid workers add the photos of disputes they reported (cases.evidence.may_upload).
@requires(Role.PARTY, Role.MEDIATOR, Role.BODY_ADMIN, Role.GRID_WORKER)
@spec.validate(form=s.EvidenceForm, resp=Resp(HTTP_201=s.EvidenceOut, HTTP_413=s.ErrorOut,
                                             HTTP_415=s.ErrorOut, **CONFLICT),
               skip_validation=True, tags=["evidence"])
async def upload_evidence(request: Request) -> Response:
    """Upload one evidence file; it streams to storage with the size limits and content
    check of the case page, and the answer carries its SHA-256."""
    # The streaming reader checks the body itself; spectree only documents it.
    return await evidence_views.evidence_upload(request)


ROUTES = [
    Route("/api/v1/cases/{number}/evidence", upload_evidence, methods=["POST"],
          name="api_evidence_upload"),
    Route("/api/v1/applications", start, methods=["POST"], name="api_application_start"),
    Route("/api/v1/applications/{number}/{step}", save_step, methods=["PUT"],
          name="api_application_step"),
    Route("/api/v1/cases/{number}/referral", refer, methods=["POST"], name="api_referral"),
    Route("/api/v1/cases/{number}/mediator-choice", choose_mediator, methods=["POST"],
          name="api_mediator_choice"),
    Route("/api/v1/cases/{number}/mediator-answer", mediator_answer, methods=["POST"],
          name="api_mediator_answer"),
    Route("/api/v1/cases/{number}/respondent-answer", respondent_answer, methods=["POST"],
          name="api_respondent_answer"),
]
