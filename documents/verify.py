"""Check every signature of a PDF against the platform's trust roots; never raise on bad input."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from documents.cms_strict import contents_problems

log = logging.getLogger(__name__)

ALLOWED_LATER_CHANGES = frozenset({"none", "lta_updates", "form_filling"})


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    signer: str  # the certificate's common name
    signer_subject: str
    signing_time: datetime | None  # as the signer's software claims it
    timestamp: datetime | None  # from the RFC 3161 token, when there is one
    timestamp_ok: bool  # no token, or a token that is intact and trusted
    intact: bool  # the signed bytes hash to the signed digest
    valid: bool  # the cryptographic signature checks out
    trusted: bool  # the certificate chains to a trust root
    covers_whole_file: bool
    modification: str  # later changes: none, lta_updates, form_filling, annotations, other
    problems: tuple[str, ...] = ()

    @property
    def modified_after(self) -> bool:
        """Bytes were appended after this signature (later signatures count too)."""
        return not self.covers_whole_file

    @property
    def ok(self) -> bool:
        return (self.intact and self.valid and self.trusted and self.timestamp_ok
                and self.modification in ALLOWED_LATER_CHANGES and not self.problems)


@dataclass(frozen=True)
class Report:
    sha256: str
    size: int
    signatures: tuple[SignatureReport, ...] = ()
    error: str | None = None  # set when the file could not be checked at all

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.signatures) and all(
            s.ok for s in self.signatures)

    @property
    def changed_after_last_signature(self) -> bool:
        return bool(self.signatures) and self.signatures[-1].modified_after


def verify_pdf(data: bytes, trust_roots: Sequence[x509.Certificate], *,
               require_timestamp: bool = True) -> Report:
    """Blocking form of async_verify_pdf (not for use inside a running event loop)."""
    return asyncio.run(async_verify_pdf(data, trust_roots, require_timestamp=require_timestamp))


async def async_verify_pdf(data: bytes, trust_roots: Sequence[x509.Certificate], *,
                           require_timestamp: bool = True) -> Report:
    """Report on every signature in `data`; errors come back in the report, never raised.

    With require_timestamp (the platform always stamps), a signature without a trusted RFC 3161
    timestamp is not ok.
    """
    digest = hashlib.sha256(data).hexdigest()
    if data.lstrip()[:5] != b"%PDF-":
        return Report(digest, len(data), error="这不是 PDF 文件 (the file is not a PDF)")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # a damaged file can fail anywhere in the parser
        log.info("unreadable PDF %s: %r", digest, exc)
        return Report(digest, len(data), error=f"PDF 文件已损坏，无法读取 (damaged PDF: {exc})")
    if not embedded:
        return Report(digest, len(data), error="文件中没有电子签名 (no signatures)")
    roots = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in trust_roots]
    context = ValidationContext(trust_roots=roots, allow_fetching=False,
                                revocation_mode="soft-fail")
    reports = []
    last = max(embedded, key=lambda s: int(list(s.byte_range)[2]))
    for sig in embedded:
        try:
            reports.append(await _check(data, sig, context, require_timestamp, sig is last))
        except Exception as exc:  # a forged or damaged CMS blob fails in many ways
            log.info("signature %s in %s failed to validate: %r", sig.field_name, digest, exc)
            reports.append(SignatureReport(
                field_name=str(sig.field_name), signer="", signer_subject="", signing_time=None,
                timestamp=None, timestamp_ok=False, intact=False, valid=False, trusted=False,
                covers_whole_file=False, modification="other",
                problems=(f"签名无法验证 (cannot validate: {exc})",)))
    return Report(digest, len(data), tuple(reports))


async def _check(data: bytes, sig: EmbeddedPdfSignature, context: ValidationContext,
                 require_timestamp: bool, last: bool) -> SignatureReport:
    status = await async_validate_pdf_signature(sig, context)
    cert: Any = status.signing_cert
    tst = status.timestamp_validity
    level = status.modification_level
    # Every /Contents but the last lies inside a later signature's byte range.
    problems = _contents_problems(data, sig) if last else []
    if require_timestamp and tst is None:
        problems.append("签名没有时间戳 (no RFC 3161 timestamp)")
    return SignatureReport(
        field_name=str(sig.field_name),
        signer=str(cert.subject.native.get("common_name", "")),
        signer_subject=cert.subject.human_friendly,
        signing_time=status.signer_reported_dt,
        timestamp=tst.timestamp if tst is not None else None,
        timestamp_ok=tst is None or (tst.intact and tst.valid and tst.trusted),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        modification=level.name.lower() if isinstance(level, ModificationLevel) else "other",
        problems=tuple(problems),
    )


def _contents_problems(data: bytes, sig: EmbeddedPdfSignature) -> list[str]:
    """The bytes between the two signed ranges must be exactly a strict CMS blob in hex, then
    zero padding: they are the one part of a file no signature covers.
    """
    start, length, end = (int(v) for v in list(sig.byte_range)[:3])
    gap = data[start + length:end]
    if not (gap.startswith(b"<") and gap.endswith(b">")):
        return ["签名值格式异常 (malformed /Contents)"]
    digits = gap[1:-1]
    if digits not in (digits.upper(), digits.lower()):  # 'a' and 'A' read the same
        return ["签名值大小写混用 (mixed-case hex in /Contents)"]
    try:
        raw = bytes.fromhex(digits.decode("ascii"))
    except ValueError:
        return ["签名值不是十六进制 (non-hex /Contents)"]
    if raw != sig.pkcs7_content:
        return ["签名值与解析结果不符 (/Contents parses differently)"]
    return contents_problems(raw)
