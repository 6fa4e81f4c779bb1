"""One CA, time stamper and fully signed agreement per test session: keys are slow to make."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pyhanko.sign.timestamps import TimeStamper

from documents import templates
from documents.ca import PlatformCA
from documents.signing import make_timestamper, sign_pdf
from documents.stamp import render_seal, render_stamp
from tests.unit.documents.samples import AGREEMENT, SLOTS

PASSPHRASE = "test-passphrase-for-the-key-store"


@pytest.fixture(scope="session")
def ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ca")


@pytest.fixture(scope="session")
def ca(ca_dir: Path) -> PlatformCA:
    return PlatformCA(ca_dir, PASSPHRASE)


@pytest.fixture(scope="session")
def timestamper(ca: PlatformCA) -> TimeStamper:
    return make_timestamper(ca)


@pytest.fixture(scope="session")
def signature_png() -> bytes:
    """A handwritten-looking stroke on a transparent background, as signature_pad sends it."""
    img = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(img).line([(10, 80), (80, 20), (150, 70), (220, 15), (290, 60)],
                             fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def sign_all(pdf: bytes, ca: PlatformCA, timestamper: TimeStamper, png: bytes,
             slots: tuple[str, ...]) -> bytes:
    order = [s.field_name for s in SLOTS]
    now = datetime.now(UTC)
    for slot in SLOTS:
        if slot.field_name not in slots:
            continue
        signer = ca.signer(f"s-{slot.field_name}", slot.signer_name)
        stamp = (render_seal(slot.signer_name, now) if slot.seal
                 else render_stamp(slot.signer_name, now, png, slot.role))
        pdf = sign_pdf(pdf, signer, stamp, slot.field_name, timestamper=timestamper, order=order)
    return pdf


@pytest.fixture(scope="session")
def agreement_pdf() -> bytes:
    return templates.agreement(AGREEMENT)


@pytest.fixture(scope="session")
def signed_agreement(agreement_pdf: bytes, ca: PlatformCA, timestamper: TimeStamper,
                     signature_png: bytes) -> bytes:
    """Three parties, the mediator and the body's seal, in that order."""
    return sign_all(agreement_pdf, ca, timestamper, signature_png,
                    tuple(s.field_name for s in SLOTS))
