"""Whatever bytes arrive, the verifier answers a VerifiedPackage or PackageRejected, nothing else.

And what it accepts after a random change holds exactly the contents that were signed.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from court_export.errors import PackageRejected
from court_export.keys import SigningKey
from court_export.package import Limits, build_package, verify_package
from tests.unit.court_export.craft import members, sample_input

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_counter = itertools.count()


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory, key: SigningKey) -> tuple[bytes, Path]:
    directory = tmp_path_factory.mktemp("fuzz")
    built = build_package(sample_input(directory, evidence_bytes=3000), directory / "p.zip", key)
    return built.path.read_bytes(), directory


def accepted(data: bytes, directory: Path, keys: dict[str, bytes]) -> dict[str, bytes] | None:
    """The members of what the verifier accepts; None when it refuses."""
    path = directory / f"m{next(_counter)}.zip"
    path.write_bytes(data)
    try:
        verify_package(path, keys, Limits(max_package_bytes=1 << 20))
        return members(path)
    except PackageRejected:
        return None
    finally:
        path.unlink()


@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes(data: bytes, original: tuple[bytes, Path], keys: dict[str, bytes]) -> None:
    assert accepted(data, original[1], keys) is None


@FUZZ
@given(changes=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)),
                        min_size=1, max_size=4))
def test_flipped_bytes(changes: list[tuple[int, int]], original: tuple[bytes, Path],
                       keys: dict[str, bytes]) -> None:
    data, directory = original
    mutated = bytearray(data)
    for position, mask in changes:
        mutated[position % len(mutated)] ^= mask
    result = accepted(bytes(mutated), directory, keys)
    # Accepted only when bytes nobody signs changed (timestamps, attributes), never content.
    assert result is None or result == members(directory / "p.zip")


@FUZZ
@given(cut=st.integers(min_value=0), drop=st.integers(0, 64),
       insert=st.binary(min_size=0, max_size=64))
def test_truncated_or_spliced(cut: int, drop: int, insert: bytes, original: tuple[bytes, Path],
                              keys: dict[str, bytes]) -> None:
    data, directory = original
    at = cut % len(data)
    result = accepted(data[:at] + insert + data[at + drop:], directory, keys)
    assert result is None or result == members(directory / "p.zip")


NAMES = st.one_of(
    st.sampled_from(["{r}/bagit.txt", "{r}/data/case.json", "{r}/data/../x", "../x", "/abs",
                     "{r}/data/evidence/a", "{r}/manifest-sha256.txt", "{r}/", "{r}/data/",
                     "{r}\\x", "{r}/tagmanifest-sha256.txt.jws", "{r}/data/documents/a\x00b"]),
    st.text(min_size=1, max_size=20),
)


@pytest.mark.filterwarnings("ignore:Duplicate name")
@FUZZ
@given(entries=st.lists(st.tuples(NAMES, st.binary(max_size=64),
                                  st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
                                  st.integers(0, 0xFFFF)), max_size=8))
def test_hand_made_zips(entries: list[tuple[str, bytes, int, int]], original: tuple[bytes, Path],
                        keys: dict[str, bytes]) -> None:
    root = "6f1c3f0e-8a43-4b1b-9c55-0d2f4a0b1c2d"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content, method, mode in entries:
            info = zipfile.ZipInfo(name.format(r=root) if "{r}" in name else name)
            info.compress_type = method
            info.external_attr = mode << 16
            archive.writestr(info, content)
    assert accepted(buffer.getvalue(), original[1], keys) is None
