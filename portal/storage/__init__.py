"""File storage behind one interface: a local directory, or an S3-compatible bucket."""

from __future__ import annotations

from functools import lru_cache

from portal.config import ConfigurationError, Settings, get_settings
from portal.storage.base import (
    CHUNK_SIZE,
    Reader,
    Saved,
    Storage,
    TooLarge,
    check_name,
    iter_reader,
    new_name,
)
from portal.storage.local import LocalStorage

__all__ = ["CHUNK_SIZE", "LocalStorage", "Reader", "Saved", "Storage", "TooLarge",
           "check_name", "get_storage", "iter_reader", "new_name"]


def get_storage(settings: Settings | None = None) -> Storage:
    """The configured backend (ODR_STORAGE_BACKEND)."""
    settings = settings or get_settings()
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:
            raise ConfigurationError("ODR_STORAGE_BACKEND=s3 needs ODR_S3_BUCKET.")
        return _s3(settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region,
                   settings.s3_access_key_id, settings.s3_secret_access_key.get_secret_value(),
                   settings.s3_prefix)
    return LocalStorage(settings.files_dir)


# A boto3 client is costly to build and safe to share between threads.
@lru_cache(maxsize=4)
def _s3(bucket: str, endpoint_url: str, region: str, access_key_id: str,
        secret_access_key: str, prefix: str) -> Storage:
    from portal.storage.s3 import S3Storage  # boto3 loads only when S3 is configured

    return S3Storage(bucket=bucket, endpoint_url=endpoint_url, region=region,
                     access_key_id=access_key_id, secret_access_key=secret_access_key,
                     prefix=prefix)
