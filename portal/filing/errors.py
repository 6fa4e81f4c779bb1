"""The one exception of the parties' requests, shared by its modules."""

from __future__ import annotations


class FilingRefused(Exception):
    """A request the portal refuses; ``message`` is an English msgid, ``params`` fill it."""

    def __init__(self, message: str, **params: str) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params
