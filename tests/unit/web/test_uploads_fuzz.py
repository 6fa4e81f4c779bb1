"""Property tests of the streaming multipart reader: whatever a client sends, the only error
it raises is MultipartError (which the upload views turn into a 400), and well-formed forms
come out exactly as they went in, however the body is cut into chunks."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.web.uploads import MultipartError, MultipartReader

# Boundaries as RFC 2046 allows them (1-70 characters from this set, not ending in a space).
BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? "
boundaries = st.text(BCHARS, min_size=1, max_size=70).filter(lambda b: not b.endswith(" "))
names = st.text(st.characters(codec="utf-8", exclude_characters='"\r\n\\'), min_size=1,
                max_size=20)
parts = st.lists(st.tuples(names, st.none() | names, st.binary(max_size=300)), max_size=5)
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


async def _chunks(body: bytes, cuts: list[int]) -> AsyncIterator[bytes]:
    start = 0
    for cut in sorted(c % (len(body) + 1) for c in cuts):
        yield body[start:cut]
        start = cut
    yield body[start:]


def _drain(content_type: str, body: bytes,
           cuts: list[int]) -> list[tuple[str, str | None, bytes]]:
    """Read the form the way the evidence view does: fields whole, files chunk by chunk."""

    async def main() -> list[tuple[str, str | None, bytes]]:
        reader = MultipartReader(content_type, _chunks(body, cuts))
        out = []
        while (part := await reader.next_part()) is not None:
            if part.filename is None:
                data = (await reader.read_field()).encode()
            else:
                data = b"".join([chunk async for chunk in reader.chunks()])
            out.append((part.name, part.filename, data))
        return out

    return anyio.run(main)


def _encode(boundary: str, form: list[tuple[str, str | None, bytes]]) -> bytes:
    out = b""
    for name, filename, data in form:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += (f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
                + data + b"\r\n")
    return out + f"--{boundary}--\r\n".encode()


@FUZZ
@given(content_type=st.text(st.characters(max_codepoint=255), max_size=120),
       body=st.binary(max_size=2000), cuts=st.lists(st.integers(0, 2000), max_size=6))
def test_any_content_type_and_body_raise_only_multipart_error(
        content_type: str, body: bytes, cuts: list[int]) -> None:
    with contextlib.suppress(MultipartError):
        _drain(content_type, body, cuts)


@FUZZ
@given(boundary=boundaries, body=st.binary(max_size=2000),
       cuts=st.lists(st.integers(0, 2000), max_size=6))
def test_any_body_under_a_valid_boundary_raises_only_multipart_error(
        boundary: str, body: bytes, cuts: list[int]) -> None:
    with contextlib.suppress(MultipartError):
        _drain(f'multipart/form-data; boundary="{boundary}"', body, cuts)


@FUZZ
@given(boundary=boundaries, form=parts, cuts=st.lists(st.integers(0, 5000), max_size=8),
       flips=st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 255)), max_size=4),
       cut_off=st.none() | st.integers(0, 5000))
def test_damaged_forms_raise_only_multipart_error(
        boundary: str, form: list[tuple[str, str | None, bytes]], cuts: list[int],
        flips: list[tuple[int, int]], cut_off: int | None) -> None:
    """Near-valid bodies reach the parser's deeper states that random bytes rarely do."""
    body = bytearray(_encode(boundary, form))
    for at, mask in flips:
        body[at % len(body)] ^= mask
    with contextlib.suppress(MultipartError):
        _drain(f'multipart/form-data; boundary="{boundary}"', bytes(body[:cut_off]), cuts)


@FUZZ
@given(boundary=boundaries, form=parts, cuts=st.lists(st.integers(0, 5000), max_size=8))
def test_well_formed_forms_round_trip_in_any_chunking(
        boundary: str, form: list[tuple[str, str | None, bytes]], cuts: list[int]) -> None:
    # Text fields come back decoded as UTF-8 with replacement, files byte for byte.
    expected = [(n, f, d if f is not None else d.decode("utf-8", "replace").encode())
                for n, f, d in form]
    body = _encode(boundary, form)
    assert _drain(f'multipart/form-data; boundary="{boundary}"', body, cuts) == expected
