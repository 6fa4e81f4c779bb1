"""The orders behind the dashboard, one CSV row each, read in batches while they stream.

This is the one analytics read of the raw tables per request, for a download: the caller
counts first (``orders_query`` with a count) and refuses more rows than it allows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from portal.accounts.models import User
from portal.analytics.aggregates import Rows, day_start
from portal.analytics.dashboard import Filters
from portal.bodies.labels import LEVEL_LABELS
from portal.bodies.models import Area, MediationBody
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.models import Case
from portal.deadlines.calendar import TIME_ZONE
from portal.dispatch.labels import OUTCOME_LABELS, SOURCE_LABELS, STEP_LABELS
from portal.dispatch.models import WorkOrder
from portal.i18n import gettext_

BATCH = 2000


@dataclass(frozen=True)
class Labels:
    """Translated labels, taken in the request (the rows are written in another thread)."""

    headers: list[str]
    values: dict[str, str]


def labels() -> Labels:
    values = {f"type:{k}": gettext_(v) for k, v in DISPUTE_TYPES.items()}
    for prefix, table in (("level", LEVEL_LABELS), ("source", SOURCE_LABELS),
                          ("step", STEP_LABELS), ("outcome", OUTCOME_LABELS)):
        values.update({f"{prefix}:{key}": gettext_(text) for key, text in table.items()})
    headers = [gettext_("Case number"), gettext_("Received"), gettext_("Area"),
               gettext_("Dispute type"), gettext_("Level"), gettext_("Source"),
               gettext_("Mediation body"), gettext_("Mediator"), gettext_("Step"),
               gettext_("Outcome"), gettext_("Closed")]
    return Labels(headers, values)


def orders_query(filters: Filters, *columns: Any) -> Rows:
    """``columns`` of the orders received in the period and scope."""
    query = (select(*columns).select_from(WorkOrder).join(Case, Case.id == WorkOrder.case_id)
             .where(WorkOrder.created_at >= day_start(filters.start),
                    WorkOrder.created_at < day_start(filters.end + dt.timedelta(days=1))))
    if filters.area_ids is not None:
        query = query.where(WorkOrder.area_id.in_(filters.area_ids))
    if filters.dispute_type:
        query = query.where(Case.dispute_type == filters.dispute_type)
    if filters.level:
        query = query.where(WorkOrder.level == filters.level)
    return query


def _local(moment: dt.datetime | None) -> str:
    return moment.astimezone(TIME_ZONE).strftime("%Y-%m-%d %H:%M") if moment else ""


def order_rows(session: Session, filters: Filters, names: Labels) -> Iterator[list[str]]:
    mediator = aliased(User)
    query = (orders_query(
        filters, Case.number, WorkOrder.created_at, Area.name, Case.dispute_type, WorkOrder.level,
        WorkOrder.source, MediationBody.name, mediator.name, WorkOrder.step,
        WorkOrder.outcome, WorkOrder.closed_at)
        .join(Area, Area.id == WorkOrder.area_id)
        .outerjoin(MediationBody, MediationBody.id == Case.body_id)
        .outerjoin(mediator, mediator.id == Case.mediator_id)
        .order_by(WorkOrder.created_at, WorkOrder.id)
        .execution_options(yield_per=BATCH))
    label = names.values.get
    yield names.headers
    for (number, created, area, kind, level, source, body, person, step, outcome,
         closed) in session.execute(query):
        yield [number, _local(created), area, label(f"type:{kind}", kind),
               label(f"level:{level}", ""), label(f"source:{source}", ""),
               body or "", person or "", label(f"step:{step}", ""),
               label(f"outcome:{outcome}", "") if outcome else "", _local(closed)]
