"""Documents: the dossier against a plain merge, and one visible PAdES signature.

documents.dossier_vs_merge: build_dossier over ten generated papers of ~100 pages in all,
    divided by a plain pypdf merge of the same papers (target: at most 2x).
documents.sign_ms: median milliseconds of one PAdES signature with a visible, pre-rendered
    stamp and an RFC 3161 timestamp (target: at most 150 ms).
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

from pypdf import PdfReader, PdfWriter

from bench.figures import Figure
from documents import templates
from documents.ca import PlatformCA
from documents.data import (
    CaseData,
    Claim,
    DossierData,
    DossierFile,
    DossierSection,
    MinutesData,
    MinutesEntry,
    Participant,
    Party,
    SectionKind,
    SignatureSlot,
)
from documents.dossier import build_dossier
from documents.drafting import draft_agreement
from documents.signing import make_timestamper, sign_pdf
from documents.stamp import render_stamp

PARTIES = (Party("张秀英", "applicant", address="浙江省诸暨市枫桥镇枫源村12号"),
           Party("诸暨市宏达建材有限公司", "respondent", organisation=True,
                 representative="王建国"))
CASE = CaseData("（2025）诸枫调字第0042号", "labour", "诸暨市枫桥镇人民调解委员会", PARTIES,
                (Claim("支付拖欠工资"),), "申请人于2023年3月入职被申请人处。", mediator="陈立民")


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _medians(a: Callable[[], object], b: Callable[[], object], runs: int) -> tuple[float, float]:
    """Interleaved, so that load from other processes falls on both sides alike."""
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(_time(a))
        times_b.append(_time(b))
    return statistics.median(times_a), statistics.median(times_b)


def _papers(count: int = 10) -> list[bytes]:
    """Ten sessions' minutes of ten pages each."""
    line = "我要求支付拖欠的工资，公司一直拖延，已经影响到家庭生活，请调解员主持公道。" * 2
    entries = tuple(MinutesEntry("张秀英" if i % 2 else "王建国", line,
                                 datetime(2025, 3, 10, 14, i % 60)) for i in range(100))
    people = (Participant("张秀英", "申请人"), Participant("王建国", "被申请人"))
    minutes = MinutesData(CASE.case_number, CASE.body_name, 1, datetime(2025, 3, 10, 14, 0),
                          "陈立民", people, entries)
    return [templates.minutes(replace(minutes, session_number=i + 1)) for i in range(count)]


def _plain_merge(papers: list[bytes]) -> bytes:
    writer = PdfWriter()
    for paper in papers:
        writer.append(PdfReader(io.BytesIO(paper)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def dossier_vs_merge() -> Figure:
    papers = _papers()
    kinds = [SectionKind.APPLICATION, SectionKind.ACCEPTANCE, SectionKind.EVIDENCE,
             SectionKind.MINUTES, SectionKind.MINUTES, SectionKind.MINUTES, SectionKind.MINUTES,
             SectionKind.AGREEMENT, SectionKind.SERVICE, SectionKind.SERVICE]
    sections = [DossierSection(kind, [DossierFile(f"文书{i}", paper)])
                for i, (kind, paper) in enumerate(zip(kinds, papers, strict=True), 1)]
    data = DossierData(CASE.case_number, "张秀英与诸暨市宏达建材有限公司劳动争议纠纷", PARTIES,
                       CASE.body_name, "陈立民", date(2025, 3, 4), "调解成功", sections)
    build_dossier(data)  # warm up fonts and imports for both sides
    _plain_merge(papers)
    assert sum(len(PdfReader(io.BytesIO(p)).pages) for p in papers) == 100
    ours, merge = _medians(lambda: build_dossier(data), lambda: _plain_merge(papers), 9)
    return Figure("documents.dossier_vs_merge", ours, merge, 2.0, higher_is_better=False)


def sign_ms() -> Figure:
    with tempfile.TemporaryDirectory() as directory:
        ca = PlatformCA(directory, "bench-passphrase")
        timestamper = make_timestamper(ca)
        draft = draft_agreement(CASE)
        pdf = templates.agreement(replace(draft, signatures=(
            SignatureSlot("party-1", "张秀英", "申请人"),)))
        signer = ca.signer("bench-1", "张秀英")
        stamp = render_stamp("张秀英", datetime.now(UTC), None, "申请人")
        sign_pdf(pdf, signer, stamp, "party-1", timestamper=timestamper)  # warm up
        median = statistics.median(
            _time(lambda: sign_pdf(pdf, signer, stamp, "party-1", timestamper=timestamper))
            for _ in range(15))
    return Figure("documents.sign_ms", median * 1000, 1.0, 150.0, higher_is_better=False)


def run() -> list[Figure]:
    return [dossier_vs_merge(), sign_ms()]
