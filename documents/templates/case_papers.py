"""Papers of the case file: application, acceptance notice, evidence list, service receipt."""

from __future__ import annotations

from reportlab.platypus import Flowable, Spacer

from documents.data import AcceptanceData, CaseData, EvidenceListData, ServiceReceiptData
from documents.render import (
    build,
    fmt_date,
    fmt_datetime,
    fmt_money,
    grid,
    paragraphs,
    styles,
    text,
)
from documents.templates.common import closing, dispute_label, party_block

# People's Mediation Law, art. 23: the parties' rights, printed on the acceptance notice.
PARTY_RIGHTS = (
    "当事人在人民调解活动中享有下列权利：（一）选择或者接受人民调解员；"
    "（二）接受调解、拒绝调解或者要求终止调解；（三）要求调解公开进行或者不公开进行；"
    "（四）自主表达意愿、自愿达成调解协议。"
)


def human_size(size: int) -> str:
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MB"
    if size >= 1 << 10:
        return f"{size / (1 << 10):.1f} KB"
    return f"{size} B"


def application(case: CaseData) -> bytes:
    """人民调解申请书."""
    st = styles()
    story: list[Flowable] = [text("人民调解申请书", st.title),
                             text(f"案号：{case.case_number}", st.subtitle)]
    story += party_block(case.parties, st)
    story.append(text(f"纠纷类型：{dispute_label(case.dispute_type)}", st.plain))
    story.append(text("调解请求：", st.heading))
    for i, claim in enumerate(case.claims, 1):
        amount = f"（{fmt_money(claim.amount)}）" if claim.amount is not None else ""
        story.append(text(f"{i}. {claim.text}{amount}", st.plain))
    story.append(text("事实和理由：", st.heading))
    story += paragraphs(case.facts, st.body)
    if case.evidence:
        story.append(text("证据：", st.heading))
        rows = [["序号", "证据名称", "SHA-256"]]
        rows += [[str(i), e.name, e.sha256] for i, e in enumerate(case.evidence, 1)]
        story.append(grid(rows, (0.08, 0.34, 0.58), st, header=True))
    story += [Spacer(1, 12), text("此致", st.plain), text(case.body_name, st.plain)]
    names = "、".join(p.name for p in case.side("applicant"))
    story += closing(st, [f"申请人：{names}", fmt_date(case.filed_on)])
    return build(story, title=f"人民调解申请书 {case.case_number}", st=st)


def acceptance_notice(data: AcceptanceData) -> bytes:
    """受理通知书."""
    st = styles()
    case = data.case
    others = "、".join(p.name for p in case.parties if p.name != data.addressee)
    story: list[Flowable] = [text("受理通知书", st.title)]
    if data.notice_number:
        story.append(text(data.notice_number, st.subtitle))
    story.append(text(f"{data.addressee}：", st.plain))
    story.append(text(
        f"你（单位）于{fmt_date(case.filed_on)}提出的与{others}之间的"
        f"{dispute_label(case.dispute_type)}纠纷调解申请，经审查，符合人民调解受理条件，"
        f"本委员会决定予以受理。案号：{case.case_number}。", st.body))
    if case.mediator:
        story.append(text(f"本案由人民调解员{case.mediator}主持调解。", st.body))
    story.append(text(PARTY_RIGHTS, st.body))
    story += paragraphs(data.notes, st.body)
    story.append(text("特此通知。", st.body))
    story += closing(st, [case.body_name, fmt_date(data.accepted_on)])
    return build(story, title=f"受理通知书 {case.case_number}", st=st)


def evidence_list(data: EvidenceListData) -> bytes:
    """证据清单 with each file's SHA-256."""
    st = styles()
    heading = f"案号：{data.case_number}　提交人：{data.submitter}"
    story: list[Flowable] = [text("证据清单", st.title), text(heading, st.subtitle)]
    rows = [["序号", "证据名称", "证明目的", "大小", "SHA-256"]]
    rows += [[str(i), e.name, e.purpose or e.description, human_size(e.size), e.sha256]
             for i, e in enumerate(data.items, 1)]
    story.append(grid(rows, (0.07, 0.22, 0.25, 0.11, 0.35), st, header=True))
    story.append(Spacer(1, 8))
    story.append(text("说明：SHA-256 为所提交文件的数字指纹，可据以核验文件自提交后未被改动。",
                      st.cell))
    story += closing(st, [f"提交人：{data.submitter}", fmt_date(data.made_on)])
    return build(story, title=f"证据清单 {data.case_number}", st=st)


def service_receipt(data: ServiceReceiptData) -> bytes:
    """送达回证."""
    st = styles()
    rows = [
        ["案号", data.case_number],
        ["送达文书", data.document_title],
        ["受送达人", data.addressee],
        ["送达地址", data.address],
        ["送达方式", data.method],
        ["送达时间", fmt_datetime(data.served_at)],
        ["签收时间", fmt_datetime(data.received_at) or "未签收"],
        ["送达人", data.server],
        ["备注", data.notes],
    ]
    story: list[Flowable] = [text("送达回证", st.title), text(data.body_name, st.subtitle),
                             grid(rows, (0.25, 0.75), st)]
    story += closing(st, [data.body_name, fmt_date(data.served_at.date())])
    return build(story, title=f"送达回证 {data.case_number}", st=st)
