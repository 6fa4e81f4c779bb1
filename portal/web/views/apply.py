"""The guided online application (/apply): one page per step, a review, and the receipt.

Every step works without JavaScript: rows are added and removed by the server, Back is a
link, and each Next saves the draft so the applicant can leave and resume from "My cases".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.cases import application
from portal.cases.application import CREATE_KEY, STEP_LABELS, STEPS
from portal.cases.application_fields import MAX_CLAIMS, MAX_RESPONDENTS, StepInvalid, row_indices
from portal.cases.models import Case
from portal.cases.states import IllegalTransition, Status
from portal.i18n import gettext_, translate
from portal.web.deps import CurrentUser, in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, echo, form_from
from portal.web.security import Endpoint, requires, user_of
from portal.web.templating import render
from portal.web.views import apply_pages

# Row steps: the prefix of their field names, the most rows a form takes, and the field
# that a newly added, still empty row starts with.
ROWS = {"respondents": ("r", MAX_RESPONDENTS), "claims": ("c", MAX_CLAIMS)}
NEW_ROW = {"r": ("kind", "person"), "c": ("description", "")}


async def _read(request: Request) -> Form:
    async with request.form(max_files=0, max_fields=300) as data:
        return form_from(data)


def _into(form: Form, exc: StepInvalid) -> None:
    for name, (msgid, params) in exc.errors.items():
        form.errors.setdefault(name, translate(msgid, **params))


def _own(session: Session, current: CurrentUser, number: str) -> tuple[User, Case]:
    user = load_user(session, current)
    try:
        return user, application.load_own(session, number=number, user=user)
    except application.DraftNotFound:
        raise HTTPException(404) from None


def _moved_on(case: Case) -> str:
    return (f"/apply/{case.number}/receipt" if case.submitted_at is not None
            else f"/cases/{case.number}")


def _page(request: Request, step: str, ctx: dict[str, Any], form: Form,
          values: dict[str, str], status: int = 200) -> Response:
    rows: list[int] = []
    if step in ROWS:
        rows = row_indices(values, ROWS[step][0]) or [0]
    number = ctx.get("number")
    return render(request, f"apply/{step}.html", {
        **ctx, "step": step, "steps": STEPS, "step_labels": STEP_LABELS, "form": form,
        "values": values, "rows": rows, "max_rows": ROWS[step][1] if step in ROWS else 0,
        "back": application.step_before(step),
        "action": f"/apply/{number}/{step}" if number else "/apply",
    }, status)


async def _context(current: CurrentUser, number: str | None, step: str,
                   query: dict[str, str]) -> dict[str, Any] | str:
    """The step's context, the saved values under "saved"; a URL when it is not a draft."""
    def work(session: Session) -> dict[str, Any] | str:
        if number is None:
            return {"reached": STEPS[0], "saved": {}, **apply_pages.extras(
                session, None, step, query)}
        user, case = _own(session, current, number)
        if case.status is not Status.DRAFT:
            return _moved_on(case)
        return {"case": case, "number": case.number, "title": case.title,
                "reached": application.resume_step(case),
                "saved": apply_pages.saved_values(case, step, user),
                **apply_pages.extras(session, case, step, query)}
    return await in_db(work)


def _rows_changed(form: Form, step: str) -> bool:
    """Add or remove a row of a row step; the page is shown again, nothing is saved."""
    if step not in ROWS:
        return False
    prefix, limit = ROWS[step]
    rows = row_indices(form.values, prefix)
    if form.get("add") == prefix:
        if len(rows) < limit:
            name, value = NEW_ROW[prefix]
            form.values[f"{prefix}-{max(rows, default=-1) + 1}-{name}"] = value
        return True
    removed = form.get("remove")
    if removed.isdigit():
        form.values = {k: v for k, v in form.values.items()
                       if not k.startswith(f"{prefix}-{int(removed)}-")}
        return True
    return False


def _after_save(request: Request, number: str, step: str, form: Form) -> Response:
    if form.get("nav") == "later":
        flash(request, gettext_("Your draft is saved. Continue it any time from My cases."))
        return RedirectResponse("/cases", status_code=303)
    return RedirectResponse(f"/apply/{number}/{application.step_after(step)}", status_code=303)


@requires(Role.PARTY)
async def apply_start(request: Request) -> Response:
    """The first step; its submit creates the draft, once per form (``create_key``)."""
    current = user_of(request)
    ctx = await _context(current, None, "type", {})
    assert isinstance(ctx, dict)
    if request.method == "GET":
        return _page(request, "type", ctx, Form(),
                     {"create_key": application.new_create_key()})
    form = await _read(request)

    def work(session: Session) -> str:
        return application.start(session, applicant=load_user(session, current),
                                 create_key=form.get("create_key"), values=form.values).number

    try:
        number = await in_db(work)
    except StepInvalid as exc:
        _into(form, exc)
        values = echo(form)
        if not CREATE_KEY.fullmatch(values.get("create_key", "")) or "create_key" in exc.errors:
            values["create_key"] = application.new_create_key()
        return _page(request, "type", ctx, form, values, 400)
    return _after_save(request, number, "type", form)


async def _step(request: Request, step: str) -> Response:
    current = user_of(request)
    number = request.path_params["number"]
    query = dict(request.query_params)
    if request.method == "GET":
        ctx = await _context(current, number, step, query)
        if isinstance(ctx, str):
            return RedirectResponse(ctx, status_code=303)
        return _page(request, step, ctx, Form(), ctx["saved"])
    form = await _read(request)
    if _rows_changed(form, step):
        ctx = await _context(current, number, step, query)
        if isinstance(ctx, str):
            return RedirectResponse(ctx, status_code=303)
        return _page(request, step, ctx, form, echo(form))

    def work(session: Session) -> None:
        _user, case = _own(session, current, number)
        application.save_step(session, case=case, step=step, values=form.values)

    try:
        await in_db(work)
    except application.NotADraft:
        raise HTTPException(409, gettext_("This application has been submitted and can no "
                                          "longer be changed here.")) from None
    except StepInvalid as exc:
        _into(form, exc)
        ctx = await _context(current, number, step, query)
        assert isinstance(ctx, dict)
        return _page(request, step, ctx, form, echo(form), 400)
    return _after_save(request, number, step, form)


def _step_endpoint(step: str) -> Endpoint:
    @requires(Role.PARTY)
    async def endpoint(request: Request) -> Response:
        return await _step(request, step)
    return endpoint


@requires(Role.PARTY)
async def apply_review(request: Request) -> Response:
    current = user_of(request)
    number = request.path_params["number"]
    if request.method == "GET":
        ctx = await _context(current, number, "review", {})
        if isinstance(ctx, str):
            return RedirectResponse(ctx, status_code=303)
        return _page(request, "review", ctx, Form(), ctx["saved"])
    form = await _read(request)

    def work(session: Session) -> bool:
        user, case = _own(session, current, number)
        return application.submit(session, case=case, actor=user, values=form.values)

    try:
        first = await in_db(work)
    except StepInvalid as exc:
        _into(form, exc)
        ctx = await _context(current, number, "review", {})
        assert isinstance(ctx, dict)
        return _page(request, "review", ctx, form, echo(form), 400)
    except application.NotADraft:
        return RedirectResponse(f"/cases/{number}", status_code=303)
    except IllegalTransition:
        # Submitted by a second click at the same moment: the receipt is the answer.
        first = False
    if first:
        flash(request, gettext_("Your application has been submitted."))
    return RedirectResponse(f"/apply/{number}/receipt", status_code=303)


@requires(Role.PARTY)
async def apply_receipt(request: Request) -> Response:
    current = user_of(request)
    number = request.path_params["number"]

    def work(session: Session) -> dict[str, Any]:
        _user, case = _own(session, current, number)
        return {"case": case, "number": case.number, "submitted": case.submitted_at,
                "continue_step": application.resume_step(case),
                **apply_pages.review(session, case)}

    return render(request, "apply/receipt.html", await in_db(work))


ROUTES = [
    Route("/apply", apply_start, methods=["GET", "POST"], name="apply"),
    *(Route(f"/apply/{{number}}/{step}", _step_endpoint(step), methods=["GET", "POST"],
            name=f"apply_{step}") for step in STEPS if step != "review"),
    Route("/apply/{number}/review", apply_review, methods=["GET", "POST"], name="apply_review"),
    Route("/apply/{number}/receipt", apply_receipt, name="apply_receipt"),
]
