"""The ``{name:id}`` path convertor: a row id, never larger than the database holds."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


class RowIdConvertor(Convertor[int]):
    """At most 9 digits, so every id in a path fits the database's integer ids: a longer
    number matches no route (404) instead of reaching a query that fails on it (500)."""

    regex = "[0-9]{1,9}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        if not 0 <= value < 10**9:
            raise ValueError(f"not a row id: {value}")
        return str(value)


register_url_convertor("id", RowIdConvertor())
