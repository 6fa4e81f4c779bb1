from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from documents import templates
from documents.data import (
    AcceptanceData,
    ComplaintData,
    ConfirmationData,
    EvidenceListData,
    Party,
    ServiceReceiptData,
    TerminationData,
)
from documents.render import page_label
from tests.unit.documents.samples import (
    AGREEMENT,
    APPLICANT,
    CASE,
    EVIDENCE,
    MINUTES,
    PARTIES,
    RESPONDENT,
    SLOTS,
)

CASES: dict[str, tuple[Callable[[Any], bytes], Any, list[str]]] = {
    "application": (templates.application, CASE,
                    ["人民调解申请书", "张秀英", "诸暨市宏达建材有限公司", "李卫东",
                     "叁万陆仟捌佰元整"]),
    "acceptance": (templates.acceptance_notice,
                   AcceptanceData(CASE, date(2025, 3, 4), "张秀英", "诸枫调受字第42号"),
                   ["受理通知书", "张秀英", "诸暨市宏达建材有限公司", "予以受理"]),
    "minutes": (templates.minutes, MINUTES,
                ["调解笔录", "张秀英", "王建国", "李卫东", "同意调解"]),
    "agreement": (templates.agreement, AGREEMENT,
                  ["人民调解协议书", "张秀英", "诸暨市宏达建材有限公司", "李卫东", "违约责任"]),
    "termination": (templates.termination_record,
                    TerminationData(CASE, date(2025, 3, 28), "双方分歧较大，未能达成协议"),
                    ["调解终结书", "张秀英", "诸暨市宏达建材有限公司", "终结调解"]),
    "confirmation": (templates.judicial_confirmation,
                     ConfirmationData("诸暨市人民法院", CASE.body_name, CASE.case_number,
                                      PARTIES[:2], date(2025, 3, 15), AGREEMENT.terms,
                                      signatures=SLOTS[:2]),
                     ["司法确认申请书", "张秀英", "诸暨市宏达建材有限公司", "诸暨市人民法院"]),
    "complaint": (templates.civil_complaint,
                  ComplaintData("诸暨市人民法院", [APPLICANT], [RESPONDENT], CASE.claims,
                                CASE.facts, EVIDENCE, "本案经诸暨市枫桥镇人民调解委员会调解未果。"),
                  ["民事起诉状", "原告", "张秀英", "被告", "诸暨市宏达建材有限公司"]),
    "evidence_list": (templates.evidence_list,
                      EvidenceListData(CASE.case_number, "张秀英", EVIDENCE),
                      ["证据清单", "张秀英", "劳动合同.pdf", "9f9f9f9f"]),
    "service_receipt": (templates.service_receipt,
                        ServiceReceiptData(CASE.case_number, CASE.body_name, "人民调解协议书",
                                           "诸暨市宏达建材有限公司", "电子送达", "13900002222",
                                           datetime(2025, 3, 16, 9, 30),
                                           datetime(2025, 3, 16, 10, 2), "赵晓燕"),
                        ["送达回证", "诸暨市宏达建材有限公司", "电子送达", "赵晓燕"]),
}


def _text(pdf: bytes) -> str:
    # Line breaks fall anywhere in CJK text; compare without them.
    reader = PdfReader(io.BytesIO(pdf))
    return "".join(p.extract_text() for p in reader.pages).replace("\n", "")


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_template_renders_searchable_cjk_text_on_numbered_a4(name: str) -> None:
    render, data, expected = CASES[name]
    pdf = render(data)
    reader = PdfReader(io.BytesIO(pdf))
    text = _text(pdf)
    for phrase in expected:
        assert phrase in text, phrase
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, 1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        assert page_label(number, total) in page.extract_text()


def test_the_cjk_font_is_embedded_as_truetype() -> None:
    reader = PdfReader(io.BytesIO(templates.application(CASE)))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = [f.get_object().get("/FontDescriptor") for f in fonts.values()]
    assert any(d is not None and "/FontFile2" in d.get_object() for d in descriptors)


def test_signable_papers_carry_one_empty_field_per_slot() -> None:
    reader = PdfReader(io.BytesIO(templates.agreement(AGREEMENT)))
    fields = reader.get_fields() or {}
    assert list(fields) == [s.field_name for s in SLOTS]
    assert all(f.get("/FT") == "/Sig" and f.get("/V") is None for f in fields.values())


def test_duplicate_signature_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        templates.agreement(replace(AGREEMENT, signatures=(SLOTS[0], SLOTS[0])))


def test_user_text_is_printed_literally_not_as_markup() -> None:
    tricky = Party("<b>王&五</b>", "respondent")
    pdf = templates.application(replace(CASE, parties=(APPLICANT, tricky)))
    assert "<b>王&五</b>" in _text(pdf)


def test_long_minutes_run_over_several_pages_with_totals() -> None:
    entries = list(MINUTES.entries) * 40
    pdf = templates.minutes(replace(MINUTES, entries=entries))
    reader = PdfReader(io.BytesIO(pdf))
    total = len(reader.pages)
    assert total > 2
    assert page_label(total, total) in reader.pages[-1].extract_text()
