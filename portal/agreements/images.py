"""The drawn signature as the browser posts it: a PNG data URL from signature_pad."""

from __future__ import annotations

import base64
import binascii
import io
import warnings

from PIL import Image, UnidentifiedImageError

from portal.accounts.validation import InvalidField
from portal.i18n import N_

PREFIX = "data:image/png;base64,"
MAX_BYTES = 256 * 1024
MAX_SIDE = 4000
MIN_SIDE = 20
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def decode_signature(data_url: str, field: str = "signature") -> bytes:
    """The PNG bytes of a drawn signature, or InvalidField saying what is wrong with it."""
    value = data_url.strip()
    if not value:
        raise InvalidField(field, N_("Please draw your signature in the box."))
    if not value.startswith(PREFIX):
        raise InvalidField(field, N_("The signature must be a PNG image drawn in the box."))
    encoded = value.removeprefix(PREFIX)
    if len(encoded) > MAX_BYTES * 4 // 3 + 4:
        raise InvalidField(field, N_("The signature image is too large. Clear the box and "
                                     "sign again."))
    try:
        png = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidField(field, N_("The signature image could not be read. Clear the box "
                                     "and sign again.")) from None
    if not png.startswith(PNG_MAGIC):
        raise InvalidField(field, N_("The signature must be a PNG image drawn in the box."))
    _check_image(png, field)
    return png


def _check_image(png: bytes, field: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(png)) as img:
                width, height = img.size
                if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
                    raise InvalidField(field, N_("The signature image has an unusual size. "
                                                 "Clear the box and sign again."))
                img.load()
                ink = img.convert("RGBA").getchannel("A").getbbox()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning,
            Image.DecompressionBombError):
        raise InvalidField(field, N_("The signature image could not be read. Clear the box "
                                     "and sign again.")) from None
    if ink is None:
        raise InvalidField(field, N_("The signature box is empty. Please draw your "
                                     "signature."))
