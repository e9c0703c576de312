"""12-digit statistical division codes (统计用区划代码).

province (2) + city (2) + county (2) + street/town (3) + community/village (3). The level of a region
and all of its ancestors follow from the code alone, and "everything under X" is a contiguous range
of codes, which a plain b-tree index answers on SQLite and PostgreSQL alike (DESIGN.md §3).
"""

from enum import IntEnum
from functools import lru_cache


class Level(IntEnum):
    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    STREET = 4
    COMMUNITY = 5

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_LABELS = {
    Level.PROVINCE: "省",
    Level.CITY: "市",
    Level.COUNTY: "县（区）",
    Level.STREET: "街道（乡镇）",
    Level.COMMUNITY: "社区（村）",
}

# How many leading digits are significant at each level.
PREFIX_LENGTH = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.STREET: 9, Level.COMMUNITY: 12}
CODE_LENGTH = 12


class InvalidRegionCode(ValueError):
    pass


@lru_cache(maxsize=100_000)
def _normalize_text(text: str) -> str:
    if not text.isdigit() or not text.isascii():
        raise InvalidRegionCode(f"区划代码只能由数字组成：{text!r}")
    if len(text) not in PREFIX_LENGTH.values():
        raise InvalidRegionCode(f"区划代码应为 2、4、6、9 或 12 位：{text!r}")
    full = text.ljust(CODE_LENGTH, "0")
    if full[:2] == "00":
        raise InvalidRegionCode(f"区划代码的省级部分不能为 00：{text!r}")
    level_of(full)
    return full


def normalize(code: str | int) -> str:
    """Return the 12-digit form of a 2/4/6/9/12-digit code, or raise InvalidRegionCode."""
    # Imports meet the same few thousand codes a million times: the checks run once per distinct code.
    return _normalize_text(str(code).strip())


@lru_cache(maxsize=100_000)
def level_of(code: str) -> Level:
    """The level of a 12-digit code: the last non-zero block decides.

    A code whose blocks skip a level (e.g. a county block of 00 under a non-zero street block) is invalid.
    """
    if len(code) != CODE_LENGTH or not code.isdigit():
        raise InvalidRegionCode(f"区划代码应为 12 位数字：{code!r}")
    level = Level.PROVINCE
    for candidate in (Level.CITY, Level.COUNTY, Level.STREET, Level.COMMUNITY):
        start, end = PREFIX_LENGTH[Level(candidate - 1)], PREFIX_LENGTH[candidate]
        if int(code[start:end]):
            if level != candidate - 1:
                raise InvalidRegionCode(f"区划代码缺少上级部分：{code!r}")
            level = candidate
    return level


def prefix(code: str) -> str:
    """The significant digits of a code: '411002' for county 411002000000."""
    return code[: PREFIX_LENGTH[level_of(code)]]


def at_level(code: str, level: Level) -> str:
    """The 12-digit code of the ancestor (or self) of `code` at `level`."""
    return code[: PREFIX_LENGTH[level]].ljust(CODE_LENGTH, "0")


def parent_of(code: str) -> str | None:
    level = level_of(code)
    if level == Level.PROVINCE:
        return None
    return at_level(code, Level(level - 1))


def ancestors(code: str) -> list[str]:
    """Codes from the province down to the parent of `code`."""
    level = level_of(code)
    return [at_level(code, Level(lvl)) for lvl in range(Level.PROVINCE, level)]


def descendant_range(code: str) -> tuple[str, str]:
    """Inclusive bounds (low, high) of every code at or below `code`."""
    head = prefix(code)
    return head.ljust(CODE_LENGTH, "0"), head.ljust(CODE_LENGTH, "9")


def contains(outer: str, inner: str) -> bool:
    """Whether region `inner` lies at or below region `outer`."""
    return inner.startswith(prefix(outer))


def county_of(code: str) -> str:
    """The 6-digit county code: the distribution key of every scoped table (DESIGN.md §7)."""
    return code[:6]


def region_range_q(field: str, code: str):
    """A Q object selecting rows whose `field` lies at or below region `code`."""
    from django.db.models import Q

    low, high = descendant_range(code)
    return Q(**{f"{field}__gte": low, f"{field}__lte": high})
