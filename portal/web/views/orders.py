"""Work orders: the dispatcher's board, the order page, and the moves on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField
from portal.analytics import risk
from portal.bodies.labels import LEVEL_LABELS
from portal.bodies.models import Level
from portal.cases import access
from portal.cases import services as cases
from portal.cases.states import LABELS as STATUS_LABELS
from portal.cases.states import IllegalTransition
from portal.dispatch import board, duplicates, services
from portal.dispatch.labels import PRIORITY_LABELS, STEP_LABELS
from portal.dispatch.models import OUTBOUND, Department, Performance, Priority, Step, WorkOrder
from portal.i18n import gettext_, translate
from portal.web.deps import CurrentUser, in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, echo, read_form
from portal.web.pagination import page_number
from portal.web.security import requires, user_of
from portal.web.templating import render
from portal.web.views.case_forms import int_field, run, visible_case
from portal.web.views.order_page import order_context

STAFF = (Role.DISPATCHER, Role.BODY_ADMIN, Role.GRID_WORKER, Role.ADMIN)
PER_PAGE = 25


@requires(*STAFF)
async def order_board(request: Request) -> Response:
    current = user_of(request)
    params = request.query_params
    step = params.get("step", "")
    step_filter = Step(step) if step in set(Step) and step != Step.CLOSED else None
    overdue_only = params.get("overdue") == "1"
    mine = params.get("owner") == "me"
    number = page_number(request)

    def work(session: Session) -> dict[str, Any]:
        user = load_user(session, current)
        page = board.board(session, user, step=step_filter, owner="me" if mine else None,
                           overdue_only=overdue_only, page=number, per_page=PER_PAGE)
        return {"page": page, "counts": board.counts_by_step(session, user),
                "risks": risk.scores_seen_by(session, user.role,
                                             [r.order.case_id for r in page.items]),
                "can_intake": user.role in (Role.DISPATCHER, Role.ADMIN),
                "can_report": user.role in (Role.GRID_WORKER, Role.DISPATCHER)}

    data = await in_db(work)
    query = urlencode({k: v for k, v in {"step": step_filter.value if step_filter else "",
                                         "overdue": "1" if overdue_only else "",
                                         "owner": "me" if mine else ""}.items() if v})
    return render(request, "orders/board.html", {
        **data, "step": step_filter.value if step_filter else "", "overdue": overdue_only,
        "mine": mine, "steps": [s for s in Step if s is not Step.CLOSED],
        "step_label": lambda s: gettext_(STEP_LABELS[Step(s)]),
        "priority_label": lambda p: gettext_(PRIORITY_LABELS[Priority(p)]),
        "level_label": lambda level: gettext_(LEVEL_LABELS[Level(level)]),
        "pager_base": f"/orders?{query}&" if query else "/orders?",
        "now": dt.datetime.now(dt.UTC),
    })


def visible_order(session: Session, current: CurrentUser, order_id: str) -> tuple[WorkOrder,
                                                                                   User]:
    user = load_user(session, current)
    order = services.get_order(session, int(order_id)) if order_id.isdigit() else None
    # Another area's order answers 404: its existence is not disclosed.
    if order is None or not (access.can_view(session, order.case, user)
                             or services.can_manage(session, order, user)):
        raise HTTPException(404)
    return order, user


async def _order_page(request: Request, current: CurrentUser, order_id: str, *,
                      form: Form | None = None, status: int = 200) -> Response:
    def work(session: Session) -> dict[str, Any]:
        order, user = visible_order(session, current, order_id)
        return order_context(session, order, user)

    context = await in_db(work)
    form = form or Form()
    return render(request, "orders/detail.html", {**context, "form": form,
                                                  "typed": echo(form)}, status)


@requires(*STAFF)
async def order_detail(request: Request) -> Response:
    return await _order_page(request, user_of(request), request.path_params["order_id"])


Action = Callable[[Session, WorkOrder, User, Form], object]


class WrongStep(Exception):
    def __init__(self, step: Step) -> None:
        super().__init__(step.value)
        self.step = step


def _action(action: Action, done: str, *roles: Role) -> Any:
    """A POST endpoint that runs ``action`` on the order in one transaction."""

    @requires(*(roles or STAFF))
    async def endpoint(request: Request) -> Response:
        current, order_id = user_of(request), request.path_params["order_id"]
        form = await read_form(request)

        def work(session: Session) -> None:
            order, user = visible_order(session, current, order_id)
            try:
                action(session, order, user, form)
            except cases.NotAllowed:
                # Theirs, but not at this step: someone else moved it on meanwhile.
                if services.can_manage(session, order, user):
                    raise WrongStep(order.step) from None
                raise

        try:
            await in_db(work)
        except WrongStep as exc:
            raise HTTPException(409, translate(
                "This work order is at another step now ({step}); this action is not "
                "possible. Reload the page.", step=gettext_(STEP_LABELS[exc.step]))) from None
        except (cases.MissingInput, InvalidField) as exc:
            form.error(exc.field, exc.message, **getattr(exc, "params", {}))
            return await _order_page(request, current, order_id, form=form, status=400)
        except cases.NotAllowed:
            raise HTTPException(403, gettext_(
                "You cannot do this with this work order: it is not yours at this step."),
            ) from None
        except IllegalTransition as exc:
            raise HTTPException(409, translate(
                "This action is no longer possible: the case is now “{status}”. Reload the "
                "page.", status=gettext_(STATUS_LABELS[exc.status]))) from None
        flash(request, gettext_(done))
        return RedirectResponse(f"/orders/{order_id}", status_code=303)

    return endpoint


def _day(form: Form, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(form.get(name).strip())
    except ValueError:
        raise cases.MissingInput(name, "Enter a date as YYYY-MM-DD.") from None


def _dispatch(session: Session, order: WorkOrder, user: User, form: Form) -> object:
    # The "another body" list wins over the suggestions' radio buttons when used.
    body_id = int_field(form, "body_other") or int_field(form, "body_id")
    return services.dispatch(session, order=order, body_id=body_id, actor=user,
                             note=form.get("note").strip())


def _return(session: Session, order: WorkOrder, user: User, form: Form) -> object:
    return services.return_order(session, order=order, actor=user, reason=form.get("reason"))


def _escalate(session: Session, order: WorkOrder, user: User, form: Form) -> object:
    return services.escalate(session, order=order, actor=user, reason=form.get("reason"))


def _transfer(session: Session, order: WorkOrder, user: User, form: Form) -> object:
    raw = form.get("department")
    if raw not in {d.value for d in OUTBOUND}:
        raise cases.MissingInput("department", "Choose where the dispute is sent.")
    return services.transfer_out(session, order=order, actor=user, department=Department(raw),
                                 recipient=form.get("recipient").strip()[:200],
                                 reason=form.get("reason"))


def _follow_up(session: Session, order: WorkOrder, user: User, form: Form) -> object:
    raw = form.get("performance")
    if raw not in set(Performance):
        raise cases.MissingInput("performance", "Say whether the agreement is being carried "
                                                "out.")
    return services.record_follow_up(session, order=order, actor=user,
                                     visited_on=_day(form, "visited_on"),
                                     result=form.get("result"), performance=Performance(raw))


def _rate(session: Session, order: WorkOrder, user: User, form: Form) -> object:
    score = int_field(form, "score")
    if score is None:
        raise cases.MissingInput("score", "Choose a score from 1 to 5.")
    return services.rate(session, order=order, actor=user,
                         party_name=form.get("party_name").strip()[:100], score=score,
                         comment=form.get("comment").strip()[:2000],
                         participant_id=int_field(form, "participant_id"))


def _finish(session: Session, order: WorkOrder, user: User, form: Form) -> object:
    services.finish_follow_up(session, order=order, actor=user)
    return None


def _close(session: Session, order: WorkOrder, user: User, form: Form) -> object:
    return services.close(session, order=order, actor=user, note=form.get("note").strip())


def _merge(session: Session, order: WorkOrder, user: User, form: Form) -> object:
    into = services.get_order(session, int_field(form, "into_id") or 0)
    if into is None:
        raise cases.MissingInput("into_id", "Choose the order this one repeats.")
    duplicates.merge(session, order=order, into=into, actor=user, reason=form.get("reason"))
    return None


def _accept(session: Session, order: WorkOrder, user: User, form: Form) -> object:
    return services.accept(session, order=order, actor=user)


@requires(Role.PARTY)
async def party_rating(request: Request) -> Response:
    """A party rates the handling of its dispute, from the case page."""
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        order = services.order_of(session, case.id)
        if order is None:
            raise HTTPException(404)
        party = next((p for p in case.participants if p.user_id == user.id), None)
        score = int_field(form, "score")
        if score is None:
            raise cases.MissingInput("score", "Choose a score from 1 to 5.")
        services.rate(session, order=order, actor=user, party_name=party.name if party else "",
                      score=score, comment=form.get("comment").strip()[:2000],
                      participant_id=party.id if party else None)

    return await run(request, current, number, panel="order", form=form, work=work,
                     done=gettext_("Thank you: your answer was recorded."))


D, B = Role.DISPATCHER, Role.BODY_ADMIN
ROUTES = [
    Route("/cases/{number}/rating", party_rating, methods=["POST"], name="party_rating"),
    Route("/orders", order_board, name="order_board"),
    Route("/orders/{order_id}", order_detail, name="order_detail"),
    Route("/orders/{order_id}/dispatch", _action(
        _dispatch, "The order was sent to the body.", D), methods=["POST"]),
    Route("/orders/{order_id}/accept", _action(
        _accept, "The order was accepted.", B), methods=["POST"]),
    Route("/orders/{order_id}/return", _action(
        _return, "The order was returned to the centre.", B), methods=["POST"]),
    Route("/orders/{order_id}/escalate", _action(
        _escalate, "The order was escalated to the next level.", D, B),
        methods=["POST"]),
    Route("/orders/{order_id}/transfer", _action(
        _transfer, "The dispute was transferred; the parties have been told.", D, B),
        methods=["POST"]),
    Route("/orders/{order_id}/follow-up", _action(
        _follow_up, "The follow-up visit was recorded.", D, B), methods=["POST"]),
    Route("/orders/{order_id}/rating", _action(
        _rate, "The satisfaction score was recorded.", D, B), methods=["POST"]),
    Route("/orders/{order_id}/finish", _action(
        _finish, "The order was sent to the centre for review.", D, B), methods=["POST"]),
    Route("/orders/{order_id}/close", _action(
        _close, "The order was closed.", D, Role.ADMIN), methods=["POST"]),
    Route("/orders/{order_id}/merge", _action(
        _merge, "The duplicate was merged.", D), methods=["POST"]),
]
