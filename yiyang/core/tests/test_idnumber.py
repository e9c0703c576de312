from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiyang.core import idnumber
from yiyang.core.idnumber import InvalidIdNumber

address_codes = st.sampled_from(["110105", "411002", "411003", "230811", "440305"])
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))


@st.composite
def valid_numbers(draw):
    return idnumber.make(draw(address_codes), draw(births), draw(st.integers(0, 99)), draw(st.sampled_from("MF")))


def test_known_valid_number_with_x_check_character():
    info = idnumber.parse("11010519491231002X")
    assert info.birth_date == date(1949, 12, 31)
    assert info.sex == "F"
    assert info.address_code == "110105"


def test_sample_number_with_wrong_check_character_is_refused():
    with pytest.raises(InvalidIdNumber, match="校验码"):
        idnumber.parse("44030519951220002X")


@given(valid_numbers())
def test_every_generated_valid_number_passes(number):
    info = idnumber.parse(number)
    assert info.birth_date.strftime("%Y%m%d") == number[6:14]
    assert info.sex == ("M" if int(number[16]) % 2 else "F")


@given(valid_numbers(), st.integers(0, 17), st.integers(1, 10))
def test_any_single_character_change_fails(number, position, shift):
    alphabet = "0123456789X" if position == 17 else "0123456789"
    original = number[position]
    replacement = alphabet[(alphabet.index(original) + shift) % len(alphabet)]
    if replacement == original:
        return
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(InvalidIdNumber):
        idnumber.parse(changed)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("41100219450308002", "18 位"),
        ("4110021945030800211", "18 位"),
        ("11010519491231002x", "大写 X"),
        ("41100219450230002X", "不存在"),
        ("4110021945A308002X", "17 位必须是数字"),
        ("41100221450308002X", "不合理"),
    ],
)
def test_malformed_numbers_name_the_reason(number, reason):
    with pytest.raises(InvalidIdNumber, match=reason):
        idnumber.parse(number, today=date(2026, 11, 24))


def test_fifteen_digit_number_upgrades_to_a_valid_eighteen():
    upgraded = idnumber.upgrade_15("110105491231002")
    assert upgraded == "11010519491231002X"
    idnumber.parse(upgraded)


def test_age_counts_birthdays():
    assert idnumber.age_on(date(1946, 11, 25), date(2026, 11, 24)) == 79
    assert idnumber.age_on(date(1946, 11, 24), date(2026, 11, 24)) == 80
