from __future__ import annotations

import io
import sys
import types

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from documents import templates
from portal.casefile import dossier, hooks
from portal.storage import get_storage
from tests.unit.casefile.world import World
from tests.unit.documents.samples import AGREEMENT


def test_nothing_is_provided_by_a_package_without_the_functions() -> None:
    assert hooks.provided("no_such_function_anywhere") is None


def test_a_function_of_portal_agreements_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("portal.agreements.services")
    fake.signed_agreement_pdf = lambda session, case_id: b"%PDF-signed"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "portal.agreements.services", fake)
    assert hooks.signed_agreement_pdf(None, 1) == b"%PDF-signed"  # type: ignore[arg-type]
    fake.signed_agreement_pdf = lambda session, case_id: "not bytes"  # type: ignore[attr-defined]
    assert hooks.signed_agreement_pdf(None, 1) is None  # type: ignore[arg-type]


def test_a_broken_import_inside_the_package_is_not_hidden(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> None:
        raise ModuleNotFoundError("No module named 'nonexistent_dependency'",
                                  name="nonexistent_dependency")

    monkeypatch.setattr(hooks.importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError):
        hooks.provided("signed_agreement_pdf")


def test_signed_papers_replace_the_generated_ones_in_the_dossier(
        world: World, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    signed = templates.agreement(AGREEMENT)
    monkeypatch.setattr(hooks, "signed_agreement_pdf", lambda session, case_id: signed)
    monkeypatch.setattr(hooks, "signed_minutes_pdf", lambda session, meeting_id: signed)
    data = dossier.collect(db, world.case)
    assert data.agreement is not None and data.agreement.content == signed
    assert all(isinstance(m, dossier.Blob) for m in data.minutes)
    assert "content" not in repr(data.agreement)  # the fingerprint hashes, not bytes
    outline = [o.title for o in PdfReader(io.BytesIO(
        dossier.build(data, get_storage()))).outline if not isinstance(o, list)]
    assert outline.index("调解笔录") < outline.index("调解协议书") < outline.index("调解终结书")
