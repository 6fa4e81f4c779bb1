"""Stamp continuous page numbers onto every page of a pypdf writer.

reportlab embeds the CJK font subset once, from a one-line page holding every character the
labels use; each page then gets a few bytes of text drawn with that font. Rendering a whole
overlay page per label (and merging it with pypdf's merge_page) costs ten times as much.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from documents.fonts import cjk_font
from documents.pdfpages import add_resource, add_stream, append_content

Label = Callable[[int, int], str]  # (page number, total) -> text
FONT = NameObject("/OdrPageNumberFont")
SIZE = 9


class LabelFont:
    """The labels encoded for one embedded subset of the CJK font, and their widths."""

    def __init__(self, labels: Sequence[str]) -> None:
        name = cjk_font()
        font = pdfmetrics.getFont(name)
        out = io.BytesIO()
        c = Canvas(out, pageCompression=1)
        c.setFont(name, SIZE)
        c.drawString(0, 0, "".join(sorted(set("".join(labels)))))
        doc = c._doc  # type: ignore[attr-defined]  # reportlab's encoders take the document
        if getattr(font, "_dynamicFont", False):
            # reportlab's documented way to encode text for a TrueType subset.
            chunks = [font.splitString(label, doc) for label in labels]  # type: ignore[attr-defined]
            if any(subset != 0 for chunk in chunks for subset, _ in chunk):
                raise ValueError("page labels need more than one font subset")
            self.codes = [b"".join(text for _, text in chunk) for chunk in chunks]
            internal = font.getSubsetInternalName(0, doc)  # type: ignore[attr-defined]
        else:  # the CID fallback font takes UCS-2
            self.codes = [label.encode("utf_16_be") for label in labels]
            internal = doc.getInternalFontName(name)
        c.showPage()
        c.save()
        page = PdfReader(io.BytesIO(out.getvalue())).pages[0]
        resources: Any = page["/Resources"].get_object()
        self.font = resources["/Font"][internal].get_object()
        self.widths = [pdfmetrics.stringWidth(label, name, SIZE) for label in labels]


def stamp_page_numbers(writer: PdfWriter, label: Label) -> None:
    """Number every page of `writer` 1..N in its top right corner.

    Each page keeps its own content, wrapped in q/Q; the number is drawn after it. Pages whose
    content arrived uncompressed are compressed afterwards.
    """
    for page in writer.pages:
        if page.rotation:
            page.transfer_rotation_to_content()
    total = len(writer.pages)
    if not total:
        return
    labels = LabelFont([label(n, total) for n in range(1, total + 1)])
    font = labels.font.clone(writer).indirect_reference
    save = add_stream(writer, b"q\n")
    for page, code, width in zip(writer.pages, labels.codes, labels.widths, strict=True):
        box = page.mediabox
        x = float(box.right) - 15 * mm - width
        y = float(box.top) - 12 * mm
        add_resource(page, "/Font", FONT, font)
        text = f"BT {FONT} {SIZE} Tf 1 0 0 1 {x:.2f} {y:.2f} Tm <{code.hex()}> Tj ET\n"
        if append_content(writer, page, text.encode(), save):
            page.compress_content_streams()
