"""Labels of the order loop's enumerations: English gettext msgids."""

from __future__ import annotations

from portal.dispatch.models import Department, Outcome, Performance, Priority, Source, Step

SOURCE_LABELS: dict[Source, str] = {
    Source.APPLICATION: "Online application",
    Source.GRID_REPORT: "Grid worker's report",
    Source.TRANSFER_IN: "Transferred from a department",
    Source.COURT_REFERRAL: "Referred by a court",
}
DEPARTMENT_LABELS: dict[Department, str] = {
    Department.POLICE: "Police",
    Department.PETITIONS: "Petitions office",
    Department.HOTLINE_12345: "12345 hotline",
    Department.LABOUR_INSPECTION: "Labour inspection",
    Department.COURT: "Court",
    Department.LABOUR_ARBITRATION: "Labour arbitration",
    Department.ADMINISTRATIVE_REVIEW: "Administrative review",
    Department.OTHER: "Other department",
}
STEP_LABELS: dict[Step, str] = {
    Step.DISPATCH: "Waiting for dispatch",
    Step.ACCEPT: "Waiting for the body to accept",
    Step.HANDLE: "Being handled",
    Step.FOLLOW_UP: "Follow-up visit",
    Step.REVIEW: "Centre review",
    Step.CLOSED: "Closed",
}
PRIORITY_LABELS: dict[Priority, str] = {
    Priority.NORMAL: "Normal",
    Priority.URGENT: "Urgent",
    Priority.MAJOR: "Major (group or cross-area)",
}
OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.AGREEMENT: "Settled by agreement",
    Outcome.CONFIRMED: "Agreement confirmed by a court",
    Outcome.TRANSFERRED: "Transferred",
    Outcome.FAILED: "Mediation failed",
    Outcome.WITHDRAWN: "Withdrawn",
    Outcome.MERGED: "Merged into another order",
}
PERFORMANCE_LABELS: dict[Performance, str] = {
    Performance.FULLY: "Carried out in full",
    Performance.PARTLY: "Partly carried out",
    Performance.NOT_YET: "Not yet due or not yet carried out",
    Performance.REFUSED: "A party refuses to carry it out",
    Performance.NOT_APPLICABLE: "No agreement to carry out",
}
