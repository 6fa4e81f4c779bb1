from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from documents import fonts, numbering, templates
from tests.unit.documents.samples import CASE


def _label(n: int, m: int) -> str:
    return f"卷宗第 {n} 页 共 {m} 页"


def _labels(writer: PdfWriter) -> list[list[str]]:
    out = io.BytesIO()
    writer.write(out)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    return [re.findall(r"卷宗第 \d+ 页 共 \d+ 页", p.extract_text()) for p in reader.pages]


def test_pages_sharing_resources_each_get_only_their_own_number() -> None:
    source = PdfReader(io.BytesIO(templates.application(CASE)))
    shared = source.pages[0]["/Resources"].get_object()
    before = set(shared["/Font"].get_object())
    writer = PdfWriter()
    for _ in range(3):
        writer.add_page(source.pages[0])
    numbering.stamp_page_numbers(writer, _label)
    assert _labels(writer) == [[_label(n, 3)] for n in (1, 2, 3)]
    assert set(shared["/Font"].get_object()) == before  # the source was not touched


def test_the_cid_fallback_font_numbers_pages_too(monkeypatch: pytest.MonkeyPatch) -> None:
    fallback = fonts.cjk_font(["/nonexistent/font.ttc"])
    monkeypatch.setattr(numbering, "cjk_font", lambda: fallback)
    writer = PdfWriter()
    for _ in range(2):
        writer.add_blank_page(595, 842)
    numbering.stamp_page_numbers(writer, _label)
    assert _labels(writer) == [[_label(1, 2)], [_label(2, 2)]]


def test_rotated_and_uncompressed_pages_are_normalised() -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(842, 595)
    raw = DecodedStreamObject()
    raw.set_data(b"0 0 1 rg 10 10 50 50 re f")
    page[NameObject("/Contents")] = writer._add_object(raw)
    page.rotate(90)
    numbering.stamp_page_numbers(writer, _label)
    assert writer.pages[0].rotation == 0
    contents = writer.pages[0]["/Contents"].get_object()
    assert "/Filter" in contents  # merged into one compressed stream
    assert _labels(writer) == [[_label(1, 1)]]
