"""Evidence: streamed uploads, downloads, and the case page's evidence panel."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import anyio
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField
from portal.cases import access
from portal.cases import evidence as ev
from portal.cases.models import Case, EvidenceFile
from portal.config import get_settings
from portal.i18n import gettext_, translate
from portal.storage import Storage, get_storage
from portal.web import panels
from portal.web.deps import CurrentUser, in_db, load_user
from portal.web.downloads import stored_file
from portal.web.flash import flash
from portal.web.forms import Form
from portal.web.security import requires, user_of
from portal.web.templating import env, render
from portal.web.uploads import MultipartError, MultipartReader

log = logging.getLogger(__name__)

# Multipart boundaries, part headers and the text fields around the file.
ENVELOPE_BYTES = 64 * 1024
TEXT_FIELDS = ("description", "next")


def _visible_case(session: Session, current: CurrentUser, number: str) -> tuple[Case, User]:
    case = session.execute(
        select(Case).where(Case.number == number).options(selectinload(Case.participants))
    ).scalar_one_or_none()
    user = load_user(session, current)
    # Someone else's case answers 404, not 403: its existence is not disclosed.
    if case is None or not access.can_view(session, case, user):
        raise HTTPException(404)
    return case, user


def _safe_next(value: str, default: str) -> str:
    """Only a path on this site: never another host, scheme or protocol-relative URL."""
    if (not value.startswith("/") or value.startswith("//") or "\\" in value
            or len(value) > 500 or not value.isprintable()):
        return default
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else default


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or (
        "application/json" in request.headers.get("accept", ""))


def upload_limits() -> dict[str, str]:
    """For the upload form wherever it is included (case page, application form)."""
    limits = ev.Limits.from_settings(get_settings())
    return {"file": ev.human_size(limits.file_bytes), "case": ev.human_size(limits.case_bytes),
            "files": str(limits.case_files), "accept": ev.ACCEPT, "formats": gettext_(ev.FORMATS)}


env.globals["evidence_upload_limits"] = upload_limits


def _form_page(request: Request, number: str, form: Form, status: int = 200) -> Response:
    return render(request, "cases/evidence_upload.html", {
        "number": number, "upload_form": form, "upload_next": form.get("next"),
    }, status)


def _refusal(request: Request, number: str, values: dict[str, str], status: int, field: str,
             message: str) -> Response:
    """``message`` is translated already."""
    if _wants_json(request):
        return JSONResponse({"error": message, "field": field}, status)
    form = Form(values={**values, "next": _safe_next(values.get("next", ""),
                                                     f"/cases/{number}#evidence")})
    form.errors[field] = message
    return _form_page(request, number, form, status)


async def _discard(storage: Storage, name: str) -> None:
    # Shielded: the file must go even when the request is being cancelled.
    with anyio.CancelScope(shield=True):
        try:
            await run_in_threadpool(storage.delete, name)
        except Exception:
            log.exception("could not delete the orphaned upload %s", name)


async def _read_form(request: Request, storage: Storage, to: ev.Target,
                     values: dict[str, str]) -> tuple[ev.Received | None, str]:
    async def body() -> AsyncIterator[bytes]:
        # Whatever the parts, the body as a whole cannot be larger than what may be stored.
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > to.room + ENVELOPE_BYTES:
                raise ev.too_large(to)
            yield chunk

    reader = MultipartReader(request.headers.get("content-type", ""), body())
    received: ev.Received | None = None
    original = ""
    try:
        while (part := await reader.next_part()) is not None:
            if part.filename is None:
                if part.name in TEXT_FIELDS:
                    values[part.name] = await reader.read_field()
            elif received is not None or part.name != "file":
                raise MultipartError("one file per upload, in the field 'file'")
            elif part.filename:
                original = part.filename
                received = await ev.receive(storage, reader.chunks(), to=to)
    except BaseException:
        if received is not None:
            await _discard(storage, received.saved.name)
        raise
    return received, original


# Only these roles can ever upload; who may upload to a given case is decided per case.
# Grid workers add the photos of disputes they reported (cases.evidence.may_upload).
@requires(Role.PARTY, Role.MEDIATOR, Role.BODY_ADMIN, Role.GRID_WORKER)
async def evidence_upload(request: Request) -> Response:
    current = user_of(request)
    number = request.path_params["number"]
    limits = ev.Limits.from_settings(get_settings())
    values: dict[str, str] = {"next": f"/cases/{number}#evidence"}

    def check(session: Session) -> ev.Target:
        case, user = _visible_case(session, current, number)
        return ev.target(session, case=case, user=user, limits=limits)

    storage = get_storage()
    try:
        to = await in_db(check)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > to.room + ENVELOPE_BYTES:
            raise ev.too_large(to)
        received, original = await _read_form(request, storage, to, values)
    except ev.NotAllowed:
        raise HTTPException(403) from None
    except ev.UploadRefused as exc:
        return _refusal(request, number, values, exc.status, exc.field,
                        translate(exc.message, **exc.params))
    except MultipartError:
        return _refusal(request, number, values, 400, "file",
                        gettext_("The upload could not be read. Please try again."))
    except ClientDisconnect:
        return Response(status_code=400)  # nobody is listening any more

    next_url = values["next"] = _safe_next(values.get("next", ""), f"/cases/{number}#evidence")
    form = Form(values={k: v for k, v in values.items() if k in TEXT_FIELDS})
    try:
        ev.check_description(form.get("description"))
    except InvalidField as exc:
        form.error(exc.field, exc.message)
    if received is None:
        form.error("file", "Choose a file to upload.")
    if not form.ok or received is None:
        if received is not None:
            await _discard(storage, received.saved.name)
        if _wants_json(request):
            field, message = next(iter(form.errors.items()))
            return JSONResponse({"error": message, "field": field}, 400)
        return _form_page(request, number, form, 400)

    def save(session: Session) -> tuple[int, str]:
        row = ev.record(session, to=to, user_id=current.id, received=received,
                        original_name=original, description=form.get("description"))
        return row.id, row.original_name

    try:
        # Shielded so a cancelled request cannot commit the row after the file is gone.
        with anyio.CancelScope(shield=True):
            row_id, name = await in_db(save)
    except BaseException as exc:
        await _discard(storage, received.saved.name)
        if isinstance(exc, ev.UploadRefused):
            return _refusal(request, number, values, exc.status, exc.field,
                            translate(exc.message, **exc.params))
        if isinstance(exc, ev.NotAllowed):
            raise HTTPException(403) from None
        raise
    if _wants_json(request):
        return JSONResponse({"id": row_id, "name": name, "size": received.saved.size,
                             "sha256": received.saved.sha256}, 201)
    flash(request, translate("“{name}” was added to the evidence.", name=name))
    return RedirectResponse(next_url, status_code=303)


@requires()
async def evidence_download(request: Request) -> Response:
    current = user_of(request)
    number = request.path_params["number"]
    evidence_id = request.path_params["evidence_id"]

    def work(session: Session) -> EvidenceFile:
        case, _ = _visible_case(session, current, number)
        row = ev.get_file(session, case=case, evidence_id=evidence_id)
        if row is None:
            raise HTTPException(404)
        return row

    row = await in_db(work)
    extension = row.stored_name.rpartition(".")[2]
    return await stored_file(row.stored_name, media_type=row.content_type,
                             filename=row.original_name,
                             fallback=f"evidence-{row.id}.{extension}", size=row.size,
                             what=f"evidence {row.id} of case {number}")


def _panel(session: Session, case: Case, user: User) -> dict[str, Any]:
    files = ev.files_of(session, case)
    limits = ev.Limits.from_settings(get_settings())
    used = sum(f.size for f in files)
    return {
        "number": case.number, "files": files,
        "may_upload": ev.may_upload(session, case, user),
        "left": ev.human_size(max(0, limits.case_bytes - used)),
        "full": used >= limits.case_bytes or len(files) >= limits.case_files,
        "next": f"/cases/{case.number}#evidence",
    }


panels.register(panels.Panel(name="evidence", template="cases/_evidence.html", order=40,
                             column="main", collect=_panel))

ROUTES = [
    Route("/cases/{number}/evidence", evidence_upload, methods=["POST"],
          name="evidence_upload"),
    Route("/cases/{number}/evidence/{evidence_id:id}", evidence_download,
          name="evidence_download"),
]
