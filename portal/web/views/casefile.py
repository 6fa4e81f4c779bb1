"""The case file: the "Documents" panel, paper downloads, and the dossier's build, progress
and download."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.casefile import jobs, papers
from portal.casefile import services as casefile
from portal.casefile.models import DossierJob, JobStatus
from portal.cases.models import Case
from portal.i18n import gettext_, translate
from portal.web import panels
from portal.web.deps import CurrentUser, in_db
from portal.web.downloads import PRIVATE_HEADERS, content_disposition, stored_file
from portal.web.flash import flash
from portal.web.security import requires, user_of
from portal.web.templating import render
from portal.web.views.case_forms import visible_case

PANEL = "documents"
# Roles that may ever build or download a dossier; on a given case, services.BUILDERS.
DOSSIER_ROLES = (Role.PARTY, Role.MEDIATOR, Role.BODY_ADMIN, Role.DISPATCHER, Role.ADMIN)
POLL_MS = 1500


def paper_rows(session: Session, case: Case) -> list[dict[str, str]]:
    return [{"label": translate(papers.LABELS[p.kind], number=str(p.number)),
             "title": p.title, "href": f"/cases/{case.number}/papers/{p.slug}"}
            for p in papers.listing(session, case)]


def _error(job: DossierJob | None, lost: bool) -> str:
    if job is None:
        return ""
    if lost:
        return gettext_(jobs.TIMED_OUT)
    if job.status is not JobStatus.FAILED:
        return ""
    message, params = casefile.error_of(job)
    return translate(message, **params)


def dossier_context(session: Session, case: Case, user: User) -> dict[str, Any]:
    state = casefile.state(session, case, user)
    return {"number": case.number, "state": state, "error": _error(state.latest, state.lost),
            "percent": round((state.latest.progress if state.latest else 0) * 100),
            "base": f"/cases/{case.number}/dossier", "poll_ms": POLL_MS}


def _panel(session: Session, case: Case, user: User) -> dict[str, Any]:
    ctx: dict[str, Any] = {"panel": PANEL, "number": case.number,
                           "papers": paper_rows(session, case), "dossier": None}
    if casefile.may_build(session, case, user):
        ctx["dossier"] = dossier_context(session, case, user)
    return ctx


panels.register(panels.Panel(name=PANEL, template="casefile/_panel.html", order=45,
                             column="main", collect=_panel))


@requires()
async def paper_download(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    slug = request.path_params["paper"]

    def work(session: Session) -> tuple[papers.Paper, Any]:
        case, _ = visible_case(session, current, number)
        found = papers.find(session, case, slug)
        if found is None:
            raise HTTPException(404)
        return found

    paper, data = await in_db(work)
    pdf = await run_in_threadpool(papers.render, paper.kind, data)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": content_disposition(f"{paper.title}-{number}.pdf",
                                                   f"{paper.slug}-{number}.pdf"),
        **PRIVATE_HEADERS})


def _builder(session: Session, current: CurrentUser, number: str) -> tuple[Case, User]:
    case, user = visible_case(session, current, number)
    if not casefile.may_build(session, case, user):
        raise HTTPException(404)
    return case, user


@requires(*DOSSIER_ROLES)
async def dossier_page(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]

    def work(session: Session) -> dict[str, Any]:
        case, user = _builder(session, current, number)
        return {"case": case, **dossier_context(session, case, user)}

    return render(request, "casefile/dossier.html", await in_db(work))


@requires(*DOSSIER_ROLES)
async def dossier_build(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]

    def work(session: Session) -> None:
        case, user = _builder(session, current, number)
        casefile.request_build(session, case=case, user=user)

    await in_db(work)  # without a broker the build runs here, once the request commits
    flash(request, gettext_("The dossier is being put together."), "info")
    return RedirectResponse(f"/cases/{number}/dossier", status_code=303)


@requires(*DOSSIER_ROLES)
async def dossier_progress(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]

    def work(session: Session) -> dict[str, Any]:
        case, _ = _builder(session, current, number)
        job = jobs.latest(session, case.id)
        if job is None:
            return {"status": "none", "progress": 0.0, "finished": True}
        lost = jobs.lost(job)
        status = JobStatus.FAILED if lost else job.status
        return {"status": status.value, "progress": job.progress,
                "finished": status in (JobStatus.DONE, JobStatus.FAILED),
                "error": _error(job, lost)}

    return JSONResponse(await in_db(work), headers={"Cache-Control": "no-store"})


@requires(*DOSSIER_ROLES)
async def dossier_download(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]

    def work(session: Session) -> DossierJob:
        case, _ = _builder(session, current, number)
        job = jobs.latest_done(session, case.id)
        if job is None:
            raise HTTPException(404)
        return job

    job = await in_db(work)
    assert job.storage_name is not None
    return await stored_file(job.storage_name, media_type="application/pdf",
                             filename=f"人民调解卷宗-{number}.pdf",
                             fallback=f"dossier-{number}.pdf", size=job.size,
                             what=f"dossier {job.id} of case {number}")


ROUTES = [
    Route("/cases/{number}/papers/{paper}", paper_download, name="paper_download"),
    Route("/cases/{number}/dossier", dossier_page, name="dossier_page"),
    Route("/cases/{number}/dossier", dossier_build, methods=["POST"], name="dossier_build"),
    Route("/cases/{number}/dossier/progress", dossier_progress, name="dossier_progress"),
    Route("/cases/{number}/dossier/download", dossier_download, name="dossier_download"),
]
