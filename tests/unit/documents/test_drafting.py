from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from documents import templates
from documents.data import Installment
from documents.drafting import (
    DISPUTE_LABELS,
    TEMPLATES,
    default_signatures,
    diff_versions,
    draft_agreement,
    unified_diff,
)
from tests.unit.documents.samples import CASE


def test_every_dispute_type_has_a_label_and_a_template() -> None:
    assert set(TEMPLATES) == set(DISPUTE_LABELS)
    assert {"labour", "family", "neighbour", "land", "debt", "consumer", "other"} <= set(TEMPLATES)


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_a_draft_fills_in_parties_amount_and_date(kind: str) -> None:
    case = replace(CASE, dispute_type=kind)
    draft = draft_agreement(case, amount=Decimal("36800"), due=date(2025, 4, 30))
    text = "".join(draft.terms) + draft.breach_clause
    assert "{" not in text
    assert "张秀英" in text
    assert "诸暨市宏达建材有限公司" in text
    assert "叁万陆仟捌佰元整" in text
    assert draft.schedule == (Installment(date(2025, 4, 30), Decimal("36800"),
                                          "诸暨市宏达建材有限公司", "张秀英", "银行转账"),)
    assert draft.version == 1
    templates.agreement(draft)  # the draft renders


def test_an_unknown_type_uses_the_general_template_and_placeholders_stay_readable() -> None:
    draft = draft_agreement(replace(CASE, dispute_type="渔业纠纷"))
    assert draft.terms == tuple(
        t.format(applicant="张秀英", respondent="诸暨市宏达建材有限公司", amount="（金额待定）",
                 due="（日期待定）") for t in TEMPLATES["other"].terms)
    assert draft.schedule == ()


def test_signers_are_parties_then_mediator_then_seal() -> None:
    slots = default_signatures(CASE)
    assert [s.field_name for s in slots] == ["party-1", "party-2", "party-3", "mediator",
                                             "body-seal"]
    # An organisation signs through its legal representative.
    assert slots[1].signer_name == "王建国"
    assert slots[-1].seal and not slots[0].seal


def test_diff_names_each_changed_part() -> None:
    v1 = draft_agreement(CASE, amount=Decimal("36800"), due=date(2025, 4, 30))
    v2 = replace(v1, version=2,
                 terms=(v1.terms[0], "被申请人向申请人赔礼道歉。", *v1.terms[1:]),
                 schedule=(replace(v1.schedule[0], amount=Decimal("30000")),),
                 breach_clause=v1.breach_clause)
    diff = diff_versions(v1, v2)
    assert (diff.old_version, diff.new_version) == (1, 2)
    assert diff.parts() == ["schedule", "terms"]
    inserted = [c for c in diff.changes if c.part == "terms"]
    assert [(c.op, c.new) for c in inserted] == [("insert", ("被申请人向申请人赔礼道歉。",))]
    replaced = next(c for c in diff.changes if c.part == "schedule")
    assert replaced.op == "replace" and "36,800.00" in replaced.old[0]
    assert "30,000.00" in replaced.new[0]
    text = unified_diff(v1, v2)
    assert "+[terms] 被申请人向申请人赔礼道歉。" in text
    assert "第 1 版" in text and "第 2 版" in text


def test_identical_versions_have_no_changes() -> None:
    v1 = draft_agreement(CASE)
    assert not diff_versions(v1, replace(v1, version=2)).changed
    deleted = diff_versions(v1, replace(v1, terms=v1.terms[:-1]))
    assert [(c.part, c.op) for c in deleted.changes] == [("terms", "delete")]
