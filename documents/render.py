"""Shared page layout: A4, CJK styles, "第 N 页 共 M 页" footers, signature fields."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

import cn2an
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from documents.data import SignatureSlot
from documents.fonts import cjk_font

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 25 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN


def page_label(number: int, total: int) -> str:
    return f"第 {number} 页 共 {total} 页"


@dataclass(frozen=True)
class Styles:
    font: str
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    plain: ParagraphStyle
    right: ParagraphStyle
    cell: ParagraphStyle


@lru_cache(maxsize=4)
def styles(font: str | None = None) -> Styles:
    name = font or cjk_font()
    base = ParagraphStyle("odr-body", fontName=name, fontSize=11.5, leading=20,
                          wordWrap="CJK", alignment=TA_JUSTIFY)
    return Styles(
        font=name,
        title=ParagraphStyle("odr-title", parent=base, fontSize=20, leading=30,
                             alignment=TA_CENTER, spaceAfter=6),
        subtitle=ParagraphStyle("odr-subtitle", parent=base, fontSize=11, alignment=TA_CENTER,
                                spaceAfter=10),
        heading=ParagraphStyle("odr-heading", parent=base, fontSize=13, leading=22,
                               spaceBefore=8, spaceAfter=2),
        body=ParagraphStyle("odr-indented", parent=base, firstLineIndent=23),
        plain=base,
        right=ParagraphStyle("odr-right", parent=base, alignment=TA_RIGHT),
        cell=ParagraphStyle("odr-cell", parent=base, fontSize=10, leading=14),
    )


def text(value: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of user text: markup characters are escaped, never interpreted."""
    return Paragraph(escape(value), style)


def paragraphs(value: str, style: ParagraphStyle) -> list[Flowable]:
    return [text(line.strip(), style) for line in value.splitlines() if line.strip()]


def fmt_date(value: date | None) -> str:
    if value is None:
        return "　　年　　月　　日"
    return f"{value.year}年{value.month}月{value.day}日"


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{fmt_date(value)} {value:%H:%M}"


def fmt_money(amount: Decimal) -> str:
    upper = cn2an.an2cn(f"{amount:.2f}", "rmb")
    return f"人民币{amount:,.2f}元（大写：{upper}）"


def grid(rows: Sequence[Sequence[str]], widths: Sequence[float], st: Styles,
         header: bool = False) -> Table:
    """A bordered table of user text; widths are fractions of the frame width."""
    cells = [[text(c, st.cell) for c in row] for row in rows]
    table = Table(cells, colWidths=[w * FRAME_WIDTH for w in widths], repeatRows=int(header))
    commands: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(commands))
    return table


@dataclass(frozen=True)
class Placement:
    field_name: str
    page: int  # zero-based
    box: tuple[int, int, int, int]


class SignatureLine(Flowable):
    """A printed signer label with the box where the signature stamp will go."""

    HEIGHT = 78.0
    BOX = (190.0, 72.0)

    def __init__(self, slot: SignatureSlot, st: Styles, placements: list[Placement]) -> None:
        super().__init__()
        self.slot = slot
        self.st = st
        self.placements = placements

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:
        return FRAME_WIDTH, self.HEIGHT

    def draw(self) -> None:
        c = self.canv
        c.setFont(self.st.font, 11.5)
        act = "盖章" if self.slot.seal else "签名"
        c.drawString(0, self.HEIGHT / 2 - 4, f"{self.slot.role}（{act}）：{self.slot.signer_name}")
        width, height = self.BOX
        left = FRAME_WIDTH - width
        c.setStrokeColor(colors.lightgrey)
        c.setDash(2, 2)
        c.rect(left, 3, width, height)
        x1, y1 = c.absolutePosition(left, 3)
        x2, y2 = c.absolutePosition(left + width, 3 + height)
        self.placements.append(Placement(self.slot.field_name, c.getPageNumber() - 1,
                                         (round(x1), round(y1), round(x2), round(y2))))


def signature_lines(slots: Sequence[SignatureSlot], st: Styles,
                    placements: list[Placement]) -> list[Flowable]:
    return [Spacer(1, 12), *(SignatureLine(s, st, placements) for s in slots)]


def _numbered_canvas(font: str) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        """Holds every page until save() so the footer can state the total."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # the documented recipe

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(font, 9)
                self.drawCentredString(PAGE_WIDTH / 2, 12 * mm,
                                       page_label(self.getPageNumber(), total))
                super().showPage()
            super().save()

    return NumberedCanvas


def build(story: list[Flowable], *, title: str, st: Styles, subject: str = "",
          placements: Sequence[Placement] = (), footer: bool = True) -> bytes:
    """Lay out the story on A4; then add an empty signature field per placement.

    footer=False leaves out "第 N 页 共 M 页" (the dossier numbers its own pages).
    """
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN, title=title,
                            subject=subject, author="枫桥在线矛盾纠纷多元化解平台",
                            creator="Fengqiao ODR documents", lang="zh-CN")
    if footer:
        doc.build(story, canvasmaker=_numbered_canvas(st.font))
    else:
        doc.build(story)
    pdf = out.getvalue()
    return add_signature_fields(pdf, placements) if placements else pdf


def add_signature_fields(pdf: bytes, placements: Sequence[Placement]) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for p in placements:
        append_signature_field(writer, SigFieldSpec(p.field_name, on_page=p.page, box=p.box))
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()
