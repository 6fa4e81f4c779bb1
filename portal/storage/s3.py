"""Files in an S3-compatible bucket (AWS, MinIO, Ceph, cloud object storage)."""

from __future__ import annotations

import tempfile
from typing import IO, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from portal.storage.base import BaseStorage, Reader, check_name

_MISSING = {"404", "NoSuchKey", "NotFound"}


class _S3Writer:
    """Spools to a local temporary file (never memory), then uploads in one go.

    The object appears in the bucket only when the upload completes; a failed multipart
    upload is aborted by boto3, so a partial object is never visible.
    """

    def __init__(self, storage: S3Storage, key: str) -> None:
        self.storage = storage
        self.key = key
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in commit/abort)

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> None:
        self.file.seek(0)
        try:
            self.storage.client.upload_fileobj(self.file, self.storage.bucket, self.key)
        finally:
            self.file.close()

    def abort(self) -> None:
        self.file.close()


class S3Storage(BaseStorage):
    def __init__(self, *, bucket: str, endpoint_url: str = "", region: str = "",
                 access_key_id: str = "", secret_access_key: str = "",
                 prefix: str = "", client: Any = None) -> None:
        if not bucket:
            raise ValueError("an S3 bucket name is required")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client: Any = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}),
        )

    def _key(self, name: str) -> str:
        return self.prefix + check_name(name)

    def _begin(self, name: str) -> _S3Writer:
        return _S3Writer(self, self._key(name))

    def open(self, name: str) -> Reader:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise FileNotFoundError(name) from exc
            raise
        body: Reader = response["Body"]
        return body

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))

    def exists(self, name: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise
        return True


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
