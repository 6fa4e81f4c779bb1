"""Visible signature appearances, rendered ahead of signing as one-page PDFs.

Rendering here (and not in pyHanko's text stamp) keeps CJK font subsetting out of the signing
step, which would otherwise cost over half a second per signature.
"""

from __future__ import annotations

import io
import math
from datetime import datetime

from PIL import Image, UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from documents.fonts import cjk_font
from documents.render import SignatureLine

STAMP_SIZE = SignatureLine.BOX  # the same proportions as the box the templates print
SEAL_RED = colors.Color(0.8, 0.1, 0.1)


def _canvas(out: io.BytesIO) -> Canvas:
    c = Canvas(out, pagesize=STAMP_SIZE, pageCompression=1)
    c.setTitle("signature appearance")
    return c


def render_stamp(name: str, signed_at: datetime, signature_png: bytes | None = None,
                 role: str = "") -> bytes:
    """The drawn signature (PNG, e.g. from signature_pad) above the signer's name and time.

    Raises ValueError when the PNG cannot be read.
    """
    width, height = STAMP_SIZE
    font = cjk_font()
    out = io.BytesIO()
    c = _canvas(out)
    if signature_png is not None:
        try:
            with Image.open(io.BytesIO(signature_png)) as img:
                img.load()
                image = ImageReader(img.copy())
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError("the signature image cannot be read") from exc
        c.drawImage(image, 4, 20, width - 8, height - 24, preserveAspectRatio=True,
                    anchor="c", mask="auto")
    c.setFillColor(colors.black)
    c.setFont(font, 8)
    label = f"{role} {name}" if role else name
    c.drawString(4, 10, label)
    c.drawString(4, 2, f"{signed_at:%Y-%m-%d %H:%M:%S %z}".strip())
    c.showPage()
    c.save()
    return out.getvalue()


def render_seal(organisation: str, signed_at: datetime, caption: str = "人民调解专用章") -> bytes:
    """A round red seal: the organisation's name on an arc around a star, the caption below."""
    height = STAMP_SIZE[1]
    font = cjk_font()
    out = io.BytesIO()
    c = _canvas(out)
    cx, cy, radius = height / 2 + 2, height / 2, height / 2 - 2
    c.setStrokeColor(SEAL_RED)
    c.setFillColor(SEAL_RED)
    c.setLineWidth(2)
    c.circle(cx, cy, radius)
    _star(c, cx, cy + 2, radius * 0.28)
    c.setFont(font, 6)
    c.drawCentredString(cx, cy - radius * 0.55, caption)
    chars = list(organisation)
    size = max(5.0, min(9.0, 220 / max(len(chars), 1) / 2))
    c.setFont(font, size)
    span = min(250.0, 18.0 * len(chars))
    for i, ch in enumerate(chars):
        angle = 90 + span / 2 - (span * (i + 0.5) / len(chars))
        rad = math.radians(angle)
        c.saveState()
        c.translate(cx + (radius - size) * math.cos(rad), cy + (radius - size) * math.sin(rad))
        c.rotate(angle - 90)
        c.drawCentredString(0, -size / 3, ch)
        c.restoreState()
    c.setFillColor(colors.black)
    c.setFont(font, 8)
    c.drawString(height + 10, 10, organisation[:14])
    c.drawString(height + 10, 2, f"{signed_at:%Y-%m-%d %H:%M:%S %z}".strip())
    c.showPage()
    c.save()
    return out.getvalue()


def _star(c: Canvas, cx: float, cy: float, r: float) -> None:
    path = c.beginPath()
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.4
        angle = math.radians(90 + k * 36)
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        if k == 0:
            path.moveTo(x, y)
        else:
            path.lineTo(x, y)
    path.close()
    c.drawPath(path, stroke=0, fill=1)
