from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from documents import templates
from documents.data import EvidenceListData
from portal.casefile import papers
from portal.storage import LocalStorage

DATA = EvidenceListData(case_number="FQ-2099-000001", submitter="张三", items=())


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []

    def counting(data: Any) -> bytes:
        seen.append(data)
        return templates.evidence_list(data)

    monkeypatch.setitem(papers.RENDERERS, "evidence_list", counting)
    return seen


def test_a_paper_is_rendered_once_for_the_same_data(renders: list[Any],
                                                    storage: LocalStorage) -> None:
    first = papers.render("evidence_list", DATA, storage)
    again = papers.render("evidence_list", DATA, storage)
    assert first == again and first.startswith(b"%PDF-")
    assert renders == [DATA]
    name = f"{papers.CACHE_PREFIX}/{papers.cache_key('evidence_list', DATA)}.pdf"
    assert storage.exists(name)


def test_changed_data_makes_a_new_paper(renders: list[Any], storage: LocalStorage) -> None:
    papers.render("evidence_list", DATA, storage)
    papers.render("evidence_list", replace(DATA, submitter="李四"), storage)
    assert len(renders) == 2
    assert papers.cache_key("evidence_list", DATA) != papers.cache_key(
        "evidence_list", replace(DATA, submitter="李四"))


def test_the_key_depends_on_the_kind_and_the_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    key = papers.cache_key("evidence_list", DATA)
    assert papers.cache_key("application", DATA) != key
    monkeypatch.setattr(papers, "templates_version", lambda: "other")
    assert papers.cache_key("evidence_list", DATA) != key
