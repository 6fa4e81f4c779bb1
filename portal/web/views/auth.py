"""Login, logout, registration with a phone code, language switch."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts import services as accounts
from portal.accounts.codes import TooManyRequests
from portal.accounts.tokens import IssuedTokens
from portal.accounts.validation import InvalidField
from portal.i18n import LOCALES, gettext_, translate
from portal.web.auth import cookie_headers
from portal.web.deps import client_address, current_user, in_db
from portal.web.flash import flash
from portal.web.forms import Form, echo, read_form
from portal.web.security import public, requires, user_of
from portal.web.templating import render

LANG_COOKIE = "odr_lang"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths, so the login form cannot redirect people elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _with_login(response: Response, issued: IssuedTokens | None) -> Response:
    for value in cookie_headers(issued):
        response.headers.append("set-cookie", value)
    return response


@public
async def login(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        if current_user(request):
            return RedirectResponse(next_url, status_code=303)
        return render(request, "auth/login.html", {"form": Form(), "next": next_url})
    form = await read_form(request, secret=("password",))
    next_url = safe_next(form.get("next"), next_url)
    form.require("phone", "password")
    if not form.ok:
        return render(request, "auth/login.html", {"form": form, "next": next_url,
                                                   "values": echo(form)}, 400)

    def work(session: Session) -> IssuedTokens | accounts.LoginFailed:
        try:
            _, issued = accounts.authenticate(
                session, phone=form.get("phone"), password=form.get("password"),
                client=client_address(request),
                user_agent=request.headers.get("user-agent", ""),
            )
            return issued
        except accounts.LoginFailed as exc:
            return exc  # returned, not raised, so the failed attempt's audit is committed

    result = await in_db(work)
    if isinstance(result, accounts.LoginFailed):
        return render(request, "auth/login.html", {
            "form": form, "next": next_url, "values": echo(form),
            "error": gettext_(result.message),
        }, 429 if result.throttled else 400)
    return _with_login(RedirectResponse(next_url, status_code=303), result)


@requires()
async def logout(request: Request) -> Response:
    user = user_of(request)
    await in_db(lambda s: accounts.logout(s, user_id=user.id, session_id=user.session_id))
    response = RedirectResponse("/", status_code=303)
    request.session.clear()
    return _with_login(response, None)


@public
async def register(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "auth/register.html", {"form": Form()})
    form = await read_form(request, secret=("password", "password2", "code"))
    action = form.get("action", "register")
    if action == "send_code":
        return await _send_code(request, form)
    form.require("name", "id_number", "phone", "code", "password", "password2")
    if form.get("password") != form.get("password2"):
        form.error("password2", "The two passwords do not match.")
    if form.get("agree") != "yes":
        form.error("agree", "Please accept the terms of online mediation and electronic service.")
    if not form.ok:
        return render(request, "auth/register.html", {"form": form, "values": echo(form)}, 400)
    data = accounts.Registration(form.get("name"), form.get("id_number"), form.get("phone"),
                                 form.get("password"), form.get("code"))

    def work(session: Session) -> IssuedTokens:
        user = accounts.register_party(session, data)
        _, issued = accounts.authenticate(
            session, phone=user.phone, password=data.password, client=client_address(request),
            user_agent=request.headers.get("user-agent", ""))
        return issued

    try:
        issued = await in_db(work)
    except InvalidField as exc:
        form.error(exc.field, exc.message)
        return render(request, "auth/register.html", {"form": form, "values": echo(form)}, 400)
    flash(request, gettext_("Welcome! Your account is ready."))
    return _with_login(RedirectResponse("/cases", status_code=303), issued)


async def _send_code(request: Request, form: Form) -> Response:
    try:
        phone = await in_db(lambda s: accounts.send_registration_code(
            s, phone=form.get("phone"), client=client_address(request)))
    except InvalidField as exc:
        form.error(exc.field, exc.message)
        return render(request, "auth/register.html", {"form": form, "values": echo(form)}, 400)
    except TooManyRequests as exc:
        form.error("phone", exc.message)
        return render(request, "auth/register.html", {"form": form, "values": echo(form)}, 429)
    notice = translate("A code was sent to {phone}. It is valid for 5 minutes.",
                       phone=f"{phone[:3]}****{phone[-4:]}")
    return render(request, "auth/register.html",
                  {"form": form, "values": echo(form), "notice": notice, "code_sent": True})


@public
async def set_language(request: Request) -> Response:
    code = request.path_params["code"]
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    if code in LOCALES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax",
                            httponly=True)
    return response


ROUTES = [
    Route("/login", login, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/register", register, methods=["GET", "POST"], name="register"),
    Route("/lang/{code}", set_language, name="set_language"),
]
