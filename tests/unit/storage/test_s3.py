from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from portal.config import Settings
from portal.storage import get_storage, new_name
from portal.storage.s3 import S3Storage
from tests.unit.storage.conftest import BUCKET


def test_objects_live_under_the_prefix(s3_client: Any) -> None:
    storage = S3Storage(bucket=BUCKET, region="us-east-1", prefix="/odr/files/")
    name = new_name("evidence", "pdf")
    storage.save_sync(name, [b"%PDF-1.4 test"])
    head = s3_client.head_object(Bucket=BUCKET, Key=f"odr/files/{name}")
    assert head["ContentLength"] == len(b"%PDF-1.4 test")
    assert storage.exists(name)
    assert not storage.exists(new_name("evidence", "pdf"))


def test_get_storage_builds_s3_from_settings(s3_client: Any) -> None:
    settings = Settings(storage_backend="s3", s3_bucket=BUCKET, s3_region="us-east-1",
                        s3_access_key_id="testing",
                        s3_secret_access_key=SecretStr("testing"), s3_prefix="p")
    storage = get_storage(settings)
    assert isinstance(storage, S3Storage)
    assert storage.bucket == BUCKET
    name = new_name("evidence", "png")
    storage.save_sync(name, [b"\x89PNG"])
    assert s3_client.get_object(Bucket=BUCKET, Key=f"p/{name}")["Body"].read() == b"\x89PNG"


def test_failed_upload_leaves_no_object(s3_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = S3Storage(bucket=BUCKET, region="us-east-1")

    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionError("endpoint unreachable")

    monkeypatch.setattr(storage.client, "upload_fileobj", refuse)
    with pytest.raises(ConnectionError):
        storage.save_sync(new_name("evidence", "pdf"), [b"x" * 100])
    assert "Contents" not in s3_client.list_objects_v2(Bucket=BUCKET)


def test_a_bucket_is_required() -> None:
    with pytest.raises(ValueError, match="bucket"):
        S3Storage(bucket="")
