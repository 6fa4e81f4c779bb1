"""Papers addressed to a court: joint application for judicial confirmation, civil complaint."""

from __future__ import annotations

from reportlab.platypus import Flowable, Spacer

from documents.data import ComplaintData, ConfirmationData
from documents.render import (
    Placement,
    build,
    fmt_date,
    fmt_money,
    grid,
    paragraphs,
    signature_lines,
    styles,
    text,
)
from documents.templates.common import check_slots, closing, party_line

# The undertakings the SPC's rules on judicial confirmation ask of the applicants.
UNDERTAKINGS = (
    "申请人承诺：（一）出于解决纠纷的目的自愿达成调解协议，没有恶意串通、规避法律的行为；"
    "（二）如果因为该协议内容而给他人造成损害的，愿意承担相应的民事责任和其他法律责任。"
)


def judicial_confirmation(data: ConfirmationData) -> bytes:
    """司法确认申请书, jointly signed by the parties (signature fields from data.signatures)."""
    check_slots(data.signatures)
    st = styles()
    story: list[Flowable] = [text("司法确认申请书", st.title)]
    story += [text(party_line(p, "申请人"), st.plain) for p in data.parties]
    story.append(text("请求事项：", st.heading))
    story.append(text(
        f"请求人民法院确认申请人于{fmt_date(data.agreement_date)}经{data.body_name}主持调解"
        f"达成的调解协议（案号：{data.case_number}）有效。", st.body))
    story.append(text("事实和理由：", st.heading))
    story.append(text(
        f"申请人之间发生纠纷，经{data.body_name}主持调解，于{fmt_date(data.agreement_date)}"
        "自愿达成如下调解协议：", st.body))
    story += [text(f"{i}. {term}", st.plain) for i, term in enumerate(data.agreement_terms, 1)]
    story.append(text(UNDERTAKINGS, st.body))
    story += [Spacer(1, 12), text("此致", st.plain), text(data.court_name, st.plain)]
    placements: list[Placement] = []
    story += signature_lines(data.signatures, st, placements)
    story += closing(st, [fmt_date(data.made_on)])
    return build(story, title=f"司法确认申请书 {data.case_number}", st=st, placements=placements)


def civil_complaint(data: ComplaintData) -> bytes:
    """民事起诉状 for filing at court after mediation failed."""
    st = styles()
    story: list[Flowable] = [text("民事起诉状", st.title)]
    story += [text(party_line(p, "原告"), st.plain) for p in data.plaintiffs]
    story += [text(party_line(p, "被告"), st.plain) for p in data.defendants]
    story.append(text("诉讼请求：", st.heading))
    for i, claim in enumerate(data.claims, 1):
        amount = f"（{fmt_money(claim.amount)}）" if claim.amount is not None else ""
        story.append(text(f"{i}. {claim.text}{amount}", st.plain))
    story.append(text("事实和理由：", st.heading))
    story += paragraphs(data.facts_and_reasons, st.body)
    story += paragraphs(data.mediation_note, st.body)
    if data.evidence:
        story.append(text("证据和证据来源：", st.heading))
        rows = [["序号", "证据名称", "来源", "SHA-256"]]
        rows += [[str(i), e.name, e.submitted_by, e.sha256]
                 for i, e in enumerate(data.evidence, 1)]
        story.append(grid(rows, (0.08, 0.3, 0.17, 0.45), st, header=True))
    story += [Spacer(1, 12), text("此致", st.plain), text(data.court_name, st.plain)]
    names = "、".join(p.name for p in data.plaintiffs)
    story += closing(st, [f"具状人：{names}", fmt_date(data.made_on)])
    return build(story, title="民事起诉状", st=st)
