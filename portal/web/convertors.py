"""The ``{name:id}`` path convertor: a row id, never larger than the database holds."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

ROW_ID = "[0-9]{1,9}"


def row_id(raw: str) -> int | None:
    """An id typed into a form or query string, or None: the same bound as in paths."""
    raw = raw.strip()
    return int(raw) if raw.isdigit() and len(raw) <= 9 else None


class RowIdConvertor(Convertor[int]):
    """At most 9 digits, so every id in a path fits the database's integer ids: a longer
    number matches no route (404) instead of reaching a query that fails on it (500)."""

    regex = ROW_ID

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        if not 0 <= value < 10**9:
            raise ValueError(f"not a row id: {value}")
        return str(value)


register_url_convertor("id", RowIdConvertor())
