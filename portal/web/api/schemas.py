"""Request and response schemas of the JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from portal.cases.states import Status, Trigger
from portal.db.types import MAX_ROW_ID

# An id sent by a client: a number beyond the database's ids is a 400, not a failed query.
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class ErrorOut(BaseModel):
    error: str
    detail: str | None = None
    fields: dict[str, str] | None = None


class TokenIn(BaseModel):
    phone: str = Field(min_length=1, max_length=30)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=200)


class MeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    phone: str
    role: str
    body_id: int | None
    area_id: int | None


class ParticipantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: str
    kind: str
    name: str


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    trigger: Trigger
    from_status: Status
    to_status: Status
    actor_role: str
    reason: str
    created_at: dt.datetime


class CaseSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    title: str
    status: Status
    dispute_type: str
    body_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CaseOut(CaseSummaryOut):
    summary: str
    mediator_id: int | None
    participants: list[ParticipantOut]
    events: list[EventOut]
    allowed_actions: list[Trigger]


class CaseListQuery(BaseModel):
    status: Status | None = None
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=20, ge=1, le=100)


class CaseListOut(BaseModel):
    items: list[CaseSummaryOut]
    page: int
    per_page: int
    total: int


class ActionIn(BaseModel):
    trigger: Trigger
    reason: str = Field(default="", max_length=2000)
    mediator_id: RowId | None = None
    # Submitting an application needs both consents, as on the review page.
    consent_online: bool = False
    consent_service: bool = False


class SuggestQuery(BaseModel):
    dispute_type: str = Field(min_length=1, max_length=40)
    area_id: RowId | None = None
    limit: int = Field(default=5, ge=1, le=20)


class SuggestionOut(BaseModel):
    body_id: int
    name: str
    level: str
    score: float
    reasons: list[str]


class SuggestionsOut(BaseModel):
    items: list[SuggestionOut]


class ApplicationStartIn(BaseModel):
    # A random key of the client's choosing: sending it twice returns the same draft.
    create_key: str = Field(min_length=16, max_length=64)
    # The fields of the form's first step (dispute_type, title, area_id), by name.
    values: dict[str, str] = Field(default_factory=dict)


class ApplicationStepIn(BaseModel):
    # The fields of that step of the application form, by name (see /apply).
    values: dict[str, str] = Field(default_factory=dict)


class ApplicationOut(BaseModel):
    number: str
    status: Status
    step: str
    missing_steps: list[str]


class ReferralIn(BaseModel):
    body_id: RowId
    reason: str = Field(min_length=1, max_length=2000)


class MediatorChoiceIn(BaseModel):
    mediator_id: RowId


class MediatorAnswerIn(BaseModel):
    accept: bool
    no_conflict: bool = False
    conflict: str = Field(default="", max_length=2000)
    reason: str = Field(default="", max_length=2000)


class RespondentAnswerIn(BaseModel):
    agree: bool
    reason: str = Field(default="", max_length=2000)


class EvidenceForm(BaseModel):
    """multipart/form-data, fields in this order: description, then one file."""

    description: str = Field(min_length=1, max_length=500)
    file: bytes


class EvidenceOut(BaseModel):
    id: int
    name: str
    size: int
    sha256: str
