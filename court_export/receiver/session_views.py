"""Clerk login and logout."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from court_export.receiver.auth import (
    LoginThrottle,
    check_csrf,
    check_password,
    current_clerk,
    flash,
    log_in,
)
from court_export.receiver.templating import render


def safe_next(request: Request, target: str | None) -> str:
    """Only a path inside this application; anything else goes to the inbox."""
    inbox = str(request.url_for("inbox"))
    root = request.scope.get("root_path", "")
    if target and target.startswith(f"{root}/") and not target.startswith("//") \
            and "\\" not in target:
        return target
    return inbox


async def login_page(request: Request) -> Response:
    if current_clerk(request):
        return RedirectResponse(safe_next(request, request.query_params.get("next")), 303)
    return render(request, "login.html", {"next": request.query_params.get("next", "")})


async def login(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    target = str(form.get("next", ""))
    throttle: LoginThrottle = request.app.state.login_throttle
    clerks = request.app.state.court.config.clerks
    if throttle.blocked(username):
        return render(request, "login.html", {
            "next": target, "username": username,
            "error": "登录失败次数过多，请十五分钟后再试。"}, 429)
    if not username or not await run_in_threadpool(check_password, clerks, username, password):
        throttle.failed(username)
        return render(request, "login.html", {
            "next": target, "username": username, "error": "用户名或密码不正确。"}, 400)
    throttle.succeeded(username)
    log_in(request, username)
    return RedirectResponse(safe_next(request, target), 303)


async def logout(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    request.session.clear()
    flash(request, "info", "您已退出登录。")
    return RedirectResponse(request.url_for("login"), 303)


routes = [
    Route("/login", login_page, methods=["GET"], name="login"),
    Route("/login", login, methods=["POST"], name="login_post"),
    Route("/logout", logout, methods=["POST"], name="logout"),
]
