"""Pieces several templates share: party lines, labels, the closing block."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.platypus import Flowable, Spacer

from documents.data import Party, Side, SignatureSlot
from documents.render import Styles, fmt_date, text

SIDE_LABELS: dict[Side, str] = {"applicant": "申请人", "respondent": "被申请人",
                                "third_party": "第三人"}
ORDINALS = "甲乙丙丁戊己庚辛壬癸"

# Keys documented in documents/README.md; free text passes through unchanged.
DISPUTE_LABELS: dict[str, str] = {
    "labour": "劳动争议",
    "family": "婚姻家庭",
    "neighbour": "邻里纠纷",
    "land": "土地承包及征收",
    "debt": "民间借贷",
    "consumer": "消费纠纷",
    "other": "其他民事",
}


def dispute_label(key: str) -> str:
    return DISPUTE_LABELS.get(key, key)


def party_line(party: Party, label: str) -> str:
    """One party as Chinese legal papers print it."""
    if party.organisation:
        bits = [party.name]
        if party.id_number:
            bits.append(f"统一社会信用代码：{party.id_number}")
        if party.address:
            bits.append(f"住所地：{party.address}")
        if party.representative:
            bits.append(f"法定代表人：{party.representative}")
    else:
        bits = [party.name]
        if party.gender:
            bits.append(party.gender)
        if party.birth_date:
            bits.append(f"{fmt_date(party.birth_date)}出生")
        if party.id_number:
            bits.append(f"公民身份号码：{party.id_number}")
        if party.address:
            bits.append(f"住址：{party.address}")
        if party.representative:
            bits.append(f"委托代理人：{party.representative}")
    if party.phone:
        bits.append(f"联系电话：{party.phone}")
    return f"{label}：{'，'.join(bits)}。"


def party_block(parties: Sequence[Party], st: Styles,
                labels: dict[Side, str] | None = None) -> list[Flowable]:
    names = labels or SIDE_LABELS
    order: list[Side] = ["applicant", "respondent", "third_party"]
    ranked = sorted(parties, key=lambda p: order.index(p.side))
    return [text(party_line(p, names[p.side]), st.plain) for p in ranked]


def ordinal_label(index: int, party: Party) -> str:
    ordinal = ORDINALS[index] if index < len(ORDINALS) else str(index + 1)
    return f"{ordinal}方（{SIDE_LABELS[party.side]}）"


def closing(st: Styles, lines: Sequence[str]) -> list[Flowable]:
    """Right-aligned signature and date lines at the end of a paper."""
    return [Spacer(1, 18), *(text(line, st.right) for line in lines)]


def check_slots(slots: Sequence[SignatureSlot]) -> None:
    names = [s.field_name for s in slots]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate signature field names: {names}")
    for name in names:
        if not name or not name.isascii() or "." in name:
            raise ValueError(f"signature field names must be ASCII without dots: {name!r}")
