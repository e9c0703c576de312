"""Each masker at its edges: empty, short and full-width input, and the usual shapes."""

import pytest

from yiyang.core import masking
from yiyang.core.masking import Kind, mask


@pytest.mark.parametrize("kind", [k for k in Kind if k != Kind.COORDINATE])
@pytest.mark.parametrize("empty", ["", None, "   "])
def test_every_masker_shows_nothing_for_nothing(kind, empty):
    assert mask(kind, empty) == ""


def test_empty_coordinate_stays_empty():
    assert mask(Kind.COORDINATE, None) is None and mask(Kind.COORDINATE, "") is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("41100219450308002X", "4110*************X"),
        ("41100219450308002x", "4110*************X"),
        ("４１１００２１９４５０３０８００２Ｘ", "4110*************X"),
        ("411002450308002", "4110**********2"),  # a 15-digit number of the first generation
        ("41100219", "********"),
        ("4", "*"),
    ],
)
def test_id_number_keeps_province_prefecture_and_check_character_only(value, shown):
    assert masking.mask_id_number(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("13812345678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("0374-1234567", "0374-***4567"),
        ("037412345678", "0374-****5678"),
        ("010-87654321", "010-****4321"),
        ("87654321", "****4321"),
        ("12345", "*****"),
        ("110", "***"),
        ("12", "***"),
        ("无", "***"),
    ],
)
def test_phone_keeps_prefix_or_area_code_and_last_four(value, shown):
    assert masking.mask_phone(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("河南省许昌市魏都区西大街道花园社区3号楼201", "河南省许昌市魏都区西大街道花园社区****"),
        ("魏都区西大街道花园社区 3 号楼 201", "魏都区西大街道花园社区****"),
        ("许昌市魏都区幸福小区５号楼", "许昌市魏都区****"),
        ("建安区五女店镇大路陈村12组", "建安区五女店镇大路陈村****"),
        ("内蒙古自治区呼和浩特市新城区", "内蒙古自治区呼和浩特市新城区****"),
        ("花园路12号", "****"),
        ("3号楼201", "****"),
        ("村", "****"),
    ],
)
def test_address_keeps_the_region_part_and_hides_the_rest(value, shown):
    assert masking.mask_address(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("6216610100012345678", "***************5678"),
        ("6216 6101 0001 2345 678", "***************5678"),
        ("６２１６６１０１０００１２３４５６７８", "***************5678"),
        ("123456789", "*****6789"),
        ("12345678", "********"),
        ("1234", "****"),
    ],
)
def test_bank_account_keeps_the_last_four_only(value, shown):
    assert masking.mask_bank_account(value) == shown


@pytest.mark.parametrize("value", [34.034567, 113.8261, "34.0399", 0])
def test_coordinates_are_not_shown_masked_at_all(value):
    # Rounded, a home's point with its community beside it still says which few houses.
    assert masking.mask_coordinate(value) is None


def test_names_keep_the_family_name_and_free_text_is_hidden():
    assert masking.mask_name("赵小明") == "赵**" and masking.mask_name("欧阳") == "欧**"
    assert masking.mask_text("高血压，每日服药") == "****" and masking.mask_text("x") == "****"


def test_an_undeclared_field_cannot_be_revealed_or_masked():
    class Plain:
        pass

    with pytest.raises(TypeError):
        masking.masked(Plain())
