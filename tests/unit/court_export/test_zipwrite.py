"""The package ZIP writer: readable by zipfile and Info-ZIP, exact headers, no leftovers."""

from __future__ import annotations

import shutil
import struct
import subprocess
import threading
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from court_export import package as package_module
from court_export import zipwrite
from court_export.errors import PackageRejected
from court_export.keys import SigningKey
from court_export.package import BuiltPackage, PackageInput, build_package
from court_export.zipwrite import ZipWriter

WHEN = datetime(2025, 3, 21, 8, 30, 14, tzinfo=UTC)


def write(path: Path, members: dict[str, bytes]) -> None:
    with path.open("x+b", buffering=0) as raw:
        archive = ZipWriter(raw, WHEN)
        for name, data in members.items():
            archive.add(name, data)
        archive.close()


def test_zipfile_reads_back_names_data_times_and_modes(tmp_path: Path) -> None:
    members = {"a/b.txt": b"hello", "a/空.bin": b"", "a/证据/大.bin": bytes(range(256)) * 999}
    write(tmp_path / "t.zip", members)
    with zipfile.ZipFile(tmp_path / "t.zip") as archive:
        assert archive.testzip() is None
        infos = archive.infolist()
        assert {i.filename: archive.read(i) for i in infos} == members
        for info in infos:
            assert info.date_time == (2025, 3, 21, 8, 30, 14)
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.external_attr >> 16 == 0o100644
            assert info.create_system == 3
            assert info.flag_bits == 0x800  # UTF-8 names, no data descriptor


def test_local_headers_carry_the_crc_and_sizes(tmp_path: Path) -> None:
    write(tmp_path / "t.zip", {"x": b"payload"})
    data = (tmp_path / "t.zip").read_bytes()
    (signature, _, _, flags, method, _, _, crc, compressed, size, name_length,
     extra) = struct.unpack("<4s2B4HL2L2H", data[:30])
    with zipfile.ZipFile(tmp_path / "t.zip") as archive:
        info = archive.getinfo("x")
    assert (signature, flags, method) == (b"PK\x03\x04", 0x800, 0)
    assert (crc, compressed, size, name_length, extra) == (info.CRC, 7, 7, 1, 0)


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip is not installed")
def test_info_zip_tests_a_built_package_clean(built: BuiltPackage) -> None:
    result = subprocess.run(["unzip", "-t", str(built.path)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_a_member_shorter_than_announced_is_refused(tmp_path: Path) -> None:
    with (tmp_path / "t.zip").open("x+b", buffering=0) as raw:
        archive = ZipWriter(raw, WHEN)
        with pytest.raises(PackageRejected) as caught, archive.member("x", 10) as member:
            member.write(b"12345")
    assert caught.value.code == "source_changed"


def test_no_zip64(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zipwrite, "_LIMIT", 100)
    with (tmp_path / "t.zip").open("x+b", buffering=0) as raw:
        archive = ZipWriter(raw, WHEN)
        archive.add("a", b"x" * 50)
        with pytest.raises(PackageRejected) as caught:
            archive.member("b", 60)
    assert caught.value.code == "oversized"


def test_a_write_failure_stops_the_reading_thread_and_leaves_nothing(
        package_input: PackageInput, tmp_path: Path, key: SigningKey,
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real_write = zipwrite.Member.write

    def failing(self: zipwrite.Member, data: memoryview | bytes) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError(28, "No space left on device")
        real_write(self, data)

    monkeypatch.setattr(zipwrite.Member, "write", failing)
    threads = threading.active_count()
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OSError, match="No space left"):
        build_package(package_input, out / "p.zip", key)
    assert list(out.iterdir()) == []
    assert threading.active_count() == threads


def test_a_source_deleted_while_building_fails_cleanly(
        package_input: PackageInput, tmp_path: Path, key: SigningKey,
        monkeypatch: pytest.MonkeyPatch) -> None:
    photo = package_input.files[2].source
    assert isinstance(photo, Path)
    real_plan = package_module._plan

    def plan_then_delete(*args: object) -> list[int]:
        sizes = real_plan(*args)  # type: ignore[arg-type]
        photo.unlink()
        return sizes

    monkeypatch.setattr(package_module, "_plan", plan_then_delete)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FileNotFoundError):
        build_package(package_input, out / "p.zip", key)
    assert list(out.iterdir()) == []
