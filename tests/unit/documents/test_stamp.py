from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from documents.stamp import STAMP_SIZE, render_seal, render_stamp

WHEN = datetime(2025, 3, 15, 10, 30, tzinfo=UTC)


def test_a_stamp_is_one_small_page_with_name_and_time(signature_png: bytes) -> None:
    reader = PdfReader(io.BytesIO(render_stamp("张秀英", WHEN, signature_png, "申请人")))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == STAMP_SIZE
    text = page.extract_text()
    assert "张秀英" in text and "2025-03-15 10:30:00" in text
    assert "/XObject" in page["/Resources"]  # the drawn signature


def test_an_unreadable_drawing_is_refused() -> None:
    with pytest.raises(ValueError, match="signature image"):
        render_stamp("张秀英", WHEN, b"\x89PNG\r\n\x1a\nbroken")


def test_the_seal_carries_the_body_name() -> None:
    text = PdfReader(io.BytesIO(render_seal("枫桥镇人民调解委员会", WHEN))).pages[0].extract_text()
    assert "人民调解专用章" in text and "枫桥镇人民调解委员会" in text
