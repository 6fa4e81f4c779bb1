"""Form helpers: parse, keep what was typed, put translated errors next to fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import FormData
from starlette.requests import Request

from portal.i18n import translate

MAX_FIELD_LENGTH = 5000


class FormTooLarge(Exception):
    pass


@dataclass
class Form:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    secret: tuple[str, ...] = ()

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def error(self, name: str, msgid: str, **params: object) -> None:
        """Record a field error; ``msgid`` is translated in the current locale."""
        self.errors.setdefault(name, translate(msgid, **params))

    def require(self, *names: str) -> None:
        for name in names:
            if not self.get(name).strip():
                self.error(name, "This field is required.")

    @property
    def ok(self) -> bool:
        return not self.errors


def form_from(data: FormData, *, secret: tuple[str, ...] = ()) -> Form:
    """A Form of the submitted text fields; ``secret`` fields are not echoed back."""
    values: dict[str, str] = {}
    for key, value in data.multi_items():
        if isinstance(value, str) and key != "csrftoken":
            values[key] = value[:MAX_FIELD_LENGTH]
    return Form(values=values, secret=secret)


async def read_form(request: Request, *, secret: tuple[str, ...] = ()) -> Form:
    async with request.form(max_files=0, max_fields=100) as data:
        return form_from(data, secret=secret)


def echo(form: Form) -> dict[str, str]:
    """Values to put back into the re-rendered form (never passwords or codes)."""
    return {k: v for k, v in form.values.items() if k not in form.secret}
