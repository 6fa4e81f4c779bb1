"""Upload and serve mediator photos (multipart, streamed, size-limited, sniffed)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.manage import PermissionDenied, can_edit_mediator
from portal.bodies.models import MediatorProfile
from portal.bodies.photos import (
    MAX_PHOTO_BYTES,
    PHOTO_TYPES,
    PhotoRefused,
    photo_extension,
    set_photo,
)
from portal.i18n import gettext_
from portal.storage import get_storage
from portal.storage.base import TooLarge, iter_reader, new_name
from portal.web.deps import in_db, load_user
from portal.web.flash import flash
from portal.web.security import public, requires, user_of
from portal.web.uploads import MultipartError, MultipartReader

ENVELOPE = 64 * 1024


async def _prepend(head: bytes, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield head
    async for chunk in chunks:
        yield chunk


async def _first_file(request: Request) -> tuple[bytes, AsyncIterator[bytes]] | None:
    async def body() -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > MAX_PHOTO_BYTES + ENVELOPE:
                raise TooLarge(MAX_PHOTO_BYTES)
            yield chunk

    reader = MultipartReader(request.headers.get("content-type", ""), body())
    while (part := await reader.next_part()) is not None:
        if part.filename is None:
            await reader.read_field()
        elif part.name == "photo" and part.filename:
            chunks = reader.chunks()
            head = b""
            async for chunk in chunks:
                head += chunk
                if len(head) >= 512:
                    break

            return head, _prepend(head, chunks)
    return None


@requires(Role.ADMIN, Role.BODY_ADMIN)
async def upload(request: Request) -> Response:
    current, user_id = user_of(request), int(request.path_params["user_id"])
    back = RedirectResponse(f"/admin/mediators/{user_id}", status_code=303)

    def allowed(session: Session) -> bool:
        mediator = session.get(User, user_id)
        if mediator is None or mediator.role is not Role.MEDIATOR:
            raise HTTPException(404)
        return can_edit_mediator(load_user(session, current), mediator)

    if not await in_db(allowed):
        raise HTTPException(403)
    storage = get_storage()
    saved = None
    try:
        found = await _first_file(request)
        if found is None:
            raise PhotoRefused("Choose an image file.")
        head, chunks = found
        name = new_name("photo", photo_extension(head))
        saved = await storage.save(name, chunks, max_size=MAX_PHOTO_BYTES)

        def record(session: Session) -> str | None:
            mediator = session.get(User, user_id)
            assert mediator is not None
            return set_photo(session, actor=load_user(session, current), mediator=mediator,
                             stored_name=saved.name if saved else name)

        old = await in_db(record)
    except TooLarge:
        flash(request, gettext_("The photo is larger than 2 MiB."), "danger")
        return back
    except PhotoRefused as exc:
        flash(request, gettext_(exc.message), "danger")
        return back
    except (MultipartError, ClientDisconnect):
        flash(request, gettext_("The upload could not be read. Please try again."), "danger")
        return back
    except PermissionDenied:
        raise HTTPException(403) from None
    except BaseException:
        if saved is not None:
            storage.delete(saved.name)
        raise
    if old:
        storage.delete(old)
    flash(request, gettext_("The photo was saved."))
    return back


@public
async def photo(request: Request) -> Response:
    user_id = int(request.path_params["user_id"])

    def find(session: Session) -> str | None:
        profile = session.get(MediatorProfile, user_id)
        return profile.photo_path if profile else None

    name = await in_db(find)
    if not name:
        raise HTTPException(404)
    try:
        reader = get_storage().open(name)
    except FileNotFoundError:
        raise HTTPException(404) from None
    media = {ext: mime for mime, ext in PHOTO_TYPES.items()}[name.rsplit(".", 1)[1]]
    return StreamingResponse(iter_reader(reader), media_type=media,
                             headers={"X-Content-Type-Options": "nosniff",
                                      "Cache-Control": "public, max-age=300"})


ROUTES = [
    Route("/admin/mediators/{user_id:id}/photo", upload, methods=["POST"],
          name="mediator_photo_upload"),
    Route("/mediators/{user_id:id}/photo", photo, name="mediator_photo"),
]
