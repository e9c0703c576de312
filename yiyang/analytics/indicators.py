"""The indicator registry: every figure the dashboard, the table, the big screen, the reports and the API
show is defined here once (name, unit, formula, source), and computed from the platform's own data.

`Figures.for_regions(user, codes)` gathers the base aggregates of a region and its children in a few
grouped queries (rollups for elders, grouped counts for facilities and coverage); each indicator is then
a small function of one region's aggregates.
"""

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from yiyang.core.regioncodes import PREFIX_LENGTH, Level, level_of, region_range_q
from yiyang.elders import categories
from yiyang.elders.models import ElderCategoryRollup, ElderRollup, Status
from yiyang.facilities.models import Facility, FacilityStatus, FacilityType
from yiyang.regions.models import Region
from yiyang.servicemap.models import Area, CommunityCoverage
from yiyang.visits.choices import Method

AGE_BANDS = [("60_69", "60-69岁", 60, 69), ("70_79", "70-79岁", 70, 79), ("80_89", "80-89岁", 80, 89),
             ("90_plus", "90岁及以上", 90, 200)]  # fmt: skip
SERVICE_PLACES = (FacilityType.DAY_CARE, FacilityType.RURAL_HAPPINESS, FacilityType.HOME_CARE_STATION)


@dataclass
class Base:
    """The aggregates of one region from which every indicator is computed."""

    code: str
    name: str
    population_total: int | None = None
    population_60: int | None = None
    elders: int = 0
    by_age: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_sex: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_level: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    by_category: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    facilities_by_type: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    beds_total: int = 0
    beds_nursing: int = 0
    beds_occupied: int = 0
    streets: int = 0
    streets_with_centre: int = 0
    communities: int = 0
    communities_with_place: int = 0
    coverage: dict[str, list[int]] = field(default_factory=lambda: {Area.URBAN: [0, 0], Area.RURAL: [0, 0]})
    orders: int = 0
    orders_open: int = 0
    orders_done: int = 0
    orders_rated: int = 0
    orders_satisfied: int = 0
    subsidy_fen: int = 0
    meals: int = 0
    hazards: int = 0
    hazards_closed: int = 0
    hazards_overdue: int = 0
    operation_subsidy_paid_fen: int = 0
    alarms: int = 0
    alarms_real: int = 0
    alarms_false: int = 0
    alarms_ended: int = 0
    ack_seconds: list[float] = field(default_factory=list)
    arrive_seconds: list[float] = field(default_factory=list)
    devices: int = 0
    devices_offline: int = 0
    devices_low_battery: int = 0
    visit_targets: int = 0
    visit_visited: int = 0
    visit_overdue: int = 0
    visits_by_method: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    renovation_applications: int = 0
    renovation_waiting: int = 0
    renovation_in_progress: int = 0
    renovation_done: int = 0
    renovation_refused: int = 0
    renovation_target: int = 0
    renovation_committed_fen: int = 0
    renovation_paid_fen: int = 0
    renovation_done_cost_fen: int = 0
    renovation_items: int = 0
    renovation_checks: int = 0
    renovation_failed: int = 0
    renovation_complaints: int = 0
    benefit_recipients: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    benefit_bands: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    benefit_new: int = 0
    benefit_stopped: int = 0
    benefit_spend_fen: int = 0
    benefit_overpaid_fen: int = 0
    benefit_recovered_fen: int = 0
    benefit_verifications: int = 0
    benefit_verified: int = 0


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    unit: str  # "人", "个", "张", "%" ...
    formula: str  # in words, for docs/indicators.md and tooltips
    source: str  # which module feeds it
    additive: bool  # children sum to the parent
    compute: Callable[[Base], float | int | None]
    kind: str = "count"  # "count" (cumulative, targets prorated over the year) or "rate"


def _share(part, whole) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _quantile(values: list[float], q: float, unit: float = 1) -> float | None:
    """The q-quantile (nearest rank) of `values`, divided by `unit`, to one decimal."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] / unit, 1)


REGISTRY: list[Indicator] = [
    Indicator("elders", "在册老年人", "人", "状态为在册的60岁及以上老年人数", "老年人信息库", True, lambda b: b.elders),
    Indicator("aging_rate", "老龄化率", "%", "60岁及以上户籍人口 ÷ 户籍总人口", "行政区划人口数据", False,
              lambda b: _share(b.population_60, b.population_total) if b.population_60 is not None else None, "rate"),
    Indicator("enrolment_rate", "入库率", "%", "在册老年人 ÷ 60岁及以上户籍人口", "老年人信息库、人口数据", False,
              lambda b: _share(b.elders, b.population_60), "rate"),
    *[
        Indicator(f"age_{key}", f"{label}老年人", "人", f"在册且年龄（按出生年份计）为{label}", "老年人信息库", True,
                  lambda b, k=key: b.by_age[k])
        for key, label, _, _ in AGE_BANDS
    ],
    Indicator("elders_female", "女性老年人", "人", "在册女性老年人数", "老年人信息库", True, lambda b: b.by_sex["F"]),
    Indicator("elders_male", "男性老年人", "人", "在册男性老年人数", "老年人信息库", True, lambda b: b.by_sex["M"]),
    Indicator("assessed", "已评估老年人", "人", "在册且有能力评估结果的老年人数", "能力评估", True,
              lambda b: b.elders - b.by_level[-1]),
    *[
        Indicator(f"level_{level}", label, "人", f"在册且当前能力等级为{label}", "能力评估", True,
                  lambda b, lv=level: b.by_level[lv])
        for level, label in ((0, "能力完好"), (1, "轻度失能"), (2, "中度失能"), (3, "重度失能"), (4, "完全失能"))
    ],
    Indicator("disabled_share", "中度及以上失能占比", "%", "能力等级为中度、重度、完全失能的人数 ÷ 已评估人数", "能力评估",
              False, lambda b: _share(sum(b.by_level[lv] for lv in (2, 3, 4)), b.elders - b.by_level[-1]), "rate"),
    *[
        Indicator(f"category_{c.code}", c.label, "人", f"在册且属于“{c.label}”的老年人数", "老年人信息库", True,
                  lambda b, code=c.code: b.by_category[code])
        for c in categories.CATEGORIES
    ],
    Indicator("facilities", "养老服务设施", "个", "运营中的各类养老服务设施数", "机构信息库", True,
              lambda b: sum(b.facilities_by_type.values())),
    *[
        Indicator(f"facilities_{value}", label, "个", f"运营中的{label}数", "机构信息库", True,
                  lambda b, t=value: b.facilities_by_type[t])
        for value, label in FacilityType.choices
    ],
    Indicator("beds", "养老床位", "张", "运营中设施的床位总数", "机构信息库", True, lambda b: b.beds_total),
    Indicator("beds_nursing", "护理型床位", "张", "运营中设施的护理型床位数", "机构信息库", True, lambda b: b.beds_nursing),
    Indicator("nursing_bed_share", "护理型床位占比", "%", "护理型床位 ÷ 床位总数（“十四五”目标 55%）", "机构信息库", False,
              lambda b: _share(b.beds_nursing, b.beds_total), "rate"),
    Indicator("occupancy_rate", "床位入住率", "%", "在住人数 ÷ 床位总数", "机构信息库", False,
              lambda b: _share(b.beds_occupied, b.beds_total), "rate"),
    Indicator("beds_per_100", "每百名老年人床位", "张", "床位总数 ÷ 在册老年人 × 100", "机构信息库、老年人信息库", False,
              lambda b: round(100 * b.beds_total / b.elders, 2) if b.elders else None, "rate"),
    Indicator("street_centre_share", "街道综合养老服务中心覆盖率", "%",
              "有街道综合养老服务中心的街道（乡镇）÷ 街道（乡镇）数（“五个一”：一街一中心）", "机构信息库", False,
              lambda b: _share(b.streets_with_centre, b.streets), "rate"),
    Indicator("community_place_share", "社区养老服务场所覆盖率", "%",
              "有日间照料中心、幸福院或居家养老服务站的社区（村）÷ 社区（村）数（“五个一”：一社区一场所）", "机构信息库",
              False, lambda b: _share(b.communities_with_place, b.communities), "rate"),
    Indicator("coverage_rate", "15分钟服务圈覆盖率", "%", "服务圈内的社区（村）÷ 已计算的社区（村）", "养老服务地图", False,
              lambda b: _share(sum(v[1] for v in b.coverage.values()), sum(v[0] for v in b.coverage.values())), "rate"),
    Indicator("coverage_urban", "城市社区服务圈覆盖率", "%", "服务圈内的城市社区 ÷ 城市社区（目标 100%）", "养老服务地图", False,
              lambda b: _share(b.coverage[Area.URBAN][1], b.coverage[Area.URBAN][0]), "rate"),
    Indicator("orders", "居家服务订单", "单", "未取消的居家上门服务订单数", "居家社区养老服务", True,
              lambda b: b.orders),
    Indicator("orders_completed", "已完成服务订单", "单", "已完成（含已评价）的订单数", "居家社区养老服务", True,
              lambda b: b.orders_done),
    Indicator("order_completion_rate", "订单完成率", "%", "已完成订单 ÷ 未取消订单", "居家社区养老服务", False,
              lambda b: _share(b.orders_done, b.orders), "rate"),
    Indicator("satisfaction_rate", "服务满意率", "%", "评分 4 分及以上的订单 ÷ 已评价订单", "居家社区养老服务", False,
              lambda b: _share(b.orders_satisfied, b.orders_rated), "rate"),
    Indicator("service_subsidy", "服务补贴支出", "元", "已完成订单的政府补贴之和", "居家社区养老服务", True,
              lambda b: round(b.subsidy_fen / 100, 2)),
    Indicator("meals_served", "助餐人次", "人次", "助餐点登记的就餐人次", "老年助餐", True, lambda b: b.meals),
    Indicator("hazards", "检查发现隐患", "条", "监督检查中不合格项形成的隐患数", "监督检查", True, lambda b: b.hazards),
    Indicator("hazards_overdue", "逾期未销号隐患", "条", "超过整改期限仍未销号的隐患数", "监督检查", True,
              lambda b: b.hazards_overdue),
    Indicator("hazard_closed_rate", "隐患销号率", "%", "已销号隐患 ÷ 发现隐患", "监督检查", False,
              lambda b: _share(b.hazards_closed, b.hazards), "rate"),
    Indicator("operation_subsidy_paid", "机构运营补贴拨付", "元", "已拨付的养老机构运营补贴之和", "运营补贴", True,
              lambda b: round(b.operation_subsidy_paid_fen / 100, 2)),
    Indicator("visit_targets", "探访关爱对象", "人", "本月在册的特殊困难老年人探访对象数", "探访关爱", True,
              lambda b: b.visit_targets),
    Indicator("visit_rate", "月探访率", "%",
              "本月至少有一次计入方式（各地规定，默认上门、电话、视频）探访的对象 ÷ 本月探访对象（2025 年底目标 100%）",
              "探访关爱", False, lambda b: _share(b.visit_visited, b.visit_targets), "rate"),
    Indicator("visit_overdue", "逾期未探访对象", "人", "超过下次应探访日期仍未探访的对象数", "探访关爱", True,
              lambda b: b.visit_overdue),
    Indicator("visits_home", "本月上门探访", "人次", "本月上门入户的探访记录数", "探访关爱", True,
              lambda b: b.visits_by_method[Method.HOME]),
    Indicator("visits_remote", "本月电话视频探访", "人次", "本月以电话或视频方式的探访记录数", "探访关爱", True,
              lambda b: b.visits_by_method[Method.PHONE] + b.visits_by_method[Method.VIDEO]),
    Indicator("coverage_rural", "农村服务圈覆盖率", "%", "服务圈内的村 ÷ 村（目标 60% 以上）", "养老服务地图", False,
              lambda b: _share(b.coverage[Area.RURAL][1], b.coverage[Area.RURAL][0]), "rate"),
    Indicator("alarms", "应急报警", "起", "设备、热线和人工登记的报警数（重复呼叫并入一起）", "应急救援", True,
              lambda b: b.alarms),
    Indicator("alarms_real", "真实紧急情况", "起", "处置结果为真实紧急情况的报警数", "应急救援", True,
              lambda b: b.alarms_real),
    Indicator("false_alarm_rate", "误报率", "%", "结果为误报的报警 ÷ 已结束的报警", "应急救援", False,
              lambda b: _share(b.alarms_false, b.alarms_ended), "rate"),
    Indicator("ack_median", "接警用时中位数", "秒", "从报警到坐席接警的用时的中位数", "应急救援", False,
              lambda b: _quantile(b.ack_seconds, 0.5), "rate"),
    Indicator("ack_p90", "接警用时 90 分位", "秒", "从报警到坐席接警的用时的 90% 分位数", "应急救援", False,
              lambda b: _quantile(b.ack_seconds, 0.9), "rate"),
    Indicator("arrive_median", "到场用时中位数", "分钟", "从报警到响应人员到场的用时的中位数", "应急救援", False,
              lambda b: _quantile(b.arrive_seconds, 0.5, 60), "rate"),
    Indicator("arrive_p90", "到场用时 90 分位", "分钟", "从报警到响应人员到场的用时的 90% 分位数", "应急救援", False,
              lambda b: _quantile(b.arrive_seconds, 0.9, 60), "rate"),
    *[
        Indicator(f"benefit_{kind}", f"{label}对象", "人", f"正常发放{label}的人数", "老年人补贴", True,
                  lambda b, k=kind: b.benefit_recipients[k])
        for kind, label in (("old_age", "高龄津贴"), ("service", "服务补贴"), ("care", "护理补贴"))
    ],
    *[
        Indicator(f"benefit_old_age_{low}", f"高龄津贴{label}", "人", f"本月发放名册中按{label}档次发放高龄津贴的人数",
                  "老年人补贴", True, lambda b, lv=low: b.benefit_bands[lv])
        for low, label in ((80, "80-89周岁"), (90, "90-99周岁"), (100, "100周岁及以上"))
    ],
    Indicator("benefit_spend", "本月补贴发放", "元", "银行回盘确认的本月名册发放金额（含补发）", "老年人补贴", True,
              lambda b: round(b.benefit_spend_fen / 100, 2)),
    Indicator("benefit_new", "本月新增补贴对象", "人", "自本月起发放的补贴对象数", "老年人补贴", True,
              lambda b: b.benefit_new),
    Indicator("benefit_stopped", "本月停发补贴对象", "人", "自本月起停发（死亡、迁出等）的补贴对象数", "老年人补贴",
              True, lambda b: b.benefit_stopped),
    Indicator("benefit_overpaid", "发现多发金额", "元", "停发月份之后仍发放、已立案追回的金额", "老年人补贴", True,
              lambda b: round(b.benefit_overpaid_fen / 100, 2)),
    Indicator("benefit_recovered", "已追回金额", "元", "多发案件中已退回的金额", "老年人补贴", True,
              lambda b: round(b.benefit_recovered_fen / 100, 2)),
    Indicator("benefit_verification_rate", "年度资格认证率", "%", "本年度已认证的补贴对象 ÷ 本年度认证任务",
              "老年人补贴", False, lambda b: _share(b.benefit_verified, b.benefit_verifications), "rate"),
    Indicator("alarm_devices", "在用报警设备", "台", "未拆除的报警设备数", "应急救援", True, lambda b: b.devices),
    Indicator("devices_offline", "离线报警设备", "台", "超过 2 小时没有心跳（或标记离线）的设备数", "应急救援", True,
              lambda b: b.devices_offline),
    Indicator("devices_low_battery", "低电量报警设备", "台", "电量低于 20% 的设备数", "应急救援", True,
              lambda b: b.devices_low_battery),
    Indicator("renovation_applications", "适老化改造申请", "户", "本年度提出的居家适老化改造申请户数", "居家适老化改造",
              True, lambda b: b.renovation_applications),
    Indicator("renovation_waiting", "改造排队待审核", "户", "已申请、尚未通过县级审核的户数", "居家适老化改造", True,
              lambda b: b.renovation_waiting),
    Indicator("renovation_in_progress", "改造进行中", "户", "县级审核通过、尚未验收的户数", "居家适老化改造", True,
              lambda b: b.renovation_in_progress),
    Indicator("renovation_completed", "已验收改造", "户", "本年度验收通过（含已核定、拨付、结案）的户数", "居家适老化改造",
              True, lambda b: b.renovation_done),
    Indicator("renovation_refused", "改造申请未通过", "户", "街道或县级审核未通过的户数", "居家适老化改造", True,
              lambda b: b.renovation_refused),
    Indicator("renovation_target", "年度改造目标", "户", "本级政策的年度目标；本级未设的，为下级目标之和", "居家适老化改造",
              False, lambda b: b.renovation_target),
    Indicator("renovation_completion_rate", "改造目标完成率", "%", "已验收改造户数 ÷ 年度改造目标", "居家适老化改造",
              False, lambda b: _share(b.renovation_done, b.renovation_target), "rate"),
    Indicator("renovation_committed", "改造资金已占用", "元", "县级审核占用的资金减去按确认方案退回的部分", "居家适老化改造",
              True, lambda b: round(b.renovation_committed_fen / 100, 2)),
    Indicator("renovation_paid", "改造补贴已拨付", "元", "已拨付的居家适老化改造补贴之和", "居家适老化改造", True,
              lambda b: round(b.renovation_paid_fen / 100, 2)),
    Indicator("renovation_avg_cost", "户均改造费用", "元", "已验收户的方案总价之和 ÷ 已验收户数", "居家适老化改造", False,
              lambda b: round(b.renovation_done_cost_fen / b.renovation_done / 100, 2) if b.renovation_done else None,
              "rate"),
    Indicator("renovation_items_installed", "已安装改造项目", "项", "已验收户方案中的改造项目数", "居家适老化改造", True,
              lambda b: b.renovation_items),
    Indicator("renovation_complaints", "改造投诉", "件", "老人、家属或民政部门对评估、施工、验收机构的投诉件数", "居家适老化改造",
              True, lambda b: b.renovation_complaints),
    Indicator("renovation_rework_rate", "改造验收整改率", "%", "验收不通过的项目次数 ÷ 验收的项目次数", "居家适老化改造",
              False, lambda b: _share(b.renovation_failed, b.renovation_checks), "rate"),
]  # fmt: skip
BY_KEY = {i.key: i for i in REGISTRY}
HEADLINE = ["elders", "aging_rate", "disabled_share", "facilities", "beds", "nursing_bed_share", "coverage_rate",
            "orders", "satisfaction_rate"]  # fmt: skip
# The big screen adds the month's visit rate and the emergency figures to the headline.
SCREEN = [*HEADLINE, "visit_rate", "visit_overdue", "alarms", "false_alarm_rate"]


def _age_band(birth_year: int, year: int) -> str | None:
    age = year - birth_year
    for key, _, low, high in AGE_BANDS:
        if low <= age <= high:
            return key
    return None


def _child_width(code: str) -> int:
    return PREFIX_LENGTH[Level(min(level_of(code) + 1, Level.COMMUNITY))]


def gather(user, code: str, *, today: date | None = None) -> tuple[Base, list[Base]]:
    """The aggregates of region `code` and of each of its children, within the user's scope."""
    year = (today or timezone.localdate()).year
    children = list(Region.objects.visible_to(user, "view").filter(parent_code=code).order_by("code"))
    regions = [*Region.objects.visible_to(user, "view").filter(code=code), *children]
    bases = {r.code: Base(r.code, r.name, r.population_total, r.population_60) for r in regions}
    codes = list(bases)

    people = ElderRollup.objects.visible_to(user, "view").filter(region_code__in=codes, status=Status.ACTIVE)
    # Three small grouped sums instead of every (year, sex, level) row: the database adds, Python maps.
    for row in people.values("region_code", "birth_year").annotate(n=Sum("count")):
        base = bases[row["region_code"]]
        base.elders += row["n"]
        if band := _age_band(row["birth_year"], year):
            base.by_age[band] += row["n"]
    for row in people.values("region_code", "sex").annotate(n=Sum("count")):
        bases[row["region_code"]].by_sex[row["sex"]] += row["n"]
    for row in people.values("region_code", "capability_level").annotate(n=Sum("count")):
        bases[row["region_code"]].by_level[row["capability_level"]] += row["n"]
    groups = ElderCategoryRollup.objects.visible_to(user, "view").filter(region_code__in=codes, status=Status.ACTIVE)
    for row in groups.values("region_code", "category").annotate(n=Sum("count")):
        bases[row["region_code"]].by_category[row["category"]] += row["n"]

    width = _child_width(code)
    whole = bases.get(code)

    def add(child_prefix: str, apply):
        child = bases.get(child_prefix.ljust(12, "0"))
        for base in {id(b): b for b in (whole, child) if b is not None}.values():
            apply(base)

    facilities = (
        Facility.objects.visible_to(user, "view")
        .filter(region_range_q("region_code", code), status=FacilityStatus.OPERATING)
        .annotate(child=Substr("region_code", 1, width))
        .values("child", "facility_type")
        .annotate(n=Count("id"), beds=Sum("beds_total"), nursing=Sum("beds_nursing"), occupied=Sum("beds_occupied"))
    )
    for row in facilities:

        def apply(base, row=row):
            base.facilities_by_type[row["facility_type"]] += row["n"]
            base.beds_total += row["beds"] or 0
            base.beds_nursing += row["nursing"] or 0
            base.beds_occupied += row["occupied"] or 0

        add(row["child"], apply)

    _five_ones(user, code, width, add)
    coverage = (
        CommunityCoverage.objects.visible_to(user, "view")
        .filter(region_range_q("community_code", code))
        .annotate(child=Substr("community_code", 1, width))
        .values("child", "area")
        .annotate(total=Count("community_code"), covered=Count("community_code", filter=Q(covered=True)))
    )
    for row in coverage:

        def apply(base, row=row):
            base.coverage[row["area"]][0] += row["total"]
            base.coverage[row["area"]][1] += row["covered"]

        add(row["child"], apply)
    _services(user, code, width, add)
    _supervision(user, code, width, add, today or timezone.localdate())
    _care(user, code, width, add)
    _visits(user, code, width, add, today or timezone.localdate())
    _renovation(user, code, width, add, today or timezone.localdate())
    _benefits(user, code, width, add, today or timezone.localdate())
    return whole, [bases[c.code] for c in children]


def _services(user, code: str, width: int, add) -> None:
    """Home-care orders and meals of the region, grouped by child."""
    from yiyang.homecare.models import MealRecord, Order, OrderStatus

    done = [OrderStatus.COMPLETED, OrderStatus.RATED, OrderStatus.DISPUTED, OrderStatus.RESOLVED]
    orders = (
        Order.objects.visible_to(user, "homecare.view_order")
        .filter(region_range_q("region_code", code))
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(child=Substr("region_code", 1, width))
        .values("child")
        .annotate(
            n=Count("id"),
            done=Count("id", filter=Q(status__in=done)),
            rated=Count("id", filter=Q(rating__isnull=False)),
            satisfied=Count("id", filter=Q(rating__gte=4)),
            subsidy=Sum("subsidy", filter=Q(status__in=done)),
        )
    )
    for row in orders:

        def apply(base, row=row):
            base.orders += row["n"]
            base.orders_done += row["done"]
            base.orders_rated += row["rated"]
            base.orders_satisfied += row["satisfied"]
            base.subsidy_fen += row["subsidy"] or 0

        add(row["child"], apply)
    meals = (
        MealRecord.objects.visible_to(user, "view")
        .filter(region_range_q("region_code", code))
        .annotate(child=Substr("region_code", 1, width))
        .values("child")
        .annotate(n=Count("id"))
    )
    for row in meals:

        def apply(base, row=row):
            base.meals += row["n"]

        add(row["child"], apply)


def _supervision(user, code: str, width: int, add, today: date) -> None:
    """Hazards found, closed and overdue, and operation subsidies paid, grouped by child."""
    from yiyang.supervision.models import Hazard, HazardStatus, SubsidyPayment

    hazards = (
        Hazard.objects.filter(region_range_q("region_code", code))
        .visible_to(user)
        .annotate(child=Substr("region_code", 1, width))
        .values("child")
        .annotate(
            n=Count("county_code"),
            closed=Count("county_code", filter=Q(status=HazardStatus.CLOSED)),
            overdue=Count("county_code", filter=~Q(status=HazardStatus.CLOSED) & Q(deadline__lt=today)),
        )
    )
    for row in hazards:

        def apply(base, row=row):
            base.hazards += row["n"]
            base.hazards_closed += row["closed"]
            base.hazards_overdue += row["overdue"]

        add(row["child"], apply)
    paid = (
        SubsidyPayment.objects.filter(region_range_q("region_code", code))
        .visible_to(user)
        .annotate(child=Substr("region_code", 1, width))
        .values("child")
        .annotate(total=Sum("amount"))
    )
    for row in paid:

        def apply(base, row=row):
            base.operation_subsidy_paid_fen += row["total"] or 0

        add(row["child"], apply)


def _care(user, code: str, width: int, add) -> None:
    """Alarms by outcome and their response times, and devices offline or low on battery, by child."""
    from yiyang.care.models import ENDED_STATES, Alarm, AlarmState, Device, DeviceStatus, Outcome

    alarms = (
        Alarm.objects.visible_to(user).filter(region_range_q("region_code", code))
        .annotate(child=Substr("region_code", 1, width))
    )  # fmt: skip
    grouped = alarms.values("child").annotate(
        n=Count("county_code"),
        real=Count("county_code", filter=Q(outcome=Outcome.REAL)),
        false=Count("county_code", filter=Q(outcome=Outcome.FALSE_ALARM)),
        ended=Count("county_code", filter=Q(state__in=ENDED_STATES) | Q(state=AlarmState.RESOLVED)),
    )
    for row in grouped:

        def apply(base, row=row):
            base.alarms += row["n"]
            base.alarms_real += row["real"]
            base.alarms_false += row["false"]
            base.alarms_ended += row["ended"]

        add(row["child"], apply)
    times = alarms.filter(Q(acknowledged_at__isnull=False) | Q(arrived_at__isnull=False)).values_list(
        "child", "opened_at", "acknowledged_at", "arrived_at"
    )
    for child, opened, acked, arrived in times.iterator():

        def apply(base, opened=opened, acked=acked, arrived=arrived):
            if acked:
                base.ack_seconds.append((acked - opened).total_seconds())
            if arrived:
                base.arrive_seconds.append((arrived - opened).total_seconds())

        add(child, apply)
    now = timezone.now()
    devices = (
        Device.objects.visible_to(user).filter(region_range_q("region_code", code)).exclude(status=DeviceStatus.RETIRED)
        .annotate(child=Substr("region_code", 1, width))
        .values("child")
        .annotate(
            n=Count("county_code"),
            offline=Count("county_code", filter=Q(status=DeviceStatus.OFFLINE) | Q(last_heartbeat_at__isnull=True)
                          | Q(last_heartbeat_at__lt=now - timedelta(hours=2))),
            low=Count("county_code", filter=Q(battery__lt=Device.LOW_BATTERY)),
        )
    )  # fmt: skip
    for row in devices:

        def apply(base, row=row):
            base.devices += row["n"]
            base.devices_offline += row["offline"]
            base.devices_low_battery += row["low"]

        add(row["child"], apply)


def _visits(user, code: str, width: int, add, today: date) -> None:
    """Visit targets, the month's visit rate, overdue targets and visits by method, grouped by child."""
    from yiyang.visits import reports

    month = today.replace(day=1)
    for row in reports.rate_counts(user, code, width, month, today):

        def apply(base, row=row):
            base.visit_targets += row["n"]
            base.visit_visited += row["visited"]
            base.visit_overdue += row["overdue"]

        add(row["child"], apply)
    for row in reports.method_counts(user, code, width, month):

        def apply(base, row=row):
            base.visits_by_method[row["method"]] += row["n"]

        add(row["child"], apply)


def _renovation(user, code: str, width: int, add, today: date) -> None:
    """Home renovation of the year: households by stage, targets, funds, items and acceptance, by child."""
    from yiyang.renovation import reports

    found = reports.counts(user, code, width, today.year, budgets=False)
    own = found.pop("", None)
    for child, f in found.items():

        def apply(base, f=f):
            base.renovation_applications += f.applications
            base.renovation_waiting += f.waiting
            base.renovation_in_progress += f.in_progress
            base.renovation_done += f.done
            base.renovation_refused += f.refused
            base.renovation_target += f.target
            base.renovation_committed_fen += f.committed
            base.renovation_paid_fen += f.paid
            base.renovation_done_cost_fen += f.done_cost
            base.renovation_items += f.items_installed
            base.renovation_checks += f.checks
            base.renovation_failed += f.failed
            base.renovation_complaints += f.complaints

        add(child, apply)
    if own is not None and own.target:
        # The region's own target replaces the sum of its children's; `code[:width]` names the region itself.
        add(code[:width], lambda base: setattr(base, "renovation_target", own.target))


def _benefits(user, code: str, width: int, add, today: date) -> None:
    """Recipients by program and band, the month's spend, new and stopped, recovery and verification."""
    from yiyang.benefits import reports

    for row in reports.recipient_counts(user, code, width, today):

        def apply(base, row=row):
            for kind in ("old_age", "service", "care"):
                base.benefit_recipients[kind] += row[kind]
            base.benefit_new += row["new"]
            base.benefit_stopped += row["stopped"]

        add(row["child"], apply)
    for row in reports.band_counts(user, code, width, today):

        def apply(base, row=row):
            base.benefit_bands[row["band__min_age"]] += row["n"]

        add(row["child"], apply)
    for row in reports.spend(user, code, width, today):

        def apply(base, row=row):
            base.benefit_spend_fen += row["total"] or 0

        add(row["child"], apply)
    for row in reports.recoveries(user, code, width):

        def apply(base, row=row):
            base.benefit_overpaid_fen += row["due"] or 0
            base.benefit_recovered_fen += row["repaid"] or 0

        add(row["child"], apply)
    for row in reports.verification_counts(user, code, width, today):

        def apply(base, row=row):
            base.benefit_verifications += row["n"]
            base.benefit_verified += row["verified"]

        add(row["child"], apply)


def _five_ones(user, code: str, width: int, add) -> None:
    """Streets with a comprehensive centre and communities with a service place ("五个一"): counted per
    child in two grouped queries; only the (few) places that have one are walked in Python."""
    facilities = Facility.objects.visible_to(user, "view").filter(
        region_range_q("region_code", code), status=FacilityStatus.OPERATING
    )
    centre_streets = set(
        facilities.filter(facility_type=FacilityType.STREET_CENTRE)
        .annotate(street=Substr("region_code", 1, 9))
        .values_list("street", flat=True)
    )
    place_communities = set(
        facilities.filter(facility_type__in=SERVICE_PLACES).values_list("region_code", flat=True).distinct()
    )
    below = Region.objects.visible_to(user, "view").filter(region_range_q("code", code), level__gte=Level.STREET)
    totals = below.annotate(child=Substr("code", 1, width)).values("child", "level").annotate(n=Count("code"))
    for row in totals:
        street = row["level"] == Level.STREET

        def apply(base, n=row["n"], street=street):
            if street:
                base.streets += n
            else:
                base.communities += n

        add(row["child"], apply)
    known = set(below.filter(code__in=[s.ljust(12, "0") for s in centre_streets] + list(place_communities))
                .values_list("code", flat=True))  # fmt: skip
    for street in centre_streets:
        if street.ljust(12, "0") in known:
            add(street[:width], lambda base: setattr(base, "streets_with_centre", base.streets_with_centre + 1))
    for community in place_communities:
        if community in known:
            add(
                community[:width], lambda base: setattr(base, "communities_with_place", base.communities_with_place + 1)
            )


def values(base: Base, keys: list[str] | None = None) -> dict[str, float | int | None]:
    return {i.key: i.compute(base) for i in REGISTRY if keys is None or i.key in keys}
