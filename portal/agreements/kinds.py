"""What each kind of signable document adds to the generic signing rules."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.agreements.models import AgreementVersion, DocumentKind, SignableDocument
from portal.cases import services as cases
from portal.cases.states import Status, Trigger
from portal.i18n import N_


class NotSignable(Exception):
    """``message`` is a msgid; signing answers 409 with it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def latest_version_number(session: Session, case_id: int) -> int:
    return int(session.execute(select(func.coalesce(func.max(AgreementVersion.number), 0))
                               .where(AgreementVersion.case_id == case_id)).scalar_one())


def check(session: Session, document: SignableDocument) -> None:
    """Raise NotSignable when the document may not be signed now."""
    if document.kind is not DocumentKind.AGREEMENT:
        return
    version = document.version
    if version is None or version.number != latest_version_number(session, document.case_id):
        raise NotSignable(N_("This is not the current version of the agreement: the mediator "
                             "revised it. Open the current version."))
    if document.case.status is not Status.SIGNING:
        raise NotSignable(N_("The agreement is not open for signing (the case is no longer "
                             "at the signing stage)."))


def completed(session: Session, document: SignableDocument) -> None:
    """Every required signature is in."""
    if document.kind is DocumentKind.AGREEMENT:
        # The agreement takes effect: a move of the system, not of the last signer.
        cases.transition(session, case=document.case, trigger=Trigger.ALL_SIGNED, actor=None,
                         reason=f"document {document.id}")
