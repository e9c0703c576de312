"""Institution grading (养老机构等级评定, GB/T 37276-2018).

A facility applies for a level; an officer checks eligibility (operating time, first-application cap,
facility type, and the exclusions the officer confirms from other registers), scores the site item by
item, the rating committee decides, the result is put on public notice (公示) and then published: the
facility's star rating is set with its validity. Every step is a transition of the state machine below,
checked inside a transaction on the locked row and written to the application's immutable history.

The level follows from the scoring sheet and the facility's staffing by a pure function
(`compute_level`); every threshold comes from the scheme's configuration, keyed by standard and version.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.ledger import post_once
from yiyang.core.scoping import get_visible_or_404
from yiyang.facilities.models import Facility, FacilityStatus, FacilityType

from ..models import (
    OPEN_RATING_STATES,
    RatingAction,
    RatingApplication,
    RatingScheme,
    RatingStatus,
    RatingStep,
)
from ..workflows import RATING, notice_running  # noqa: F401  (the rule lives with its guard; read here too)
from .workforce import Staffing, staffing_of

STANDARD_CODE = "GB/T 37276-2018"
DEFAULT_VERSION = "长沙实施细则（平台默认）"
LEVEL_LABELS = {0: "未达到等级", 1: "一级", 2: "二级", 3: "三级", 4: "四级", 5: "五级"}


def _items(*rows: tuple[str, str, int]) -> list[dict]:
    return [{"code": code, "name": name, "max": points} for code, name, points in rows]


# Prerequisites of the 2018 consultation draft (docs/standards.md §5). The draft gives values for 一级 and 五级
# only; levels 二 to 四 keep the 一级 values because nothing published supports a value in between.
# A level also needs every condition of the levels below it (see compute_level), so 五级 keeps the
# 一级 occupancy minimum although the draft leaves that cell empty.
_LEVEL_1_PREREQUISITES = {
    "max_severe_per_carer": 10,  # 护理员与重度失能老人 ≥ 1:10
    "max_moderate_per_carer": 25,  # 护理员与中度失能老人 ≥ 1:25
    "min_certified_carer_percent": 50,
    "min_occupancy_percent": 50,
}
_LEVEL_5_PREREQUISITES = {
    "max_severe_per_carer": 4,
    "max_moderate_per_carer": 5,
    "min_certified_carer_percent": 80,
    "directors_college_or_above": True,
    "per_200_residents": {"doctors": 1, "nurses": 2, "social_workers_full_time": 1, "social_workers_part_time": 1},
    "medical_unit": True,
}

DEFAULT_CONFIG = {
    "note": (
        "总分与各部分得分率门槛取自长沙实施细则（一级 360 分/40%）。二者自相矛盾：各部分均达 40% 时总分至少 400 分，"
        "360 分的门槛不起作用；请以国家标准或民政部评分细则核对后另存新版本。前置条件取自 2018 年征求意见稿，"
        "二至四级沿用一级的数值。"
    ),
    "parts": [
        {
            "code": "environment",
            "name": "环境",
            "max": 120,
            "items": _items(
                ("E01", "交通便捷度与周边服务设施", 10),
                ("E02", "建筑与场地安全（无障碍通道、坡道、扶手）", 20),
                ("E03", "室外活动场地与绿化", 15),
                ("E04", "居室环境（面积、采光、通风、温湿度）", 25),
                ("E05", "公共区域与标识系统", 15),
                ("E06", "卫生间与洗浴空间适老化", 20),
                ("E07", "噪声、异味控制与室内空气质量", 15),
            ),
        },
        {
            "code": "equipment",
            "name": "设施设备",
            "max": 130,
            "items": _items(
                ("F01", "居室床位与家具配置", 20),
                ("F02", "呼叫与应急报警装置", 20),
                ("F03", "消防设施设备", 20),
                ("F04", "医疗护理与康复器具", 20),
                ("F05", "餐厅与厨房设备", 15),
                ("F06", "洗衣设备与被服管理设施", 10),
                ("F07", "无障碍设施与辅助器具", 15),
                ("F08", "信息化与视频监控系统", 10),
            ),
        },
        {
            "code": "management",
            "name": "运营管理",
            "max": 150,
            "items": _items(
                ("M01", "行政办公与证照管理", 15),
                ("M02", "人力资源管理（配置、资质、培训）", 30),
                ("M03", "财务管理与收费公示", 15),
                ("M04", "安全管理与应急预案", 30),
                ("M05", "服务质量管理与评价改进", 20),
                ("M06", "后勤与设施设备维护管理", 15),
                ("M07", "档案与信息管理", 15),
                ("M08", "服务合同与老年人权益保障", 10),
            ),
        },
        {
            "code": "service",
            "name": "服务",
            "max": 600,
            "items": _items(
                ("S01", "出入院服务", 40),
                ("S02", "生活照料", 100),
                ("S03", "膳食服务", 70),
                ("S04", "清洁卫生", 40),
                ("S05", "洗涤服务", 30),
                ("S06", "医疗护理", 90),
                ("S07", "文化娱乐", 40),
                ("S08", "心理/精神支持", 50),
                ("S09", "安宁服务", 30),
                ("S10", "委托服务", 20),
                ("S11", "康复服务", 60),
                ("S12", "老年人能力评估与照护计划", 30),
            ),
        },
    ],  # fmt: skip
    "levels": {
        "1": {"min_total": 360, "min_part_percent": 40, "prerequisites": _LEVEL_1_PREREQUISITES},
        "2": {"min_total": 450, "min_part_percent": 50, "prerequisites": _LEVEL_1_PREREQUISITES},
        "3": {"min_total": 570, "min_part_percent": 60, "prerequisites": _LEVEL_1_PREREQUISITES},
        "4": {"min_total": 780, "min_part_percent": 80, "prerequisites": _LEVEL_1_PREREQUISITES},
        "5": {"min_total": 900, "min_part_percent": 90, "prerequisites": _LEVEL_5_PREREQUISITES},
    },
    # Shanghai practice (2020): operating ≥ 1 year, a first application at most 三级.
    "eligibility": {
        "min_operating_years": 1,
        "first_application_max_level": 3,
        "facility_types": [FacilityType.INSTITUTION.value, FacilityType.SUPPORT_HOME.value],
        "penalty_lookback_years": 2,
    },
    "score_step": "0.5",
    "notice_days": 7,
    "validity_years": 3,
    "reminder_days": 90,
}

# --- The scheme ----------------------------------------------------------------------------------

PREREQUISITE_KEYS = {
    "max_severe_per_carer",
    "max_moderate_per_carer",
    "min_certified_carer_percent",
    "min_occupancy_percent",
    "directors_college_or_above",
    "per_200_residents",
    "medical_unit",
}
PER_200_KEYS = {"doctors", "nurses", "social_workers_full_time", "social_workers_part_time"}


def validate_config(config: dict) -> list[str]:
    """Problems of a scheme configuration; an empty list means it can be used."""
    problems = []
    codes = set()
    total = 0
    for part in config.get("parts", []):
        items_sum = sum(item["max"] for item in part["items"])
        if items_sum != part["max"]:
            problems.append(f"“{part['name']}”各项满分之和 {items_sum} 不等于该部分满分 {part['max']}")
        for item in part["items"]:
            if item["code"] in codes:
                problems.append(f"评分项编码 {item['code']} 重复")
            codes.add(item["code"])
        total += part["max"]
    if total != 1000:
        problems.append(f"各部分满分之和应为 1000，现为 {total}")
    levels = config.get("levels", {})
    if sorted(levels) != ["1", "2", "3", "4", "5"]:
        problems.append("应为一级至五级各设门槛")
    for key, level in levels.items():
        unknown = set(level.get("prerequisites", {})) - PREREQUISITE_KEYS
        if unknown:
            problems.append(f"{key}级有未知的前置条件：{'、'.join(sorted(unknown))}")
        unknown = set(level.get("prerequisites", {}).get("per_200_residents", {})) - PER_200_KEYS
        if unknown:
            problems.append(f"{key}级每 200 名老人配备人员有未知的岗位：{'、'.join(sorted(unknown))}")
    return problems


def default_scheme() -> RatingScheme:
    """The active scheme of the standard; the platform default is created on first use."""
    scheme = RatingScheme.objects.filter(standard_code=STANDARD_CODE, is_active=True).order_by("-created_at").first()
    if scheme is not None:
        return scheme
    try:
        with transaction.atomic():
            return RatingScheme.objects.create(
                standard_code=STANDARD_CODE, version=DEFAULT_VERSION, name="养老机构等级评定评分细则",
                config=DEFAULT_CONFIG,
            )  # fmt: skip
    except IntegrityError:
        # Another request created it first (or an officer deactivated it: then it is still the rule).
        return RatingScheme.objects.get(standard_code=STANDARD_CODE, version=DEFAULT_VERSION)


def all_items(config: dict) -> list[dict]:
    return [{**item, "part": part["code"]} for part in config["parts"] for item in part["items"]]


# --- Scores --------------------------------------------------------------------------------------


def clean_scores(config: dict, raw: dict) -> dict[str, Decimal]:
    """Scores as Decimals, each within 0 and its item's maximum and on the scheme's step; a refused
    score names its item (`scores.<code>`)."""
    items = {item["code"]: item for item in all_items(config)}
    step = Decimal(str(config.get("score_step", "0.5")))
    errors, clean = {}, {}
    for code, value in raw.items():
        item = items.get(code)
        if item is None:
            errors[f"scores.{code}"] = "评分细则中没有这一项"
            continue
        if value in (None, ""):
            continue  # left blank: not scored yet
        try:
            score = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            errors[f"scores.{code}"] = f"“{item['name']}”的得分应为数字"
            continue
        if not score.is_finite() or score < 0 or score > item["max"]:
            errors[f"scores.{code}"] = f"“{item['name']}”的得分应在 0 到 {item['max']} 分之间"
        elif score % step:
            errors[f"scores.{code}"] = f"“{item['name']}”的得分应为 {step} 分的整数倍"
        else:
            clean[code] = score
    if errors:
        raise FieldErrors(errors)
    return clean


# --- The level: a pure function of the sheet, the staffing and the scheme ------------------------


def _prerequisite_failures(rules: dict, staffing: Staffing, has_medical_unit: bool) -> list[str]:
    """The unmet prerequisites of one level, each as a Chinese reason. Ratios are compared in integers."""
    failures = []
    if "max_severe_per_carer" in rules and staffing.severe_residents > staffing.carers * rules["max_severe_per_carer"]:
        failures.append(f"护理员与重度失能老人配比低于 1:{rules['max_severe_per_carer']}"
                        f"（护理员 {staffing.carers} 人，重度失能老人 {staffing.severe_residents} 人）")  # fmt: skip
    if (
        "max_moderate_per_carer" in rules
        and staffing.moderate_residents > staffing.carers * rules["max_moderate_per_carer"]
    ):
        failures.append(f"护理员与中度失能老人配比低于 1:{rules['max_moderate_per_carer']}"
                        f"（护理员 {staffing.carers} 人，中度失能老人 {staffing.moderate_residents} 人）")  # fmt: skip
    if "min_certified_carer_percent" in rules:
        percent = rules["min_certified_carer_percent"]
        if staffing.carers == 0:
            failures.append("没有在岗养老护理员")
        elif staffing.certified_carers * 100 < staffing.carers * percent:
            failures.append(
                f"持证（或经初级培训合格）护理员占比低于 {percent}%（{staffing.certified_carers}/{staffing.carers}）"
            )
    if "min_occupancy_percent" in rules:
        percent = rules["min_occupancy_percent"]
        if staffing.beds_occupied * 100 < staffing.beds_total * percent or staffing.beds_total == 0:
            failures.append(f"入住率低于 {percent}%（{staffing.beds_occupied}/{staffing.beds_total}）")
    if rules.get("directors_college_or_above") and (
        staffing.directors == 0 or staffing.directors_college < staffing.directors
    ):
        failures.append("机构负责人应具有大专及以上学历")
    per_200 = rules.get("per_200_residents") or {}
    # Staff needed per 200 residents, for any number of residents: count × 200 ≥ residents × required.
    # A full-time social worker also does what a part-time one would, so the part-time requirement is
    # met by all social workers together.
    counts = {
        "doctors": (staffing.doctors, "医生"),
        "nurses": (staffing.nurses, "护士"),
        "social_workers_full_time": (staffing.social_workers_full_time, "专职社会工作者"),
        "social_workers_part_time": (staffing.social_workers_full_time + staffing.social_workers_part_time, "社会工作者（专兼职合计）"),
    }  # fmt: skip
    for key, required in per_200.items():
        if key == "social_workers_part_time":
            required += per_200.get("social_workers_full_time", 0)
        count, label = counts[key]
        if count * 200 < staffing.residents * required:
            failures.append(
                f"每 200 名老人应配备{label} {required} 名（现有 {count} 名，在住 {staffing.residents} 人）"
            )
    if rules.get("medical_unit") and not has_medical_unit:
        failures.append("应内设医疗机构")
    return failures


@dataclass(frozen=True)
class LevelCheck:
    level: int
    met: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    total: Decimal
    parts: dict[str, Decimal]
    checks: tuple[LevelCheck, ...]
    reached: int  # the highest level the sheet and the staffing support
    level: int  # `reached`, capped at the level applied for
    scored_items: int = 0
    item_count: int = 0
    staffing: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "total": str(self.total),
            "parts": {code: str(value) for code, value in self.parts.items()},
            "checks": [
                {"level": check.level, "met": check.met, "reasons": list(check.reasons)} for check in self.checks
            ],
            "reached": self.reached,
            "level": self.level,
            "scored_items": self.scored_items,
            "item_count": self.item_count,
            "staffing": self.staffing,
        }


def compute_level(config: dict, scores: dict, staffing: Staffing, *, applied_level: int = 5,
                  has_medical_unit: bool = False) -> Outcome:  # fmt: skip
    """The level a scoring sheet earns: the highest level whose minimum total, minimum share of every
    part and prerequisites are met together with those of every level below it (a higher grade
    includes the lower ones), capped at the level applied for. Unscored items count as 0."""
    parts = {}
    for part in config["parts"]:
        parts[part["code"]] = sum((Decimal(str(scores.get(item["code"], 0))) for item in part["items"]), Decimal(0))
    total = sum(parts.values(), Decimal(0))
    checks, reached, blocked = [], 0, False
    for key in sorted(config["levels"], key=int):
        rules = config["levels"][key]
        reasons = []
        if total < rules["min_total"]:
            reasons.append(f"总分 {total} 低于 {rules['min_total']} 分")
        for part in config["parts"]:
            # part score / part max ≥ percent / 100, compared without division.
            if parts[part["code"]] * 100 < part["max"] * rules["min_part_percent"]:
                reasons.append(f"“{part['name']}”得分 {parts[part['code']]} 低于该部分满分 {part['max']} 的 "
                               f"{rules['min_part_percent']}%")  # fmt: skip
        reasons += _prerequisite_failures(rules.get("prerequisites", {}), staffing, has_medical_unit)
        met = not reasons
        checks.append(LevelCheck(int(key), met, tuple(reasons)))
        if met and not blocked:
            reached = int(key)
        else:
            blocked = True
    item_count = sum(len(part["items"]) for part in config["parts"])
    scored = sum(1 for item in all_items(config) if item["code"] in scores)
    return Outcome(total=total, parts=parts, checks=tuple(checks), reached=reached,
                   level=min(reached, applied_level), scored_items=scored, item_count=item_count,
                   staffing=staffing.as_dict())  # fmt: skip


# --- Eligibility ---------------------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def validity_end(start: date, years: int) -> date:
    """The last day of a validity of `years` whole years that begins on `start`: the day before the
    same date `years` on (from 29 February, to the last day of February)."""
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:  # 29 February in a year without one: the next period starts on 1 March
        anniversary = date(start.year + years, 3, 1)
    return anniversary - timedelta(days=1)


def notice_end(start: date, days: int) -> date:
    """The last day of a public notice of `days` days that begins on `start` (both days count)."""
    return start + timedelta(days=days - 1)


def fact_problems(config: dict, facility: Facility, applied_level: int, is_first: bool, today: date) -> dict:
    """Eligibility by the facts the platform holds: facility type, operating time, first-application cap."""
    rules = config["eligibility"]
    problems = {}
    if facility.facility_type not in rules["facility_types"]:
        problems["facility_id"] = f"{facility.get_facility_type_display()}不参加养老机构等级评定"
    elif facility.status != FacilityStatus.OPERATING:
        problems["facility_id"] = f"机构状态为“{facility.get_status_display()}”，不能申请等级评定"
    years = rules["min_operating_years"]
    if facility.established_on is None:
        problems["established_on"] = "机构未登记开业日期，无法核实运营年限"
    elif add_years(facility.established_on, years) > today:
        problems["established_on"] = f"机构开业不满 {years} 年（开业日期 {facility.established_on:%Y-%m-%d}）"
    cap = rules["first_application_max_level"]
    if not 1 <= applied_level <= 5:
        problems["applied_level"] = "申请等级应为一级至五级"
    elif is_first and applied_level > cap:
        problems["applied_level"] = f"首次申请最高只能申请{LEVEL_LABELS[cap]}"
    return problems


def flag_problems(application: RatingApplication) -> dict:
    """Exclusions by the facts the officer confirms on the review."""
    years = application.scheme.config["eligibility"]["penalty_lookback_years"]
    problems = {}
    if application.is_registered is not True:
        problems["is_registered"] = "未在民政部门备案的机构不予受理"
    if application.penalised_recently is not False:
        problems["penalised_recently"] = f"近 {years} 年内受过行政处罚的机构不予受理（或尚未核实）"
    if application.on_dishonest_list is not False:
        problems["on_dishonest_list"] = "列入失信名单的机构不予受理（或尚未核实）"
    return problems


# --- The state machine ---------------------------------------------------------------------------

# The state machine is declared in `supervision/workflows.py` (RATING).


def _at(today: date | None) -> datetime:
    """When a step happens: now, or noon of the given day (history entered for a past date)."""
    if today is None:
        return timezone.now()
    return timezone.make_aware(datetime.combine(today, time(12)))


def _move(actor: Actor, application: RatingApplication, action: str, note: str = "", today: date | None = None,
          ) -> None:  # fmt: skip
    """Take one transition of the application: state, right and guards checked, the step written."""
    RATING.move(actor, application, action, note, at=_at(today), today=today)


def _locked(actor: Actor, application_id: int, transition: str) -> RatingApplication:
    # Read access first (404 outside the scope), then the right to act (403 inside it). The joined
    # facility and the scheme, shared by every application of the province, stay unlocked.
    return RATING.lock(
        actor, application_id, transition, RatingApplication.objects.select_related("facility", "scheme")
    )


@transaction.atomic
def apply(actor: Actor, facility_id: int, applied_level: int, statement: str = "",
          today: date | None = None) -> RatingApplication:  # fmt: skip
    """A facility (or an officer on its behalf) applies for a level."""
    today = today or timezone.localdate()
    facility = get_visible_or_404(Facility.objects.select_for_update(), actor.user,
                                  "supervision.add_ratingapplication", pk=facility_id)  # fmt: skip
    scheme = default_scheme()
    # A facility rated before this platform tracked ratings has a star rating without an application.
    is_first = (
        not facility.star_rating
        and not RatingApplication.objects.filter(facility=facility, status=RatingStatus.PUBLISHED).exists()
    )
    problems = fact_problems(scheme.config, facility, applied_level, is_first, today)
    if len(statement) > 2000:
        problems["statement"] = "申请说明不能超过 2000 字"
    if problems:
        raise FieldErrors(problems)
    already_open = Conflict("该机构已有正在办理的等级评定申请", {"facility_id": "该机构已有正在办理的申请"})
    if RatingApplication.objects.filter(facility=facility, status__in=OPEN_RATING_STATES).exists():
        raise already_open
    application = RatingApplication(
        facility=facility, region_code=facility.region_code, county_code=facility.county_code, scheme=scheme,
        applied_level=applied_level, is_first_application=is_first, statement=statement.strip(),
        created_by=actor.db_user, created_at=_at(today),
    )  # fmt: skip
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        # A concurrent request opened one between the check and the insert (one open per facility).
        raise already_open from None
    post_once(
        RatingStep, application=application, county_code=application.county_code, action=RatingAction.APPLIED,
        from_status="", to_status=RatingStatus.APPLIED, note=f"申请{LEVEL_LABELS[applied_level]}",
        by=application.created_by, by_name=getattr(application.created_by, "username", "") or "系统", at=_at(today),
    )  # fmt: skip
    audit.record(
        actor, AuditAction.CREATE, application, object_repr=f"{facility.name}申请{LEVEL_LABELS[applied_level]}"
    )
    return application


@transaction.atomic
def review(actor: Actor, application_id: int, *, is_registered: bool, penalised_recently: bool,
           on_dishonest_list: bool, has_medical_unit: bool = False, note: str = "",
           today: date | None = None) -> RatingApplication:  # fmt: skip
    """The eligibility review: the officer confirms the exclusions from the registers; the facts are
    checked again on the review day. Eligible applications are accepted, the others rejected with the
    reasons written to the history."""
    today = today or timezone.localdate()
    application = _locked(actor, application_id, RatingAction.ACCEPTED)
    application.is_registered = bool(is_registered)
    application.penalised_recently = bool(penalised_recently)
    application.on_dishonest_list = bool(on_dishonest_list)
    application.has_medical_unit = bool(has_medical_unit)
    problems = fact_problems(application.scheme.config, application.facility, application.applied_level,
                             application.is_first_application, today)  # fmt: skip
    problems.update(flag_problems(application))
    reasons = "；".join(problems.values())
    if problems:
        _move(actor, application, RatingAction.REJECTED,
              "；".join(filter(None, [reasons, note.strip()])), today)  # fmt: skip
    else:
        _move(actor, application, RatingAction.ACCEPTED, note.strip(), today)
    application.save()
    audit.record(actor, AuditAction.UPDATE, application,
                 object_repr=f"资格审查：{'不予受理' if problems else '受理'}")  # fmt: skip
    return application


@transaction.atomic
def save_scores(actor: Actor, application_id: int, scores: dict, note: str = "",
                today: date | None = None) -> RatingApplication:  # fmt: skip
    """Save (part of) the scoring sheet and compute the level from it and the facility's staffing on
    the day of scoring; the staffing is kept with the result as verified on site."""
    application = _locked(actor, application_id, RatingAction.SCORED)
    config = application.scheme.config
    clean = clean_scores(config, scores)
    merged = {**application.scores, **{code: str(value) for code, value in clean.items()}}
    for code, value in scores.items():
        if value in (None, "") and code in merged:
            del merged[code]  # cleared on the sheet
    staffing = staffing_of(application.facility, today)
    outcome = compute_level(config, merged, staffing, applied_level=application.applied_level,
                            has_medical_unit=application.has_medical_unit)  # fmt: skip
    application.scores = merged
    application.result = outcome.as_dict()
    application.computed_level = outcome.level
    application.scored_at = _at(today)
    summary = (f"已评 {outcome.scored_items}/{outcome.item_count} 项，总分 {outcome.total}，"
               f"计算等级：{LEVEL_LABELS[outcome.level]}")  # fmt: skip
    _move(actor, application, RatingAction.SCORED,
          "；".join(filter(None, [summary, note.strip()])), today)  # fmt: skip
    application.save()
    audit.record(actor, AuditAction.UPDATE, application, object_repr=summary)
    return application


@transaction.atomic
def decide(actor: Actor, application_id: int, level: int, note: str = "",
           today: date | None = None) -> RatingApplication:  # fmt: skip
    """The rating committee's decision: a level no higher than the computed one, or 0 (不予评定)."""
    application = _locked(actor, application_id, RatingAction.DECIDED)
    RATING.check_state(application, RATING[RatingAction.DECIDED])
    result = application.result
    if result.get("scored_items", 0) < result.get("item_count", 1):
        missing = result.get("item_count", 0) - result.get("scored_items", 0)
        raise FieldErrors({"scores": f"评分表还有 {missing} 项未评分，不能提交评定委员会审定"})
    if not isinstance(level, int) or not 0 <= level <= 5:
        raise FieldErrors({"level": "审定等级应为 0（不予评定）至 5"})
    if level > application.computed_level:
        raise FieldErrors(
            {"level": f"审定等级不能高于按评分和前置条件计算的等级（{LEVEL_LABELS[application.computed_level]}）"}
        )
    if level == 0:
        if not note.strip():
            raise FieldErrors({"note": "不予评定时请写明理由"})
        _move(actor, application, RatingAction.NOT_RATED, note.strip(), today)
    else:
        if level < application.computed_level and not note.strip():
            raise FieldErrors({"note": "审定等级低于计算等级时请写明理由"})
        application.decided_level = level
        _move(actor, application, RatingAction.DECIDED,
              "；".join(filter(None, [f"审定为{LEVEL_LABELS[level]}", note.strip()])), today)  # fmt: skip
    application.save()
    audit.record(actor, AuditAction.UPDATE, application, object_repr=f"评定委员会审定：{LEVEL_LABELS[level]}")
    return application


@transaction.atomic
def start_notice(actor: Actor, application_id: int, note: str = "", today: date | None = None) -> RatingApplication:
    """Put the decided level on public notice (公示) for the scheme's number of days."""
    today = today or timezone.localdate()
    application = _locked(actor, application_id, RatingAction.NOTICE)
    days = application.scheme.config["notice_days"]
    _move(actor, application, RatingAction.NOTICE,
          "；".join(filter(None, [f"公示 {days} 天", note.strip()])), today)  # fmt: skip
    application.notice_starts_on = today
    application.notice_ends_on = notice_end(today, days)
    application.save()
    audit.record(actor, AuditAction.UPDATE, application, object_repr=f"公示至 {application.notice_ends_on}")
    return application


@transaction.atomic
def object_to_notice(actor: Actor, application_id: int, note: str, today: date | None = None) -> RatingApplication:
    """An objection raised during the notice sends the sheet back for review and scoring."""
    application = _locked(actor, application_id, RatingAction.OBJECTION)
    _move(actor, application, RatingAction.OBJECTION, note.strip(), today)
    application.decided_level = None
    application.notice_starts_on = application.notice_ends_on = None
    application.save()
    audit.record(actor, AuditAction.UPDATE, application, object_repr="公示有异议，退回复核")
    return application


@transaction.atomic
def publish(actor: Actor, application_id: int, note: str = "", today: date | None = None) -> RatingApplication:
    """After the last notice day, publish the level: the facility's star rating and its validity are set."""
    today = today or timezone.localdate()
    application = _locked(actor, application_id, RatingAction.PUBLISHED)
    _move(actor, application, RatingAction.PUBLISHED, note.strip(), today)
    application.published_on = today
    application.valid_until = validity_end(today, application.scheme.config["validity_years"])
    application.save()
    facility = Facility.objects.select_for_update().get(pk=application.facility_id)
    before = {"star_rating": facility.star_rating, "star_rating_valid_until": facility.star_rating_valid_until}
    facility.star_rating = application.decided_level
    facility.star_rating_valid_until = application.valid_until
    facility.save(update_fields=["star_rating", "star_rating_valid_until", "updated_at"])
    after = {"star_rating": facility.star_rating, "star_rating_valid_until": facility.star_rating_valid_until}
    audit.record(actor, AuditAction.UPDATE, facility, changes=audit.diff(before, after),
                 object_repr=f"公布等级评定结果：{LEVEL_LABELS[facility.star_rating]}")  # fmt: skip
    return application


@transaction.atomic
def withdraw(actor: Actor, application_id: int, note: str = "", today: date | None = None) -> RatingApplication:
    application = _locked(actor, application_id, RatingAction.WITHDRAWN)
    _move(actor, application, RatingAction.WITHDRAWN, note.strip(), today)
    application.save()
    audit.record(actor, AuditAction.UPDATE, application, object_repr="撤回等级评定申请")
    return application


# --- Validity and reminders ----------------------------------------------------------------------


def reminder_days() -> int:
    return int(default_scheme().config.get("reminder_days", 90))


def expiring(user, today: date | None = None, within_days: int | None = None):
    """Facilities whose rating ends within the next `within_days` days (the scheme's reminder days)."""
    today = today or timezone.localdate()
    days = reminder_days() if within_days is None else within_days
    return (
        Facility.objects.visible_to(user, "supervision.view_ratingapplication")
        .filter(
            star_rating__gt=0,
            star_rating_valid_until__gte=today,
            star_rating_valid_until__lte=today + timedelta(days=days),
        )  # fmt: skip
        .order_by("star_rating_valid_until", "id")
    )


def expired(user, today: date | None = None):
    """Facilities still carrying a star rating whose validity has ended: shown as expired, not valid."""
    today = today or timezone.localdate()
    return (
        Facility.objects.visible_to(user, "supervision.view_ratingapplication")
        .filter(star_rating__gt=0, star_rating_valid_until__lt=today)
        .order_by("star_rating_valid_until", "id")
    )
