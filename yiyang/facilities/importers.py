"""Importing facilities from spreadsheets, keyed by (county, facility code): re-importing updates."""

from collections.abc import Callable, Iterable

from django.db import transaction

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.scoping import region_predicate
from yiyang.core.tabular import Column
from yiyang.elders.importers import ImportResult, RowError
from yiyang.regions.models import Region

from .models import Facility, FacilityCode
from .services import CODE_TAKEN, EDITABLE_FIELDS, announce_change, clean_facility

COLUMNS = [
    Column("code", "机构编码"),
    Column("name", "机构名称"),
    Column("facility_type", "机构类型"),
    Column("operation_model", "运营模式"),
    Column("region_code", "所属区划代码", aliases=("区划代码",)),
    Column("address", "地址"),
    Column("lat", "纬度", required=False),
    Column("lng", "经度", required=False),
    Column("coord_system", "坐标系", required=False),
    Column("phone", "联系电话", required=False),
    Column("contact_person", "联系人", required=False),
    Column("opening_hours", "开放时间", required=False),
    Column("services", "服务项目", required=False),
    Column("monthly_fee_min_yuan", "月收费下限（元）", required=False),
    Column("monthly_fee_max_yuan", "月收费上限（元）", required=False),
    Column("beds_total", "床位总数", required=False),
    Column("beds_nursing", "护理型床位", required=False),
    Column("beds_occupied", "在住人数", required=False),
    Column("star_rating", "星级", required=False),
    Column("status", "状态", required=False),
    Column("established_on", "开业日期", required=False),
]
EXAMPLE_ROWS = [
    ["411002-0001", "西大街道综合养老服务中心", "街道综合养老服务中心", "公建民营", "411002001000", "西大街 18 号",
     "34.03", "113.85", "wgs84", "0374-1234567", "王主任", "08:00-17:30", "日间照料、助餐、助浴", "1500", "3500",
     "40", "20", "25", "0", "运营中", "2020-05-01"],
]  # fmt: skip
FIELD_HEADERS = {c.key: c.header for c in COLUMNS}


def import_facilities(
    actor: Actor, rows: Iterable[tuple[int, dict]], progress: Callable[[int], None] | None = None
) -> ImportResult:
    result = ImportResult()
    known = set(Region.objects.filter(level__gte=4).values_list("code", flat=True).iterator(chunk_size=5000))
    in_scope = region_predicate(actor.user, Facility, "import")
    seen: dict[tuple[str, str], int] = {}
    good: list[tuple[int, dict]] = []
    processed = 0
    for number, raw in rows:
        processed += 1
        try:
            row = clean_facility(raw, region_exists=known.__contains__)
        except FieldErrors as exc:
            result.errors.extend(RowError(number, FIELD_HEADERS.get(k, k), r) for k, r in exc.fields.items())
            continue
        if not in_scope(row["region_code"]):
            result.errors.append(RowError(number, FIELD_HEADERS["region_code"], "不在您的管辖范围内"))
            continue
        key = (row["county_code"], row["code"])
        if (first := seen.get(key)) is not None:
            result.errors.append(RowError(number, FIELD_HEADERS["code"], f"与第 {first} 行重复"))
            continue
        seen[key] = number
        good.append((number, row))
        if progress and processed % 1000 == 0:
            progress(processed)
    with transaction.atomic():
        existing = {
            (f.county_code, f.code): f
            for f in Facility.objects.filter(county_code__in={k[0] for k in seen}, code__in={k[1] for k in seen})
        }
        # Codes of facilities that a new row would collide with (a code names one facility platform-wide).
        taken = set(
            FacilityCode.objects.filter(code__in={row["code"] for _, row in good}).values_list("code", flat=True)
        )
        new, changed = [], []
        for number, row in good:
            current = existing.get((row["county_code"], row["code"]))
            if current is None and row["code"] in taken:
                result.errors.append(RowError(number, FIELD_HEADERS["code"], CODE_TAKEN))
            elif current is None:
                taken.add(row["code"])
                new.append(Facility(**row))
            elif not in_scope(current.region_code):
                result.errors.append(RowError(number, FIELD_HEADERS["code"], "该编码的机构不在您的管辖范围内"))
            else:
                for name, value in row.items():
                    setattr(current, name, value)
                changed.append(current)
        Facility.objects.bulk_create(new, batch_size=1000)
        FacilityCode.objects.bulk_create([FacilityCode(code=f.code, facility=f) for f in new], batch_size=1000)
        Facility.objects.bulk_update(changed, [*EDITABLE_FIELDS, "county_code"], batch_size=1000)
        result.created, result.updated = len(new), len(changed)
        announce_change([(f.lat, f.lng) for f in new + changed])
        audit.record(
            actor,
            AuditAction.IMPORT,
            object_type="facilities.facility",
            object_repr=f"导入养老服务机构：新增 {result.created}，更新 {result.updated}，错误 {len(result.errors)}",
            changes={"created": result.created, "updated": result.updated, "errors": len(result.errors)},
        )
    if progress:
        progress(processed)
    return result
