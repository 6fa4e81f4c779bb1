"""The respondent's link: identity check, the application, and the answer; consent panel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts import tokens
from portal.accounts.codes import TooManyRequests
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField
from portal.audit import services as audit
from portal.cases import access, consent, respondent_accounts
from portal.cases import evidence as ev
from portal.cases import services as cases
from portal.cases.models import Case, CaseParticipant, RespondentInvite
from portal.cases.states import LABELS as STATUS_LABELS
from portal.cases.states import Actor, Status, Trigger
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.models import DeadlineKind
from portal.i18n import N_, gettext_, translate
from portal.web import panels
from portal.web.auth import cookie_headers
from portal.web.deps import client_address, current_user, in_db
from portal.web.flash import flash
from portal.web.forms import Form, echo, read_form
from portal.web.security import public, requires, user_of
from portal.web.templating import render
from portal.web.views.case_forms import int_field, panel_context, run, visible_case

PANEL = "respondents"
ENDED_BY = frozenset({Trigger.RESPONDENT_REFUSE, Trigger.RESPONDENT_TIMEOUT})


def _link_error(request: Request, exc: consent.LinkInvalid) -> Response:
    title = N_("Link not valid") if exc.status == 404 else N_("Link no longer usable")
    return render(request, "errors/error.html", {
        "status": exc.status, "title": gettext_(title), "message": gettext_(exc.message),
    }, exc.status)


def _verify_context(session: Session, token: str) -> dict[str, Any]:
    row = consent.find_invite(session, token)
    phone = row.participant.phone
    return {"token": token, "masked": f"{phone[:3]}****{phone[-4:]}",
            "asks_id": consent.asks_id_number(row.participant),
            "number": session.get(Case, row.case_id).number,  # type: ignore[union-attr]
            "expires": row.expires_at}


def _application(session: Session, token: str, user_id: int | None) -> dict[str, Any] | None:
    """The application for the respondent's own account; None to ask for identity first."""
    row = consent.find_invite(session, token)
    if user_id is None or row.participant.user_id != user_id:
        return None
    case = session.execute(select(Case).where(Case.id == row.case_id).options(
        selectinload(Case.body), selectinload(Case.participants), selectinload(Case.claims),
    )).scalar_one()
    return {"token": token, "case": case, "invite": row, "claims": list(case.claims),
            "evidence": {"number": case.number, "files": ev.files_of(session, case),
                         "may_upload": False, "full": False, "left": "", "next": ""}}


@public
async def respond(request: Request) -> Response:
    token = request.path_params["token"]
    me = current_user(request)
    try:
        found = await in_db(_application, token, me.id if me else None)
        if found is not None:
            return render(request, "respond/application.html",
                          {**found, "form": Form(), "values": {}})
        ctx = await in_db(_verify_context, token)
    except consent.LinkInvalid as exc:
        return _link_error(request, exc)
    return render(request, "respond/verify.html", {**ctx, "form": Form(), "values": {}})


@public
async def send_code(request: Request) -> Response:
    token = request.path_params["token"]
    form = await read_form(request, secret=("code",))
    try:
        masked = await in_db(lambda s: consent.send_code(s, token=token,
                                                         client=client_address(request)))
        ctx = await in_db(_verify_context, token)
    except consent.LinkInvalid as exc:
        return _link_error(request, exc)
    except TooManyRequests as exc:
        form.error("code", exc.message)
        ctx = await in_db(_verify_context, token)
        return render(request, "respond/verify.html",
                      {**ctx, "form": form, "values": echo(form)}, 429)
    notice = translate("A code was sent to {phone}. It is valid for 5 minutes.", phone=masked)
    return render(request, "respond/verify.html", {**ctx, "form": form, "values": echo(form),
                                                   "notice": notice, "code_sent": True})


@public
async def verify(request: Request) -> Response:
    token = request.path_params["token"]
    form = await read_form(request, secret=("code",))
    form.require("name", "code")
    identity = consent.Identity(form.get("name"), form.get("id_last4"), form.get("code"))

    def work(session: Session) -> tokens.IssuedTokens:
        user = consent.verify(session, token=token, identity=identity)
        issued = tokens.start_session(session, user,
                                      user_agent=request.headers.get("user-agent", ""))
        audit.append(session, kind="security", action="login", subject=f"user:{user.id}",
                     actor_id=user.id, data={"client": client_address(request),
                                             "via": "respondent link"})
        return issued

    try:
        ctx = await in_db(_verify_context, token)
        if ctx["asks_id"] and not form.get("id_last4").strip():
            form.error("id_last4", "This field is required.")
        if not form.ok:
            return render(request, "respond/verify.html",
                          {**ctx, "form": form, "values": echo(form)}, 400)
        issued = await in_db(work)
    except consent.LinkInvalid as exc:
        return _link_error(request, exc)
    except InvalidField as exc:
        form.error(exc.field, exc.message)
        return render(request, "respond/verify.html",
                      {**ctx, "form": form, "values": echo(form)}, 400)
    response = RedirectResponse(f"/respond/{token}", status_code=303)
    for value in cookie_headers(issued):
        response.headers.append("set-cookie", value)
    return response


@public
async def answer(request: Request) -> Response:
    token = request.path_params["token"]
    me = current_user(request)
    form = await read_form(request)
    if form.get("decision") not in ("agree", "refuse"):
        raise HTTPException(400, gettext_("Choose whether you agree to mediation."))
    if me is None:
        return RedirectResponse(f"/respond/{token}", status_code=303)
    agree = form.get("decision") == "agree"

    def work(session: Session) -> str:
        user = session.get(User, me.id)
        assert user is not None
        row = consent.find_invite(session, token)
        consent.answer(session, token=token, user=user, agree=agree,
                       reason=form.get("reason"))
        return session.get(Case, row.case_id).number  # type: ignore[union-attr]

    try:
        number = await in_db(work)
    except consent.LinkInvalid as exc:
        return _link_error(request, exc)
    except cases.NotAllowed:
        return RedirectResponse(f"/respond/{token}", status_code=303)
    flash(request, gettext_(_DONE[agree]))
    return RedirectResponse(f"/cases/{number}", status_code=303)


_DONE = {
    True: N_("Thank you: you agreed to mediation. The parties may now choose a mediator."),
    False: N_("Your answer was recorded: you do not agree to mediation, so mediation ends."),
}


@requires(Role.PARTY)
async def answer_in_portal(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        consent.answer_in_portal(session, case=case, user=user,
                                 agree=_decision(form), reason=form.get("reason"))

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_(_DONE[form.get("decision") == "agree"]))


@requires(Role.PARTY)
async def first_password(request: Request) -> Response:
    """A respondent whose account the link opened sets a password to log in later."""
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request, secret=("password", "password2"))

    def work(session: Session) -> None:
        _, user = visible_case(session, current, number)
        respondent_accounts.set_first_password(session, user=user, password=form.get("password"),
                                               repeat=form.get("password2"))

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("Your password is set. Log in with your phone number and "
                                   "this password from now on."))


@requires(Role.BODY_ADMIN)
async def record_answer(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        consent.answer_in_portal(session, case=case, user=user, agree=_decision(form),
                                 reason=form.get("reason"),
                                 participant_id=int_field(form, "participant_id") or 0)

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("The respondent's answer was recorded."))


def _decision(form: Form) -> bool:
    if form.get("decision") not in ("agree", "refuse"):
        raise cases.MissingInput("decision", N_("Choose whether the respondent agrees to "
                                                "mediation."))
    return form.get("decision") == "agree"


def _state(row: RespondentInvite | None, status: Status, now: Any) -> str:
    if row is None:
        return (N_("Not invited: no mobile phone number") if status is
                Status.AWAITING_RESPONDENT else N_("Not contacted yet"))
    if row.answer == consent.AGREE:
        return N_("Agreed to mediation")
    if row.answer == consent.REFUSE:
        return N_("Refused mediation")
    if row.used_at is None:
        return N_("Invited; the answer is awaited") if row.expires_at > now else N_(
            "Did not answer in time")
    return N_("Did not answer")


def _panel(session: Session, case: Case, user: User) -> dict[str, Any] | None:
    invites = consent.invites_of(session, case.id)
    waiting = case.status is Status.AWAITING_RESPONDENT
    last = case.events[-1] if case.events else None
    ended = case.status is Status.MEDIATION_FAILED and last is not None and (
        last.trigger in ENDED_BY)
    if not (invites or waiting or ended or respondent_accounts.needs_password(user)):
        return None
    capacities, now = access.capacities(session, case, user), utcnow()
    latest: dict[int, RespondentInvite] = {i.participant_id: i for i in invites}
    people: list[CaseParticipant] = consent.respondents(case)
    rows = [(p.name, gettext_(_state(latest.get(p.id), case.status, now)),
             latest[p.id].used_at or latest[p.id].created_at if p.id in latest else None)
            for p in people]
    mine = next((p for p in people if p.user_id == user.id), None)
    unanswered = [(p.id, p.name) for p in people
                  if p.id not in latest or latest[p.id].answer is None]
    due = deadlines.current(session, case.id, DeadlineKind.RESPONDENT)
    return panel_context(
        PANEL, number=case.number, rows=rows, due=due.due_at if due else None,
        may_answer=waiting and Actor.RESPONDENT in capacities and mine is not None and (
            mine.id not in latest or latest[mine.id].answer is None),
        may_record=waiting and Actor.BODY in capacities and bool(unanswered),
        unanswered=unanswered, ended=ended, ended_by=last.trigger if ended and last else None,
        is_applicant=Actor.APPLICANT in capacities,
        set_password=Actor.RESPONDENT in capacities and respondent_accounts.needs_password(user),
        status_label=gettext_(STATUS_LABELS[case.status]))


panels.register(panels.Panel(name=PANEL, template="respond/_panel.html", order=15,
                             column="side", collect=_panel))

ROUTES = [
    Route("/respond/{token}", respond, name="respond"),
    Route("/respond/{token}/code", send_code, methods=["POST"], name="respond_code"),
    Route("/respond/{token}/verify", verify, methods=["POST"], name="respond_verify"),
    Route("/respond/{token}/answer", answer, methods=["POST"], name="respond_answer"),
    Route("/cases/{number}/consent", answer_in_portal, methods=["POST"], name="consent_answer"),
    Route("/cases/{number}/consent/record", record_answer, methods=["POST"],
          name="consent_record"),
    Route("/cases/{number}/consent/password", first_password, methods=["POST"],
          name="consent_password"),
]
