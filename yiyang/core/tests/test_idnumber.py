from datetime import date
from unittest.mock import patch

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
    # The timeline alone decides here: the region registry would need a database.
    with patch.object(idnumber, "_current_codes", None), pytest.raises(InvalidIdNumber):
        idnumber.parse(changed)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("41100219450308002", "18 位"),
        ("4110021945030800211", "18 位"),
        ("000000194912310020", "不是任何一版行政区划代码"),
        ("999999194912310020", "不是任何一版行政区划代码"),
        ("411099194503080020", "不是任何一版行政区划代码"),
        ("41100219450308002A", "末位应为数字或 X"),
        ("41100219450230002X", "不存在"),
        ("4110021945A308002X", "17 位必须是数字"),
        ("41100221450308002X", "不合理"),
    ],
)
def test_malformed_numbers_name_the_reason(db, number, reason):
    with pytest.raises(InvalidIdNumber, match=reason):
        idnumber.parse(number, today=date(2026, 11, 24))


def test_fifteen_digit_number_upgrades_to_a_valid_eighteen():
    upgraded = idnumber.upgrade_15("110105491231002")
    assert upgraded == "11010519491231002X"
    idnumber.parse(upgraded)


def test_age_counts_birthdays():
    assert idnumber.age_on(date(1946, 11, 25), date(2026, 11, 24)) == 79
    assert idnumber.age_on(date(1946, 11, 24), date(2026, 11, 24)) == 80


def test_harmless_noise_is_normalised_and_a_lower_case_x_stored_upper_case():
    assert idnumber.parse("11010519491231002x").number == "11010519491231002X"
    assert idnumber.parse(" １１０１０５ 19491231002X ").number == "11010519491231002X"


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("411023", True),  # 许昌县, merged into 建安区 (411003) in 2016: elders still carry it
        ("411003", True),
        ("810000", True),  # residence permit of a Hong Kong resident
        ("830000", True),
        ("000000", False),
        ("990000", False),
        ("411099", False),
    ],
)
def test_address_codes_of_every_edition_are_accepted_and_invented_ones_refused(db, code, known):
    number = idnumber.make(code, date(1945, 3, 8), 1, "F")
    if known:
        assert idnumber.parse(number).address_code == code
    else:
        with pytest.raises(InvalidIdNumber, match="行政区划代码"):
            idnumber.parse(number)


def test_a_county_newer_than_the_timeline_is_vouched_for_by_the_region_registry(db):
    from yiyang.regions.models import Region
    from yiyang.regions.services import is_current_address_code

    number = idnumber.make("350405", date(1960, 3, 8), 1, "F")  # 沙县区, created in 2021
    with pytest.raises(InvalidIdNumber):
        idnumber.parse(number)
    Region.objects.create(code="350405000000", name="沙县区", level=3, parent_code="350400000000")
    is_current_address_code.cache_clear()
    assert idnumber.parse(number).address_code == "350405"
    is_current_address_code.cache_clear()
