"""The one-click people's-mediation dossier (卷宗): every paper of a case in one numbered PDF."""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import filetype
from PIL import Image, ImageOps
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import IndirectObject

from documents import dossier_pages as pages
from documents.data import DossierData, DossierFile, DossierSection, SectionKind
from documents.numbering import stamp_page_numbers
from documents.pdfpages import Appearance, draw_appearances, take_signature_widgets

log = logging.getLogger(__name__)

Progress = Callable[[float], None]

SECTION_TITLES: dict[SectionKind, str] = {
    SectionKind.APPLICATION: "调解申请书",
    SectionKind.ACCEPTANCE: "受理通知书",
    SectionKind.EVIDENCE: "证据清单及证据材料",
    SectionKind.MINUTES: "调解笔录",
    SectionKind.AGREEMENT: "调解协议书",
    SectionKind.TERMINATION: "调解终结书",
    SectionKind.CONFIRMATION: "司法确认申请书",
    SectionKind.COMPLAINT: "民事起诉状",
    SectionKind.SERVICE: "送达回证",
    SectionKind.OTHER: "其他材料",
}
COVER, CONTENTS, TIMELINE, CLOSING = "封面", "卷内目录", "案件流程记录", "卷宗备考表"
_ORDER = list(SectionKind)
MAX_IMAGE_SIDE = 2000  # pixels; larger evidence photos are scaled down for the dossier


@dataclass
class _Part:
    title: str
    pages: list[PageObject]
    stamps: dict[int, list[Appearance]] = field(default_factory=dict)  # page index -> widgets


@dataclass
class _Section:
    title: str
    parts: list[_Part] = field(default_factory=list)

    @property
    def page_count(self) -> int:
        return sum(len(p.pages) for p in self.parts)


def _pdf_pages(data: bytes) -> list[PageObject]:
    return list(PdfReader(io.BytesIO(data)).pages)


def build_dossier(data: DossierData, progress: Progress | None = None) -> bytes:
    """Assemble the dossier: cover, contents, the sections in dossier order, timeline, closing.

    Files that cannot be embedded (damaged, encrypted, not a PDF or an image) are listed with
    their SHA-256 and the reason at the end of their section; they never stop the build.
    `progress` receives fractions from 0.0 to 1.0.
    """
    report = progress or (lambda _: None)
    report(0.0)
    ordered = sorted((s for s in data.sections if s.files), key=lambda s: _ORDER.index(s.kind))
    body: list[_Section] = []
    for i, section in enumerate(ordered):
        body.append(_load_section(section))
        report(0.6 * (i + 1) / len(ordered))
    if data.timeline:
        timeline = _pdf_pages(pages.timeline(data.timeline))
        body.append(_Section(TIMELINE, [_Part(TIMELINE, timeline)]))
    cover, toc, closing = _front_and_back(data, body)
    report(0.7)
    writer = PdfWriter()
    _assemble(writer, [_Section(COVER, [_Part(COVER, cover)]),
                       _Section(CONTENTS, [_Part(CONTENTS, toc)]), *body,
                       _Section(CLOSING, [_Part(CLOSING, closing)])])
    report(0.8)
    stamp_page_numbers(writer, lambda n, m: f"卷宗第 {n} 页 共 {m} 页")
    report(0.95)
    writer.add_metadata({"/Title": f"人民调解卷宗 {data.case_number}", "/Subject": data.title,
                         "/Creator": "Fengqiao ODR documents"})
    writer.page_mode = "/UseOutlines"
    out = io.BytesIO()
    writer.write(out)
    report(1.0)
    return out.getvalue()


def _front_and_back(data: DossierData, body: Sequence[_Section]
                    ) -> tuple[list[PageObject], list[PageObject], list[PageObject]]:
    """Cover, contents and closing sheet. The contents' own length shifts every page range
    after it, so render until that length settles (nearly always at once)."""
    toc_length = 1
    for _ in range(4):
        rows: list[pages.TocRow] = []
        page = 1 + toc_length + 1  # after the cover and the contents
        for section in body:
            rows.append(pages.TocRow(section.title, page, page + section.page_count - 1, 0))
            start = page
            for part in section.parts if len(section.parts) > 1 else ():
                rows.append(pages.TocRow(part.title, start, start + len(part.pages) - 1, 1))
                start += len(part.pages)
            page += section.page_count
        rows.append(pages.TocRow(CLOSING, page, page, 0))
        rendered = _pdf_pages(pages.front_and_back(data, rows, total_pages=page))
        if len(rendered) - 2 == toc_length:
            return rendered[:1], rendered[1:-1], rendered[-1:]
        toc_length = len(rendered) - 2
    raise RuntimeError("the table of contents does not settle")  # pragma: no cover


def _assemble(writer: PdfWriter, sections: Sequence[_Section]) -> None:
    for section in sections:
        first = len(writer.pages)
        for part in section.parts:
            for index, page in enumerate(part.pages):
                added = writer.add_page(page)
                if index in part.stamps:
                    draw_appearances(writer, added, part.stamps[index])
        parent: IndirectObject = writer.add_outline_item(title=section.title, page_number=first)
        if len(section.parts) > 1:
            start = first
            for part in section.parts:
                writer.add_outline_item(title=part.title, page_number=start, parent=parent)
                start += len(part.pages)


def _load_section(section: DossierSection) -> _Section:
    title = section.title or SECTION_TITLES[section.kind]
    result = _Section(title)
    skipped: list[pages.Unembedded] = []
    for f in section.files:
        loaded = _load_file(f)
        if isinstance(loaded, pages.Unembedded):
            skipped.append(loaded)
            continue
        # Signatures do not survive the copy; their stamps are drawn into the pages instead.
        stamps = {i: found for i, page in enumerate(loaded)
                  if (found := take_signature_widgets(page))}
        result.parts.append(_Part(f.name, loaded, stamps))
    if skipped:
        listing = pages.unembedded_list(f"{title}：未嵌入材料清单", skipped)
        result.parts.append(_Part("未嵌入材料清单", _pdf_pages(listing)))
    return result


def _load_file(f: DossierFile) -> list[PageObject] | pages.Unembedded:
    digest = hashlib.sha256(f.content).hexdigest()
    kind = f.media_type or filetype.guess_mime(f.content[:8192]) or ""
    if kind == "application/pdf" or f.content[:1024].lstrip().startswith(b"%PDF-"):
        return _load_pdf(f, digest)
    if kind.startswith("image/"):
        return _load_image(f, digest)
    reason = f"该文件类型不能嵌入（{kind or '未知类型'}）"
    return pages.Unembedded(f.name, len(f.content), digest, reason)


def _load_pdf(f: DossierFile, digest: str) -> list[PageObject] | pages.Unembedded:
    def skip(reason: str) -> pages.Unembedded:
        return pages.Unembedded(f.name, len(f.content), digest, reason)

    try:
        reader = PdfReader(io.BytesIO(f.content), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return skip("PDF 已加密，无法嵌入")
        result = list(reader.pages)
        for page in result:
            page.mediabox  # noqa: B018 - touch each page so damage shows here, not later
            contents = page.get("/Contents")
            if contents is not None:
                contents.get_object()
    except Exception as exc:  # a damaged PDF fails anywhere in the parser
        log.info("evidence %s (%s) is not a readable PDF: %r", f.name, digest, exc)
        return skip("PDF 文件已损坏，无法读取")
    return result or skip("PDF 文件没有页面")


def _load_image(f: DossierFile, digest: str) -> list[PageObject] | pages.Unembedded:
    try:
        with Image.open(io.BytesIO(f.content)) as img:
            img.load()
            upright = ImageOps.exif_transpose(img)  # phone photos carry their rotation in EXIF
            rgba = upright.convert("RGBA")
            picture = Image.new("RGB", rgba.size, "white")
            picture.paste(rgba, mask=rgba)  # transparent areas on white, not black
    except Exception as exc:  # PIL raises many kinds of errors for broken files
        log.info("evidence %s (%s) is not a readable image: %r", f.name, digest, exc)
        return pages.Unembedded(f.name, len(f.content), digest, "图片无法解码")
    picture.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    return _pdf_pages(pages.image_page(f.name, digest, picture))
