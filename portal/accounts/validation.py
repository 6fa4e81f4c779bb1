"""Identity data checks. Messages are gettext msgids, translated by the web layer."""

from __future__ import annotations

import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, ValidationError
from zxcvbn import zxcvbn


class InvalidField(ValueError):
    """A value a person typed is wrong; ``message`` says how, in plain words."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_id_number(value: str) -> str:
    """Validate an 18-digit resident ID (GB 11643 checksum and birth date)."""
    compact = ric.compact(value or "")
    if len(compact) != 18 or not compact[:17].isdigit():
        raise InvalidField("id_number", "A resident ID number has 18 characters: 17 digits "
                           "and a final digit or X.")
    try:
        return str(ric.validate(compact))
    except InvalidChecksum:
        raise InvalidField("id_number", "This ID number's check digit is wrong. "
                           "Please check the number on your ID card.") from None
    except ValidationError:
        raise InvalidField("id_number", "This ID number does not contain a valid birth date "
                           "or region.") from None


def normalise_phone(value: str) -> str:
    """A mainland China mobile number, returned as 11 digits."""
    try:
        parsed = phonenumbers.parse(value or "", "CN")
    except phonenumbers.NumberParseException:
        raise InvalidField("phone", "Enter an 11-digit mobile phone number.") from None
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed) or (
        phonenumbers.number_type(parsed) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise InvalidField("phone", "Enter an 11-digit mobile phone number.")
    return str(parsed.national_number)


def check_password(password: str, *, user_inputs: list[str]) -> None:
    if len(password) < 10:
        raise InvalidField("password", "Use at least 10 characters for your password.")
    if len(password) > 128:
        raise InvalidField("password", "Use at most 128 characters for your password.")
    # zxcvbn also penalises passwords built from the person's own name, phone or ID.
    if zxcvbn(password, user_inputs=[u for u in user_inputs if u])["score"] < 3:
        raise InvalidField("password", "This password is too easy to guess. Use a longer "
                           "phrase that does not contain your name, phone or ID number.")
