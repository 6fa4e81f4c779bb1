"""The clerk's inbox: the list of filings, one filing's case data, its documents."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any, BinaryIO
from urllib.parse import quote, urlencode

from sqlalchemy import func, select
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from court_export.package import read_member
from court_export.receiver.auth import current_clerk
from court_export.receiver.context import Court
from court_export.receiver.models import Callback, Filing, Notice
from court_export.receiver.templating import STATUS_LABELS, render

View = Callable[[Request], Awaitable[Response]]


def clerk_only(view: View) -> View:
    @wraps(view)
    async def guarded(request: Request) -> Response:
        if current_clerk(request) is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            login = request.url_for("login").include_query_params(next=target)
            return RedirectResponse(str(login), 303)
        return await view(request)
    return guarded


@dataclass(frozen=True)
class Page:
    items: list[Filing]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def list_filings(court: Court, status: str | None, number: int) -> Page:
    size = court.config.page_size
    query = select(Filing)
    counting = select(func.count()).select_from(Filing)
    if status:
        query = query.where(Filing.status == status)
        counting = counting.where(Filing.status == status)
    with court.db.session() as session:
        total = session.scalar(counting) or 0
        number = min(max(1, number), max(1, -(-total // size)))
        items = list(session.scalars(
            query.order_by(Filing.received_at.desc(), Filing.id.desc())
            .offset((number - 1) * size).limit(size)))
    return Page(items=items, number=number, size=size, total=total)


@clerk_only
async def inbox(request: Request) -> Response:
    status = request.query_params.get("status") or None
    if status not in (None, *STATUS_LABELS):
        status = None
    try:
        number = int(request.query_params.get("page", "1"))
    except ValueError:
        number = 1
    page = await run_in_threadpool(list_filings, request.app.state.court, status, number)

    def page_url(n: int) -> str:
        query = {"status": status, "page": n} if status else {"page": n}
        return f"{request.url_for('inbox')}?{urlencode(query)}"

    return render(request, "inbox.html", {"page": page, "status": status, "page_url": page_url})


def load_filing(court: Court, filing_id: str) -> dict[str, Any]:
    with court.db.session() as session:
        filing = session.get(Filing, filing_id)
        if filing is None:
            raise HTTPException(404, "没有这个立案申请。")
        notices = list(session.scalars(
            select(Notice).where(Notice.filing_id == filing_id).order_by(Notice.id)))
        callbacks = {c.notice_id: c for c in session.scalars(
            select(Callback).where(Callback.notice_id.in_([n.notice_id for n in notices])))}
    case = json.loads(filing.case_json)
    documents = [d for d in [case.get("lead_document"), *case.get("connected_documents", [])]
                 if d]
    return {"filing": filing, "case": case, "documents": documents,
            "evidence": case.get("evidence", []), "notices": notices, "callbacks": callbacks}


@clerk_only
async def filing_page(request: Request) -> Response:
    data = await run_in_threadpool(load_filing, request.app.state.court,
                                   request.path_params["filing_id"])
    return render(request, "filing.html", data)


def _open_member(court: Court, filing_id: str, member: str) -> tuple[BinaryIO, dict[str, Any]]:
    data = load_filing(court, filing_id)
    listed = {d["path"]: d for d in [*data["documents"], *data["evidence"]]}
    # Only what case.json lists: never the tag files, never a path the clerk typed.
    if member not in listed:
        raise HTTPException(404, "这个申请里没有该文件。")
    path = court.package_path(data["filing"].stored_name)
    return read_member(path, member), listed[member]


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(1 << 16):
            yield chunk


def _attachment(name: str) -> str:
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


@clerk_only
async def download(request: Request) -> Response:
    member = request.path_params["member"]
    stream, listed = await run_in_threadpool(
        _open_member, request.app.state.court, request.path_params["filing_id"], member)
    # Always an attachment: the platform chose the media type, not the court.
    headers = {"Content-Disposition": _attachment(member.rsplit("/", 1)[-1]),
               "Content-Length": str(listed["size"]), "Cache-Control": "no-store"}
    return StreamingResponse(iterate_in_threadpool(_chunks(stream)),
                             media_type=str(listed.get("media_type") or
                                            "application/octet-stream"), headers=headers)


@clerk_only
async def package(request: Request) -> Response:
    court: Court = request.app.state.court
    data = await run_in_threadpool(load_filing, court, request.path_params["filing_id"])
    filing: Filing = data["filing"]
    return FileResponse(court.package_path(filing.stored_name), media_type="application/zip",
                        filename=f"{filing.package_id}.zip",
                        headers={"Cache-Control": "no-store"})


async def home(request: Request) -> Response:
    return RedirectResponse(request.url_for("inbox"), 303)


routes = [
    Route("/", home, name="home"),
    Route("/inbox", inbox, name="inbox"),
    Route("/inbox/{filing_id}", filing_page, name="filing"),
    Route("/inbox/{filing_id}/package", package, name="filing_package"),
    Route("/inbox/{filing_id}/files/{member:path}", download, name="filing_file"),
]
