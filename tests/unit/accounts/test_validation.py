import pytest

from portal.accounts.validation import (
    InvalidField,
    check_password,
    normalise_id_number,
    normalise_phone,
)
from tests.factories import ID_NUMBERS


@pytest.mark.parametrize("number", ID_NUMBERS)
def test_valid_resident_ids_pass(number: str) -> None:
    assert normalise_id_number(number.lower()) == number


def test_wrong_check_digit_is_named() -> None:
    good = "11010519491231002X"
    with pytest.raises(InvalidField) as err:
        normalise_id_number(good[:-1] + "3")
    assert err.value.field == "id_number"
    assert "check digit" in err.value.message


@pytest.mark.parametrize("bad", ["", "1234", "11010519491231002", "1101051949123100XX",
                                 "110105194912310021X"])
def test_wrong_length_or_characters(bad: str) -> None:
    with pytest.raises(InvalidField, match="18 characters"):
        normalise_id_number(bad)


def test_impossible_birth_date() -> None:
    # 1949-13-31 does not exist; the check digit alone is not enough.
    with pytest.raises(InvalidField):
        normalise_id_number("110105194913310028")


@pytest.mark.parametrize("raw,clean", [("13800138000", "13800138000"),
                                       ("+86 138 0013 8000", "13800138000")])
def test_mobile_numbers(raw: str, clean: str) -> None:
    assert normalise_phone(raw) == clean


@pytest.mark.parametrize("bad", ["", "12345", "010-12345678", "+1 415 555 0100", "1380013800a"])
def test_not_a_chinese_mobile(bad: str) -> None:
    with pytest.raises(InvalidField) as err:
        normalise_phone(bad)
    assert err.value.field == "phone"


@pytest.mark.parametrize("weak", ["short", "password123", "1234567890", "zhangsan13800138000"])
def test_weak_passwords_refused(weak: str) -> None:
    with pytest.raises(InvalidField):
        check_password(weak, user_inputs=["zhangsan", "13800138000"])


def test_strong_password_accepted() -> None:
    check_password("river lantern autumn bridge", user_inputs=["张三"])
