"""Papers of the mediation itself: minutes, agreement, termination record."""

from __future__ import annotations

from reportlab.platypus import Flowable, Spacer

from documents.data import AgreementData, MinutesData, TerminationData
from documents.render import (
    Placement,
    build,
    fmt_date,
    fmt_datetime,
    fmt_money,
    grid,
    paragraphs,
    signature_lines,
    styles,
    text,
)
from documents.templates.common import (
    check_slots,
    closing,
    dispute_label,
    ordinal_label,
    party_block,
    party_line,
)

# People's Mediation Law, arts. 26 and 33.
OTHER_REMEDIES = "当事人可以依法通过仲裁、行政、司法等途径维护自己的权利。"
CONFIRMATION_NOTICE = ("经人民调解委员会调解达成调解协议后，双方当事人认为有必要的，"
                       "可以自调解协议生效之日起三十日内共同向人民法院申请司法确认。")


def minutes(data: MinutesData) -> bytes:
    """调解笔录 of one session, with a signature field per participant in data.signatures."""
    check_slots(data.signatures)
    st = styles()
    period = fmt_datetime(data.started_at)
    if data.ended_at is not None:
        period += f" 至 {data.ended_at:%H:%M}"
    attendees = "、".join(f"{p.name}（{p.role}）" for p in data.participants)
    rows = [["案号", data.case_number], ["时间", period], ["地点", data.place],
            ["调解员", data.mediator], ["记录人", data.recorder or data.mediator],
            ["参加人员", attendees]]
    story: list[Flowable] = [text("调解笔录", st.title),
                             text(f"（第{data.session_number}次）", st.subtitle),
                             grid(rows, (0.2, 0.8), st), text("调解记录：", st.heading)]
    for entry in data.entries:
        at = f"【{entry.at:%H:%M}】" if entry.at else ""
        story.append(text(f"{at}{entry.speaker}：{entry.text}", st.plain))
    if data.summary:
        story.append(text("调解情况：", st.heading))
        story += paragraphs(data.summary, st.body)
    story.append(text("以上笔录经参加人员核对无误。", st.body))
    placements: list[Placement] = []
    story += signature_lines(data.signatures, st, placements)
    return build(story, title=f"调解笔录 {data.case_number} 第{data.session_number}次", st=st,
                 placements=placements)


def agreement(data: AgreementData) -> bytes:
    """人民调解协议书, with a signature field per slot in data.signatures."""
    check_slots(data.signatures)
    st = styles()
    story: list[Flowable] = [text("人民调解协议书", st.title),
                             text(f"案号：{data.case_number}　第 {data.version} 版", st.subtitle)]
    story += [text(party_line(p, ordinal_label(i, p)), st.plain)
              for i, p in enumerate(data.parties)]
    story.append(text(f"纠纷类型：{dispute_label(data.dispute_type)}", st.plain))
    story.append(text("纠纷主要事实、争议事项：", st.heading))
    story += paragraphs(data.facts, st.body)
    story.append(text(f"经{data.body_name}调解，各方当事人自愿达成如下协议：", st.heading))
    story += [text(f"{i}. {term}", st.plain) for i, term in enumerate(data.terms, 1)]
    if data.schedule:
        story.append(text("履行方式、时限：", st.heading))
        rows = [["期次", "履行期限", "金额（元）", "付款方", "收款方", "方式"]]
        rows += [[str(i), fmt_date(s.due), f"{s.amount:,.2f}", s.payer, s.payee, s.method]
                 for i, s in enumerate(data.schedule, 1)]
        story.append(grid(rows, (0.08, 0.2, 0.16, 0.18, 0.18, 0.2), st, header=True))
        story.append(text(f"合计：{fmt_money(data.total_amount)}", st.plain))
    story.append(text("违约责任：", st.heading))
    story += paragraphs(data.breach_clause, st.body)
    copies = data.copies or len(data.parties) + 1
    story.append(text("其他约定：", st.heading))
    story.append(text("本协议经各方当事人签名、人民调解员签名并加盖人民调解委员会印章后生效。"
                      f"本协议一式{copies}份，当事人、人民调解委员会各执一份。", st.body))
    story.append(text(CONFIRMATION_NOTICE, st.body))
    placements: list[Placement] = []
    story += signature_lines(data.signatures, st, placements)
    story += closing(st, [fmt_date(data.made_on)])
    return build(story, title=f"人民调解协议书 {data.case_number}", st=st,
                 subject=f"version {data.version}", placements=placements)


def termination_record(data: TerminationData) -> bytes:
    """调解终结书."""
    st = styles()
    case = data.case
    story: list[Flowable] = [text("调解终结书", st.title),
                             text(f"案号：{case.case_number}", st.subtitle)]
    story += party_block(case.parties, st)
    story.append(Spacer(1, 6))
    story.append(text(
        f"{case.body_name}于{fmt_date(case.accepted_on)}受理上列当事人之间的"
        f"{dispute_label(case.dispute_type)}纠纷。经调解，{data.reason}。"
        "依照《中华人民共和国人民调解法》第二十六条的规定，本委员会决定终结调解。", st.body))
    story += paragraphs(data.notes, st.body)
    story.append(text(OTHER_REMEDIES, st.body))
    story += closing(st, [f"人民调解员：{case.mediator}", case.body_name,
                          fmt_date(data.ended_on)])
    return build(story, title=f"调解终结书 {case.case_number}", st=st)
