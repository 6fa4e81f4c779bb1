"""Court filings that need a person: refused by the court's system, or never delivered.
Administrators read why and send them again (audited)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.roles import Role
from portal.filing import services
from portal.filing.models import PARKED, Filing
from portal.i18n import translate
from portal.web.deps import in_db, load_user
from portal.web.flash import flash
from portal.web.pagination import Page, page_number
from portal.web.security import requires, user_of
from portal.web.templating import render
from portal.web.views.filing import rows

PAGE_SIZE = 25


@requires(Role.ADMIN)
async def parked(request: Request) -> Response:
    number = page_number(request)

    def work(session: Session) -> Page[Filing]:
        query = select(Filing).where(Filing.status.in_(PARKED))
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        found = session.execute(query.options(selectinload(Filing.case))
                                .order_by(Filing.updated_at.desc(), Filing.id.desc())
                                .limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).scalars()
        return Page(list(found), number, PAGE_SIZE, total)

    page = await in_db(work)
    return render(request, "filing/admin.html", {"page": page, "rows": rows(page.items)})


@requires(Role.ADMIN)
async def retry(request: Request) -> Response:
    current, filing_id = user_of(request), request.path_params["filing_id"]

    def work(session: Session) -> str:
        filing = services.retry(session, filing_id=filing_id, actor=load_user(session, current))
        return filing.case.number

    try:
        number = await in_db(work)
    except LookupError:
        raise HTTPException(404) from None
    except services.FilingRefused as exc:
        raise HTTPException(409, translate(exc.message, **exc.params)) from None
    flash(request, translate("The filing of case {number} is being sent again.",
                             number=number))
    return RedirectResponse("/admin/filings", status_code=303)


ROUTES = [
    Route("/admin/filings", parked, name="admin_filings"),
    Route("/admin/filings/{filing_id:id}/retry", retry, methods=["POST"],
          name="admin_filing_retry"),
]
