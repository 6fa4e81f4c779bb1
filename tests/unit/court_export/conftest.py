"""Keys are made once per session; every test builds its own packages in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from court_export.keys import SigningKey, generate_signing_key
from court_export.package import BuiltPackage, PackageInput, build_package
from tests.unit.court_export.craft import sample_input


@pytest.fixture(scope="session")
def key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture(scope="session")
def other_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture(scope="session")
def keys(key: SigningKey) -> dict[str, bytes]:
    return {key.kid: key.public_pem()}


@pytest.fixture
def package_input(tmp_path: Path) -> PackageInput:
    return sample_input(tmp_path)


@pytest.fixture
def built(package_input: PackageInput, tmp_path: Path, key: SigningKey) -> BuiltPackage:
    return build_package(package_input, tmp_path / "package.zip", key)
