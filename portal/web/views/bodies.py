"""The public directory of mediation bodies, and managing bodies and mediator profiles."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies import directory, manage
from portal.bodies.labels import KIND_LABELS, LEVEL_LABELS
from portal.bodies.models import BodyKind, MediationBody, MediatorProfile
from portal.cases.disputes import DISPUTE_TYPES
from portal.i18n import gettext_, translate
from portal.web.deps import CurrentUser, current_user, in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, echo, form_from
from portal.web.pagination import Page, page_number
from portal.web.security import public, requires, user_of
from portal.web.templating import render

PAGE_SIZE = 10
ADMIN_PAGE_SIZE = 25
MAX_QUERY = 50


def _labels() -> dict[str, Any]:
    return {
        "level_label": lambda v: gettext_(LEVEL_LABELS[v]),
        "kind_label": lambda v: gettext_(KIND_LABELS[v]),
        "dispute_label": lambda v: gettext_(DISPUTE_TYPES[v]) if v in DISPUTE_TYPES else v,
        "dispute_types": DISPUTE_TYPES, "levels": manage.BODY_LEVELS, "kinds": list(BodyKind),
    }


def _filters(request: Request, *, include_inactive: bool = False) -> directory.Filters:
    params = request.query_params
    area = params.get("area", "")
    return directory.Filters(
        dispute_type=params.get("type", ""), level=params.get("level", ""),
        kind=params.get("kind", ""), area_id=int(area) if area.isdigit() else None,
        q=params.get("q", "").strip()[:MAX_QUERY], include_inactive=include_inactive)


def _pager_base(path: str, f: directory.Filters) -> str:
    query = {"type": f.dispute_type, "level": f.level, "kind": f.kind,
             "area": f.area_id or "", "q": f.q}
    return f"{path}?{urlencode({k: v for k, v in query.items() if v})}&"


async def _listing(request: Request, template: str, path: str, size: int,
                   include_inactive: bool, only_body: int | None = None) -> Response:
    f = _filters(request, include_inactive=include_inactive)
    number = page_number(request)

    def work(session: Session) -> tuple[directory.Listing, list[Any]]:
        found = directory.search(session, filters=f, page=number, size=size, body_id=only_body)
        return found, directory.areas(session)

    listing, areas = await in_db(work)
    return render(request, template, {
        **_labels(), "listing": listing, "filters": f, "areas": areas,
        "page": Page(listing.bodies, number, size, listing.total),
        "pager_base": _pager_base(path, f),
        "filtered": any((f.dispute_type, f.level, f.kind, f.area_id, f.q)),
    })


@public
async def body_list(request: Request) -> Response:
    return await _listing(request, "bodies/list.html", "/bodies", PAGE_SIZE, False)


def _may_manage(current: CurrentUser | None, body_id: int) -> bool:
    return current is not None and (current.role is Role.ADMIN or (
        current.role is Role.BODY_ADMIN and current.body_id == body_id))


@public
async def body_detail(request: Request) -> Response:
    current = current_user(request)
    body_id = request.path_params["body_id"]
    manager = _may_manage(current, body_id)
    found = await in_db(lambda s: directory.body_page(s, body_id=body_id,
                                                      include_inactive=manager))
    if found is None:
        raise HTTPException(404)
    return render(request, "bodies/detail.html", {**_labels(), "found": found,
                                                  "manager": manager})


@requires(Role.ADMIN, Role.BODY_ADMIN)
async def admin_list(request: Request) -> Response:
    current = user_of(request)
    only = None if current.role is Role.ADMIN else (current.body_id or 0)
    return await _listing(request, "bodies/admin_list.html", "/admin/bodies", ADMIN_PAGE_SIZE,
                          True, only)


async def _read(request: Request) -> tuple[Form, list[str]]:
    async with request.form(max_files=0, max_fields=100) as data:
        types = [v for v in data.getlist("dispute_types") if isinstance(v, str)]
        return form_from(data), types


def _body_data(form: Form, types: list[str]) -> manage.BodyData:
    return manage.BodyData(
        name=form.get("name"), kind=form.get("kind"), level=form.get("level"),
        area_id=form.get("area_id"), address=form.get("address"), phone=form.get("phone"),
        working_hours=form.get("working_hours"), specialties=form.get("specialties"),
        description=form.get("description"), dispute_types=types)


def _form_values(data: manage.BodyData) -> dict[str, str]:
    return {k: v for k, v in vars(data).items() if isinstance(v, str)}


async def _body_form(request: Request, body_id: int | None) -> Response:
    current = user_of(request)

    def load(session: Session) -> tuple[MediationBody | None, list[Any], Any]:
        body = session.get(MediationBody, body_id) if body_id is not None else None
        if body_id is not None and body is None:
            raise HTTPException(404)
        if body is not None and not manage.can_edit_body(load_user(session, current), body):
            raise HTTPException(403)
        page = directory.body_page(session, body_id=body.id, include_inactive=True) if body \
            else None
        return body, directory.areas(session), page

    body, areas, page = await in_db(load)
    ctx: dict[str, Any] = {**_labels(), "body": body, "areas": areas, "page": page,
                           "admin_only": current.role is not Role.ADMIN and body is not None}
    if request.method == "GET":
        data = manage.BodyData.of(body) if body else manage.BodyData()
        return render(request, "bodies/form.html", {**ctx, "form": Form(),
                                                    "values": _form_values(data),
                                                    "checked": data.dispute_types})
    form, types = await _read(request)
    data = _body_data(form, types)

    def save(session: Session) -> int:
        target = session.get(MediationBody, body_id) if body_id is not None else None
        return manage.save_body(session, actor=load_user(session, current), body=target,
                                data=data).id

    try:
        saved = await in_db(save)
    except manage.Invalid as exc:
        for name, msgid in exc.errors.items():
            form.error(name, msgid)
        # Fields a body administrator may not change are shown as they are.
        kept = _form_values(manage.BodyData.of(body)) if body else {}
        return render(request, "bodies/form.html", {**ctx, "form": form,
                                                    "values": {**kept, **echo(form)},
                                                    "checked": types}, 400)
    except manage.PermissionDenied:
        raise HTTPException(403) from None
    flash(request, translate("Saved: {name}.", name=data.name.strip()))
    return RedirectResponse(f"/bodies/{saved}", status_code=303)


@requires(Role.ADMIN)
async def body_new(request: Request) -> Response:
    return await _body_form(request, None)


@requires(Role.ADMIN, Role.BODY_ADMIN)
async def body_edit(request: Request) -> Response:
    return await _body_form(request, request.path_params["body_id"])


@requires(Role.ADMIN)
async def body_active(request: Request) -> Response:
    current = user_of(request)
    body_id = request.path_params["body_id"]
    form, _ = await _read(request)
    if form.get("active") not in ("yes", "no"):
        raise HTTPException(400, gettext_("Choose whether the body is active."))

    def work(session: Session) -> str:
        body = session.get(MediationBody, body_id)
        if body is None:
            raise HTTPException(404)
        manage.set_body_active(session, actor=load_user(session, current), body=body,
                               active=form.get("active") == "yes")
        return body.name

    name = await in_db(work)
    if form.get("active") == "yes":
        flash(request, translate("Body activated: {name}.", name=name))
    else:
        flash(request, translate("Body deactivated: {name}. It no longer appears in the "
                                 "directory or the suggestions.", name=name))
    return RedirectResponse("/admin/bodies", status_code=303)


@requires(Role.ADMIN, Role.BODY_ADMIN)
async def mediator_edit(request: Request) -> Response:
    current = user_of(request)
    user_id = request.path_params["user_id"]

    def load(session: Session) -> tuple[User, MediatorProfile | None]:
        mediator = session.get(User, user_id)
        if mediator is None or mediator.role is not Role.MEDIATOR:
            raise HTTPException(404)
        if not manage.can_edit_mediator(load_user(session, current), mediator):
            raise HTTPException(403)
        _ = mediator.body
        return mediator, session.get(MediatorProfile, mediator.id)

    mediator, profile = await in_db(load)
    ctx: dict[str, Any] = {"mediator": mediator}
    if request.method == "GET":
        data = manage.ProfileData.of(profile)
        values = {k: str(v) for k, v in vars(data).items() if isinstance(v, str)}
        values.update(charges="on" if data.charges else "",
                      accepting_cases="on" if data.accepting_cases else "")
        return render(request, "bodies/mediator_form.html", {**ctx, "form": Form(),
                                                             "values": values})
    form, _ = await _read(request)
    data = manage.ProfileData(
        specialties=form.get("specialties"), languages=form.get("languages"),
        years=form.get("years"), charges=bool(form.get("charges")), bio=form.get("bio"),
        accepting_cases=bool(form.get("accepting_cases")))

    def save(session: Session) -> None:
        target = session.get(User, user_id)
        assert target is not None
        manage.save_profile(session, actor=load_user(session, current), mediator=target,
                            data=data)

    try:
        await in_db(save)
    except manage.Invalid as exc:
        for name, msgid in exc.errors.items():
            form.error(name, msgid)
        return render(request, "bodies/mediator_form.html", {**ctx, "form": form,
                                                             "values": echo(form)}, 400)
    except manage.PermissionDenied:
        raise HTTPException(403) from None
    flash(request, translate("Profile saved for {name}.", name=mediator.name))
    return RedirectResponse(f"/bodies/{mediator.body_id}" if mediator.body_id
                            else "/admin/bodies", status_code=303)


ROUTES = [
    Route("/bodies", body_list, name="bodies"),
    Route("/bodies/{body_id:id}", body_detail, name="body"),
    Route("/admin/bodies", admin_list, name="admin_bodies"),
    Route("/admin/bodies/new", body_new, methods=["GET", "POST"], name="admin_body_new"),
    Route("/admin/bodies/{body_id:id}/edit", body_edit, methods=["GET", "POST"],
          name="admin_body_edit"),
    Route("/admin/bodies/{body_id:id}/active", body_active, methods=["POST"],
          name="admin_body_active"),
    Route("/admin/mediators/{user_id:id}", mediator_edit, methods=["GET", "POST"],
          name="admin_mediator_edit"),
]
