from __future__ import annotations

import io
import itertools
import re
from datetime import date, datetime

import pytest
from PIL import Image
from pypdf import PdfReader

from documents import templates
from documents.data import (
    DossierData,
    DossierFile,
    DossierSection,
    EvidenceListData,
    SectionKind,
    TimelineEntry,
)
from documents.dossier import build_dossier
from tests.unit.documents.samples import CASE, EVIDENCE, MINUTES, PARTIES

NUMBER = re.compile(r"卷宗第 (\d+) 页 共 (\d+) 页")


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2400, 1600), (210, 225, 240)).save(out, "JPEG")
    return out.getvalue()


def _dossier(sections: list[DossierSection], **extra: object) -> DossierData:
    fields: dict[str, object] = {
        "case_number": CASE.case_number, "title": "张秀英与诸暨市宏达建材有限公司劳动争议纠纷",
        "parties": PARTIES, "body_name": CASE.body_name, "mediator": "陈立民",
        "opened_on": date(2025, 3, 4), "outcome": "调解成功", "sections": sections,
        "timeline": (TimelineEntry(datetime(2025, 3, 2, 9), "张秀英", "提交调解申请"),
                     TimelineEntry(datetime(2025, 3, 4, 10), "陈立民", "受理")),
        "closed_on": date(2025, 3, 20), "keeper": "赵晓燕"}
    fields.update(extra)
    return DossierData(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def built(signed_agreement: bytes) -> tuple[bytes, list[float]]:
    # Given out of order on purpose: the dossier puts them in dossier order.
    sections = [
        DossierSection(SectionKind.AGREEMENT, [DossierFile("人民调解协议书", signed_agreement)]),
        DossierSection(SectionKind.MINUTES,
                       [DossierFile("第1次调解笔录", templates.minutes(MINUTES))]),
        DossierSection(SectionKind.APPLICATION,
                       [DossierFile("调解申请书", templates.application(CASE))]),
        DossierSection(SectionKind.EVIDENCE, [
            DossierFile("证据清单", templates.evidence_list(
                EvidenceListData(CASE.case_number, "张秀英", EVIDENCE))),
            DossierFile("工资条照片.jpg", _jpeg()),
            DossierFile("劳动合同.pdf", templates.application(CASE)),
            DossierFile("现场录音.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(400)),
            DossierFile("损坏的合同.pdf", b"%PDF-1.7\nthis is not really a pdf"),
            DossierFile("损坏的照片.png", b"\x89PNG\r\n\x1a\n" + bytes(50)),
        ]),
        DossierSection(SectionKind.SERVICE, []),  # nothing served yet: left out
    ]
    progress: list[float] = []
    return build_dossier(_dossier(sections), progress.append), progress


def _outline(reader: PdfReader) -> list[tuple[str, int, list[str]]]:
    result: list[tuple[str, int, list[str]]] = []
    for item in reader.outline:
        if isinstance(item, list):
            result[-1][2].extend(child.title for child in item)  # type: ignore[union-attr]
        else:
            result.append((str(item.title), reader.get_destination_page_number(item), []))
    return result


def test_sections_come_in_dossier_order_with_a_bookmark_each(
        built: tuple[bytes, list[float]]) -> None:
    reader = PdfReader(io.BytesIO(built[0]))
    titles = [title for title, _, _ in _outline(reader)]
    assert titles == ["封面", "卷内目录", "调解申请书", "证据清单及证据材料", "调解笔录",
                      "调解协议书", "案件流程记录", "卷宗备考表"]
    pages = [page for _, page, _ in _outline(reader)]
    assert pages == sorted(pages) and pages[0] == 0
    evidence = [children for title, _, children in _outline(reader) if title.startswith("证据")]
    assert evidence == [["证据清单", "工资条照片.jpg", "劳动合同.pdf", "未嵌入材料清单"]]


def test_every_page_carries_its_continuous_number(built: tuple[bytes, list[float]]) -> None:
    reader = PdfReader(io.BytesIO(built[0]))
    total = len(reader.pages)
    for index, page in enumerate(reader.pages):
        found = NUMBER.findall(page.extract_text())
        # Exactly one stamp per page: shared resources were not stamped twice.
        assert found == [(str(index + 1), str(total))], index


def test_the_contents_list_the_page_ranges_of_the_bookmarks(
        built: tuple[bytes, list[float]]) -> None:
    reader = PdfReader(io.BytesIO(built[0]))
    toc = reader.pages[1].extract_text().replace("\n", " ")
    outline = _outline(reader)
    for (title, first, _), (_, following, _) in itertools.pairwise(outline[2:]):
        expected = str(first + 1) if following == first + 1 else f"{first + 1}–{following}"
        assert re.search(rf"{re.escape(title)}\s*{expected}\b", toc), (title, expected, toc)
    cover = reader.pages[0].extract_text()
    assert f"共 {len(reader.pages)} 页" in cover and "张秀英" in cover


def test_unrenderable_evidence_is_listed_with_its_reason(
        built: tuple[bytes, list[float]]) -> None:
    reader = PdfReader(io.BytesIO(built[0]))
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    for name, reason in [("现场录音.mp3", "该文件类型不能嵌入"),
                         ("损坏的合同.pdf", "PDF 文件已损坏"),
                         ("损坏的照片.png", "图片无法解码")]:
        assert name in text and reason in text
    images = [p for p in reader.pages if "/XObject" in p["/Resources"]
              and any(x.get_object().get("/Subtype") == "/Image"
                      for x in p["/Resources"]["/XObject"].values())]
    assert len(images) == 1  # the photo is embedded as an image page


def test_progress_rises_to_one(built: tuple[bytes, list[float]]) -> None:
    progress = built[1]
    assert progress[0] == 0.0 and progress[-1] == 1.0
    assert progress == sorted(progress)


def test_an_empty_case_still_gets_cover_contents_and_closing() -> None:
    reader = PdfReader(io.BytesIO(build_dossier(_dossier([], timeline=()))))
    assert [t for t, _, _ in _outline(reader)] == ["封面", "卷内目录", "卷宗备考表"]
    assert len(reader.pages) == 3


def test_signed_papers_keep_their_stamps_but_carry_no_dead_signatures(
        built: tuple[bytes, list[float]]) -> None:
    reader = PdfReader(io.BytesIO(built[0]))
    assert "/AcroForm" not in reader.trailer["/Root"]
    assert all("/Annots" not in page for page in reader.pages)
    text = "".join(p.extract_text() for p in reader.pages)
    assert "人民调解员 陈立民" in text  # the mediator's stamp, now part of the page
