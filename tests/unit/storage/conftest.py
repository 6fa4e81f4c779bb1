from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from portal.storage import LocalStorage
from portal.storage.base import BaseStorage
from portal.storage.s3 import S3Storage

BUCKET = "odr-evidence"


@pytest.fixture
def s3_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # moto needs credentials to sign with; they never leave the process.
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> BaseStorage:
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    request.getfixturevalue("s3_client")
    return S3Storage(bucket=BUCKET, region="us-east-1", prefix="portal")


def stored(storage: BaseStorage) -> list[str]:
    """Everything the backend holds, temporary files included."""
    if isinstance(storage, LocalStorage):
        if not storage.root.exists():
            return []
        return sorted(str(p.relative_to(storage.root)) for p in storage.root.rglob("*")
                      if p.is_file())
    assert isinstance(storage, S3Storage)
    listing = storage.client.list_objects_v2(Bucket=storage.bucket)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))
