"""Court filing in tests: the embedded court's key and notices signed with it, a package
opened member by member, and courts files."""

from __future__ import annotations

import time
import uuid
import zipfile
from pathlib import Path

from court_export.keys import SigningKey, load_or_create_key
from court_export.notices import ReviewNotice, sign_notice
from portal.config import get_settings
from portal.filing import courts
from portal.filing.models import Filing


def court_key() -> SigningKey:
    """The embedded court's signing key (the receiver mounted at /court uses the same one)."""
    settings = get_settings()
    return load_or_create_key(courts.embedded_dir(settings) / "keys",
                              passphrase=settings.resolved_pki_passphrase().encode())


def notice(filing: Filing, status: str, *, docket: str | None = None,
           reason: str | None = None, key: SigningKey | None = None,
           court_id: str | None = None, package_id: str | None = None,
           issued_at: int | None = None) -> str:
    """A signed ReviewNotice about ``filing``, as the court would send it."""
    accepted = status == "accepted"
    return sign_notice(ReviewNotice(
        filing_id=f"court-{filing.id}", package_id=package_id or filing.package_id,
        court_id=court_id or filing.court_id, status=status,  # type: ignore[arg-type]
        docket_number=(docket or "(2026)浙0681民初1号") if accepted else None,
        filing_date="2026-06-01" if accepted else None,
        reason=reason if status == "rejected" else None,
        issued_at=issued_at or int(time.time()), notice_id=str(uuid.uuid4())),
        key or court_key())


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def courts_file(directory: Path, endpoint: str, key_dir: Path | None = None) -> Path:
    """A courts file with one court, "test", at ``endpoint``."""
    path = directory / "courts.toml"
    keys = key_dir or courts.embedded_dir(get_settings()) / "keys"
    path.write_text(f'[platform]\nid = "fengqiao-odr"\nname = "测试平台"\n\n'
                    f'[[courts]]\nid = "test"\nname = "测试人民法院"\nendpoint = "{endpoint}"\n'
                    f'public_key_dir = "{keys}"\n', encoding="utf-8")
    return path
