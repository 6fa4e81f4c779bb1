"""Areas (grid → village → town → city) and mediation bodies.

The directory with specialties, mediators and figures grows in the application issue;
the foundation needs areas and bodies to scope staff roles.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db.base import Base
from portal.db.types import created_at, intpk, str_enum


class Level(StrEnum):
    GRID = "grid"
    VILLAGE = "village"
    TOWN = "town"
    CITY = "city"


class BodyKind(StrEnum):
    PEOPLES = "peoples"
    ADMINISTRATIVE = "administrative"
    JUDICIAL = "judicial"
    INDUSTRY = "industry"


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[Level] = mapped_column(str_enum(Level))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)

    parent: Mapped[Area | None] = relationship(remote_side="Area.id")

    def lineage(self) -> list[Area]:
        """This area and its ancestors, nearest first."""
        chain: list[Area] = []
        node: Area | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class MediationBody(Base):
    __tablename__ = "mediation_bodies"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[BodyKind] = mapped_column(str_enum(BodyKind))
    level: Mapped[Level] = mapped_column(str_enum(Level))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Keys of portal.cases.disputes.DISPUTE_TYPES this body accepts.
    dispute_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    specialties: Mapped[str] = mapped_column(String(300), default="")
    working_hours: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]

    area: Mapped[Area] = relationship()


class MediatorProfile(Base):
    """The published profile of a mediator (a User with role mediator)."""

    __tablename__ = "mediator_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[str] = mapped_column(String(100), default="普通话")
    years: Mapped[int] = mapped_column(default=0)
    charges: Mapped[bool] = mapped_column(default=False)
    bio: Mapped[str] = mapped_column(Text, default="")
    photo_path: Mapped[str | None] = mapped_column(String(200))
    accepting_cases: Mapped[bool] = mapped_column(default=True)
