"""Shared column types and annotated aliases for typed models."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from sqlalchemy import DateTime, Dialect, Enum, String, TypeDecorator
from sqlalchemy.orm import mapped_column


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no timezone support and hands back naive values; normalising here keeps
    comparisons between stored and fresh datetimes correct everywhere.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def str_enum(enum_cls: type[StrEnum], length: int = 40) -> Enum:
    """Store a StrEnum by value as VARCHAR, so new members need no migration."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


intpk = Annotated[int, mapped_column(primary_key=True)]
# The largest id an Integer primary key holds (PostgreSQL integer): a larger number from
# outside is no row, and must not reach a query that would fail on it.
MAX_ROW_ID = 2**31 - 1
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False)]
str40 = Annotated[str, mapped_column(String(40))]
str200 = Annotated[str, mapped_column(String(200))]
