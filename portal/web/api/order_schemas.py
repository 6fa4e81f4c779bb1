"""API schemas of the order loop: the grid app's reports and the dispatch board."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from portal.bodies.models import Level
from portal.cases.models import ParticipantRole
from portal.cases.states import Status
from portal.dispatch.models import Department, Outcome, Priority, Source, Step
from portal.web.api.schemas import RowId


class ReportPartyIn(BaseModel):
    role: ParticipantRole = Field(description="applicant or respondent")
    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(default="", max_length=20)
    id_number: str = Field(default="", max_length=18)


class ReportIn(BaseModel):
    """A dispute reported from the field (or, with ``department``, taken in)."""

    dispute_type: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    area_id: RowId
    address: str = Field(default="", max_length=300)
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, max_digits=9,
                                      decimal_places=6)
    priority: Priority = Priority.NORMAL
    is_group: bool = False
    parties: list[ReportPartyIn] = Field(min_length=2, max_length=20)
    department: Department | None = Field(
        default=None, description="for transfers in and court referrals only")
    external_ref: str = Field(default="", max_length=100)
    # The same key returns the same order: a retried request never makes two.
    create_key: str | None = Field(default=None, min_length=16, max_length=64)


class OrderOut(BaseModel):
    id: int
    case_number: str
    title: str
    case_status: Status
    source: Source
    dispute_type: str
    area_id: int
    level: Level
    priority: Priority
    step: Step
    owner_body_id: int | None
    owner_area_id: int | None
    due_at: dt.datetime | None
    overdue: bool
    escalations: int
    duplicate_of_id: int | None
    outcome: Outcome | None
    created_at: dt.datetime


class OrderListQuery(BaseModel):
    step: Step | None = None
    overdue: bool = False
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=25, ge=1, le=100)


class OrderListOut(BaseModel):
    items: list[OrderOut]
    page: int
    per_page: int
    total: int


class DispatchIn(BaseModel):
    body_id: RowId
    note: str = Field(default="", max_length=2000)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
