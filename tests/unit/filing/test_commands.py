"""``odr court build`` and ``odr court verify``."""

from __future__ import annotations

import zipfile
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.orm import Session

from portal.cases.states import Status
from portal.cli import main
from tests.unit.casefile.world import build_world


def test_build_then_verify_a_case_package(db: Session, tmp_path: Path) -> None:
    world = build_world(db)
    out = tmp_path / "case.zip"
    built = CliRunner().invoke(main, ["court", "build", world.case.number, "-o", str(out)])
    assert built.exit_code == 0, built.output
    assert "litigation package" in built.output and "诸暨市人民法院" in built.output
    checked = CliRunner().invoke(main, ["court", "verify", str(out)])
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("package OK:") and world.case.number in checked.output


def test_verify_reports_a_changed_byte(db: Session, tmp_path: Path) -> None:
    world = build_world(db, until=Status.AGREEMENT_IN_EFFECT)
    out = tmp_path / "case.zip"
    built = CliRunner().invoke(main, ["court", "build", world.case.number, "-o", str(out)])
    assert built.exit_code == 0 and "confirmation package" in built.output, built.output
    with zipfile.ZipFile(out) as archive:
        member = next(n for n in archive.namelist() if n.endswith("/data/evidence/02.png"))
        info = archive.getinfo(member)
    data = bytearray(out.read_bytes())
    # A stored member's bytes follow its 30-byte local header, name and extra field.
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 20] ^= 0xFF
    out.write_bytes(bytes(data))
    checked = CliRunner().invoke(main, ["court", "verify", str(out)])
    assert checked.exit_code == 1
    assert "package REJECTED:" in checked.output


def test_build_refuses_what_cannot_be_filed(db: Session, tmp_path: Path) -> None:
    world = build_world(db, until=Status.ACCEPTED)
    for args, problem in ((["court", "build", world.case.number], "nothing to file"),
                          (["court", "build", "FQ-0000-000000"], "no case FQ-0000-000000"),
                          (["court", "build", world.case.number, "--court", "x"], "no court")):
        result = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "x.zip")])
        assert result.exit_code == 1 and problem in result.output, result.output
    assert not (tmp_path / "x.zip").exists()
