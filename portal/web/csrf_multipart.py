"""A working multipart token check for asgi-csrf.

asgi-csrf 0.11 reads multipart bodies with ``FormParser(FileClass=...)``, an argument that
python-multipart no longer has, so every multipart POST with cookies failed with a
TypeError. ``install`` swaps in this reader, which keeps asgi-csrf's contract: return the
``csrftoken`` field and a ``receive`` that replays what was read, or raise FileBeforeToken
when a file comes first. It also stops after ``MAX_PREFIX_BYTES`` instead of buffering an
unbounded body while looking for the token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asgi_csrf
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from portal.web.cookies import request_cookies

MAX_PREFIX_BYTES = 1024 * 1024
MAX_TOKEN_BYTES = 4096
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]


class _Found(Exception):
    def __init__(self, token: str | None) -> None:
        self.token = token


class _TokenReader:
    def __init__(self, field: bytes) -> None:
        self.field = field
        self.header_name = b""
        self.header_value = b""
        self.disposition = b""
        self.in_token = False
        self.value = bytearray()

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": lambda d, s, e: self._add("header_name", d[s:e]),
            "on_header_value": lambda d, s, e: self._add("header_value", d[s:e]),
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def _add(self, attr: str, data: bytes) -> None:
        value = getattr(self, attr) + data
        if len(value) > MAX_TOKEN_BYTES:
            raise _Found(None)
        setattr(self, attr, value)

    def on_part_begin(self) -> None:
        self.disposition = b""

    def on_header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name = self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        if b"filename" in options:
            raise asgi_csrf.FileBeforeToken
        self.in_token = options.get(b"name") == self.field

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_token:
            self.value += data[start:end]
            if len(self.value) > MAX_TOKEN_BYTES:
                raise _Found(None)

    def on_part_end(self) -> None:
        if self.in_token:
            raise _Found(self.value.decode("utf-8", "replace"))

    def on_end(self) -> None:
        raise _Found(None)


async def read_token(boundary: bytes, receive: Receive,
                     field: bytes = b"csrftoken") -> tuple[str | None, Receive]:
    messages: list[Message] = []

    async def replay_receive() -> Message:
        return messages.pop(0) if messages else await receive()

    reader = _TokenReader(field)
    parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
    seen = 0
    try:
        while seen <= MAX_PREFIX_BYTES:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body = message.get("body", b"")
            seen += len(body)
            parser.write(body)
            if not message.get("more_body", False):
                break
    except _Found as found:
        return found.token, replay_receive
    except FormParserError:
        pass
    return None, replay_receive


def install() -> None:
    asgi_csrf._parse_multipart_form_data = read_token
    # asgi-csrf parses the Cookie header with http.cookies on every request, which cost
    # more than all the rest it does; it gets the parse the portal's middlewares share.
    asgi_csrf.cookies_from_scope = request_cookies
