"""Checks for the fields of the online application, one function per group of fields.

Every function reads plain strings keyed by the form's field names and records problems in
an ``Errors`` collector under the same names, so the form can show each next to its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from portal.accounts.validation import InvalidField, normalise_id_number, normalise_phone
from portal.cases.models import PartyKind
from portal.i18n import N_

Values = Mapping[str, str]

NAME_MAX, ADDRESS_MAX, EMAIL_MAX, TITLE_MAX = 100, 300, 200, 200
CLAIM_MAX, FACTS_MIN, FACTS_MAX = 1000, 20, 4000
MAX_RESPONDENTS, MAX_CLAIMS = 10, 20
# Numeric(14, 2) holds more, but a claim above ten billion yuan is a typing slip.
MAX_AMOUNT = Decimal("9999999999.99")
MAX_AMOUNT_TEXT = f"{MAX_AMOUNT:,}"
AMOUNT = re.compile(r"\d+(\.\d+)?")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ROW = re.compile(r"([a-z])-(\d{1,3})-")

AGENT_RELATIONS: dict[str, str] = {
    "lawyer": N_("Lawyer"),
    "relative": N_("Close relative"),
    "colleague": N_("Employee or colleague"),
    "legal_aid": N_("Legal aid worker"),
    "community": N_("Recommended by the community or an organisation"),
}


class Errors:
    """Problems found so far: field name → (msgid, parameters)."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[str, dict[str, str]]] = {}

    def error(self, name: str, msgid: str, **params: str) -> None:
        self.found.setdefault(name, (msgid, params))

    def __bool__(self) -> bool:
        return bool(self.found)


class StepInvalid(ValueError):
    """A step's input is wrong; ``errors`` maps field names to (msgid, parameters)."""

    def __init__(self, errors: Errors) -> None:
        super().__init__(", ".join(errors.found))
        self.errors = dict(errors.found)


def text(v: Values, name: str, errs: Errors, *, limit: int, required: bool = False) -> str:
    value = v.get(name, "").strip()
    if required and not value:
        errs.error(name, "This field is required.")
    elif len(value) > limit:
        errs.error(name, "Use at most {limit} characters.", limit=str(limit))
    return value


def row_indices(v: Values, prefix: str) -> list[int]:
    """The row numbers present in the form for rows named ``<prefix>-<n>-<field>``."""
    found = {int(m.group(2)) for key in v if (m := ROW.match(key)) and m.group(1) == prefix}
    return sorted(found)


def _filled(v: Values, prefix: str) -> bool:
    return any(value.strip() for key, value in v.items()
               if key.startswith(prefix) and not key.endswith("kind"))


@dataclass(frozen=True)
class Party:
    kind: PartyKind
    name: str
    phone: str
    id_number: str | None
    legal_representative: str | None
    address: str
    email: str


def _phone(v: Values, name: str, errs: Errors) -> str:
    raw = v.get(name, "").strip()
    if not raw:
        errs.error(name, "This field is required.")
        return ""
    try:
        return normalise_phone(raw)
    except InvalidField as exc:
        errs.error(name, exc.message)
        return raw


def _identity(v: Values, name: str, errs: Errors, kind: PartyKind, *,
              required: bool) -> str | None:
    raw = v.get(name, "").strip()
    if not raw:
        if required:
            errs.error(name, "This field is required.")
        return None
    if kind is PartyKind.ORGANISATION:
        try:
            return str(uscc.validate(raw))
        except ValidationError:
            errs.error(name, "A unified social credit code has 18 characters and a valid "
                             "check character. Please check it on the business licence.")
            return raw
    try:
        return normalise_id_number(raw)
    except InvalidField as exc:
        errs.error(name, exc.message)
        return raw


def party(v: Values, prefix: str, errs: Errors, *, applicant: bool) -> Party:
    """The applicant (``a-``) or one respondent row (``r-<n>-``)."""
    kind_field, email_field = f"{prefix}kind", f"{prefix}email"
    try:
        kind = PartyKind(v.get(kind_field, ""))
    except ValueError:
        errs.error(kind_field, "Choose a person or an organisation.")
        kind = PartyKind.PERSON
    email = text(v, email_field, errs, limit=EMAIL_MAX)
    if email and not EMAIL.fullmatch(email):
        errs.error(email_field, "Enter an e-mail address such as name@example.com.")
    is_org = kind is PartyKind.ORGANISATION
    return Party(
        kind=kind,
        name=text(v, f"{prefix}name", errs, limit=NAME_MAX, required=True),
        phone=_phone(v, f"{prefix}phone", errs),
        id_number=_identity(v, f"{prefix}id_number", errs, kind, required=applicant),
        legal_representative=(text(v, f"{prefix}legal_representative", errs, limit=NAME_MAX,
                                   required=applicant) or None) if is_org else None,
        address=text(v, f"{prefix}address", errs, limit=ADDRESS_MAX),
        email=email,
    )


@dataclass(frozen=True)
class Agent:
    name: str
    phone: str
    id_number: str | None
    relation: str


def agent(v: Values, errs: Errors) -> Agent | None:
    """The optional agent (``g-``): left out when every field is empty."""
    if not _filled(v, "g-"):
        return None
    relation = v.get("g-relation", "")
    if relation not in AGENT_RELATIONS:
        errs.error("g-relation", "Choose how the agent is related to you.")
    return Agent(
        name=text(v, "g-name", errs, limit=NAME_MAX, required=True),
        phone=_phone(v, "g-phone", errs),
        id_number=_identity(v, "g-id_number", errs, PartyKind.PERSON, required=False),
        relation=relation,
    )


def respondents(v: Values, errs: Errors) -> list[Party]:
    rows = [i for i in row_indices(v, "r") if _filled(v, f"r-{i}-")]
    if not rows:
        errs.error("respondents", "Add at least one respondent.")
    if len(rows) > MAX_RESPONDENTS:
        errs.error("respondents", "At most {n} respondents can be named in one application.",
                   n=str(MAX_RESPONDENTS))
    return [party(v, f"r-{i}-", errs, applicant=False) for i in rows[:MAX_RESPONDENTS]]


def amount(v: Values, name: str, errs: Errors) -> Decimal | None:
    raw = v.get(name, "").strip().replace(",", "").replace("，", "")
    if not raw:
        return None
    if raw.startswith("-") and AMOUNT.fullmatch(raw[1:]):
        errs.error(name, "The amount must be more than zero.")
        return None
    if not AMOUNT.fullmatch(raw):
        errs.error(name, "Enter an amount in yuan, such as 3500 or 3500.50.")
        return None
    value = Decimal(raw)
    if value != value.quantize(Decimal("0.01")):
        errs.error(name, "Use at most two decimal places.")
    elif value <= 0:
        errs.error(name, "The amount must be more than zero.")
    elif value > MAX_AMOUNT:
        errs.error(name, "The amount must not exceed {max} yuan.", max=MAX_AMOUNT_TEXT)
    return value.quantize(Decimal("0.01")) if value <= MAX_AMOUNT else None


def claims(v: Values, errs: Errors) -> list[tuple[str, Decimal | None]]:
    rows = [i for i in row_indices(v, "c") if _filled(v, f"c-{i}-")]
    if not rows:
        errs.error("claims", "Add at least one claim: what do you ask for?")
    if len(rows) > MAX_CLAIMS:
        errs.error("claims", "At most {n} claims can be listed in one application.",
                   n=str(MAX_CLAIMS))
    return [(text(v, f"c-{i}-description", errs, limit=CLAIM_MAX, required=True),
             amount(v, f"c-{i}-amount", errs)) for i in rows[:MAX_CLAIMS]]


def facts(v: Values, errs: Errors) -> str:
    value = text(v, "summary", errs, limit=FACTS_MAX, required=True)
    if value and len(value) < FACTS_MIN:
        errs.error("summary", "Describe what happened in at least {n} characters.",
                   n=str(FACTS_MIN))
    return value


def checked(v: Values, name: str) -> bool:
    return v.get(name, "") in ("on", "1", "yes", "true")
