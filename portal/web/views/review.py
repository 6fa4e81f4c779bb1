"""The body's review (accept, decline, refer), and the applicant's choice of another body."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.labels import KIND_LABELS, LEVEL_LABELS
from portal.bodies.models import MediationBody
from portal.bodies.services import accepts
from portal.cases import access, consent, review
from portal.cases import services as cases
from portal.cases.models import Case
from portal.cases.states import Actor, IllegalTransition, Status, Trigger
from portal.i18n import gettext_, translate
from portal.web import panels
from portal.web.deps import in_db
from portal.web.flash import flash
from portal.web.forms import Form, echo, read_form
from portal.web.security import requires, user_of
from portal.web.templating import env, render
from portal.web.views.case_forms import int_field, panel_context, run, visible_case

PANEL = "review"
# Triggers with their own forms in panels; the case page's generic action list skips them.
PANEL_TRIGGERS = frozenset({
    Trigger.ACCEPT, Trigger.DECLINE, Trigger.REFER, Trigger.RESUBMIT,
    Trigger.CONTACT_RESPONDENT, Trigger.RESPONDENT_AGREE, Trigger.RESPONDENT_REFUSE,
    Trigger.ASSIGN_MEDIATOR, Trigger.REASSIGN_MEDIATOR, Trigger.START_MEDIATION,
})
env.globals["panel_triggers"] = PANEL_TRIGGERS


def body_label(body: MediationBody) -> str:
    return f"{body.name} · {gettext_(LEVEL_LABELS[body.level])} · {body.area.name}"


def _panel(session: Session, case: Case, user: User) -> dict[str, Any] | None:
    capacities = access.capacities(session, case, user)
    body, status = Actor.BODY in capacities, case.status
    can_review = body and status is Status.SUBMITTED
    can_refer = bool(capacities & {Actor.BODY, Actor.DISPATCHER}) and status in (
        Status.SUBMITTED, Status.ACCEPTED)
    can_contact = body and status is Status.ACCEPTED
    can_choose_body = Actor.APPLICANT in capacities and status is Status.DECLINED
    if not (can_review or can_refer or can_contact or can_choose_body):
        return None
    targets = review.referral_targets(session, case) if can_refer else []
    return panel_context(
        PANEL, number=case.number, can_review=can_review, can_refer=can_refer,
        can_contact=can_contact, can_choose_body=can_choose_body,
        contactable=any(p.phone for p in consent.respondents(case)),
        targets=[(b.id, body_label(b)) for b in targets])


panels.register(panels.Panel(name=PANEL, template="review/_review.html", order=5,
                             column="side", collect=_panel))


@requires(Role.BODY_ADMIN)
async def accept(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        review.accept(session, case=case, actor=user)

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("The case was accepted."))


@requires(Role.BODY_ADMIN)
async def decline(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        review.decline(session, case=case, actor=user, reason=form.get("reason"))

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("The case was declined; the applicant has been told."))


@requires(Role.BODY_ADMIN, Role.DISPATCHER)
async def refer(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        review.refer(session, case=case, actor=user, body_id=int_field(form, "body_id"),
                     reason=form.get("reason"))

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("The case was referred to the other body."))


@requires(Role.BODY_ADMIN)
async def contact(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        consent.contact_respondents(session, case=case, actor=user)

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("The respondents were sent their invitation."))


@requires(Role.PARTY)
async def another_body(request: Request) -> Response:
    """The applicant of a declined case chooses another body."""
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request) if request.method == "POST" else Form()

    def page(session: Session) -> dict[str, Any]:
        case, user = visible_case(session, current, number)
        if Actor.APPLICANT not in access.capacities(session, case, user):
            raise HTTPException(403)
        suggested = review.other_bodies(session, case) if case.status is Status.DECLINED else []
        shown = {s.body.id for s in suggested}
        others = [b for b in review.referral_targets(session, case)
                  if b.id not in shown and accepts(b, case.dispute_type)]
        return {"case": case, "declined": case.status is Status.DECLINED,
                "suggested": [_card(s.body, [translate(r.msgid, **r.params)
                                             for r in s.reasons]) for s in suggested],
                "others": [_card(b, []) for b in others]}

    if request.method == "GET":
        return render(request, "review/another_body.html", {**await in_db(page), "form": form,
                                                           "values": {}})

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        review.resubmit(session, case=case, actor=user, body_id=int_field(form, "body_id"),
                        reason=form.get("note"))

    try:
        await in_db(work)
    except cases.MissingInput as exc:
        form.error(exc.field, exc.message)
        return render(request, "review/another_body.html",
                      {**await in_db(page), "form": form, "values": echo(form)}, 400)
    except cases.NotAllowed:
        raise HTTPException(403) from None
    except IllegalTransition:
        form.error("body_id", "This case is not waiting for a new body any more.")
        return render(request, "review/another_body.html",
                      {**await in_db(page), "form": form, "values": echo(form)}, 409)
    flash(request, gettext_("The case was sent to the new body for review."))
    return RedirectResponse(f"/cases/{number}", status_code=303)


def _card(body: MediationBody, reasons: list[str]) -> dict[str, Any]:
    return {"id": body.id, "name": body.name, "level": gettext_(LEVEL_LABELS[body.level]),
            "kind": gettext_(KIND_LABELS[body.kind]), "area": body.area.name,
            "address": body.address, "reasons": reasons}


ROUTES = [
    Route("/cases/{number}/review/accept", accept, methods=["POST"], name="review_accept"),
    Route("/cases/{number}/review/decline", decline, methods=["POST"], name="review_decline"),
    Route("/cases/{number}/review/refer", refer, methods=["POST"], name="review_refer"),
    Route("/cases/{number}/review/contact", contact, methods=["POST"], name="review_contact"),
    Route("/cases/{number}/another-body", another_body, methods=["GET", "POST"],
          name="another_body"),
]
