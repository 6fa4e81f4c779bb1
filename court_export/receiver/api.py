"""The machine API: packages in, status and the court's public keys out."""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from court_export.receiver.context import Court
from court_export.receiver.intake import Refused, admit, spool
from court_export.receiver.models import Filing
from court_export.receiver.records import latest_notice, status_body

# Package ids are uuid4 strings; anything printable and short is tolerated as a key, but
# nothing that could not be a package id inside the package.
_KEY = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_ZIP_TYPES = {"application/zip", "application/octet-stream", "application/x-zip-compressed"}


def error(status_code: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code)


async def post_filing(request: Request) -> Response:
    court: Court = request.app.state.court
    key = request.headers.get("idempotency-key", "").strip()
    if not key:
        return error(400, "missing_idempotency_key",
                     "The Idempotency-Key header (the package id) is required.")
    if not _KEY.match(key):
        return error(400, "bad_idempotency_key",
                     "The Idempotency-Key must be the package id (letters, digits, . _ -).")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in _ZIP_TYPES:
        return error(415, "unsupported_media_type", "Send the package as application/zip.")
    limit = court.config.max_package_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return error(413, "too_large", f"The package is larger than {limit} bytes.")
    upload = None
    try:
        upload = await spool(request.stream(), court.incoming_dir, limit)
        answer = await run_in_threadpool(admit, court, upload, key)
    except Refused as exc:
        return error(exc.status_code, exc.code, exc.detail)
    except ClientDisconnect:
        # Nobody reads this answer; the platform's retry sends the package again.
        return error(400, "incomplete_body", "The connection closed before the package ended.")
    finally:
        if upload is not None:
            upload.path.unlink(missing_ok=True)  # moved into storage when admitted
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    return JSONResponse(answer.body, answer.status_code, headers=headers)


def _status(court: Court, column: str, value: str) -> Response:
    with court.db.session() as session:
        filing = session.scalars(select(Filing).where(getattr(Filing, column) == value)).first()
        if filing is None:
            return error(404, "unknown_filing", "No filing with this id at this court.")
        return JSONResponse(status_body(court, filing, latest_notice(session, filing.id)))


async def get_filing(request: Request) -> Response:
    return await run_in_threadpool(_status, request.app.state.court, "id",
                                   request.path_params["filing_id"])


async def get_filing_by_package(request: Request) -> Response:
    return await run_in_threadpool(_status, request.app.state.court, "package_id",
                                   request.path_params["package_id"])


async def get_keys(request: Request) -> Response:
    court: Court = request.app.state.court
    keys = await run_in_threadpool(court.public_keys)
    # The contract's shape, {kid: pem}; old keys stay listed after a rotation so that
    # notices signed before it still verify.
    return JSONResponse({kid: pem.decode() for kid, pem in keys.items()},
                        headers={"Court-Current-Kid": court.key.kid})


routes = [
    Route("/api/v1/filings", post_filing, methods=["POST"], name="api_post_filing"),
    Route("/api/v1/filings/by-package/{package_id}", get_filing_by_package,
          name="api_filing_by_package"),
    Route("/api/v1/filings/{filing_id}", get_filing, name="api_filing"),
    Route("/api/v1/keys", get_keys, name="api_keys"),
]
