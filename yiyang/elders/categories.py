"""Special categories of elderly people (many-valued), stored as bits of one integer.

A bit set keeps "all 特困 elders of this county" a single-column filter and the row narrow at
province scale; the API and pages speak in the category codes below.
"""

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    code: str
    bit: int
    label: str


CATEGORIES = [
    Category("tekun", 1 << 0, "特困供养"),
    Category("dibao", 1 << 1, "低保"),
    Category("dibao_edge", 1 << 2, "低保边缘"),
    Category("advanced_age", 1 << 3, "高龄"),
    Category("disabled", 1 << 4, "失能/半失能"),
    Category("severe_disability", 1 << 5, "重度残疾"),
    Category("family_planning", 1 << 6, "计划生育特殊家庭"),
    Category("entitled", 1 << 7, "优抚对象"),
    Category("rural_left_behind", 1 << 8, "农村留守"),
    Category("empty_nest", 1 << 9, "空巢"),
    Category("living_alone", 1 << 10, "独居"),
]
BY_CODE = {c.code: c for c in CATEGORIES}
BY_LABEL = {c.label: c for c in CATEGORIES}
CHOICES = [(c.code, c.label) for c in CATEGORIES]


class UnknownCategory(ValueError):
    pass


# Other names registers use for the categories.
BY_LABEL.update(
    {
        "特困": BY_CODE["tekun"],
        "特困人员": BY_CODE["tekun"],
        "五保": BY_CODE["tekun"],
        "五保户": BY_CODE["tekun"],
        "低保户": BY_CODE["dibao"],
        "低保对象": BY_CODE["dibao"],
        "低边": BY_CODE["dibao_edge"],
        "高龄老人": BY_CODE["advanced_age"],
        "失能": BY_CODE["disabled"],
        "半失能": BY_CODE["disabled"],
        "失能半失能": BY_CODE["disabled"],
        "重残": BY_CODE["severe_disability"],
        "计生特殊家庭": BY_CODE["family_planning"],
        "失独": BY_CODE["family_planning"],
        "优抚": BY_CODE["entitled"],
        "留守": BY_CODE["rural_left_behind"],
        "留守老人": BY_CODE["rural_left_behind"],
        "空巢老人": BY_CODE["empty_nest"],
        "独居老人": BY_CODE["living_alone"],
    }
)
ALLOWED = "、".join(c.label for c in CATEGORIES)
_SEPARATORS = re.compile(r"[,，、;；/／\s]+")


def split(text: str) -> list[str]:
    """The parts of a category list written with 、,，;； / or spaces (a label holding "/" stays whole)."""
    text = unicodedata.normalize("NFKC", text)
    protected = {c.label: f"\x00{i}\x00" for i, c in enumerate(CATEGORIES) if "/" in c.label}
    for label, mark in protected.items():
        text = text.replace(label, mark)
    back = {mark: label for label, mark in protected.items()}
    return [back.get(part, part) for part in _SEPARATORS.split(text) if part]


def to_bits(codes) -> int:
    bits = 0
    for code in codes:
        category = BY_CODE.get(code) or BY_LABEL.get(code)
        if category is None:
            raise UnknownCategory(f"未知的老人类别：{code}（可填：{ALLOWED}）")
        bits |= category.bit
    return bits


def to_codes(bits: int) -> list[str]:
    return [c.code for c in CATEGORIES if bits & c.bit]


def to_labels(bits: int) -> list[str]:
    return [c.label for c in CATEGORIES if bits & c.bit]


def has_category_q(queryset, code: str):
    """Filter `queryset` (of elders) to those holding category `code`."""
    from django.db.models import F

    bit = BY_CODE[code].bit
    return queryset.alias(_category_bit=F("categories").bitand(bit)).filter(_category_bit=bit)
