"""Staff accounts (administrators; body administrators for their own mediators), audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.accounts.roles import ROLE_LABELS, STAFF_ROLES, Role
from portal.accounts.validation import InvalidField
from portal.audit import services as audit
from portal.audit.models import AuditEntry
from portal.bodies.models import Area, MediationBody
from portal.i18n import gettext_, translate
from portal.web.deps import CurrentUser, in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, echo, read_form
from portal.web.pagination import Page, page_number
from portal.web.security import requires, user_of
from portal.web.templating import render
from portal.web.views.case_forms import int_field

PAGE_SIZE = 25


def _user_query(current: CurrentUser, q: str, role: str | None) -> Any:
    query = select(User)
    if current.role is Role.BODY_ADMIN:
        query = query.where(User.body_id == current.body_id, User.role == Role.MEDIATOR)
    if q:
        like = f"%{q}%"
        query = query.where(or_(User.name.like(like), User.phone.like(like)))
    if role in set(Role):
        query = query.where(User.role == Role(role))
    return query


@requires(Role.ADMIN, Role.BODY_ADMIN)
async def users(request: Request) -> Response:
    current = user_of(request)
    q = request.query_params.get("q", "").strip()[:50]
    role = request.query_params.get("role") or None
    number = page_number(request)

    def work(session: Session) -> Page[User]:
        query = _user_query(current, q, role)
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = session.execute(
            query.options(selectinload(User.body), selectinload(User.area))
            .order_by(User.id.desc()).limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)
        ).scalars().all()
        return Page(list(rows), number, PAGE_SIZE, total)

    page = await in_db(work)
    return render(request, "admin/users.html", {
        "page": page, "q": q, "role": role, "roles": list(Role),
        "staff_roles": _assignable(current),
    })


def _assignable(current: CurrentUser) -> list[Role]:
    if current.role is Role.ADMIN:
        return [r for r in Role if r in STAFF_ROLES]
    return [Role.MEDIATOR]


async def _choices() -> tuple[list[MediationBody], list[Area]]:
    def work(session: Session) -> tuple[list[MediationBody], list[Area]]:
        bodies = session.execute(select(MediationBody).order_by(MediationBody.name))
        areas = session.execute(select(Area).order_by(Area.code))
        return list(bodies.scalars()), list(areas.scalars())
    return await in_db(work)


@requires(Role.ADMIN, Role.BODY_ADMIN)
async def user_new(request: Request) -> Response:
    current = user_of(request)
    bodies, areas = await _choices()
    if current.role is Role.BODY_ADMIN:
        bodies = [b for b in bodies if b.id == current.body_id]
    ctx: dict[str, Any] = {"bodies": bodies, "areas": areas, "roles": _assignable(current),
                           "role_labels": ROLE_LABELS}
    if request.method == "GET":
        return render(request, "admin/user_new.html", {**ctx, "form": Form()})
    form = await read_form(request, secret=("password",))
    form.require("name", "phone", "role", "password")
    role = form.get("role")
    if role and role not in {r.value for r in _assignable(current)}:
        form.error("role", "Choose a role from the list.")
    if not form.ok:
        return render(request, "admin/user_new.html", {**ctx, "form": form,
                                                       "values": echo(form)}, 400)
    data = accounts.StaffAccount(
        name=form.get("name"), phone=form.get("phone"), role=Role(role),
        password=form.get("password"), body_id=int_field(form, "body_id"),
        area_id=int_field(form, "area_id"), court_name=form.get("court_name") or None)

    def work(session: Session) -> str:
        return accounts.create_staff(session, actor=load_user(session, current), data=data).name

    try:
        name = await in_db(work)
    except InvalidField as exc:
        form.error(exc.field, exc.message)
        return render(request, "admin/user_new.html", {**ctx, "form": form,
                                                       "values": echo(form)}, 400)
    except accounts.PermissionDenied:
        raise HTTPException(403) from None
    flash(request, translate("Account created for {name}.", name=name))
    return RedirectResponse("/admin/users", status_code=303)


@requires(Role.ADMIN, Role.BODY_ADMIN)
async def user_update(request: Request) -> Response:
    """Change a user's role (administrators) or switch the account on or off."""
    current = user_of(request)
    user_id = request.path_params["user_id"]
    form = await read_form(request)

    def work(session: Session) -> None:
        actor = load_user(session, current)
        user = session.get(User, user_id)
        if user is None:
            raise HTTPException(404)
        if form.get("role"):
            if form.get("role") not in set(Role):
                raise HTTPException(400, gettext_("Choose a role from the list."))
            accounts.set_role(session, actor=actor, user=user, role=Role(form.get("role")))
        if form.get("active") in ("yes", "no"):
            accounts.set_active(session, actor=actor, user=user, active=form.get("active") == "yes")

    try:
        await in_db(work)
    except accounts.PermissionDenied:
        raise HTTPException(403) from None
    flash(request, gettext_("The account was updated."))
    return RedirectResponse("/admin/users", status_code=303)


@requires(Role.ADMIN)
async def audit_log(request: Request) -> Response:
    number = page_number(request)

    def work(session: Session) -> tuple[Page[AuditEntry], audit.VerifyResult]:
        total = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        rows = session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())
                               .limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).scalars()
        return Page(list(rows), number, PAGE_SIZE, total), audit.verify(session)

    page, result = await in_db(work)
    return render(request, "admin/audit.html", {"page": page, "result": result})


ROUTES = [
    Route("/admin/users", users, name="admin_users"),
    Route("/admin/users/new", user_new, methods=["GET", "POST"], name="admin_user_new"),
    Route("/admin/users/{user_id:id}", user_update, methods=["POST"], name="admin_user_update"),
    Route("/admin/audit", audit_log, name="admin_audit"),
]
