from __future__ import annotations

from typing import Any

import anyio
import asgi_csrf
import pytest

from portal.web import csrf_multipart

BOUNDARY = b"xyz"


def _part(name: str, data: bytes, filename: str | None = None) -> bytes:
    extra = f'; filename="{filename}"' if filename else ""
    return (f'--xyz\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n\r\n'.encode()
            + data + b"\r\n")


def _run(body: bytes, size: int = 5) -> tuple[str | None, list[dict[str, Any]]]:
    messages = [{"type": "http.request", "body": body[i:i + size],
                 "more_body": i + size < len(body)} for i in range(0, len(body), size)]
    source = list(messages)

    async def receive() -> dict[str, Any]:
        return source.pop(0)

    async def main() -> tuple[str | None, list[dict[str, Any]]]:
        token, replay = await csrf_multipart.read_token(BOUNDARY, receive)
        replayed = [await replay() for _ in range(len(messages))]
        return token, replayed

    token, replayed = anyio.run(main)
    assert replayed == messages  # the app sees the whole body, unchanged
    return token, replayed


def test_finds_the_token_and_replays_the_body() -> None:
    body = _part("csrftoken", b"abc.def") + _part("file", b"%PDF" * 100, "a.pdf") + b"--xyz--\r\n"
    token, _ = _run(body)
    assert token == "abc.def"


def test_text_fields_may_come_before_the_token() -> None:
    body = _part("description", "说明".encode()) + _part("csrftoken", b"t") + b"--xyz--\r\n"
    assert _run(body)[0] == "t"


def test_a_file_before_the_token_is_refused() -> None:
    body = _part("file", b"%PDF", "a.pdf") + _part("csrftoken", b"t") + b"--xyz--\r\n"
    with pytest.raises(asgi_csrf.FileBeforeToken):
        _run(body)


def test_no_token_at_all() -> None:
    assert _run(_part("description", b"x") + b"--xyz--\r\n")[0] is None


def test_gives_up_after_the_prefix_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csrf_multipart, "MAX_PREFIX_BYTES", 100)
    body = _part("description", b"x" * 1000) + _part("csrftoken", b"t") + b"--xyz--\r\n"

    async def main() -> str | None:
        chunks = [body[i:i + 50] for i in range(0, len(body), 50)]

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

        return (await csrf_multipart.read_token(BOUNDARY, receive))[0]

    assert anyio.run(main) is None


def test_is_installed_into_asgi_csrf() -> None:
    from portal.web.app import create_app

    create_app()  # installs it while wrapping the app in asgi-csrf
    assert asgi_csrf._parse_multipart_form_data is csrf_multipart.read_token
