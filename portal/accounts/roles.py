"""Roles. Staff roles are granted by administrators, never self-registered."""

from enum import StrEnum


class Role(StrEnum):
    PARTY = "party"
    MEDIATOR = "mediator"
    BODY_ADMIN = "body_admin"
    GRID_WORKER = "grid_worker"
    DISPATCHER = "dispatcher"
    COURT_CLERK = "court_clerk"
    ADMIN = "admin"


STAFF_ROLES = frozenset(Role) - {Role.PARTY}

ROLE_LABELS: dict[Role, str] = {
    Role.PARTY: "Party",
    Role.MEDIATOR: "Mediator",
    Role.BODY_ADMIN: "Body administrator",
    Role.GRID_WORKER: "Grid worker",
    Role.DISPATCHER: "Centre dispatcher",
    Role.COURT_CLERK: "Court clerk",
    Role.ADMIN: "System administrator",
}
