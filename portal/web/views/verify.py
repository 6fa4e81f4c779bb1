"""The public signature check: upload a PDF, see each signature and the audit record."""

from __future__ import annotations

import logging
from typing import Any

import anyio
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from documents.verify import Report
from portal.agreements.pki import get_ca
from portal.agreements.verification import AuditMatch, check_signatures, find_in_audit
from portal.config import get_settings
from portal.i18n import N_, translate
from portal.web.deps import in_db
from portal.web.security import public
from portal.web.templating import render
from portal.web.uploads import MultipartError, MultipartReader

log = logging.getLogger(__name__)

# Checking is CPU work in pyHanko: a few at a time, off the event loop.
_CHECKS = anyio.CapacityLimiter(2)
PDF_MAGIC = b"%PDF-"
SNIFF_BYTES = 1024


class BadUpload(Exception):
    def __init__(self, status: int, message: str, **params: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.params = params


async def _read_pdf(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise BadUpload(413, N_("The file is larger than {mb} MB."), mb=limit // 2**20)
    reader = MultipartReader(request.headers.get("content-type", ""), request.stream())
    data: bytearray | None = None
    while (part := await reader.next_part()) is not None:
        if part.filename is None or part.name != "file" or data is not None:
            continue  # the CSRF token and anything else: skipped
        data = bytearray()
        async for chunk in reader.chunks():
            data += chunk
            if len(data) > limit:
                raise BadUpload(413, N_("The file is larger than {mb} MB."),
                                mb=limit // 2**20)
    if not data:
        raise BadUpload(400, N_("Choose a PDF file to check."))
    # Sniffed: whatever it is called, only a PDF is checked.
    if PDF_MAGIC not in bytes(data[:SNIFF_BYTES]):
        raise BadUpload(400, N_("This file is not a PDF, so it has no signatures to check."))
    return bytes(data)


@public
async def verify_page(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "agreements/verify.html", {"report": None, "error": None})
    limit = get_settings().verify_max_bytes
    try:
        data = await _read_pdf(request, limit)
    except BadUpload as exc:
        return render(request, "agreements/verify.html", {
            "report": None, "error": translate(exc.message, **exc.params)}, exc.status)
    except (MultipartError, ClientDisconnect):
        return render(request, "agreements/verify.html", {
            "report": None,
            "error": translate(N_("The upload could not be read. Please try again."))}, 400)
    ca = get_ca()
    async with _CHECKS:
        report: Report = await run_in_threadpool(check_signatures, data, ca)

    def lookup(session: Session) -> AuditMatch | None:
        return find_in_audit(session, report.sha256)

    found = await in_db(lookup)
    context: dict[str, Any] = {"report": report, "audit": found, "error": None}
    if report.error is not None:
        context["error"] = translate(N_("This file cannot be checked: {reason}"),
                                     reason=report.error)
        return render(request, "agreements/verify.html", context, 400)
    return render(request, "agreements/verify.html", context)


ROUTES = [Route("/verify", verify_page, methods=["GET", "POST"], name="verify")]
