"""Court filing on the case page: the "Court" panel, the page where the applicant reviews
and files a failed case, and the parties' joint application for judicial confirmation."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.casefile.labels import local_date
from portal.cases import services as cases
from portal.cases.models import Case
from portal.cases.states import LABELS as CASE_STATUS_LABELS
from portal.cases.states import IllegalTransition
from portal.db.types import utcnow
from portal.filing import confirmation, courts, labels, services
from portal.filing import package as packages
from portal.filing.models import Filing, FilingKind, FilingStatus
from portal.i18n import gettext_, translate
from portal.storage import get_storage
from portal.web import panels
from portal.web.deps import CurrentUser, in_db
from portal.web.flash import flash
from portal.web.forms import read_form
from portal.web.security import requires, user_of
from portal.web.templating import render
from portal.web.views.case_forms import visible_case

PANEL = "filing"


@dataclass(frozen=True)
class FilingRow:
    kind: str
    court: str
    status: str
    style: str
    filing: Filing
    retrying: bool  # an attempt failed and another is scheduled


def rows(filings: list[Filing]) -> list[FilingRow]:
    return [FilingRow(gettext_(labels.KIND_LABELS[f.kind]), f.court_name,
                      gettext_(labels.STATUS_LABELS[f.status]), labels.STATUS_STYLES[f.status],
                      f, f.status is FilingStatus.QUEUED and f.attempts > 0) for f in filings]


def _panel(session: Session, case: Case, user: User) -> dict[str, Any] | None:
    filings = services.filings_of(session, case.id)
    joint = confirmation.state(session, case, user)
    can_file = services.may_file(session, case, user)
    if not filings and joint is None and not can_file:
        return None
    registry = courts.load()
    chosen = registry.get(joint.court_id) if joint and joint.court_id else None
    return {"panel": PANEL, "number": case.number, "rows": rows(filings), "joint": joint,
            "can_file": can_file, "courts": registry.choices(), "chosen": chosen,
            "days_left": _days_left(joint.due_at) if joint else 0,
            "due_day": _day(joint.due_at) if joint else "",
            "closed_text": translate(confirmation.CLOSED, date=_day(joint.due_at))
            if joint and joint.expired else ""}


def _day(moment: dt.datetime) -> str:
    day = local_date(moment)
    return day.isoformat() if day else ""


def _days_left(due: dt.datetime) -> int:
    """Whole days from today to the last day to apply, in the portal's time zone."""
    last, today = local_date(due), local_date(utcnow())
    return max(0, (last - today).days) if last and today else 0


panels.register(panels.Panel(name=PANEL, template="filing/_panel.html", order=40,
                             column="side", collect=_panel))


def _fileable(session: Session, current: CurrentUser, number: str) -> tuple[Case, User]:
    case, user = visible_case(session, current, number)
    if not services.may_file(session, case, user):
        raise HTTPException(404)
    return case, user


@requires(Role.PARTY)
async def filing_page(request: Request) -> Response:
    """What will go to the court: the complaint, every file with its size, the parties."""
    current, number = user_of(request), request.path_params["number"]

    def work(session: Session) -> tuple[Case, packages.Contents, courts.Courts]:
        case, user = _fileable(session, current, number)
        registry = courts.load()
        # A preview: the package id and court are settled when the applicant files.
        contents = packages.collect(session, case, kind=FilingKind.LITIGATION,
                                    court=registry.courts[0], platform=registry.platform,
                                    package_id=str(uuid.uuid4()), filer=user)
        return case, contents, registry

    case, contents, registry = await in_db(work)
    entries = await run_in_threadpool(packages.listing, contents, get_storage())
    return render(request, "filing/file.html", {
        "case": case, "entries": entries, "total": sum(e.size for e in entries),
        "data": contents.case, "courts": registry.choices(),
        "role_labels": {k: gettext_(v) for k, v in labels.ROLE_LABELS.items()},
    })


def _refused(request: Request, exc: services.FilingRefused, target: str) -> Response:
    flash(request, translate(exc.message, **exc.params), "danger")
    return RedirectResponse(target, status_code=303)


def _moved(exc: IllegalTransition) -> HTTPException:
    return HTTPException(409, translate(
        "This action is no longer possible: the case is now “{status}”. Reload the page.",
        status=gettext_(CASE_STATUS_LABELS[exc.status])))


@requires(Role.PARTY)
async def filing_submit(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)

    def work(session: Session) -> str:
        case, user = _fileable(session, current, number)
        return services.request_filing(session, case=case, user=user,
                                       court_id=form.get("court_id")).court_name

    # Without a broker the package is built and sent here, in a worker thread, once the
    # filing is committed; with one, a worker does it.
    try:
        court = await in_db(work)
    except services.FilingRefused as exc:
        return _refused(request, exc, f"/cases/{number}/filing")
    except cases.NotAllowed:
        raise HTTPException(403) from None
    except IllegalTransition as exc:
        raise _moved(exc) from None
    flash(request, translate("The case was filed with {court}. You will be told when the "
                             "court decides.", court=court))
    return RedirectResponse(f"/cases/{number}#{PANEL}", status_code=303)


@requires(Role.PARTY)
async def confirmation_apply(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)

    def work(session: Session) -> tuple[str, bool]:
        case, user = visible_case(session, current, number)
        filing = services.apply_for_confirmation(session, case=case, user=user,
                                                 court_id=form.get("court_id"))
        return (filing.court_name if filing else ""), filing is not None

    try:
        court, sent = await in_db(work)
    except services.FilingRefused as exc:
        return _refused(request, exc, f"/cases/{number}#{PANEL}")
    except cases.NotAllowed:
        raise HTTPException(403) from None
    except IllegalTransition as exc:
        raise _moved(exc) from None
    flash(request, translate("Every party has applied: the joint application was sent to "
                             "{court}.", court=court) if sent else gettext_(
        "Your application is recorded. It goes to the court when every party has applied."))
    return RedirectResponse(f"/cases/{number}#{PANEL}", status_code=303)


ROUTES = [
    Route("/cases/{number}/filing", filing_page, name="filing_page"),
    Route("/cases/{number}/filing", filing_submit, methods=["POST"], name="filing_submit"),
    Route("/cases/{number}/confirmation", confirmation_apply, methods=["POST"],
          name="confirmation_apply"),
]
