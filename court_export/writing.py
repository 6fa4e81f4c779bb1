"""Writing the bag into the ZIP: payload files hashed on the way, then the tag files."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from court_export import bag
from court_export.errors import PackageRejected
from court_export.keys import SigningKey
from court_export.signing import sign_detached
from court_export.streams import FlushBehind, ReadAhead, SourceChanged
from court_export.zipwrite import Member, ZipWriter


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BagWriter:
    """The members of one bag, under ``<root>/`` in the ZIP, in the order written."""

    def __init__(self, archive: ZipWriter, root: str, flusher: FlushBehind) -> None:
        self.archive, self.root, self.flusher = archive, root, flusher
        self.members: list[str] = []
        self.payload_bytes = 0

    def payload(self, files: Sequence[tuple[str, Path | bytes, int]]) -> list[str]:
        """Write the payload files (path relative to data/, source, size); their SHA-256s."""
        digests = []
        with ReadAhead([(source, size) for _, source, size in files]) as feed:
            for path, _, size in files:
                self.members.append("data/" + path)
                self.payload_bytes += size
                with self.archive.member(f"{self.root}/data/{path}", size) as out:

                    def sink(view: memoryview, out: Member = out) -> None:
                        out.write(view)  # the CRC-32 is taken here, on the same buffer
                        self.flusher.wrote(len(view))

                    try:
                        digests.append(feed.drain(sink))
                    except SourceChanged as exc:
                        raise PackageRejected("source_changed", str(exc)) from exc
        return digests

    def _small(self, member: str, data: bytes) -> None:
        self.members.append(member)
        self.archive.add(f"{self.root}/{member}", data)

    def finish(self, case_json: bytes, payload: Sequence[tuple[str, str]], key: SigningKey,
               info: Mapping[str, str]) -> str:
        """case.json, bagit.txt, bag-info.txt (with ``info``), the manifests and the signature.

        ``payload`` is ``(path relative to the bag, sha256)`` of every file written so far.
        Returns the Payload-Oxum.
        """
        self._small(bag.CASE_JSON, case_json)
        entries = [*payload, (bag.CASE_JSON, _sha256(case_json))]
        oxum = f"{self.payload_bytes + len(case_json)}.{len(entries)}"
        tags = {
            bag.BAGIT_TXT: bag.bagit_txt(),
            bag.BAG_INFO: bag.bag_info(dict(sorted({**info, "Payload-Oxum": oxum}.items()))),
            bag.MANIFEST: bag.manifest(entries),
        }
        for name, data in tags.items():
            self._small(name, data)
        tagmanifest = bag.manifest((name, _sha256(data)) for name, data in tags.items())
        self._small(bag.TAGMANIFEST, tagmanifest)
        self._small(bag.SIGNATURE, (sign_detached(tagmanifest, key) + "\n").encode("ascii"))
        self.archive.close()
        return oxum
