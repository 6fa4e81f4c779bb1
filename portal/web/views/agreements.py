"""The agreement: the case page's panel, versions and comments, the editor, the comparison."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from documents.drafting import AgreementDiff
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.agreements import services as agreements
from portal.agreements.models import AgreementVersion
from portal.agreements.papers import Draft, draft_of
from portal.cases import services as cases
from portal.cases.models import Case
from portal.cases.states import IllegalTransition, Status
from portal.i18n import gettext_, translate
from portal.storage import get_storage
from portal.web import panels
from portal.web.deps import CurrentUser, in_db
from portal.web.flash import flash
from portal.web.forms import Form, echo, read_form
from portal.web.security import requires, user_of
from portal.web.templating import render
from portal.web.views.case_forms import panel_context, run, visible_case
from portal.web.views.signing import document_view

PANEL = "agreement"
EDITOR_ROWS = 2  # empty instalment rows offered below the saved ones


def _panel(session: Session, case: Case, user: User) -> dict[str, Any] | None:
    versions = agreements.versions_of(session, case)
    document = agreements.current_document(session, case)
    may_draft = agreements.may_draft(session, case, user)
    if not (versions or document or may_draft):
        return None
    latest = versions[-1] if versions else None
    return panel_context(
        PANEL, number=case.number, latest=latest.number if latest else None,
        latest_at=latest.created_at if latest else None,
        versions=len(versions), may_draft=may_draft,
        comments=sum(len(v.comments) for v in versions),
        can_open=may_draft and case.status is Status.AGREEMENT_DRAFTED and latest is not None,
        signing=case.status is Status.SIGNING,
        doc=document_view(session, document, user) if document else None)


panels.register(panels.Panel(name=PANEL, template="agreements/_panel.html", order=35,
                             column="main", collect=_panel))


@dataclass(frozen=True)
class VersionView:
    number: int
    author: str
    created_at: dt.datetime
    note: str
    draft: Draft
    parties: list[dict[str, Any]]
    comments: list[tuple[str, dt.datetime, str]]


def _version_view(row: AgreementVersion) -> VersionView:
    return VersionView(row.number, row.author.name, row.created_at, row.note, draft_of(row),
                       row.parties, [(c.author.name, c.created_at, c.text)
                                     for c in row.comments])


async def _agreement_page(request: Request, current: CurrentUser, *, form: Form,
                          status: int = 200) -> Response:
    number = request.path_params["number"]
    wanted = request.query_params.get("version", "")

    def work(session: Session) -> dict[str, Any]:
        case, user = visible_case(session, current, number)
        rows = agreements.versions_of(session, case)
        shown = next((r for r in rows if str(r.number) == wanted), rows[-1] if rows else None)
        document = agreements.current_document(session, case)
        return {"case": case, "versions": [_version_view(r) for r in rows],
                "shown": _version_view(shown) if shown else None,
                "may_comment": agreements.may_comment(session, case, user),
                "may_draft": agreements.may_draft(session, case, user),
                "doc": document_view(session, document, user) if document else None}

    context = await in_db(work)
    return render(request, "agreements/agreement.html",
                  {**context, "form": form, "typed": echo(form)}, status)


@requires()
async def agreement_page(request: Request) -> Response:
    return await _agreement_page(request, user_of(request), form=Form())


@requires(Role.PARTY, Role.MEDIATOR, Role.BODY_ADMIN)
async def add_comment(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)
    chosen = form.get("version")

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        agreements.comment(session, case=case, actor=user,
                           number=int(chosen) if chosen.isdigit() else 0,
                           text=form.get("text"))

    try:
        await in_db(work)
    except cases.MissingInput as exc:
        form.error(exc.field, exc.message, **exc.params)
        return await _agreement_page(request, current, form=form, status=400)
    except cases.NotAllowed:
        raise HTTPException(403) from None
    except IllegalTransition:
        form.error("text", "Comments are closed: the agreement is no longer being drafted.")
        return await _agreement_page(request, current, form=form, status=409)
    flash(request, gettext_("Your comment was added."))
    return RedirectResponse(f"/cases/{number}/agreement?version={chosen}#comments",
                            status_code=303)


def _editor_values(draft: Draft) -> dict[str, str]:
    values = {"facts": draft.facts, "terms": "\n".join(draft.terms),
              "breach_clause": draft.breach_clause}
    for i, row in enumerate(draft.schedule):
        values.update({f"s-{i}-due": row.due.isoformat(), f"s-{i}-amount": f"{row.amount}",
                       f"s-{i}-payer": row.payer, f"s-{i}-payee": row.payee,
                       f"s-{i}-method": row.method})
    return values


def _template_input(request: Request, form: Form) -> tuple[Decimal | None, dt.date | None]:
    amount = agreements.parse_amount(request.query_params.get("amount", "")) if (
        request.query_params.get("amount")) else None
    try:
        due = dt.date.fromisoformat(request.query_params.get("due", "")) if (
            request.query_params.get("due")) else None
    except ValueError:
        form.error("due", "Give the date as YYYY-MM-DD.")
        due = None
    return amount, due


@requires(Role.MEDIATOR)
async def editor(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    posted = request.method == "POST"
    form = await read_form(request) if posted else Form()
    use_template = request.query_params.get("template") == "1"
    amount, due = _template_input(request, form)

    def page(session: Session) -> dict[str, Any]:
        case, user = visible_case(session, current, number)
        rows = agreements.versions_of(session, case)
        if posted:
            values = echo(form)
        elif use_template or not rows:
            values = _editor_values(agreements.template_draft(case, amount=amount, due=due))
        else:
            values = _editor_values(draft_of(rows[-1]))
        filled = max([int(k.split("-")[1]) + 1 for k in values if k.startswith("s-")] or [0])
        return {"case": case, "values": values, "latest": rows[-1].number if rows else None,
                "may_draft": agreements.may_draft(session, case, user),
                "revising": case.status in agreements.REVISING,
                "signing": case.status is Status.SIGNING,
                "rows": range(min(filled + EDITOR_ROWS, agreements.MAX_SCHEDULE))}

    if not posted:
        return render(request, "agreements/edit.html", {**await in_db(page), "form": form})

    def work(session: Session) -> int:
        case, user = visible_case(session, current, number)
        draft = agreements.parse_draft(form.values)
        return agreements.save_version(session, case=case, actor=user, draft=draft,
                                       note=form.get("note")).number

    try:
        saved = await in_db(work)
    except cases.MissingInput as exc:
        form.error(exc.field, exc.message, **exc.params)
        return render(request, "agreements/edit.html", {**await in_db(page), "form": form}, 400)
    except cases.NotAllowed:
        raise HTTPException(403) from None
    except IllegalTransition:
        form.error("facts", "The agreement cannot be drafted at this stage of the case.")
        return render(request, "agreements/edit.html", {**await in_db(page), "form": form}, 409)
    flash(request, translate("Version {n} of the agreement was saved. The parties can read it "
                             "and comment.", n=saved))
    return RedirectResponse(f"/cases/{number}/agreement?version={saved}", status_code=303)


@dataclass(frozen=True)
class Comparison:
    old: VersionView
    new: VersionView
    diff: AgreementDiff

    def changed(self, part: str, side: str, line: str) -> bool:
        """Whether ``line`` of ``part`` is among the changed lines on that side."""
        return bool(line) and any(
            c.part == part and any(line in changed for changed in (
                c.old if side == "old" else c.new)) for c in self.diff.changes)


@requires()
async def compare(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    a, b = request.query_params.get("a", ""), request.query_params.get("b", "")

    def work(session: Session) -> dict[str, Any]:
        case, _ = visible_case(session, current, number)
        rows = {r.number: r for r in agreements.versions_of(session, case)}
        old = rows.get(int(a)) if a.isdigit() else None
        new = rows.get(int(b)) if b.isdigit() else None
        result = None
        if old is not None and new is not None:
            result = Comparison(_version_view(old), _version_view(new),
                                agreements.compare(old, new, case))
        return {"case": case, "numbers": sorted(rows), "a": a, "b": b, "result": result}

    return render(request, "agreements/compare.html", await in_db(work))


@requires(Role.MEDIATOR)
async def open_signing(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)
    storage = get_storage()

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        agreements.open_signing(session, case=case, actor=user, storage=storage)

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("The agreement is open for signing. The parties sign in "
                                   "turn, then you, then the body's seal."))


ROUTES = [
    Route("/cases/{number}/agreement", agreement_page, name="agreement"),
    Route("/cases/{number}/agreement/comments", add_comment, methods=["POST"],
          name="agreement_comment"),
    Route("/cases/{number}/agreement/edit", editor, methods=["GET", "POST"],
          name="agreement_edit"),
    Route("/cases/{number}/agreement/compare", compare, name="agreement_compare"),
    Route("/cases/{number}/agreement/open", open_signing, methods=["POST"],
          name="agreement_open"),
]
