"""What the pages call filings and their states: English msgids, translated by the views."""

from __future__ import annotations

from portal.filing.models import FilingKind, FilingStatus
from portal.i18n import N_

KIND_LABELS: dict[FilingKind, str] = {
    FilingKind.LITIGATION: N_("Court filing"),
    FilingKind.CONFIRMATION: N_("Judicial confirmation"),
}

STATUS_LABELS: dict[FilingStatus, str] = {
    FilingStatus.QUEUED: N_("Waiting to be sent to the court"),
    FilingStatus.BUILDING: N_("Putting the package together"),
    FilingStatus.DELIVERING: N_("Being sent to the court"),
    FilingStatus.DELIVERED: N_("Received by the court, waiting for its decision"),
    FilingStatus.REFUSED: N_("Not accepted by the court's system"),
    FilingStatus.DEAD: N_("Could not be delivered"),
    FilingStatus.ACCEPTED: N_("Accepted by the court"),
    FilingStatus.REJECTED: N_("Rejected by the court"),
}

# Bootstrap colours of the status badge.
STATUS_STYLES: dict[FilingStatus, str] = {
    FilingStatus.QUEUED: "secondary", FilingStatus.BUILDING: "secondary",
    FilingStatus.DELIVERING: "secondary", FilingStatus.DELIVERED: "info",
    FilingStatus.REFUSED: "danger", FilingStatus.DEAD: "danger",
    FilingStatus.ACCEPTED: "success", FilingStatus.REJECTED: "warning",
}

ROLE_LABELS: dict[str, str] = {
    "lead": N_("Main document"),
    "connected": N_("Accompanying document"),
    "evidence": N_("Evidence"),
}
