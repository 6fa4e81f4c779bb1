"""Notifications and the development SMS outbox."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.config import get_settings
from portal.notifications import services as notifications
from portal.notifications.models import Notification, OutboundMessage
from portal.web.deps import in_db
from portal.web.pagination import Page, page_number
from portal.web.security import public, requires, user_of
from portal.web.templating import render

PAGE_SIZE = 20


@requires()
async def notification_list(request: Request) -> Response:
    current = user_of(request)
    number = page_number(request)

    def work(session: Session) -> Page[Notification]:
        query = select(Notification).where(Notification.user_id == current.id)
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = session.execute(query.order_by(Notification.id.desc()).limit(PAGE_SIZE)
                               .offset((number - 1) * PAGE_SIZE)).scalars()
        return Page(list(rows), number, PAGE_SIZE, total)

    page = await in_db(work)
    items = [(n, json.loads(n.params)) for n in page.items]
    return render(request, "account/notifications.html", {"page": page, "items": items})


@requires()
async def notifications_read(request: Request) -> Response:
    current = user_of(request)
    await in_db(notifications.mark_all_read, current.id)
    return RedirectResponse("/notifications", status_code=303)


@public
async def sms_outbox(request: Request) -> Response:
    """The development gateways' SMS and e-mail, so codes can be read without a phone."""
    settings = get_settings()
    if settings.production or "outbox" not in (settings.sms_gateway, settings.email_gateway):
        raise HTTPException(404)

    def work(session: Session) -> list[OutboundMessage]:
        return list(session.execute(select(OutboundMessage).order_by(OutboundMessage.id.desc())
                                    .limit(50)).scalars())

    return render(request, "account/outbox.html", {"messages": await in_db(work)})


ROUTES = [
    Route("/notifications", notification_list, name="notifications"),
    Route("/notifications/read", notifications_read, methods=["POST"],
          name="notifications_read"),
    Route("/dev/sms", sms_outbox, name="sms_outbox"),
]
