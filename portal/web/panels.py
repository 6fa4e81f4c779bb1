"""Sections of the case page contributed by other features.

A panel is a template (rendered with the page's context plus its own) and a function that
collects, inside the page's database session, what that template needs. Each feature
registers its panels from its own view module, so the case page does not grow with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.cases.models import Case


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    # Lower numbers first; the main column holds facts, parties, evidence, timeline.
    order: int
    column: str  # "main" | "side"
    collect: Callable[[Session, Case, User], dict[str, Any] | None]


PANELS: list[Panel] = []


def register(panel: Panel) -> None:
    PANELS[:] = sorted([*(p for p in PANELS if p.name != panel.name), panel],
                       key=lambda p: p.order)


@dataclass(frozen=True)
class RenderedPanel:
    template: str
    column: str
    context: dict[str, Any]


def collect(session: Session, case: Case, user: User) -> list[RenderedPanel]:
    """Panels that have something to show to this user; ``collect`` returning None hides it."""
    out = []
    for panel in PANELS:
        ctx = panel.collect(session, case, user)
        if ctx is not None:
            out.append(RenderedPanel(panel.template, panel.column, ctx))
    return out
