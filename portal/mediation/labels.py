"""What the pages call sessions' modes, statuses and invitees (English msgids)."""

from __future__ import annotations

from portal.i18n import N_
from portal.mediation.models import (
    Attendance,
    InviteeRole,
    RequestStatus,
    SessionMode,
    SessionStatus,
    Side,
)

MODE_LABELS: dict[SessionMode, str] = {
    SessionMode.ONLINE: N_("Online (video)"),
    SessionMode.IN_PERSON: N_("At a service centre"),
}
STATUS_LABELS: dict[SessionStatus, str] = {
    SessionStatus.SCHEDULED: N_("Scheduled"),
    SessionStatus.LIVE: N_("In progress"),
    SessionStatus.ENDED: N_("Ended"),
    SessionStatus.CANCELLED: N_("Cancelled"),
}
# A cancelled session that another one replaces.
RESCHEDULED = N_("Rescheduled")
ROLE_LABELS: dict[InviteeRole, str] = {
    InviteeRole.PARTY: N_("Party"),
    InviteeRole.AGENT: N_("Agent"),
    InviteeRole.MEDIATOR: N_("Mediator"),
    InviteeRole.OBSERVER: N_("Observer"),
}
SIDE_LABELS: dict[Side, str] = {
    Side.APPLICANT: N_("Applicant's side"),
    Side.RESPONDENT: N_("Respondent's side"),
    Side.NONE: N_("Neutral"),
}
ATTENDANCE_LABELS: dict[Attendance, str] = {
    Attendance.ONLINE: N_("online"),
    Attendance.IN_PERSON: N_("in person"),
}
REQUEST_LABELS: dict[RequestStatus, str] = {
    RequestStatus.OPEN: N_("Awaiting the mediator's answer"),
    RequestStatus.ACCEPTED: N_("Accepted: the session was moved"),
    RequestStatus.DECLINED: N_("Declined"),
}
