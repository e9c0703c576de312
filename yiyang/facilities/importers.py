"""Importing facilities from spreadsheets, keyed by facility code: re-importing updates, never blanks."""

from collections.abc import Callable, Iterable
from datetime import date

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import Level
from yiyang.core.scoping import region_predicate
from yiyang.core.tabular import Column
from yiyang.elders.importers import (
    CLEAR_MARKERS,
    ImportResult,
    Plan,
    RowError,
    cell_refusals,
    given_values,
    merge_coordinates,
    run_plans,
    tidy,
)
from yiyang.regions.models import Region
from yiyang.regions.names import RegionNames

from .models import Facility, FacilityCode, FacilityStatus, FacilityType, OperationModel, Service
from .services import CODE_TAKEN, EDITABLE_FIELDS, _values, announce_change, clean_facility

# Each column with the headers bureaus use for it (compared ignoring spaces, full-width forms and brackets).
COLUMNS = [
    Column("code", "机构编码", aliases=("机构代码", "编码", "机构编号")),
    Column("name", "机构名称", aliases=("名称", "机构", "养老机构名称", "服务机构名称", "单位名称")),
    Column("facility_type", "机构类型", aliases=("类型", "机构类别", "类别")),
    Column("operation_model", "运营模式", aliases=("运营方式", "运营性质", "经营模式")),
    Column(
        "region_code",
        "所属区划代码",
        aliases=(
            "区划代码",
            "所属街道(社区)",
            "所属社区",
            "所属街道",
            "所属乡镇(街道)",
            "所属街道(乡镇)",
            "社区(村)",
            "街道(乡镇)",
            "所属区域",
        ),
    ),  # fmt: skip
    Column("address", "地址", aliases=("机构地址", "详细地址", "地点", "所在地址")),
    Column("lat", "纬度", required=False),
    Column("lng", "经度", required=False),
    Column("coord_system", "坐标系", required=False),
    Column("phone", "联系电话", required=False, aliases=("电话", "联系方式", "手机号码", "服务电话")),
    Column("contact_person", "联系人", required=False, aliases=("负责人", "联系人姓名")),
    Column("opening_hours", "开放时间", required=False, aliases=("服务时间", "营业时间")),
    Column("services", "服务项目", required=False, aliases=("服务内容",)),
    Column("monthly_fee_min_yuan", "月收费下限（元）", required=False, aliases=("月收费下限", "最低月收费(元)")),
    Column("monthly_fee_max_yuan", "月收费上限（元）", required=False, aliases=("月收费上限", "最高月收费(元)")),
    Column("beds_total", "床位总数", required=False, aliases=("床位数", "总床位数", "床位(张)")),
    Column("beds_nursing", "护理型床位", required=False, aliases=("护理型床位数", "护理床位")),
    Column("beds_occupied", "在住人数", required=False, aliases=("入住人数", "在院人数", "收住人数")),
    Column("star_rating", "星级", required=False, aliases=("等级评定", "星级评定")),
    Column("status", "状态", required=False, aliases=("运营状态",)),
    Column("established_on", "开业日期", required=False, aliases=("成立日期", "运营日期", "开业时间")),
]
EXAMPLE_ROWS = [
    ["411002-0001", "西大街道综合养老服务中心", "街道综合养老服务中心", "公建民营", "411002001000", "西大街 18 号",
     "34.03", "113.85", "wgs84", "0374-1234567", "王主任", "08:00-17:30", "日间照料、助餐、助浴", "1500", "3500",
     "40", "20", "25", "0", "运营中", "2020-05-01"],
]  # fmt: skip
FIELD_HEADERS = {c.key: c.header for c in COLUMNS}


def _header(key: str) -> str:
    return FIELD_HEADERS.get(key) or FIELD_HEADERS.get(f"{key}_yuan") or key


def shown_value(name: str, value) -> str:
    """A stored or cleaned facility value as the text a clerk reads in a preview."""
    if value is None or value == "":
        return ""
    choices = {"facility_type": FacilityType, "operation_model": OperationModel, "status": FacilityStatus}
    if name in choices:
        return str(choices[name](value).label)
    if name == "services":
        return "、".join(str(Service(v).label) for v in value)
    if name in ("monthly_fee_min", "monthly_fee_max"):
        return f"{value / 100:g} 元"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class FacilityImporter:
    """Imports facilities chunk by chunk, keyed by facility code (one code names one facility on the
    platform). A registered facility keeps what the row leaves out: absent columns and empty cells
    leave the stored value alone; the marker （清空） clears it."""

    object_type = "facilities.facility"
    label = "养老服务机构"

    def __init__(self, actor: Actor, present=None):
        self.actor = actor
        self.present = tuple(c.key for c in COLUMNS if present is None or c.key in present)
        self.known = set(Region.objects.filter(level__gte=4).values_list("code", flat=True).iterator(chunk_size=5000))
        self.in_scope = region_predicate(actor.user, Facility, "import")
        self.region_names = RegionNames([Level.STREET, Level.COMMUNITY], self.in_scope, noun="街道或社区")
        self.seen: dict[str, int] = {}

    def _given(self, raw: dict, errors: dict[str, str]) -> dict:
        """The row's values, tidied, with a street or community named by name turned to its code."""
        given = tidy({k: v for k, v in given_values(raw, self.present).items() if k not in errors})
        region = given.get("region_code", "")
        if region and not region.isdigit():
            try:
                given["region_code"] = self.region_names.resolve(region)
            except ValueError as exc:
                errors["region_code"] = str(exc)
        return given

    def _claim(self, number: int, raw: dict) -> int | None:
        key = str(raw.get("code") or "").strip()
        if not key or key in CLEAR_MARKERS:
            return None
        first = self.seen.setdefault(key, number)
        return None if first == number else first

    def skip(self, number: int, raw: dict) -> None:
        self._claim(number, raw)

    def _refuse(self, plan: Plan, number: int, raw: dict, errors: dict[str, str]) -> None:
        for key, reason in errors.items():
            value = raw.get(key, raw.get(f"{key}_yuan", ""))
            plan.errors.append(
                RowError(number, _header(key), reason, value, raw.get("name", ""), raw.get("code", ""),
                         raw.get("serial", ""))
            )  # fmt: skip

    def plan(self, chunk: list[tuple[int, dict]]) -> Plan:
        plan = Plan()
        codes = {str(raw.get("code") or "").strip() for _, raw in chunk} - {""}
        stored: dict[str, list[Facility]] = {}
        for facility in Facility.objects.filter(code__in=codes):
            stored.setdefault(facility.code, []).append(facility)
        taken = set(FacilityCode.objects.filter(code__in=codes).values_list("code", flat=True))
        for number, raw in chunk:
            if (first := self._claim(number, raw)) is not None:
                self._refuse(plan, number, raw, {"code": f"与第 {first} 行重复"})
                continue
            errors = cell_refusals(raw, self.present)  # what the reader or the tidying found, per cell
            given = self._given(raw, errors)
            current = _match(stored.get(given.get("code", "")), given.get("region_code", ""))
            if current is not None and not self.in_scope(current.region_code):
                self._refuse(plan, number, raw, {"code": CODE_TAKEN})
                continue
            if current is None:
                data = given
            else:
                before = _values(current)
                data = {**before, **given}
                for name in ("monthly_fee_min", "monthly_fee_max"):
                    if f"{name}_yuan" in given:
                        data[name] = None
                merge_coordinates(data, given)
            try:
                row = clean_facility(data, region_exists=self.known.__contains__)
            except FieldErrors as exc:
                errors = {**exc.fields, **errors}
            if errors:
                self._refuse(plan, number, raw, errors)
                continue
            if not self.in_scope(row["region_code"]):
                self._refuse(plan, number, raw, {"region_code": "不在您的管辖范围内"})
                continue
            if current is None:
                if row["code"] in taken:
                    self._refuse(plan, number, raw, {"code": CODE_TAKEN})
                    continue
                taken.add(row["code"])
                plan.new.append(Facility(**row))
                continue
            diff = {
                name: (shown_value(name, before[name]), shown_value(name, row[name]))
                for name in EDITABLE_FIELDS
                if row[name] != before[name]
            }
            if not diff:
                plan.unchanged += 1
                continue
            for name, value in row.items():
                setattr(current, name, value)
            plan.changed.append(current)
            plan.changes.append((number, diff))
            plan.names[number] = before["name"]
            plan.regions[number] = before["region_code"]
            plan.serials[number] = raw.get("serial", "")
        return plan

    def write(self, plan: Plan) -> None:
        Facility.objects.bulk_create(plan.new, batch_size=1000)
        FacilityCode.objects.bulk_create([FacilityCode(code=f.code, facility=f) for f in plan.new], batch_size=1000)
        Facility.objects.bulk_update(plan.changed, [*EDITABLE_FIELDS, "county_code"], batch_size=1000)
        announce_change([(f.lat, f.lng) for f in plan.new + plan.changed])

    def finish(self, result: ImportResult) -> None:
        audit.record(
            self.actor,
            AuditAction.IMPORT,
            object_type=self.object_type,
            object_repr=f"导入养老服务机构：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}，"
            f"错误 {result.refused} 行",
            changes={
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "errors": result.refused,
            },
        )


def _match(candidates: list[Facility] | None, region_text: str) -> Facility | None:
    """The registered facility a row's code names: the one of the row's county when several share the
    code (registrations from before codes were unique), else the first."""
    if not candidates:
        return None
    county = region_text.strip()[:6]
    return next((f for f in candidates if f.county_code == county), candidates[0])


def import_facilities(
    actor: Actor,
    rows: Iterable[tuple[int, dict]],
    progress: Callable[[int], None] | None = None,
    present=None,
) -> ImportResult:
    return run_plans(FacilityImporter(actor, present), rows, progress)
