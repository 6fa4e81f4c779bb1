"""Private downloads: a stored file streamed as an attachment to the one who may see it."""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import StreamingResponse

from portal.storage import get_storage, iter_reader

log = logging.getLogger(__name__)

# Never sniffed into something else, never kept by a shared cache.
PRIVATE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}


def content_disposition(name: str, fallback: str) -> str:
    """``filename`` for old clients (ASCII only), RFC 5987 ``filename*`` with the real name."""
    plain = name if name.isascii() and name.isprintable() else fallback
    plain = plain.replace("\\", "_").replace('"', "_")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


async def stored_file(stored_name: str, *, media_type: str, filename: str, fallback: str,
                      size: int | None = None, what: str) -> StreamingResponse:
    """Stream ``stored_name``; a file missing from storage is logged (``what`` names it)
    and answered 404, as if the record did not exist."""
    try:
        reader = await run_in_threadpool(get_storage().open, stored_name)
    except FileNotFoundError:
        log.error("%s is missing from storage (%s)", what, stored_name)
        raise HTTPException(404) from None
    headers = {"Content-Disposition": content_disposition(filename, fallback),
               **PRIVATE_HEADERS}
    if size is not None:
        headers["Content-Length"] = str(size)
    return StreamingResponse(iter_reader(reader), media_type=media_type, headers=headers)
