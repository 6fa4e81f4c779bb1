"""``python -m court_export verify PACKAGE.zip --keys DIR``: check a package without the portal.

Exit status 0 when the package is valid, 1 when it is refused (the code and reason are
printed), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import bagit

from court_export.errors import PackageRejected
from court_export.keys import load_public_keys
from court_export.package import Limits, VerifiedPackage, verify_package


def _bagit_check(package: Path, verified: VerifiedPackage) -> None:
    """A second opinion from the bagit library on the extracted bag (names were checked)."""
    with tempfile.TemporaryDirectory(prefix="court-export-") as directory:
        with zipfile.ZipFile(package) as archive:
            archive.extractall(directory)
        try:
            bagit.Bag(str(Path(directory) / verified.package_id)).validate()
        except bagit.BagError as exc:
            raise PackageRejected("not_a_bag", f"the bagit validator refuses the bag: {exc}",
                                  ) from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m court_export",
                                     description="Court case packages (signed BagIt ZIPs).")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify a package: checksums, signature, schema,"
                                 " names and sizes")
    verify.add_argument("package", type=Path, help="the package ZIP")
    verify.add_argument("--keys", type=Path, action="append", required=True, metavar="DIR",
                        help="a directory of the platform's public keys, <kid>.pub.pem "
                        "(repeatable)")
    verify.add_argument("--bagit", action="store_true",
                        help="also extract the bag and run the bagit library's validator")
    verify.add_argument("--max-bytes", type=int, default=Limits().max_package_bytes,
                        help="largest package accepted (default: %(default)s)")
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    keys: dict[str, bytes] = {}
    for directory in args.keys:
        keys.update(load_public_keys(directory))
    if not keys:
        print(f"no public keys (<kid>.pub.pem) in {', '.join(map(str, args.keys))}",
              file=sys.stderr)
        return 2
    try:
        verified = verify_package(args.package, keys, Limits(max_package_bytes=args.max_bytes))
        if args.bagit:
            _bagit_check(args.package, verified)
    except PackageRejected as exc:
        if args.json:
            print(json.dumps({"ok": False, "error": exc.code, "detail": exc.detail}))
        else:
            print(f"refused: {exc.code}: {exc.detail}", file=sys.stderr)
        return 1
    case = verified.case
    if args.json:
        print(json.dumps({"ok": True, "package_id": verified.package_id, "kid": verified.kid,
                          "filing_type": case["filing_type"], "case_number": case["case"]["number"],
                          "members": list(verified.members)}, ensure_ascii=False))
    else:
        files = sum(m.startswith("data/") for m in verified.members)
        print(f"ok: package {verified.package_id} ({case['filing_type']}, case "
              f"{case['case']['number']}, {files} payload files) signed by key {verified.kid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
