"""A document collecting signatures: its page, the one-time code, the signature, the PDF.

The same pages serve the agreement and the minutes. The mediator also runs a party's
signing at their own device ("at a service centre") with that party's SMS code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import parse_qsl

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField
from portal.agreements import signing
from portal.agreements.images import decode_signature
from portal.agreements.models import DocumentKind, DocumentStatus, SignableDocument
from portal.agreements.pki import get_ca
from portal.cases import services as cases
from portal.cases.states import LABELS as STATUS_LABELS
from portal.cases.states import IllegalTransition
from portal.i18n import N_, gettext_, translate
from portal.storage import get_storage
from portal.web.deps import CurrentUser, client_address, in_db
from portal.web.downloads import stored_file
from portal.web.flash import flash
from portal.web.forms import Form
from portal.web.security import requires, user_of
from portal.web.templating import render
from portal.web.views.case_forms import visible_case

# The signature arrives as a data URL inside an urlencoded form.
MAX_SIGN_BODY = 512 * 1024
STATUS_TEXT = {
    DocumentStatus.OPEN: N_("Collecting signatures"),
    DocumentStatus.COMPLETE: N_("Signed by everyone"),
    DocumentStatus.VOID: N_("Void: replaced by a later version"),
}
KIND_TEXT = {DocumentKind.AGREEMENT: N_("Mediation agreement"),
             DocumentKind.MINUTES: N_("Minutes of a session")}
SIGNERS = (Role.PARTY, Role.MEDIATOR, Role.BODY_ADMIN)


@dataclass(frozen=True)
class SignerRow:
    id: int
    field_name: str
    label: str
    name: str
    seal: bool
    signed_at: dt.datetime | None
    at_service_centre: bool
    is_next: bool
    how: str | None  # this user's way to sign it now: "self", "assist", or None


@dataclass(frozen=True)
class DocumentView:
    id: int
    case_number: str
    kind: DocumentKind
    title: str
    status: DocumentStatus
    sha256: str
    created_at: dt.datetime
    completed_at: dt.datetime | None
    void_reason: str
    signers: list[SignerRow]
    version: int | None
    session_id: int | None

    @property
    def url(self) -> str:
        return f"/cases/{self.case_number}/documents/{self.id}"

    @property
    def mine(self) -> SignerRow | None:
        """The signature this user can give now, if it is the next one."""
        return next((s for s in self.signers if s.is_next and s.how), None)

    @property
    def signed(self) -> int:
        return sum(1 for s in self.signers if s.signed_at is not None)


def document_view(session: Session, document: SignableDocument, user: User) -> DocumentView:
    following = signing.next_signer(document) if document.status is DocumentStatus.OPEN else None
    return DocumentView(
        id=document.id, case_number=document.case.number, kind=document.kind,
        title=document.title, status=document.status, sha256=document.current_sha256,
        created_at=document.created_at, completed_at=document.completed_at,
        void_reason=document.void_reason,
        signers=[SignerRow(s.id, s.field_name, s.label, s.name, s.seal, s.signed_at,
                           s.at_service_centre, following is not None and s.id == following.id,
                           signing.how_may_sign(session, s, user)
                           if following is not None and s.id == following.id else None)
                 for s in document.signers],
        version=document.version.number if document.version else None,
        session_id=document.minutes.session_id if document.minutes else None)


def _document(session: Session, current: CurrentUser, number: str,
              document_id: int) -> tuple[SignableDocument, User]:
    case, user = visible_case(session, current, number)
    document = session.execute(select(SignableDocument).where(
        SignableDocument.id == document_id, SignableDocument.case_id == case.id)
    ).scalar_one_or_none()
    if document is None:
        raise HTTPException(404)
    return document, user


async def _page(request: Request, current: CurrentUser, *, form: Form | None = None,
                status: int = 200, sent_to: str = "") -> Response:
    number, document_id = request.path_params["number"], request.path_params["document_id"]

    def work(session: Session) -> DocumentView:
        document, user = _document(session, current, number, document_id)
        return document_view(session, document, user)

    view = await in_db(work)
    return render(request, "agreements/document.html", {
        "doc": view, "form": form or Form(), "sent_to": sent_to,
        "status_text": STATUS_TEXT, "kind_text": KIND_TEXT, "case_number": number,
    }, status)


@requires()
async def document_page(request: Request) -> Response:
    return await _page(request, user_of(request),
                       sent_to=request.query_params.get("sent", "")[:20])


def _refused(form: Form, exc: Exception) -> int:
    """Put the refusal on ``form``; the HTTP status to answer with."""
    if isinstance(exc, signing.Refused):
        form.error("sign", exc.message, **exc.params)
        return exc.status
    if isinstance(exc, InvalidField):
        form.error(exc.field, exc.message, **getattr(exc, "params", {}))
        return 400
    if isinstance(exc, IllegalTransition):
        form.error("sign", "This action is no longer possible: the case is now “{status}”. "
                   "Reload the page.", status=gettext_(STATUS_LABELS[exc.status]))
        return 409
    raise exc


def _signer_id(values: dict[str, str]) -> int:
    raw = values.get("signer_id", "")
    if not raw.isdigit():
        raise signing.Refused(400, N_("Choose whose signature this is."))
    return int(raw)


@requires(*SIGNERS)
async def send_code(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    document_id = request.path_params["document_id"]
    async with request.form(max_files=0, max_fields=10) as data:
        values = {k: v for k, v in data.items() if isinstance(v, str)}
    form = Form(values={"signer_id": values.get("signer_id", "")})

    def work(session: Session) -> str:
        document, user = _document(session, current, number, document_id)
        return signing.send_code(session, document_id=document.id,
                                 signer_id=_signer_id(values), actor=user,
                                 client=client_address(request))

    try:
        masked = await in_db(work)
    except cases.NotAllowed:
        raise HTTPException(403) from None
    except (signing.Refused, InvalidField) as exc:
        return await _page(request, current, form=form, status=_refused(form, exc))
    flash(request, translate("A six-digit code was sent to {phone}. It is valid for 5 "
                             "minutes.", phone=masked), "info")
    return RedirectResponse(f"/cases/{number}/documents/{document_id}?sent={masked}#sign",
                            status_code=303)


async def _read_body(request: Request) -> dict[str, str]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_SIGN_BODY:
        raise HTTPException(413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SIGN_BODY:
            raise HTTPException(413)
    return dict(parse_qsl(body.decode("utf-8", "replace"), max_num_fields=20))


@requires(*SIGNERS)
async def sign(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    document_id = request.path_params["document_id"]
    try:
        values = await _read_body(request)
    except (ClientDisconnect, ValueError):
        raise HTTPException(400) from None
    form = Form(values={"signer_id": values.get("signer_id", "")}, secret=("code",))
    try:
        drawn = values.get("signature", "")
        png = decode_signature(drawn) if drawn else None
    except InvalidField as exc:
        return await _page(request, current, form=form, status=_refused(form, exc))
    given = signing.Signature(values.get("code", "").strip(), png, values.get("sha256", ""))
    storage, ca = get_storage(), get_ca()

    def work(session: Session) -> tuple[bool, str]:
        document, user = _document(session, current, number, document_id)
        signer = signing.sign(session, document_id=document.id, signer_id=_signer_id(values),
                              actor=user, given=given, storage=storage, ca=ca)
        return document.status is DocumentStatus.COMPLETE, signer.name

    try:
        complete, name = await in_db(work)
    except cases.NotAllowed:
        raise HTTPException(403) from None
    except (signing.Refused, InvalidField, IllegalTransition) as exc:
        return await _page(request, current, form=form, status=_refused(form, exc))
    flash(request, translate("{name} has signed.", name=name))
    if complete:
        flash(request, gettext_("Every required signature is present."), "info")
    return RedirectResponse(f"/cases/{number}/documents/{document_id}", status_code=303)


@requires()
async def download(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    document_id = request.path_params["document_id"]

    def work(session: Session) -> tuple[str, str]:
        document, _ = _document(session, current, number, document_id)
        return document.current_name, f"{number}-{document.kind.value}-{document.id}.pdf"

    name, filename = await in_db(work)
    return await stored_file(name, media_type="application/pdf", filename=filename,
                             fallback=filename,
                             what=f"document {document_id} of case {number}")


ROUTES = [
    Route("/cases/{number}/documents/{document_id:id}", document_page, name="document"),
    Route("/cases/{number}/documents/{document_id:id}/code", send_code, methods=["POST"],
          name="document_code"),
    Route("/cases/{number}/documents/{document_id:id}/sign", sign, methods=["POST"],
          name="document_sign"),
    Route("/cases/{number}/documents/{document_id:id}/pdf", download, name="document_pdf"),
]
