"""Forms in the case page's panels: run the action, or show the page again with the error.

A refused form answers with the case page itself (4xx), the message next to the field in
its panel and what the person typed kept; a done action redirects back to the panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal.accounts.models import User
from portal.accounts.validation import InvalidField
from portal.cases import access
from portal.cases import services as cases
from portal.cases.models import Case, CaseEvent
from portal.cases.states import LABELS as STATUS_LABELS
from portal.cases.states import IllegalTransition
from portal.i18n import gettext_, translate
from portal.web import panels
from portal.web.convertors import row_id
from portal.web.deps import CurrentUser, in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, echo
from portal.web.templating import render
from portal.web.views.cases import DESTRUCTIVE, CaseView

T = TypeVar("T")


def visible_case(session: Session, current: CurrentUser, number: str) -> tuple[Case, User]:
    case = session.execute(
        select(Case).where(Case.number == number).options(
            selectinload(Case.participants), selectinload(Case.body),
            selectinload(Case.mediator), selectinload(Case.events).selectinload(CaseEvent.actor),
        )
    ).scalar_one_or_none()
    user = load_user(session, current)
    # Someone else's case answers 404, not 403: its existence is not disclosed.
    if case is None or not access.can_view(session, case, user):
        raise HTTPException(404)
    return case, user


def int_field(form: Form, name: str) -> int | None:
    """An id field of ``form``: None when empty or not a row id (never a failed query)."""
    return row_id(form.get(name))


async def case_page(request: Request, current: CurrentUser, number: str, *, panel: str,
                    form: Form, status: int) -> Response:
    """The case page with ``form``'s errors and values shown in ``panel``."""

    def work(session: Session) -> CaseView:
        case, user = visible_case(session, current, number)
        triggers = cases.available_triggers(session, case, user)
        mediators = cases.mediators_for(session, case) if any(
            t in cases.NEEDS_MEDIATOR for t in triggers) else []
        return CaseView(case, triggers, mediators, panels.collect(session, case, user))

    view = await in_db(work)
    for rendered in view.panels:
        if rendered.context.get("panel") == panel:
            rendered.context.update(form=form, typed=echo(form))
    return render(request, "cases/detail.html", {
        "view": view, "case": view.case, "form": Form(),
        "reason_required": cases.REASON_REQUIRED, "needs_mediator": cases.NEEDS_MEDIATOR,
        "destructive": DESTRUCTIVE,
    }, status)


async def run(request: Request, current: CurrentUser, number: str, *, panel: str, form: Form,
              work: Callable[[Session], T], done: str) -> Response:
    """Run ``work`` in one transaction; ``done`` is the translated success message."""
    try:
        await in_db(work)
    except (cases.MissingInput, InvalidField) as exc:
        form.error(exc.field, exc.message, **getattr(exc, "params", {}))
        return await case_page(request, current, number, panel=panel, form=form, status=400)
    except cases.NotAllowed:
        raise HTTPException(403) from None
    except IllegalTransition as exc:
        raise HTTPException(409, translate(
            "This action is no longer possible: the case is now “{status}”. Reload the page.",
            status=gettext_(STATUS_LABELS[exc.status]))) from None
    flash(request, done)
    return RedirectResponse(f"/cases/{number}#{panel}", status_code=303)


def panel_context(panel: str, **values: Any) -> dict[str, Any]:
    """A panel's context, with an empty form for its fields."""
    return {"panel": panel, "form": Form(), "typed": {}, **values}
