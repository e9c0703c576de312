"""Eligibility, bands and start months, read from a program's rules as data.

Age is counted from the birth date in the ID number (not from a typed birth date), on the last day of the
month before the month paid: an allowance and a band both begin the month after the birthday.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from yiyang.core import idnumber
from yiyang.core.errors import DomainError
from yiyang.core.regioncodes import contains
from yiyang.elders import categories
from yiyang.elders.models import CapabilityLevel, Status

from .models import Band, FacilityRule, Program, StartRule
from .months import add_months, first_of

RULE_LABELS = {
    "id_number": "身份证号码",
    "status": "在册状态",
    "region": "户籍（居住）地",
    "age": "年龄",
    "category": "对象类别",
    "capability": "失能等级",
    "facility": "居家（机构）条件",
    "band": "补贴档次",
    "already": "未重复享受",
}


@dataclass(frozen=True)
class Refusal:
    rule: str
    message: str

    @property
    def label(self) -> str:
        return RULE_LABELS[self.rule]

    @property
    def text(self) -> str:
        return f"不符合“{self.label}”条件：{self.message}"


class NotEligible(DomainError):
    """An application refused by a rule of the program; the rule is named in the answer."""

    status = 422
    code = "not_eligible"

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.text, {"program_id": refusal.text})
        self.rule = refusal.rule

    def as_dict(self) -> dict:
        return {**super().as_dict(), "rule": self.rule}


def birth_of(elder) -> date:
    """The birth date the ID number encodes (raises InvalidIdNumber)."""
    return idnumber.parse(elder.id_number).birth_date


def age_for_month(birth: date, month: date) -> int:
    """The age that counts for `month`: on the last day of the month before."""
    return idnumber.age_on(birth, first_of(month) - timedelta(days=1))


def band_for(bands: list[Band], age: int, level: int | None) -> Band | None:
    """The band whose age range (and capability level, where it names one) fits."""
    for band in bands:
        if band.min_age is not None and age < band.min_age:
            continue
        if band.max_age is not None and age > band.max_age:
            continue
        if band.capability_level is not None and band.capability_level != level:
            continue
        return band
    return None


def check(program: Program, elder, month: date, bands: list[Band] | None = None) -> Refusal | None:
    """The first rule of `program` that `elder` fails for `month`, or None when every rule holds."""
    try:
        birth = birth_of(elder)
    except idnumber.InvalidIdNumber as exc:
        return Refusal("id_number", str(exc))
    if elder.status != Status.ACTIVE:
        return Refusal("status", f"老人在老年人信息库中的状态为“{elder.get_status_display()}”")
    if not contains(program.region_code, elder.region_code):
        return Refusal("region", f"老人不在本项目的适用区域（{program.region_code}）内")
    age = age_for_month(birth, month)
    if age < program.min_age:
        return Refusal(
            "age",
            f"须年满 {program.min_age} 周岁并自次月起享受（按身份证号码出生日期计，{month:%Y年%m月}计为 {age} 周岁）",
        )
    if program.categories_any and not elder.categories & program.categories_any:
        wanted = "、".join(categories.to_labels(program.categories_any))
        return Refusal("category", f"须属于以下类别之一：{wanted}")
    if program.min_capability_level is not None:
        level = elder.capability_level
        if level is None or level < program.min_capability_level:
            shown = "未评估" if level is None else CapabilityLevel(level).label
            return Refusal(
                "capability",
                f"须经能力评估为{CapabilityLevel(program.min_capability_level).label}及以上（现为{shown}）",
            )
    if program.facility_rule == FacilityRule.HOME_ONLY and elder.facility_id:
        return Refusal("facility", "本项目仅限居家老人，入住养老机构期间不予发放")
    if bands is None:
        bands = list(program.bands.all())
    if band_for(bands, age, elder.capability_level) is None:
        return Refusal("band", "没有适用的补贴档次")
    return None


def start_month(program: Program, elder, decided_on: date, applied_on: date) -> date:
    """The first month owed. After the birthday: the month after the elder reached the age, but no earlier
    than the month of the application; after approval: the month after the decision."""
    if program.start_rule == StartRule.AFTER_APPROVAL:
        return add_months(first_of(decided_on), 1)
    birth = birth_of(elder)
    reached = date(birth.year + program.min_age, birth.month, 1)  # the birthday's month (29 Feb: still February)
    return max(add_months(reached, 1), first_of(applied_on))
