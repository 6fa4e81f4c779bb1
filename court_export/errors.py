"""The exceptions court_export raises, each with a machine-readable code."""

from __future__ import annotations


class PackageRejected(Exception):
    """A package (or its case data) that must not be accepted.

    ``code`` is stable and machine-readable (the receiver answers it as ``error``);
    ``detail`` is one English sentence for a human.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class KeyStoreError(Exception):
    """A key directory that cannot be used (bad passphrase, damaged or foreign files)."""
