"""Agreement drafting: default terms per dispute type, and the difference between two versions."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from documents.data import AgreementData, CaseData, Installment, SignatureSlot
from documents.render import fmt_date, fmt_money
from documents.templates.common import DISPUTE_LABELS, SIDE_LABELS, ordinal_label, party_line

__all__ = ["DISPUTE_LABELS", "TEMPLATES", "AgreementDiff", "Change", "DraftTemplate",
           "default_signatures", "diff_versions", "draft_agreement", "unified_diff"]


@dataclass(frozen=True)
class DraftTemplate:
    """Terms with placeholders {applicant}, {respondent}, {amount}, {due}."""

    terms: tuple[str, ...]
    breach_clause: str


_PAY = "{respondent}于{due}前向{applicant}支付{amount}。"
_SETTLED = "本协议履行完毕后，双方就本纠纷再无其他争议。"
_COURT = "，{applicant}可以依法向人民法院申请司法确认后的强制执行，或者依法提起诉讼。"

TEMPLATES: dict[str, DraftTemplate] = {
    "labour": DraftTemplate(
        ("{respondent}于{due}前向{applicant}支付拖欠的劳动报酬{amount}。",
         "{respondent}于{due}前为{applicant}出具解除劳动关系证明，并办理社会保险关系转移手续。",
         _SETTLED),
        "{respondent}未按期足额支付的，应以未付金额为基数，按每日万分之五向{applicant}支付违约金"
        + _COURT),
    "family": DraftTemplate(
        ("双方本着互谅互让、维护家庭和睦的原则，就家庭事务达成如下约定。",
         "{respondent}自{due}起按月向{applicant}支付赡养（抚养）费，合计{amount}。",
         "双方应相互尊重，不得干涉对方的正常生活。", _SETTLED),
        "一方不履行本协议约定义务的，另一方可以请求人民调解委员会督促履行" + _COURT),
    "neighbour": DraftTemplate(
        ("{respondent}于{due}前自行清除影响{applicant}通行、采光、排水的设施，恢复原状。",
         "{respondent}向{applicant}赔偿损失{amount}，于{due}前付清。",
         "双方今后应互谅互让、和睦相处。", _SETTLED),
        "{respondent}逾期未恢复原状或者未付清赔偿款的，{applicant}可以自行或委托他人恢复，"
        "费用由{respondent}承担" + _COURT),
    "land": DraftTemplate(
        ("双方确认争议土地的四至界址以现场确认并经村（居）民委员会见证的为准。",
         "{respondent}于{due}前向{applicant}支付补偿款{amount}。",
         "任何一方不得再以任何理由干涉对方依约使用土地。", _SETTLED),
        "一方违反前述约定的，应赔偿对方因此受到的损失" + _COURT),
    "debt": DraftTemplate(
        ("{respondent}确认尚欠{applicant}借款本息合计{amount}。",
         "{respondent}按本协议所列履行计划，于{due}前全部还清。",
         "{applicant}放弃超出本协议金额的其他利息请求。", _SETTLED),
        "{respondent}任何一期未按时足额还款的，{applicant}有权要求一次性清偿全部剩余款项"
        + _COURT),
    "consumer": DraftTemplate(
        ("{respondent}于{due}前为{applicant}办理退货，并退还货款{amount}。",
         "{applicant}应于退款前退还所购商品及赠品，商品不影响二次销售的除外情形由双方另行协商。",
         _SETTLED),
        "{respondent}逾期退款的，应按未退金额每日万分之五向{applicant}支付违约金" + _COURT),
    "other": DraftTemplate((_PAY, _SETTLED),
                           "一方不履行本协议的，应赔偿对方因此受到的损失" + _COURT),
}


def default_signatures(case: CaseData) -> tuple[SignatureSlot, ...]:
    """Parties in order, then the mediator, then the body's seal (the order they sign in)."""
    slots = [SignatureSlot(f"party-{i}", p.representative if p.organisation and p.representative
                           else p.name, SIDE_LABELS[p.side])
             for i, p in enumerate(case.parties, 1)]
    slots.append(SignatureSlot("mediator", case.mediator, "人民调解员"))
    slots.append(SignatureSlot("body-seal", case.body_name, "人民调解委员会", seal=True))
    return tuple(slots)


def draft_agreement(case: CaseData, *, amount: Decimal | None = None, due: date | None = None,
                    made_on: date | None = None) -> AgreementData:
    """A first draft (version 1) from the dispute type's template; unknown types use "other"."""
    template = TEMPLATES.get(case.dispute_type, TEMPLATES["other"])
    applicants = "、".join(p.name for p in case.side("applicant"))
    respondents = "、".join(p.name for p in case.side("respondent"))
    values = {"applicant": applicants or "申请人", "respondent": respondents or "被申请人",
              "amount": fmt_money(amount) if amount is not None else "（金额待定）",
              "due": fmt_date(due) if due is not None else "（日期待定）"}
    schedule: tuple[Installment, ...] = ()
    if amount is not None and due is not None:
        schedule = (Installment(due, amount, values["respondent"], values["applicant"],
                                "银行转账"),)
    return AgreementData(
        case_number=case.case_number, body_name=case.body_name, mediator=case.mediator,
        dispute_type=case.dispute_type, parties=tuple(case.parties), facts=case.facts,
        terms=tuple(t.format(**values) for t in template.terms),
        breach_clause=template.breach_clause.format(**values), schedule=schedule, version=1,
        made_on=made_on, signatures=default_signatures(case))


@dataclass(frozen=True)
class Change:
    part: str  # parties, facts, terms, schedule, breach_clause
    op: Literal["replace", "insert", "delete"]
    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True)
class AgreementDiff:
    old_version: int
    new_version: int
    changes: tuple[Change, ...]

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def parts(self) -> list[str]:
        return sorted({c.part for c in self.changes})


def _lines(data: AgreementData) -> dict[str, list[str]]:
    return {
        "parties": [party_line(p, ordinal_label(i, p)) for i, p in enumerate(data.parties)],
        "facts": [line.strip() for line in data.facts.splitlines() if line.strip()],
        "terms": list(data.terms),
        "schedule": [f"{fmt_date(s.due)} {s.amount:,.2f} 元 {s.payer} → {s.payee} {s.method}"
                     for s in data.schedule],
        "breach_clause": [line.strip() for line in data.breach_clause.splitlines()
                          if line.strip()],
    }


def diff_versions(old: AgreementData, new: AgreementData) -> AgreementDiff:
    """Line-level changes per part of the agreement, as plain data."""
    before, after = _lines(old), _lines(new)
    changes: list[Change] = []
    for part, old_lines in before.items():
        new_lines = after[part]
        matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op != "equal":
                changes.append(Change(part, op, tuple(old_lines[i1:i2]),
                                      tuple(new_lines[j1:j2])))
    return AgreementDiff(old.version, new.version, tuple(changes))


def unified_diff(old: AgreementData, new: AgreementData, context: int = 1) -> str:
    """The same comparison as unified diff text, for a plain-text view or an e-mail."""
    def flat(data: AgreementData) -> Sequence[str]:
        return [f"[{part}] {line}" for part, lines in _lines(data).items() for line in lines]
    return "\n".join(difflib.unified_diff(flat(old), flat(new), f"第 {old.version} 版",
                                          f"第 {new.version} 版", n=context, lineterm=""))
