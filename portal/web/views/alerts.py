"""Early-warning alerts: the owner's list, an alert with its facts and life, the risk panel."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.analytics import alerts, risk
from portal.analytics.alerts import MOVES, STATUS_FILTERS, STATUS_LABELS, IllegalMove
from portal.analytics.models import Alert, AlertLevel, AlertStatus, CaseRisk, RuleKey
from portal.analytics.rules import DEFAULTS, LEVEL_LABELS
from portal.bodies.models import Area, MediationBody
from portal.cases.models import Case
from portal.cases.services import MissingInput, NotAllowed
from portal.dispatch import flow
from portal.dispatch.models import Step
from portal.i18n import N_, gettext_, translate
from portal.web import panels
from portal.web.deps import CurrentUser, in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, read_form
from portal.web.pagination import page_number
from portal.web.security import requires, user_of
from portal.web.templating import render

READERS = tuple(alerts.VIEWERS)
PER_PAGE = 25
# Bootstrap classes per level; the level is always written out too, never colour alone.
LEVEL_CLASSES = {AlertLevel.RED: "text-bg-danger", AlertLevel.ORANGE: "text-bg-warning",
                 AlertLevel.YELLOW: "bg-warning-subtle text-warning-emphasis border",
                 AlertLevel.BLUE: "text-bg-info"}
# Each next step: its address, its button and what the person is told after it.
ACTIONS = {
    AlertStatus.ACKNOWLEDGED: ("acknowledge", N_("Acknowledge"),
                               N_("The alert was acknowledged.")),
    AlertStatus.HANDLED: ("handle", N_("Mark as handled"),
                          N_("The alert was marked as handled.")),
    AlertStatus.CLOSED: ("close", N_("Close the alert"), N_("The alert was closed.")),
}


def fact_text(fact: dict[str, Any]) -> str:
    """A fact in the reader's language: its ``*_label`` params are msgids too."""
    params = {k: gettext_(str(v)) if k.endswith("_label") else v
              for k, v in fact.items() if k != "msg"}
    return translate(str(fact.get("msg", "")), **params)


def _labels() -> dict[str, Any]:
    return {
        "rule_label": lambda r: gettext_(DEFAULTS[RuleKey(r)].label),
        "level_label": lambda lv: gettext_(LEVEL_LABELS[AlertLevel(lv)]),
        "level_class": lambda lv: LEVEL_CLASSES[AlertLevel(lv)],
        "alert_status_label": lambda s: gettext_(STATUS_LABELS[AlertStatus(s)]),
        "fact_text": fact_text,
    }


def _names(session: Session, model: type[Area] | type[MediationBody],
           ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(model.id, model.name).where(
        model.id.in_(wanted))).all())


@requires(*READERS)
async def alert_list(request: Request) -> Response:
    current, params = user_of(request), request.query_params
    status = params.get("status", "active")
    status = status if status in STATUS_FILTERS else "active"
    level = params.get("level", "") if params.get("level", "") in set(AlertLevel) else ""
    rule = params.get("rule", "") if params.get("rule", "") in set(RuleKey) else ""
    number = page_number(request)

    def work(session: Session) -> dict[str, Any]:
        page = alerts.listing(session, load_user(session, current), status=status,
                              level=level, rule=rule, page=number, per_page=PER_PAGE)
        cases = dict(session.execute(select(Case.id, Case.number).where(
            Case.id.in_({a.case_id for a in page.items if a.case_id}))).all())
        return {"page": page, "cases": cases,
                "areas": _names(session, Area, (a.area_id for a in page.items))}

    data = await in_db(work)
    query = urlencode({k: v for k, v in (("status", status if status != "active" else ""),
                                         ("level", level), ("rule", rule)) if v})
    return render(request, "analytics/alerts.html", {
        **data, **_labels(), "status": status, "level": level, "rule": rule,
        "statuses": STATUS_FILTERS, "levels": list(AlertLevel), "rules": list(RuleKey),
        "filtered": bool(query),
        "pager_base": f"/alerts?{query}&" if query else "/alerts?"})


def _visible(session: Session, current: CurrentUser, alert_id: int) -> tuple[Alert, User]:
    user = load_user(session, current)
    alert = alerts.get_visible(session, user, alert_id)
    # Another area's alert answers 404: its existence is not disclosed.
    if alert is None:
        raise HTTPException(404)
    return alert, user


async def _detail_page(request: Request, form: Form | None = None,
                       status: int = 200) -> Response:
    current, alert_id = user_of(request), request.path_params["alert_id"]

    def work(session: Session) -> dict[str, Any]:
        alert, _ = _visible(session, current, alert_id)
        life = alerts.life(session, alert)
        numbers = dict(session.execute(select(Case.id, Case.number).where(
            Case.id.in_([*alert.case_ids, alert.case_id or 0]))).all())
        return {"alert": alert, "life": life,
                "case_numbers": [numbers[i] for i in alert.case_ids if i in numbers],
                "case_number": numbers.get(alert.case_id or 0),
                "people": _names_of_users(session, (e.actor_id for e in life)),
                "areas": _names(session, Area, (alert.area_id, alert.owner_area_id)),
                "body": _names(session, MediationBody, [alert.owner_body_id]).get(
                    alert.owner_body_id or 0)}

    data = await in_db(work)
    following = MOVES.get(data["alert"].status)
    return render(request, "analytics/alerts_detail.html", {
        **data, **_labels(), "form": form or Form(),
        "next_action": ACTIONS[following] if following is not None else None}, status)


def _names_of_users(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    return dict(session.execute(select(User.id, User.name).where(
        User.id.in_(wanted))).all()) if wanted else {}


@requires(*READERS)
async def alert_detail(request: Request) -> Response:
    return await _detail_page(request)


def _mover(to: AlertStatus) -> Any:
    _, _, done = ACTIONS[to]

    @requires(*READERS)
    async def endpoint(request: Request) -> Response:
        current, alert_id = user_of(request), request.path_params["alert_id"]
        form = await read_form(request)

        def work(session: Session) -> None:
            alert, user = _visible(session, current, alert_id)
            alerts.move(session, alert=alert, to=to, actor=user, note=form.get("note"))

        try:
            await in_db(work)
        except MissingInput as exc:
            form.error(exc.field, exc.message, **exc.params)
            return await _detail_page(request, form, 400)
        except IllegalMove as exc:
            raise HTTPException(409, translate(
                exc.message, status=gettext_(STATUS_LABELS[exc.status]),
                target=gettext_(STATUS_LABELS[exc.target]))) from None
        except NotAllowed:
            raise HTTPException(404) from None
        flash(request, gettext_(done))
        return RedirectResponse(f"/alerts/{alert_id}", status_code=303)

    return endpoint


def _risk_panel(session: Session, case: Case, user: User) -> dict[str, Any] | None:
    if user.role not in risk.READERS:
        return None
    order = flow.order_of(session, case.id)
    if order is None or order.step is Step.CLOSED:
        return None
    row = session.get(CaseRisk, case.id)
    open_alerts = session.execute(alerts.visible_alerts(session, user).where(
        Alert.case_id == case.id, Alert.status != AlertStatus.CLOSED)
        .order_by(Alert.id)).scalars().all()
    return {"risk": row, "band": risk.band(row.score) if row else None,
            "alerts": open_alerts, **_labels()}


panels.register(panels.Panel(name="risk", template="analytics/alerts_risk_panel.html",
                             order=2, column="side", collect=_risk_panel))

ROUTES = [
    Route("/alerts", alert_list, name="alerts"),
    Route("/alerts/{alert_id:id}", alert_detail, name="alert_detail"),
    *(Route(f"/alerts/{{alert_id:id}}/{path}", _mover(to), methods=["POST"],
            name=f"alert_{path}") for to, (path, _, _) in ACTIONS.items()),
]
