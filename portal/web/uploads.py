"""multipart/form-data read as a stream: small text fields in memory, files chunk by chunk.

Starlette's ``request.form()`` spools whole files before the view sees them; evidence must
be sniffed, hashed, size-checked and written while it arrives, so we drive python-multipart's
callback parser ourselves and hand each file part out as an async iterator of bytes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

MAX_FIELD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 8 * 1024
MAX_PARTS = 20


class MultipartError(ValueError):
    """The body is not a well-formed form, or breaks one of the size rules above."""


@dataclass(frozen=True)
class Part:
    name: str
    # None for a text field; "" when a file input was left empty.
    filename: str | None
    content_type: str


_END = object()  # the current part is over
_DONE = object()  # the whole body is over


class MultipartReader:
    def __init__(self, content_type: str, body: AsyncIterable[bytes]) -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise MultipartError("not multipart/form-data")
        self._body = aiter(body)
        self._events: deque[object] = deque()
        self._parts = 0
        self._in_part = False
        self._exhausted = False
        self._ended = False
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._parser = MultipartParser(boundary, {
            "on_part_begin": self._on_part_begin,
            "on_part_data": self._on_part_data,
            "on_part_end": lambda: self._events.append(_END),
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_end": self._on_end,
        })

    # Parser callbacks: they run inside ``parser.write`` and only queue events.
    def _on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise MultipartError("too many parts")
        self._headers = {}

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._events.append(bytes(data[start:end]))

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]
        self._check_header_size()

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        self._check_header_size()

    def _check_header_size(self) -> None:
        if len(self._header_name) + len(self._header_value) > MAX_HEADER_BYTES:
            raise MultipartError("part header too large")

    def _on_header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise MultipartError("part without a name")
        filename = options.get(b"filename")
        # Browsers send UTF-8 bytes as they are; parse_options_header keeps them as bytes.
        self._events.append(Part(
            name=options[b"name"].decode("utf-8", "replace"),
            filename=None if filename is None else filename.decode("utf-8", "replace"),
            content_type=self._headers.get(b"content-type", b"").decode("latin-1"),
        ))

    def _on_end(self) -> None:
        self._ended = True
        self._events.append(_DONE)

    async def _event(self) -> object:
        while not self._events:
            if self._exhausted:
                if not self._ended:
                    raise MultipartError("the body ended in the middle of the form")
                return _DONE
            try:
                chunk = await anext(self._body)
            except StopAsyncIteration:
                self._exhausted = True
                continue
            try:
                self._parser.write(chunk)
            except FormParserError as exc:
                raise MultipartError(str(exc)) from exc
        return self._events.popleft()

    async def next_part(self) -> Part | None:
        """The next part's headers, skipping whatever was not read of the current one."""
        while self._in_part:
            if await self._event() is _END:
                self._in_part = False
        event = await self._event()
        if event is _DONE:
            self._events.appendleft(_DONE)
            return None
        if not isinstance(event, Part):
            raise MultipartError("unexpected data between parts")
        self._in_part = True
        return event

    async def read_field(self, limit: int = MAX_FIELD_BYTES) -> str:
        data = bytearray()
        async for chunk in self.chunks():
            data += chunk
            if len(data) > limit:
                raise MultipartError("field too large")
        return data.decode("utf-8", "replace")

    async def chunks(self) -> AsyncIterator[bytes]:
        """The current part's data, as it arrives."""
        while self._in_part:
            event = await self._event()
            if event is _END:
                self._in_part = False
            elif isinstance(event, bytes):
                yield event
            else:
                raise MultipartError("unexpected event inside a part")
