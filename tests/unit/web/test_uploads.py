from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from portal.web import uploads
from portal.web.uploads import MultipartError, MultipartReader, Part

BOUNDARY = "b0undary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def _body(*parts: tuple[str, str | None, bytes], end: bool = True) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += (f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
                + data + b"\r\n")
    return out + (f"--{BOUNDARY}--\r\n".encode() if end else b"")


async def _pieces(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def _read_all(body: bytes, size: int = 7) -> list[tuple[Part, bytes]]:
    async def main() -> list[tuple[Part, bytes]]:
        reader = MultipartReader(CONTENT_TYPE, _pieces(body, size))
        out = []
        while (part := await reader.next_part()) is not None:
            data = b"".join([c async for c in reader.chunks()])
            out.append((part, data))
        return out

    return anyio.run(main)


def test_fields_and_files_arrive_in_order_even_in_tiny_pieces() -> None:
    body = _body(("csrftoken", None, b"tok"), ("description", None, "收据".encode()),
                 ("file", "发票.pdf", b"%PDF" + bytes(range(256)) * 40))
    parts = _read_all(body, size=3)
    assert [(p.name, p.filename) for p, _ in parts] == [
        ("csrftoken", None), ("description", None), ("file", "发票.pdf")]
    assert parts[1][1].decode() == "收据"
    assert parts[2][1] == b"%PDF" + bytes(range(256)) * 40


def test_unread_parts_are_skipped() -> None:
    body = _body(("a", None, b"1" * 1000), ("b", None, b"2"))

    async def main() -> str:
        reader = MultipartReader(CONTENT_TYPE, _pieces(body))
        await reader.next_part()
        second = await reader.next_part()
        assert second is not None and second.name == "b"
        return await reader.read_field()

    assert anyio.run(main) == "2"


def test_a_body_cut_short_is_an_error() -> None:
    body = _body(("file", "a.pdf", b"x" * 100), end=False)[:-20]
    with pytest.raises(MultipartError, match="ended in the middle"):
        _read_all(body)


def test_too_many_parts_is_an_error() -> None:
    body = _body(*[(f"f{i}", None, b"x") for i in range(uploads.MAX_PARTS + 1)])
    with pytest.raises(MultipartError, match="too many parts"):
        _read_all(body)


def test_an_oversized_text_field_is_an_error() -> None:
    body = _body(("description", None, b"x" * (uploads.MAX_FIELD_BYTES + 1)))

    async def main() -> None:
        reader = MultipartReader(CONTENT_TYPE, _pieces(body, 4096))
        await reader.next_part()
        await reader.read_field()

    with pytest.raises(MultipartError, match="field too large"):
        anyio.run(main)


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded",
                                          "multipart/form-data", ""])
def test_only_multipart_with_a_boundary_is_read(content_type: str) -> None:
    with pytest.raises(MultipartError):
        MultipartReader(content_type, _pieces(b""))
