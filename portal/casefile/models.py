from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.cases.models import Case
from portal.db.base import Base
from portal.db.types import UTCDateTime, created_at, intpk, str_enum


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DossierJob(Base):
    """One build of a case's dossier. Progress is committed as it goes, so pages can poll it.

    ``fingerprint`` is the SHA-256 of everything the dossier was built from; a done job with
    the current fingerprint is reused instead of building again.
    """

    __tablename__ = "dossier_jobs"
    __table_args__ = (Index("ix_dossier_jobs_case_status", "case_id", "status"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.QUEUED)
    progress: Mapped[float] = mapped_column(default=0.0)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Set when the case moved on after the build started: the page offers a rebuild.
    stale: Mapped[bool] = mapped_column(default=False)
    # Why it failed: an English msgid with {placeholders} filled from error_params (JSON).
    error: Mapped[str] = mapped_column(Text, default="")
    error_params: Mapped[str] = mapped_column(Text, default="{}")
    # The PDF in storage; cleared when a newer build of the case replaces it.
    storage_name: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship()
    requested_by: Mapped[User | None] = relationship()
