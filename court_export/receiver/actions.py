"""The clerk's decisions as forms: accept and docket, or reject after a confirmation."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from court_export.receiver import decisions
from court_export.receiver.auth import check_csrf, current_clerk, flash
from court_export.receiver.inbox import clerk_only, load_filing
from court_export.receiver.templating import render


def _back(request: Request) -> RedirectResponse:
    return RedirectResponse(request.url_for("filing", filing_id=request.path_params["filing_id"]),
                            303)


@clerk_only
async def accept(request: Request) -> Response:
    check_csrf(request, await request.form())
    try:
        filing = await run_in_threadpool(
            decisions.accept, request.app.state.court, request.path_params["filing_id"],
            clerk=current_clerk(request) or "")
    except decisions.UnknownFiling:
        raise HTTPException(404, "没有这个立案申请。") from None
    except decisions.AlreadyDecided:
        flash(request, "warning", "该申请已经处理过，未作更改。")
        return _back(request)
    flash(request, "success", f"已立案，案号：{filing.docket_number}")
    return _back(request)


@clerk_only
async def reject(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    court = request.app.state.court
    filing_id = request.path_params["filing_id"]
    reason = str(form.get("reason", "")).strip()
    problem = None
    if not reason:
        problem = "请填写不予受理的理由。"
    elif len(reason) > decisions.MAX_REASON:
        problem = f"理由不能超过 {decisions.MAX_REASON} 字。"
    if problem is not None:
        data = await run_in_threadpool(load_filing, court, filing_id)
        return render(request, "filing.html", {**data, "reason": reason,
                                               "reason_error": problem}, 400)
    if form.get("confirm") != "yes":
        # The confirmation step: the clerk sees what will be sent and confirms it.
        data = await run_in_threadpool(load_filing, court, filing_id)
        return render(request, "reject_confirm.html", {**data, "reason": reason})
    try:
        await run_in_threadpool(decisions.reject, court, filing_id,
                                clerk=current_clerk(request) or "", reason=reason)
    except decisions.UnknownFiling:
        raise HTTPException(404, "没有这个立案申请。") from None
    except decisions.AlreadyDecided:
        flash(request, "warning", "该申请已经处理过，未作更改。")
        return _back(request)
    flash(request, "success", "已决定不予受理，平台将收到通知。")
    return _back(request)


routes = [
    Route("/inbox/{filing_id}/accept", accept, methods=["POST"], name="filing_accept"),
    Route("/inbox/{filing_id}/reject", reject, methods=["POST"], name="filing_reject"),
]
