"""Display names (gettext msgids) of levels and kinds of body."""

from __future__ import annotations

from portal.bodies.models import BodyKind, Level
from portal.i18n import N_

LEVEL_LABELS: dict[Level, str] = {
    Level.GRID: N_("Grid"),
    Level.VILLAGE: N_("Village or community"),
    Level.TOWN: N_("Town or street"),
    Level.CITY: N_("City"),
}

KIND_LABELS: dict[BodyKind, str] = {
    BodyKind.PEOPLES: N_("People's mediation"),
    BodyKind.ADMINISTRATIVE: N_("Administrative mediation"),
    BodyKind.JUDICIAL: N_("Judicial mediation"),
    BodyKind.INDUSTRY: N_("Industry mediation"),
}
