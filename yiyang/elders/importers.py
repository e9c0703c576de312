"""Importing elders from spreadsheets, and writing many elders at once.

Every row is validated with the same `clean_elder` the pages and the API use. Valid rows are saved in
transactions of a few thousand rows; invalid rows are reported (row, column, reason) and saved nowhere.
Re-importing a file updates the rows keyed by ID number and never duplicates them; it never blanks a
stored value either: an absent column or an empty cell leaves the field alone, and only the marker
（清空） clears it.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter

from django.db import connection, transaction
from django.utils import timezone

from yiyang.core import audit, bulk, idnumber, masking
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import Level
from yiyang.core.scoping import region_predicate
from yiyang.core.tabular import Column
from yiyang.regions.models import Region

from . import categories, rollups
from .models import Elder, ElderIdentity, LivingSituation, Sex, Status
from .services import EDITABLE_FIELDS, clean_elder

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
    """One refusal: the row, the column (its header), the reason, and what a clerk needs to find the row:
    the text read from the cell, the row's name, its identifier (masked when personal) and the bureau's
    own serial number (序号) when the file has one."""

    row: int
    column: str
    reason: str
    value: str = ""
    name: str = ""
    identifier: str = ""
    serial: str = ""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    refused: int = 0  # rows refused (a row may have several errors)

    @property
    def saved(self) -> int:
        return self.created + self.updated


@dataclass
class Plan:
    """What importing one chunk of rows would do; `write` carries it out inside the caller's transaction.

    `changes` lists per updated row (row number, {field: (old, new)}) of the fields that change, in the
    values a clerk reads (see `shown_value`); `region_codes` the stored community of each updated row,
    so that a preview can mask per the viewer's rights."""

    new: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    changes: list[tuple[int, dict]] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    regions: dict[int, str] = field(default_factory=dict)
    serials: dict[int, str] = field(default_factory=dict)
    rollup_deltas: Counter = field(default_factory=Counter)

    @property
    def refused_rows(self) -> int:
        return len({e.row for e in self.errors})


# The marker that clears a field on import (an empty cell leaves the stored value alone).
CLEAR_MARKERS = frozenset({"（清空）", "(清空)"})
CLEAR_MARKER = "（清空）"


def given_values(raw: dict, present) -> dict:
    """The values a row gives: non-empty cells of the columns the file has; the marker gives ''."""
    given = {}
    for key in present:
        value = raw.get(key, "")
        if value:
            given[key] = "" if value.__class__ is str and value in CLEAR_MARKERS else value
    return given


def merge_coordinates(merged: dict, given: dict) -> None:
    """Coordinates come as a pair: when the row gives either, both come from the row (a missing one is
    then an error); otherwise the stored (WGS-84) pair stays and no coordinate system applies."""
    if "lat" in given or "lng" in given:
        merged["lat"], merged["lng"] = given.get("lat", ""), given.get("lng", "")
    else:
        merged.pop("coord_system", None)


def _id_key(text: str) -> str:
    number = idnumber.normalize(text or "")
    if len(number) == 15 and number.isdigit():
        number = idnumber.upgrade_15(number)
    return number


def shown_value(name: str, value) -> str:
    """A stored or cleaned elder value as the text a clerk reads in a preview."""
    if value is None or value == "":
        return ""
    if name == "categories":
        return "、".join(categories.to_labels(value))
    if name == "sex":
        return Sex(value).label
    if name == "status":
        return Status(value).label
    if name == "living_situation":
        return LivingSituation(value).label
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


COMPARED = tuple(name for name in EDITABLE_FIELDS if name != "id_number")


class ElderImporter:
    """Imports elders chunk by chunk: `plan` (no writes) then `write` (inside the caller's transaction).

    Rows are keyed by ID number. For a registered elder the row is laid over the stored record: a column
    the file lacks and an empty cell leave the stored value alone; the marker （清空） clears it. The same
    ID number twice in one file is refused from its second row on (`skip` replays the rows before a
    resumed job's cursor into that check)."""

    object_type = "elders.elder"
    label = "老年人"

    def __init__(self, actor: Actor, present=None):
        self.actor = actor
        self.present = tuple(c.key for c in COLUMNS if present is None or c.key in present)
        self.communities = set(
            Region.objects.filter(level=Level.COMMUNITY).values_list("code", flat=True).iterator(chunk_size=5000)
        )
        self.in_scope = region_predicate(actor.user, Elder, "import")
        self.seen: dict[str, int] = {}
        self.today = timezone.localdate()

    def _claim(self, number: int, key: str) -> int | None:
        """Record the row's ID number as seen; the first row that had it when it is a repeat."""
        if len(key) != 18:
            return None
        first = self.seen.setdefault(key, number)
        return None if first == number else first

    def skip(self, number: int, raw: dict) -> None:
        self._claim(number, _id_key(raw.get("id_number", "")))

    def _refuse(self, plan: Plan, number: int, raw: dict, errors: dict[str, str]) -> None:
        name = raw.get("name", "")
        identifier = masking.mask_id_number(raw.get("id_number", ""))
        serial = raw.get("serial", "")
        for key, reason in errors.items():
            value = raw.get(key, "")
            plan.errors.append(RowError(number, FIELD_HEADERS.get(key, key), reason, value, name, identifier, serial))

    def plan(self, chunk: list[tuple[int, dict]]) -> Plan:
        plan = Plan()
        keys = [_id_key(raw.get("id_number", "")) for _, raw in chunk]
        stored = _stored([k for k in keys if len(k) == 18])
        now = timezone.now()
        for (number, raw), key in zip(chunk, keys, strict=True):
            if (first := self._claim(number, key)) is not None:
                self._refuse(plan, number, raw, {"id_number": f"与第 {first} 行重复"})
                continue
            given = given_values(raw, self.present)
            current = stored.get(key)
            if current is not None and not self.in_scope(current["region_code"]):
                self._refuse(plan, number, raw, {"id_number": "该身份证号码已在其他地区登记"})
                continue
            if current is None:
                data = given
            else:
                data = {**{name: current[name] for name in EDITABLE_FIELDS}, **given}
                merge_coordinates(data, given)
            try:
                row = clean_elder(data, community_exists=self.communities.__contains__, today=self.today)
            except FieldErrors as exc:
                self._refuse(plan, number, raw, exc.fields)
                continue
            if not self.in_scope(row["region_code"]):
                self._refuse(plan, number, raw, {"region_code": "不在您的管辖范围内"})
                continue
            if current is None:
                plan.new.append(row)
                continue
            diff = {
                name: (shown_value(name, current[name]), shown_value(name, row[name]))
                for name in COMPARED
                if row[name] != current[name]
            }
            if not diff:
                plan.unchanged += 1
                continue
            row["updated_at"] = now
            plan.changed.append((*(row[name] for name in UPDATE_COLUMNS), current["id"]))
            plan.changes.append((number, diff))
            plan.names[number] = current["name"]
            plan.regions[number] = current["region_code"]
            plan.serials[number] = raw.get("serial", "")
            plan.rollup_deltas.update(rollups.count_rows([{**current, **row}]))
            plan.rollup_deltas.subtract(rollups.count_rows([current]))
        return plan

    def write(self, plan: Plan) -> None:
        insert_new(plan.new)
        if plan.changed:
            bulk.update(Elder, UPDATE_COLUMNS, plan.changed)
            rollups.apply(plan.rollup_deltas)

    def finish(self, result: ImportResult) -> None:
        audit.record(
            self.actor,
            AuditAction.IMPORT,
            object_type=self.object_type,
            object_repr=f"导入老年人：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}，"
            f"错误 {result.refused} 行",
            changes={
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "errors": result.refused,
            },
        )


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


STORED_FIELDS = ("id", *EDITABLE_FIELDS, "capability_level")


def _stored(id_numbers: list[str]) -> dict[str, dict]:
    """{id_number: the stored elder's editable and counted fields} of the given ID numbers: one query
    per chunk, through the unique ID-number table, with values converted as the ORM would."""
    if not id_numbers:
        return {}
    fields = [Elder._meta.get_field(name) for name in STORED_FIELDS]
    quote = connection.ops.quote_name
    columns = ", ".join(f"e.{quote(f.column)}" for f in fields)
    found = {}
    cols = [f.get_col(Elder._meta.db_table) for f in fields]
    converters = [
        (i, connection.ops.get_db_converters(col) + col.get_db_converters(connection)) for i, col in enumerate(cols)
    ]
    converters = [(i, c) for i, c in converters if c]
    with connection.cursor() as cursor:
        for start in range(0, len(id_numbers), 900):  # SQLite allows 999 parameters per statement
            part = id_numbers[start : start + 900]
            cursor.execute(
                f"SELECT i.id_number, {columns} FROM {quote(ElderIdentity._meta.db_table)} i "  # noqa: S608
                f"JOIN {quote(Elder._meta.db_table)} e ON e.id = i.elder_id "
                f"WHERE i.id_number IN ({', '.join(['%s'] * len(part))})",
                part,
            )
            for number, *values in cursor.fetchall():
                for i, chain in converters:
                    for convert in chain:
                        values[i] = convert(values[i], None, connection)
                found[number] = dict(zip(STORED_FIELDS, values, strict=True))
    return found


def run_plans(importer, rows: Iterable[tuple[int, dict]], progress: Callable[[int], None] | None = None):
    """Import all rows at once (without a job): plan and write chunk by chunk, one transaction each."""
    result = ImportResult()
    processed = 0
    for chunk in chunked(rows, CHUNK):
        plan = importer.plan(chunk)
        with transaction.atomic():
            importer.write(plan)
        processed += len(chunk)
        result.created += len(plan.new)
        result.updated += len(plan.changed)
        result.unchanged += plan.unchanged
        result.errors.extend(plan.errors)
        result.refused += plan.refused_rows
        if progress:
            progress(processed)
    importer.finish(result)
    return result


def chunked(rows: Iterable, size: int):
    chunk = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_elders(
    actor: Actor,
    rows: Iterable[tuple[int, dict]],
    progress: Callable[[int], None] | None = None,
    present=None,
) -> ImportResult:
    """Validate and save elders from (row number, {column key: text}) pairs; `present` names the columns
    the file has (all when not given)."""
    return run_plans(ElderImporter(actor, present), rows, progress)
