from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from tests.unit.casefile.world import World, build_world, require_embedded_font


@pytest.fixture(autouse=True)
def _embedded_font() -> None:
    require_embedded_font()


@pytest.fixture
def world(db: Session) -> World:
    return build_world(db)


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squeezed(pdf: bytes) -> str:
    """The text without line breaks and spaces, so a hash wrapped in a table cell is whole."""
    return "".join(pdf_text(pdf).split())
