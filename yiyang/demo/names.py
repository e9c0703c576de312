"""Names of people and places for a believable demo.

Given names come in two pools, one for men and one for women, both as the older generation was named; a
person's name is drawn from the pool of the sex their ID number encodes. The pools share no name, so a
name tells the sex it was drawn for. Facility names are built from the region tree's own place names.
"""

import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢".strip()
)
MALE_GIVEN = tuple(
    "建国 国庆 志强 德华 振华 明德 福生 长有 得胜 保国 新民 宝山 富贵 卫东 国强 国栋 永福 长林 树森 德胜 "
    "文斌 学文 广才 春生 金山 铁柱 全福 占魁 振国 建军 跃进 援朝 庆丰 守仁 根生 双喜 来福 满仓 有才 金堂".split()
)
FEMALE_GIVEN = tuple(
    "秀英 桂英 秀兰 玉兰 桂兰 凤英 淑珍 玉珍 春花 金凤 翠花 素芳 玉梅 秀珍 桂芳 淑芬 凤兰 秀梅 桂香 玉芬 "
    "兰英 素珍 秀云 月娥 彩霞 美兰 冬梅 菊香 爱莲 玉芳 秀芝 素英 改花 翠兰 淑兰 桂荣 秀荣 凤琴 玉琴 巧云".split()
)
GIVEN_BY_SEX = {"M": MALE_GIVEN, "F": FEMALE_GIVEN}
# Both pools, for people whose sex the demo does not record (staff, cadres).
GIVEN = MALE_GIVEN + FEMALE_GIVEN


def person(rng: random.Random, sex: str | None = None) -> str:
    """A full name; with `sex` ("M" or "F"), a given name of that sex."""
    return rng.choice(SURNAMES) + rng.choice(GIVEN_BY_SEX[sex] if sex else GIVEN)


# Telephone area codes of Henan's cities (济源 shares 焦作's 0391), by the city's 4-digit code prefix.
AREA_CODES = {
    "4101": "0371", "4102": "0378", "4103": "0379", "4104": "0375", "4105": "0372", "4106": "0392",
    "4107": "0373", "4108": "0391", "4109": "0393", "4110": "0374", "4111": "0395", "4112": "0398",
    "4113": "0377", "4114": "0370", "4115": "0376", "4116": "0394", "4117": "0396", "4190": "0391",
}  # fmt: skip


def area_code(region_code: str) -> str:
    return AREA_CODES.get(region_code[:4], "0374")


# The names a facility of each type goes by: a residential institution takes one of several, so that two
# in one street still differ; the others are named as the bureaus name them.
FACILITY_SUFFIXES = {
    "institution": ("养老院", "康养中心", "颐养院", "护理院"),
    "support_home": ("敬老院",),
    "street_centre": ("综合养老服务中心",),
    "day_care": ("日间照料中心",),
    "rural_happiness": ("幸福院",),
    "home_care_station": ("居家养老服务站",),
    "canteen": ("长者饭堂",),
}
# Types that serve one community or village: their name says which one.
COMMUNITY_LEVEL = {"day_care", "rural_happiness", "home_care_station", "canteen"}
ORDINALS = "二三四五六七八九十"


def facility_name(
    facility_type: str, county: str, street: str, community: str, used: set[str], rng: random.Random | None = None
) -> str:
    """A name not in `used` (which it joins), built from the county, street and community names.

    "魏都区东城街道养老院", "建安区柳林镇敬老院", "魏都区东城街道花园社区日间照料中心": the county's name
    keeps two counties' streets of the same name apart. When every suffix is taken, an ordinal is added
    ("魏都区东城街道第二敬老院"), as bureaus number a second home in one place. With `rng`, the suffixes
    are tried in a random order, so that not every first institution of a street is a 养老院.
    """
    place = f"{county}{street}{community if facility_type in COMMUNITY_LEVEL else ''}"
    suffixes = FACILITY_SUFFIXES[facility_type]
    if rng is not None:
        suffixes = tuple(rng.sample(suffixes, len(suffixes)))
    candidates = [place + s for s in suffixes] + [f"{place}第{n}{s}" for n in ORDINALS for s in suffixes]
    for name in candidates:
        if name not in used:
            used.add(name)
            return name
    n = 11
    while f"{place}第{n}{suffixes[0]}" in used:
        n += 1
    used.add(name := f"{place}第{n}{suffixes[0]}")
    return name
