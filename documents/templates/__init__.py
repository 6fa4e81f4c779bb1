"""Legal paper templates: each takes a dataclass from documents.data and returns PDF bytes."""

from documents.templates.case_papers import (
    acceptance_notice,
    application,
    evidence_list,
    service_receipt,
)
from documents.templates.court import civil_complaint, judicial_confirmation
from documents.templates.mediation import agreement, minutes, termination_record

__all__ = [
    "acceptance_notice",
    "agreement",
    "application",
    "civil_complaint",
    "evidence_list",
    "judicial_confirmation",
    "minutes",
    "service_receipt",
    "termination_record",
]
