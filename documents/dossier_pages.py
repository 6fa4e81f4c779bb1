"""The dossier's own pages: cover, contents, evidence image pages, listings, timeline, closing."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepInFrame, PageBreak, Spacer

from documents.data import DossierData, TimelineEntry
from documents.render import (
    FRAME_WIDTH,
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    build,
    fmt_date,
    fmt_datetime,
    grid,
    styles,
    text,
)
from documents.templates.case_papers import human_size
from documents.templates.common import SIDE_LABELS


@dataclass(frozen=True)
class TocRow:
    title: str
    first: int
    last: int
    level: int  # 0: section, 1: document within it


@dataclass(frozen=True)
class Unembedded:
    name: str
    size: int
    sha256: str
    reason: str


def _one_page(story: list[Flowable]) -> list[Flowable]:
    """Shrink to fit so the cover and the closing sheet never run onto a second page."""
    return [KeepInFrame(FRAME_WIDTH, PAGE_HEIGHT - 2 * MARGIN - 30, story, mode="shrink")]


def cover(data: DossierData, total_pages: int) -> list[Flowable]:
    st = styles()
    parties = "；".join(f"{SIDE_LABELS[p.side]}：{p.name}" for p in data.parties)
    rows = [["案号", data.case_number], ["案由", data.title], ["当事人", parties],
            ["调解组织", data.body_name], ["人民调解员", data.mediator],
            ["受理日期", fmt_date(data.opened_on)], ["结案日期", fmt_date(data.closed_on)],
            ["调解结果", data.outcome], ["立卷人", data.keeper],
            ["本卷页数", f"共 {total_pages} 页"]]
    return _one_page([Spacer(1, 60), text("人民调解卷宗", st.title),
                      text(data.body_name, st.subtitle), Spacer(1, 40),
                      grid(rows, (0.25, 0.75), st)])


def contents(rows: Sequence[TocRow]) -> list[Flowable]:
    st = styles()
    table = [["序号", "文书材料名称", "页码"]]
    number = 0
    for row in rows:
        pages = str(row.first) if row.first == row.last else f"{row.first}–{row.last}"
        if row.level == 0:
            number += 1
            table.append([str(number), row.title, pages])
        else:
            table.append(["", f"　　{row.title}", pages])
    return [text("卷内目录", st.title), grid(table, (0.1, 0.7, 0.2), st, True)]


def closing_sheet(data: DossierData, total_pages: int) -> list[Flowable]:
    st = styles()
    story: list[Flowable] = [
        text("卷宗备考表", st.title),
        text(f"本卷共 {total_pages} 页（含封面、目录及本表）。", st.body),
        text(f"调解结果：{data.outcome}。", st.body),
    ]
    if data.closing_notes:
        story.append(text(data.closing_notes, st.body))
    story += [Spacer(1, 30), text(f"立卷人：{data.keeper}", st.right),
              text(fmt_date(data.closed_on), st.right)]
    return _one_page(story)


def front_and_back(data: DossierData, rows: Sequence[TocRow], total_pages: int) -> bytes:
    """Cover, contents and closing sheet in one run, so the CJK font is subset once."""
    story = [*cover(data, total_pages), PageBreak(), *contents(rows), PageBreak(),
             *closing_sheet(data, total_pages)]
    return build(story, title=f"人民调解卷宗 {data.case_number}", st=styles(), footer=False)


def timeline(entries: Sequence[TimelineEntry]) -> bytes:
    st = styles()
    rows = [["时间", "操作人", "事项"]]
    rows += [[fmt_datetime(e.at), e.actor, e.event] for e in sorted(entries, key=lambda e: e.at)]
    story: list[Flowable] = [text("案件流程记录", st.title),
                             grid(rows, (0.28, 0.2, 0.52), st, True)]
    return build(story, title="案件流程记录", st=st, footer=False)


def unembedded_list(title: str, items: Sequence[Unembedded]) -> bytes:
    st = styles()
    rows = [["序号", "文件名", "大小", "SHA-256", "未嵌入原因"]]
    rows += [[str(i), u.name, human_size(u.size), u.sha256, u.reason]
             for i, u in enumerate(items, 1)]
    story: list[Flowable] = [text(title, st.heading),
                             text("以下材料未能嵌入本卷宗，原件另行保存，可按 SHA-256 核验。",
                                  st.cell),
                             Spacer(1, 6), grid(rows, (0.07, 0.25, 0.11, 0.35, 0.22), st, True)]
    return build(story, title=title, st=st, footer=False)


def image_page(name: str, sha256: str, image: Image.Image) -> bytes:
    """One A4 page: the caption, then the image scaled to fit."""
    font = styles().font
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4)
    c.setTitle(name)
    c.setFont(font, 10)
    c.drawString(MARGIN, PAGE_HEIGHT - MARGIN, name)
    c.setFont(font, 7)
    c.drawString(MARGIN, PAGE_HEIGHT - MARGIN - 12, f"SHA-256: {sha256}")
    top = PAGE_HEIGHT - MARGIN - 24
    jpeg = io.BytesIO()
    image.convert("RGB").save(jpeg, "JPEG", quality=85)  # embedded as is, no re-encoding
    jpeg.seek(0)
    c.drawImage(ImageReader(jpeg), MARGIN, MARGIN, PAGE_WIDTH - 2 * MARGIN, top - MARGIN,
                preserveAspectRatio=True, anchor="n")
    c.showPage()
    c.save()
    return out.getvalue()
