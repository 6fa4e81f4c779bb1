"""The package signature: a JWS (RFC 7515) with a detached, unencoded payload (RFC 7797).

The payload is the exact bytes of ``tagmanifest-sha256.txt``; the protected header is
``{"alg": "ES256", "b64": false, "crit": ["b64"], "kid": <kid>}``; the token is compact,
``<header>..<signature>``, with the payload part left empty.
"""

from __future__ import annotations

from collections.abc import Mapping

from jwt import api_jws
from jwt.exceptions import InvalidSignatureError, PyJWTError

from court_export.errors import PackageRejected
from court_export.keys import SigningKey

ALGORITHM = "ES256"


def sign_detached(payload: bytes, key: SigningKey) -> str:
    # typ is dropped: this is no JWT, and pyjwt would say "JWT" by default.
    return api_jws.encode(payload, key.private_pem, algorithm=ALGORITHM,
                          headers={"kid": key.kid, "typ": None}, is_payload_detached=True)


def verify_detached(token: str, payload: bytes, public_keys: Mapping[str, bytes]) -> str:
    """The kid that signed ``payload``; PackageRejected bad_signature or unknown_key."""
    try:
        header = api_jws.get_unverified_header(token)
    except PyJWTError as exc:
        raise PackageRejected("bad_signature", f"the signature is not a compact JWS: {exc}",
                              ) from exc
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise PackageRejected("bad_signature", "the signature header names no key id (kid)")
    if header.get("alg") != ALGORITHM or header.get("b64") is not False:
        raise PackageRejected("bad_signature", "the signature must be ES256 over a detached, "
                              "unencoded payload (b64: false)")
    if kid not in public_keys:
        raise PackageRejected("unknown_key", f"the package is signed with key {kid!r}, which is "
                              "not among the platform's known keys")
    try:
        api_jws.decode_complete(token, public_keys[kid], algorithms=[ALGORITHM],
                                detached_payload=payload)
    except InvalidSignatureError as exc:
        raise PackageRejected("bad_signature", "the signature does not match the tag manifest "
                              f"for key {kid!r}") from exc
    except (PyJWTError, ValueError, TypeError) as exc:
        raise PackageRejected("bad_signature", f"the signature cannot be checked: {exc}") from exc
    return kid
