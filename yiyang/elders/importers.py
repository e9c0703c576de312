"""Importing elders from spreadsheets, and writing many elders at once.

Every row is validated with the same `clean_elder` the pages and the API use. Valid rows are saved in
transactions of a few thousand rows; invalid rows are reported (row, column, reason) and saved nowhere. Re-importing a file
updates the rows keyed by ID number and never duplicates them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter

from django.db import transaction
from django.utils import timezone

from yiyang.core import audit, bulk
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import Level
from yiyang.core.scoping import region_predicate
from yiyang.core.tabular import Column
from yiyang.regions.models import Region

from . import rollups
from .models import Elder, ElderIdentity
from .services import clean_elder

COLUMNS = [
    Column("name", "姓名"),
    Column("id_number", "公民身份号码", aliases=("身份证号码", "身份证号")),
    Column("sex", "性别", required=False),
    Column("birth_date", "出生日期", required=False),
    Column("ethnicity", "民族", required=False),
    Column("phone", "联系电话", required=False, aliases=("电话", "手机号码")),
    Column("address", "居住地址", required=False, aliases=("地址",)),
    Column("region_code", "所属社区代码", aliases=("社区代码", "区划代码")),
    Column("lat", "纬度", required=False),
    Column("lng", "经度", required=False),
    Column("coord_system", "坐标系", required=False),
    Column("living_situation", "居住情况", required=False),
    Column("categories", "特殊类别", required=False),
    Column("health_notes", "健康状况", required=False),
    Column("status", "状态", required=False),
    Column("status_date", "状态日期", required=False),
]
EXAMPLE_ROWS = [
    [
        "张华山",
        "11010519491231002X",
        "女",
        "1949-12-31",
        "汉族",
        "13800001111",
        "西大街道花园社区 3 号楼",
        "411002001001",
        "",
        "",
        "",
        "独居",
        "高龄、低保",
        "高血压",
        "在册",
        "",
    ],
]
FIELD_HEADERS = {c.key: c.header for c in COLUMNS}

# Columns written for each elder; the order of the tuples passed to core.bulk.
INSERT_COLUMNS = (
    "id", "name", "name_pinyin", "name_initials", "id_number", "sex", "birth_date", "ethnicity", "phone", "address",
    "region_code", "county_code", "lat", "lng", "living_situation", "categories", "health_notes", "status",
    "status_date", "facility_id", "capability_level", "assessed_on", "assessment_due", "created_at", "updated_at",
)  # fmt: skip
UPDATE_COLUMNS = (
    "name", "name_pinyin", "name_initials", "sex", "birth_date", "ethnicity", "phone", "address", "region_code",
    "county_code", "lat", "lng", "living_situation", "categories", "health_notes", "status", "status_date",
    "updated_at",
)  # fmt: skip
CHUNK = 5000


@dataclass
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def saved(self) -> int:
        return self.created + self.updated


def insert_new(clean_rows: list[dict], *, update_rollups: bool = True) -> None:
    """Insert validated elders that are known not to exist yet, with their identity rows.

    A generator loading millions of rows may skip the running counts and call rollups.rebuild() once.
    """
    now = timezone.now()
    defaults = {name: None for name in INSERT_COLUMNS} | {"created_at": now, "updated_at": now}
    values = itemgetter(*INSERT_COLUMNS[1:])
    ids = bulk.reserve_ids(Elder, len(clean_rows))
    elders = [(pk, *values(defaults | row)) for pk, row in zip(ids, clean_rows, strict=True)]
    bulk.insert(Elder, INSERT_COLUMNS, elders)
    bulk.insert(
        ElderIdentity, ("id_number", "elder"), ((row["id_number"], pk) for pk, row in zip(ids, clean_rows, strict=True))
    )
    if update_rollups:
        rollups.apply(rollups.count_rows(clean_rows))


def _existing(id_numbers: list[str]) -> dict[str, tuple[int, str]]:
    """{id_number: (elder id, community code)} of the given ID numbers already registered."""
    found = ElderIdentity.objects.filter(id_number__in=id_numbers).values_list(
        "id_number", "elder_id", "elder__region_code"
    )
    return {number: (pk, region) for number, pk, region in found}


def import_elders(
    actor: Actor, rows: Iterable[tuple[int, dict]], progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Validate and save elders from (row number, {column key: text}) pairs."""
    result = ImportResult()
    communities = set(
        Region.objects.filter(level=Level.COMMUNITY).values_list("code", flat=True).iterator(chunk_size=5000)
    )
    in_scope = region_predicate(actor.user, Elder, "import")
    seen: dict[str, int] = {}
    today = timezone.localdate()

    @transaction.atomic
    def flush(chunk: list[tuple[int, dict]]):
        existing = _existing([row["id_number"] for _, row in chunk])
        new, changed = [], []
        now = timezone.now()
        for number, row in chunk:
            match = existing.get(row["id_number"])
            if match is None:
                new.append(row)
            elif not in_scope(match[1]):
                result.errors.append(RowError(number, FIELD_HEADERS["id_number"], "该身份证号码已在其他地区登记"))
            else:
                row["updated_at"] = now
                changed.append((*(row[name] for name in UPDATE_COLUMNS), match[0]))
        insert_new(new)
        if changed:
            old = {row["id"]: row for row in Elder.objects.filter(pk__in=[v[-1] for v in changed]).values(
                "id", *rollups.KEY_FIELDS)}  # fmt: skip
            deltas = rollups.count_rows(old[v[-1]] | dict(zip(UPDATE_COLUMNS, v[:-1], strict=True)) for v in changed)
            deltas.subtract(rollups.count_rows(old.values()))
            bulk.update(Elder, UPDATE_COLUMNS, changed)
            rollups.apply(deltas)
        result.created += len(new)
        result.updated += len(changed)

    # One transaction per chunk: progress is visible while a large file runs, and a file cut short by a
    # crash can simply be imported again (rows are keyed by ID number, so nothing doubles).
    chunk: list[tuple[int, dict]] = []
    processed = 0
    for number, raw in rows:
        processed += 1
        try:
            row = clean_elder(raw, community_exists=communities.__contains__, today=today)
        except FieldErrors as exc:
            result.errors.extend(RowError(number, FIELD_HEADERS.get(k, k), r) for k, r in exc.fields.items())
            continue
        if not in_scope(row["region_code"]):
            result.errors.append(RowError(number, FIELD_HEADERS["region_code"], "不在您的管辖范围内"))
            continue
        if (first := seen.get(row["id_number"])) is not None:
            result.errors.append(RowError(number, FIELD_HEADERS["id_number"], f"与第 {first} 行重复"))
            continue
        seen[row["id_number"]] = number
        chunk.append((number, row))
        if len(chunk) >= CHUNK:
            flush(chunk)
            chunk = []
            if progress:
                progress(processed)
    if chunk:
        flush(chunk)
    if progress:
        progress(processed)
    audit.record(
        actor,
        AuditAction.IMPORT,
        object_type="elders.elder",
        object_repr=f"导入老年人：新增 {result.created}，更新 {result.updated}，错误 {len(result.errors)}",
        changes={"created": result.created, "updated": result.updated, "errors": len(result.errors)},
    )
    return result
