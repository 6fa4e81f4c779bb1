"""Security headers: on every response, no inline code allowed, HSTS only in production."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from portal.config import Settings
from portal.web.app import create_app
from portal.web.security_headers import SecurityHeadersMiddleware, content_security_policy

TEMPLATES = Path(__file__).resolve().parents[3] / "portal" / "web" / "templates"
KEY = "k" * 40


async def _own(request: Request) -> Response:
    return PlainTextResponse("x", headers={"Referrer-Policy": "no-referrer"})


def _bare(hsts: bool = False) -> TestClient:
    app = Starlette(routes=[Route("/", _own)])
    return TestClient(SecurityHeadersMiddleware(app, hsts=hsts))


def test_policy_allows_no_inline_code_and_no_framing() -> None:
    policy = content_security_policy("odr.example.cn", secure=True)
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["img-src"] == "'self' data: blob:"
    assert directives["media-src"].startswith("'self' blob:")
    assert directives["connect-src"] == "'self' wss://odr.example.cn"
    assert "ws://odr.example.cn" in content_security_policy("odr.example.cn", secure=False)


def test_a_forged_host_header_cannot_add_directives() -> None:
    policy = content_security_policy("evil.cn; script-src *", secure=False)
    assert policy.count("script-src") == 1 and "evil" not in policy
    assert "ws://[::1]:8000" in content_security_policy("[::1]:8000", secure=False)


def test_every_header_is_set_and_a_views_own_value_wins() -> None:
    response = _bare().get("/")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"  # the view's own
    assert "camera=(self)" in response.headers["permissions-policy"]
    assert "geolocation=(self)" in response.headers["permissions-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers
    # Not found is a response too.
    assert _bare().get("/nothing").headers["x-frame-options"] == "DENY"


def test_hsts_only_in_production(tmp_path: Path) -> None:
    assert "max-age=31536000" in _bare(hsts=True).get("/").headers["strict-transport-security"]
    production = Settings(env="production", secret_key=KEY, var_dir=tmp_path)
    development = Settings(env="development", secret_key=KEY, var_dir=tmp_path)
    with TestClient(create_app(production)) as client:
        assert "strict-transport-security" in client.get("/healthz").headers
    with TestClient(create_app(development)) as client:
        assert "strict-transport-security" not in client.get("/healthz").headers


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I), "an on* event handler attribute"),
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style", re.I), "a <style> block"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_templates_need_no_unsafe_inline() -> None:
    """The CSP forbids inline code and style: a template that has some breaks in browsers."""
    found = [f"{path.relative_to(TEMPLATES)}: {what}"
             for path in sorted(TEMPLATES.rglob("*.html"))
             for pattern, what in INLINE if pattern.search(path.read_text())]
    assert found == []
    assert len(list(TEMPLATES.rglob("*.html"))) > 20  # the templates were really read
