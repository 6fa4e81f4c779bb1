"""Sample package input, and ZIPs crafted by hand to attack the verifier."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from court_export import bag
from court_export.keys import SigningKey
from court_export.package import PackageInput, SourceFile
from court_export.signing import sign_detached

CASE: dict[str, Any] = {
    "filing_type": "litigation",
    "court": {"id": "zhuji", "name": "诸暨市人民法院"},
    "platform": {"id": "fengqiao-odr", "name": "枫桥式在线矛盾纠纷多元化解平台"},
    "filer": {"id": "user-17", "name": "张秀英"},
    "case": {"number": "（2025）诸枫调字第0042号",
             "title": "张秀英与诸暨市宏达建材有限公司劳动争议",
             "dispute_type": "labour", "category": "劳动争议", "summary": "拖欠工资。",
             "mediation_body": {"name": "诸暨市枫桥镇人民调解委员会", "level": "town"}},
    "case_participants": [
        {"role": "plaintiff", "kind": "person", "name": "张秀英", "id_type": "resident_id",
         "id_number": "330681199001011234", "phone": "13900000001",
         "address": "浙江省诸暨市枫桥镇枫源村12号"},
        {"role": "defendant", "kind": "organisation", "name": "诸暨市宏达建材有限公司"},
        {"role": "agent", "kind": "person", "name": "王律师", "represents": "张秀英"},
    ],
    "claims": [{"text": "支付拖欠工资", "amount": "12000.50", "currency": "CNY"},
               {"text": "承担诉讼费用", "amount": None}],
    "mediation_history": [
        {"at": "2025-03-04T09:00:00Z", "event": "application_filed", "actor_role": "applicant",
         "note": None},
        {"at": "2025-03-20T16:30:00+00:00", "event": "mediation_terminated",
         "actor_role": "mediator", "note": "双方分歧较大"},
    ],
}


def sample_input(tmp_path: Path, *, evidence_bytes: int = 300_000,
                 case: dict[str, Any] | None = None) -> PackageInput:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(bytes(range(256)) * (evidence_bytes // 256 + 1))
    files = [
        SourceFile("documents/complaint.pdf", "民事起诉状", "application/pdf", "lead",
                   b"%PDF-1.7\n complaint \n%%EOF\n"),
        SourceFile("documents/termination.pdf", "调解终结书", "application/pdf", "connected",
                   b"%PDF-1.7\n termination \n%%EOF\n"),
        SourceFile("evidence/01-工资条.jpg", "工资条照片", "image/jpeg", "evidence", photo,
                   {"submitted_by": "张秀英", "submitted_at": "2025-03-04T09:05:00Z"}),
        SourceFile("evidence/02-empty.txt", "空白说明", "text/plain", "evidence", b""),
    ]
    return PackageInput(str(uuid.uuid4()), case if case is not None else CASE, files)


def members(path: Path) -> dict[str, bytes]:
    """Every member by its full ZIP name, in order."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_zip(path: Path, entries: dict[str, bytes],
              tweak: Callable[[zipfile.ZipInfo], None] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 3, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            if tweak:
                tweak(info)
            archive.writestr(info, data)
    return path


def resign(entries: dict[str, bytes], key: SigningKey) -> dict[str, bytes]:
    """Recompute manifest, Payload-Oxum, tag manifest and signature of a tampered bag.

    Used to reach the checks behind the signature: the package is then validly signed.
    """
    root = next(iter(entries)).split("/", 1)[0]
    payload = {name.split("/", 1)[1]: data for name, data in entries.items()
               if name.split("/", 1)[1].startswith("data/")}
    out = {name: data for name, data in entries.items()
           if name.split("/", 1)[1] not in bag.TAG_FILES}
    info = (f"External-Identifier: {root}\n"
            f"Payload-Oxum: {sum(map(len, payload.values()))}.{len(payload)}\n").encode()
    tags = {bag.BAGIT_TXT: bag.bagit_txt(), bag.BAG_INFO: info,
            bag.MANIFEST: bag.manifest((p, hashlib.sha256(d).hexdigest())
                                       for p, d in payload.items())}
    tagmanifest = bag.manifest((n, hashlib.sha256(d).hexdigest()) for n, d in tags.items())
    tags[bag.TAGMANIFEST] = tagmanifest
    tags[bag.SIGNATURE] = sign_detached(tagmanifest, key).encode()
    out.update({f"{root}/{name}": data for name, data in tags.items()})
    return out


def edit_case(entries: dict[str, bytes], change: Callable[[dict[str, Any]], None]
              ) -> dict[str, bytes]:
    name = next(n for n in entries if n.endswith("/data/case.json"))
    case = json.loads(entries[name])
    change(case)
    return {**entries, name: json.dumps(case, ensure_ascii=False).encode()}
