from datetime import date

import pytest
from django.core.exceptions import ValidationError

from members.idnumbers import birth_date_of, check_char, is_male, make_id_number, normalize, validate_id_number
from yiling.privacy import mask_id_number, mask_phone, redact

# A published GB 11643 example: check character X.
KNOWN_X = "11010519491231002X"


def test_known_id_number_with_x_is_valid():
    validate_id_number(KNOWN_X)
    assert birth_date_of(KNOWN_X) == date(1949, 12, 31)
    assert not is_male(KNOWN_X)


def test_check_character_is_computed_by_gb11643():
    assert check_char(KNOWN_X[:17]) == "X"
    number = make_id_number("420506", date(1990, 1, 1), 123)
    validate_id_number(number)
    assert is_male(number)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("42050619900101123", "length"),
        ("4205061990010112345", "length"),
        ("42050619900101123A", "characters"),
        ("420506199002301234", "birth_date"),
        ("420506189001011234", "birth_date"),
        ("420506209901011234", "birth_date"),
    ],
)
def test_bad_id_numbers_are_refused_with_a_reason(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_id_number(value)
    assert exc.value.code == code


def test_wrong_check_character_names_the_right_one():
    number = make_id_number("420506", date(1990, 1, 1), 123)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        validate_id_number(wrong)
    assert exc.value.code == "checksum"
    assert number[17] in exc.value.messages[0]


def test_normalize_takes_full_width_digits_spaces_and_lower_x():
    assert normalize(" １１０１０５ 19491231002x ") == KNOWN_X


def test_masks_keep_only_province_and_city_of_an_id_number_and_the_ends_of_a_phone():
    assert mask_id_number("420506199001011234") == "4205**************"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""


def test_redact_masks_id_numbers_and_phones_in_free_text():
    text = f"row 3: {KNOWN_X} duplicate, call 13812345678 or 0717-1234567"
    assert redact(text) == "row 3: 1101************** duplicate, call 138****5678 or 0717-1234567"
