"""python -m court_export verify, as a court would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from court_export.__main__ import main
from court_export.keys import SigningKey
from court_export.package import BuiltPackage


@pytest.fixture
def key_dir(tmp_path: Path, key: SigningKey) -> Path:
    directory = tmp_path / "keys"
    directory.mkdir()
    (directory / f"{key.kid}.pub.pem").write_bytes(key.public_pem())
    return directory


def test_a_valid_package_exits_0(built: BuiltPackage, key_dir: Path, key: SigningKey,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(built.path), "--keys", str(key_dir), "--bagit"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ok: package {built.package_id} (litigation")
    assert key.kid in out


def test_json_output(built: BuiltPackage, key_dir: Path,
                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(built.path), "--keys", str(key_dir), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True
    assert result["case_number"] == "（2025）诸枫调字第0042号"
    assert "data/case.json" in result["members"]


def test_a_tampered_package_exits_1_with_the_code(built: BuiltPackage, key_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(built.path.read_bytes())
    data[data.index(b" complaint ")] ^= 1
    built.path.write_bytes(bytes(data))
    assert main(["verify", str(built.path), "--keys", str(key_dir)]) == 1
    assert capsys.readouterr().err.startswith("refused: checksum_mismatch: ")
    assert main(["verify", str(built.path), "--keys", str(key_dir), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"] == "checksum_mismatch"


def test_an_empty_key_directory_is_a_usage_error(built: BuiltPackage, tmp_path: Path) -> None:
    assert main(["verify", str(built.path), "--keys", str(tmp_path / "none")]) == 2


def test_it_runs_as_a_module(built: BuiltPackage, key_dir: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "court_export", "verify", str(built.path),
                             "--keys", str(key_dir)], capture_output=True, text=True, check=False,
                            cwd=Path(__file__).parents[3])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: package ")
