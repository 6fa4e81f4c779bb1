"""Court packages: building and verifying against hashing the same evidence with hashlib.

Twenty files of 10 MiB of random evidence (200 MiB) in a temporary directory; in the same
run and interleaved, so that other load falls on every side alike:

* baseline: ``hashlib.file_digest(f, "sha256")`` over each file, the least any builder or
  verifier must do (read every byte and hash it once);
* build: ``build_package`` of a package holding those files as the portal builds it (hash
  while writing the ZIP, tag files, signature, atomic rename; ``sync=False``, because the
  portal writes it to a scratch directory and storage syncs the copy it keeps);
* build, synced (stderr only): the same with the file and directory synced to disk, as
  ``odr court build -o FILE`` writes it;
* verify: ``verify_package`` of that package (structure, signature, schema, then every
  member hashed and CRC-checked once).

court.build_vs_hashlib, court.verify_vs_hashlib: MB/s of evidence ÷ hashlib's MB/s (target
0.8 each). ``openssl dgst -sha256`` over the same files and hashlib over bytes in memory go
to stderr as context, with the whole-ZIP digest that BuiltPackage.sha256 computes on demand.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench.figures import Figure
from court_export.keys import generate_signing_key
from court_export.package import PackageInput, SourceFile, build_package, verify_package

FILES, FILE_BYTES = 20, 10 << 20
RUNS = int(os.environ.get("ODR_BENCH_COURT_RUNS", "5"))
MB = 1e6

CASE = {
    "filing_type": "litigation",
    "court": {"id": "zhuji", "name": "诸暨市人民法院"},
    "platform": {"id": "fengqiao-odr", "name": "枫桥式在线矛盾纠纷多元化解平台"},
    "case": {"number": "（2025）诸枫调字第0042号", "title": "劳动争议"},
    "case_participants": [{"role": "plaintiff", "kind": "person", "name": "张秀英"}],
    "claims": [{"text": "支付拖欠工资", "amount": "12000.00", "currency": "CNY"}],
    "mediation_history": [{"at": "2025-03-04T09:00:00Z", "event": "application_filed"}],
}


def _evidence(directory: Path) -> list[Path]:
    paths = []
    for i in range(FILES):
        path = directory / f"evidence-{i:02d}.bin"
        path.write_bytes(os.urandom(FILE_BYTES))
        paths.append(path)
    return paths


def _hashlib(paths: list[Path]) -> None:
    for path in paths:
        with path.open("rb") as f:
            hashlib.file_digest(f, "sha256")


def _openssl(paths: list[Path]) -> float | None:
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    start = time.perf_counter()
    subprocess.run([openssl, "dgst", "-sha256", *map(str, paths)], check=True,  # noqa: S603
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run() -> list[Figure]:
    key = generate_signing_key()
    keys = {key.kid: key.public_pem()}
    with tempfile.TemporaryDirectory(prefix="odr-bench-court-") as name:
        directory = Path(name)
        paths = _evidence(directory)
        files = [SourceFile("documents/complaint.pdf", "民事起诉状", "application/pdf", "lead",
                            b"%PDF-1.7 complaint")]
        files += [SourceFile(f"evidence/{p.name}", p.name, "application/octet-stream",
                             "evidence", p) for p in paths]
        inp = PackageInput(str(uuid.uuid4()), CASE, files)
        total = FILES * FILE_BYTES
        times: dict[str, list[float]] = {"hashlib": [], "build": [], "synced": [],
                                         "verify": []}
        # The first round warms caches up and is not counted. Each build writes a new file;
        # the previous one is deleted outside the timing (deleting is no part of building).
        for run in range(RUNS + 1):
            out = directory / f"package-{run}.zip"
            synced = directory / f"synced-{run}.zip"
            round_times = {"hashlib": _time(lambda: _hashlib(paths)),
                           "build": _time(partial(build_package, inp, out, key, sync=False)),
                           "synced": _time(partial(build_package, inp, synced, key)),
                           "verify": _time(partial(verify_package, out, keys))}
            synced.unlink()
            if run:
                (directory / f"package-{run - 1}.zip").unlink()
                for side, seconds in round_times.items():
                    times[side].append(seconds)
        median = {side: statistics.median(t) for side, t in times.items()}
        rate = {side: total / MB / t for side, t in median.items()}
        openssl = _openssl(paths)
        data = paths[0].read_bytes() * 2
        in_memory = len(data) / MB / _time(lambda: hashlib.sha256(data).digest())
        with out.open("rb") as package:
            zip_digest = _time(lambda: hashlib.file_digest(package, "sha256"))
        print(f"court: {total / MB:.0f} MB of evidence in {FILES} files, median of {RUNS} runs: "
              f"hashlib.file_digest {rate['hashlib']:.0f} MB/s, build {rate['build']:.0f} MB/s "
              f"(synced to disk: {rate['synced']:.0f} MB/s, "
              f"{rate['synced'] / rate['hashlib']:.2f} of hashlib), "
              f"verify {rate['verify']:.0f} MB/s; "
              + (f"openssl dgst -sha256 {total / MB / openssl:.0f} MB/s; " if openssl else "")
              + f"hashlib in memory {in_memory:.0f} MB/s; whole-ZIP SHA-256 on demand "
              f"{zip_digest:.2f} s; per-run build {[round(t, 3) for t in times['build']]} s, "
              f"verify {[round(t, 3) for t in times['verify']]} s, "
              f"hashlib {[round(t, 3) for t in times['hashlib']]} s", file=sys.stderr)
    return [
        Figure("court.build_vs_hashlib", rate["build"], rate["hashlib"], 0.8),
        Figure("court.verify_vs_hashlib", rate["verify"], rate["hashlib"], 0.8),
    ]
