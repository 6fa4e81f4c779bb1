"""Strict checks on the unsigned parts of a signature's CMS blob.

The last signature's /Contents is the one region of a signed PDF no signature covers, and
pyHanko's validator ignores several unsigned CMS fields (SignedData and SignerInfo
versions, the digestAlgorithms set, the issuer in the signer identifier, unsigned attribute
types, and the same fields inside the timestamp token). A changed byte in those would pass
unnoticed; these checks hold them to RFC 5652 and DER so that it does not.
"""

from __future__ import annotations

from typing import Any

from asn1crypto import cms, core
from asn1crypto import parser as asn1_parser

_TIMESTAMP_ATTR = "signature_time_stamp_token"


def contents_problems(raw: bytes) -> list[str]:
    """Reasons the /Contents value `raw` is not one strict CMS ContentInfo plus zero padding."""
    try:
        _, _, _, header, contents, trailer = asn1_parser.parse(raw, strict=False)
    except ValueError as exc:
        return [f"签名数据结构异常 (malformed CMS: {exc})"]
    used = len(header) + len(contents) + len(trailer)
    if raw[used:].strip(b"\0"):
        return ["签名值之后有多余数据 (stray bytes after the CMS value)"]
    return cms_problems(raw[:used])


def cms_problems(blob: bytes) -> list[str]:
    """Reasons the CMS ContentInfo `blob` is not the strict RFC 5652 structure expected."""
    try:
        info = cms.ContentInfo.load(blob, strict=True)
        info.native  # noqa: B018 - parses every nested value, so malformed ones raise here
        return _signed_data(info["content"])
    except (ValueError, TypeError, KeyError) as exc:
        return [f"签名数据结构异常 (malformed CMS: {exc})"]


def _signed_data(sd: Any) -> list[str]:
    problems: list[str] = []
    infos = list(sd["signer_infos"])
    content_type = sd["encap_content_info"]["content_type"].native
    v3 = content_type != "data" or any(si["version"].native == "v3" for si in infos)
    if sd["version"].native != ("v3" if v3 else "v1"):
        problems.append("SignedData 版本号异常 (wrong SignedData version)")
    declared = sorted(a.dump() for a in sd["digest_algorithms"])
    used = sorted({si["digest_algorithm"].dump() for si in infos})
    if declared != used:
        problems.append("摘要算法列表与签名者不符 (digestAlgorithms mismatch)")
    certs = [c.chosen for c in sd["certificates"]] if sd["certificates"].native else []
    for si in infos:
        problems += _signer_info(si, certs)
    return problems


def _signer_info(si: Any, certs: list[Any]) -> list[str]:
    problems: list[str] = []
    sid = si["sid"]
    if sid.name == "issuer_and_serial_number":
        expected_version = "v1"
        wanted = (sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native)
        found = any((c.issuer.dump(), c.serial_number) == wanted for c in certs)
    else:
        expected_version = "v3"
        found = any(c.key_identifier == sid.chosen.native for c in certs)
    if si["version"].native != expected_version:
        problems.append("SignerInfo 版本号异常 (wrong SignerInfo version)")
    if not found:
        problems.append("签名者标识与证书不符 (signer identifier matches no certificate)")
    algorithm = si["signature_algorithm"]
    params = algorithm["parameters"]
    if algorithm["algorithm"].native.endswith("_ecdsa") and not isinstance(params, core.Void):
        problems.append("签名算法参数异常 (ECDSA parameters must be absent)")
    unsigned = si["unsigned_attrs"]
    for attr in unsigned if unsigned.native is not None else ():
        if attr["type"].native != _TIMESTAMP_ATTR:
            problems.append(
                f"未知的未签名属性 (unexpected unsigned attribute {attr['type'].dotted})")
            continue
        for token in attr["values"]:
            problems += _signed_data(token["content"])
    return problems
