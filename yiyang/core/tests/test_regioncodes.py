import pytest

from yiyang.core import regioncodes as rc
from yiyang.core.regioncodes import InvalidRegionCode, Level


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("410000000000", Level.PROVINCE),
        ("411000000000", Level.CITY),
        ("411002000000", Level.COUNTY),
        ("411002001000", Level.STREET),
        ("230811004005", Level.COMMUNITY),
    ],
)
def test_level_follows_from_the_code(code, level):
    assert rc.level_of(code) == level


def test_ancestors_are_prefixes():
    assert rc.ancestors("230811004005") == ["230000000000", "230800000000", "230811000000", "230811004000"]
    assert rc.parent_of("410000000000") is None


def test_descendant_range_covers_exactly_the_subtree():
    low, high = rc.descendant_range("411002000000")
    assert (low, high) == ("411002000000", "411002999999")
    assert low <= "411002001001" <= high
    assert not (low <= "411003000000" <= high)


@pytest.mark.parametrize("code", ["4110", "411002", "411002001"])
def test_short_codes_are_padded(code):
    assert len(rc.normalize(code)) == 12


@pytest.mark.parametrize("code", ["41100", "41a002", "000000", "410000001000", "", "４１"])
def test_invalid_codes_are_refused(code):
    with pytest.raises(InvalidRegionCode):
        rc.normalize(code)
