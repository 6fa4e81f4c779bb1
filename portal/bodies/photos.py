"""Mediator photos for the public directory: small images, sniffed, stored like evidence."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.audit import services as audit
from portal.bodies.manage import PermissionDenied, can_edit_mediator
from portal.bodies.models import MediatorProfile

MAX_PHOTO_BYTES = 2 * 1024 * 1024
# filetype's MIME names of the images a browser shows everywhere.
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class PhotoRefused(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def photo_extension(head: bytes) -> str:
    """The file extension for an allowed image, judged by its bytes, not its name."""
    import filetype

    kind = filetype.guess(head)
    if kind is None or kind.mime not in PHOTO_TYPES:
        raise PhotoRefused("Use a JPEG, PNG or WebP image for the photo.", 415)
    return PHOTO_TYPES[kind.mime]


def set_photo(session: Session, *, actor: User, mediator: User, stored_name: str) -> str | None:
    """Record the new photo; returns the old stored name for the caller to delete."""
    if not can_edit_mediator(actor, mediator):
        raise PermissionDenied
    profile = session.get(MediatorProfile, mediator.id)
    if profile is None:
        profile = MediatorProfile(user_id=mediator.id)
        session.add(profile)
    old, profile.photo_path = profile.photo_path, stored_name
    audit.append(session, kind="admin", action="mediator.photo", subject=f"user:{mediator.id}",
                 actor_id=actor.id, data={"photo": stored_name})
    return old
