from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from portal.accounts.validation import InvalidField
from portal.agreements.images import MAX_BYTES, PREFIX, decode_signature
from tests.unit.agreements.support import data_url, signature_png


def _png(size: tuple[int, int], colour: tuple[int, int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, "PNG")
    return out.getvalue()


def test_a_drawn_signature_is_returned_as_png() -> None:
    assert decode_signature(data_url()) == signature_png()


@pytest.mark.parametrize(("value", "message"), [
    ("", "draw your signature"),
    ("data:image/jpeg;base64,/9j/4AAQ", "PNG image"),
    (PREFIX + "!!!not base64!!!", "could not be read"),
    (PREFIX + base64.b64encode(b"GIF89a" + b"\0" * 40).decode(), "PNG image"),
    (PREFIX + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 40).decode(), "could not be read"),
    (PREFIX + base64.b64encode(_png((300, 100), (0, 0, 0, 0))).decode(), "box is empty"),
    (PREFIX + base64.b64encode(_png((5, 5), (0, 0, 0, 255))).decode(), "unusual size"),
    (PREFIX + "A" * (MAX_BYTES * 2), "too large"),
])
def test_what_is_not_a_drawn_signature_is_refused(value: str, message: str) -> None:
    with pytest.raises(InvalidField, match=message) as caught:
        decode_signature(value)
    assert caught.value.field == "signature"
