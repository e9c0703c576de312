"""Importing elders from spreadsheets, and writing many elders at once.

Every row is validated with the same `clean_elder` the pages and the API use. Valid rows are saved in
transactions of a few thousand rows; invalid rows are reported (row, column, reason) and saved nowhere.
Re-importing a file updates the rows keyed by ID number and never duplicates them; it never blanks a
stored value either: an absent column or an empty cell leaves the field alone, and only the marker
（清空） clears it.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter

from django.db import connection, transaction
from django.utils import timezone

from yiyang.core import audit, bulk, dates, idnumber, masking, phones, tabular
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import Level
from yiyang.core.scoping import region_predicate
from yiyang.core.tabular import Column
from yiyang.regions.models import Region
from yiyang.regions.names import RegionNames

from . import categories, rollups
from .models import Elder, ElderContact, ElderIdentity, LivingSituation, Relation, Sex, Status
from .services import EDITABLE_FIELDS, clean_elder

MAX_CONTACTS = 3  # emergency contacts read per row: 紧急联系人1 ... 紧急联系人3


def _contact_columns(i: int) -> list[Column]:
    """The columns of the i-th emergency contact; the first also answers to the unnumbered headers."""
    n = str(i)
    plain = i == 1
    return [
        Column(
            f"contact{n}_name",
            f"紧急联系人{n}姓名",
            required=False,
            aliases=(f"紧急联系人{n}", f"联系人{n}", f"联系人{n}姓名")
            + (("紧急联系人", "紧急联系人姓名", "联系人", "联系人姓名") if plain else ()),
        ),
        Column(
            f"contact{n}_phone",
            f"紧急联系人{n}电话",
            required=False,
            aliases=(
                f"紧急联系人{n}联系电话",
                f"紧急联系人{n}手机",
                f"紧急联系人{n}联系方式",
                f"联系人{n}电话",
                f"联系人{n}联系电话",
                f"联系人{n}联系方式",
            )
            + (
                (
                    "紧急联系人电话",
                    "紧急联系人联系电话",
                    "紧急联系人手机",
                    "紧急联系人联系方式",
                    "紧急联系电话",
                    "联系人电话",
                    "联系人联系电话",
                    "联系人手机",
                    "联系人联系方式",
                )
                if plain
                else ()
            ),
        ),  # fmt: skip
        Column(
            f"contact{n}_relation",
            f"紧急联系人{n}关系",
            required=False,
            aliases=(f"紧急联系人{n}与老人关系", f"紧急联系人{n}与本人关系", f"联系人{n}关系", f"联系人{n}与老人关系")
            + (
                (
                    "紧急联系人关系",
                    "紧急联系人与老人关系",
                    "紧急联系人与本人关系",
                    "联系人关系",
                    "联系人与老人关系",
                    "与老人关系",
                    "与本人关系",
                    "关系",
                )
                if plain
                else ()
            ),
        ),  # fmt: skip
    ]


# Each column with the headers bureaus use for it (compared ignoring spaces, full-width forms and brackets).
COLUMNS = [
    Column("name", "姓名", aliases=("老人姓名", "老年人姓名")),
    Column(
        "id_number",
        "公民身份号码",
        aliases=("身份证号码", "身份证号", "证件号码", "身份证", "身份证件号码", "老人身份证号码", "身份证号码(18位)"),
    ),
    Column("sex", "性别", required=False),
    Column("birth_date", "出生日期", required=False, aliases=("出生年月日", "出生年月", "出生时间")),
    Column("ethnicity", "民族", required=False),
    Column(
        "phone",
        "联系电话",
        required=False,
        aliases=("电话", "手机号码", "联系方式", "手机", "手机号", "本人电话", "老人电话", "本人联系电话", "电话号码"),
    ),
    Column(
        "address",
        "居住地址",
        required=False,
        aliases=("地址", "现住址", "家庭住址", "住址", "现居住地址", "家庭地址", "现居住地", "居住地", "详细地址"),
    ),
    Column(
        "region_code",
        "所属社区代码",
        aliases=(
            "社区代码",
            "区划代码",
            "所属社区",
            "所属社区(村)",
            "社区(村)",
            "村(社区)",
            "所属村(社区)",
            "村(居)委会",
            "所属村(居)委会",
            "社区",
            "社区名称",
            "社区(村)名称",
            "村(居)",
            "社区居委会",
        ),
    ),  # fmt: skip
    Column("lat", "纬度", required=False),
    Column("lng", "经度", required=False),
    Column("coord_system", "坐标系", required=False),
    Column("living_situation", "居住情况", required=False, aliases=("居住状况", "居住状态", "居住方式")),
    Column(
        "categories",
        "特殊类别",
        required=False,
        aliases=("老人类别", "人员类别", "特殊群体类别", "老年人类别", "类别", "特殊类型"),
    ),
    Column("health_notes", "健康状况", required=False, aliases=("健康情况", "身体状况", "身体健康状况")),
    Column("status", "状态", required=False, aliases=("人员状态",)),
    Column("status_date", "状态日期", required=False, aliases=("状态变更日期", "变更日期")),
    Column("phone_alt", "备用电话", required=False, aliases=("其他电话", "其他联系电话", "联系电话2", "电话2")),
    *(column for i in range(1, MAX_CONTACTS + 1) for column in _contact_columns(i)),
]
CONTACT_KEYS = tuple(c.key for c in COLUMNS if c.key.startswith("contact"))
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
        "",
        "张小山",
        "13900002222",
        "子女",
    ],
]
FIELD_HEADERS = {c.key: c.header for c in COLUMNS}

# Columns written for each elder; the order of the tuples passed to core.bulk.
INSERT_COLUMNS = (
    "id", "name", "name_pinyin", "name_initials", "id_number", "sex", "birth_date", "ethnicity", "phone", "address",
    "region_code", "county_code", "lat", "lng", "living_situation", "categories", "health_notes", "status",
    "status_date", "facility_id", "capability_level", "assessed_on", "assessment_due", "created_at", "updated_at",
    "phone_alt",
)  # fmt: skip
UPDATE_COLUMNS = (
    "name", "name_pinyin", "name_initials", "sex", "birth_date", "ethnicity", "phone", "address", "region_code",
    "county_code", "lat", "lng", "living_situation", "categories", "health_notes", "status", "status_date",
    "updated_at", "phone_alt",
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
    # Emergency contacts (elders only): per new row, and those added to or changed on registered elders.
    new_contacts: list[list[dict]] = field(default_factory=list)
    contact_adds: list[tuple[int, str, dict]] = field(default_factory=list)
    contact_changes: list[dict] = field(default_factory=list)

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


# An ID number Excel kept as a number: 4.11002E+17 (as a .csv shows it) or a numeric .xlsx cell.
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d{1,3}")
NUMERIC_ID = (
    "身份证号码是数值格式，Excel 只保留 15 位有效数字，号码可能已被改动，不予导入；"
    "请将该列设为文本格式后重新录入号码（或在号码前加英文单引号 '）"
)


def numeric_id(value) -> bool:
    """Whether an ID number cell held a number (its digits cannot be trusted) rather than text."""
    return isinstance(value, tabular.Numeric) or bool(_SCIENTIFIC.fullmatch("".join(str(value or "").split())))


def _id_key(text: str) -> str:
    if numeric_id(text):
        return ""  # refused: never a key, so that the row with the true number is not called a repeat
    number = idnumber.normalize(text or "")
    if len(number) == 15 and number.isdigit():
        number = idnumber.upgrade_15(number)
    return number


def cell_refusals(raw: dict, present) -> dict[str, str]:
    """The cells of a row that cannot be read (tabular.Refused: formulas without a usable value, merged cells)."""
    return {key: raw[key].reason for key in present if isinstance(raw.get(key), tabular.Refused)}


_SPACES = re.compile(r"\s+")
_FULL_WIDTH_ALNUM = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF5B) if chr(code - 0xFEE0).isalnum()}
_COMPACT_FIELDS = ("id_number", "sex", "birth_date", "status_date", "living_situation", "status", "lat", "lng",
                   "coord_system", "region_code")  # fmt: skip


def tidy(given: dict) -> dict:
    """Harmless noise removed from the given values: full-width forms and spaces inside codes, dates and choices;
    in free text full-width letters and digits, and runs of spaces (a name of Chinese characters loses its
    spaces); dates written the ways registers write them turned to ISO."""
    out = {}
    for key, value in given.items():
        if not value or not isinstance(value, str):
            out[key] = value
            continue
        if key in _COMPACT_FIELDS or key.endswith("_relation"):
            text = "".join(unicodedata.normalize("NFKC", value).split())
        else:  # free text keeps its Chinese punctuation; full-width letters and digits become ASCII
            text = _SPACES.sub(" ", value.translate(_FULL_WIDTH_ALNUM)).strip() if key != "health_notes" else value
            if (key == "name" or key.endswith("_name")) and all(
                "\u4e00" <= ch <= "\u9fff" or ch in " ·" for ch in text
            ):
                text = text.replace(" ", "")
        if key in ("birth_date", "status_date"):
            try:
                parsed = dates.parse(text)
                text = parsed.isoformat() if parsed else ""
            except ValueError:
                pass  # clean_elder names the error
        out[key] = text
    return out


RELATION_BY_TEXT = {
    **{label: value for value, label in Relation.choices},
    **dict.fromkeys(("子女", "儿子", "女儿", "儿", "女", "子", "长子", "次子", "长女", "次女", "儿媳", "女婿"), Relation.CHILD),
    **dict.fromkeys(("配偶", "老伴", "妻子", "丈夫", "夫妻", "妻", "夫", "爱人"), Relation.SPOUSE),
    **dict.fromkeys(("其他亲属", "亲属", "孙子", "孙女", "外孙", "外孙女", "侄子", "侄女", "外甥", "外甥女", "兄弟",
                     "姐妹", "哥哥", "弟弟", "姐姐", "妹妹", "亲戚", "儿媳妇"), Relation.RELATIVE),
    **dict.fromkeys(("邻居", "邻里"), Relation.NEIGHBOUR),
    **dict.fromkeys(("监护人",), Relation.GUARDIAN),
    **dict.fromkeys(("其他", "朋友", "网格员", "村干部"), Relation.OTHER),
}  # fmt: skip
RELATIONS_ALLOWED = "、".join(["子女", "配偶", "其他亲属", "邻居", "监护人", "其他"])


def read_contacts(given: dict, errors: dict[str, str]) -> list[dict]:
    """The emergency contacts a row gives (紧急联系人1 ... 3), each with one or two phone numbers."""
    contacts = []
    for i in range(1, MAX_CONTACTS + 1):
        keys = (f"contact{i}_name", f"contact{i}_phone", f"contact{i}_relation")
        name, phone, relation = (given.get(k, "") for k in keys)
        if not (name or phone or relation):
            continue
        contact = {"name": name[:50], "relation": "", "phone": "", "phone_alt": ""}  # relation '' = not given
        if not name:
            errors[keys[0]] = "填写了紧急联系人的电话或关系，但没有填写姓名"
        if relation:
            contact["relation"] = RELATION_BY_TEXT.get(relation)
            if contact["relation"] is None:
                errors[keys[2]] = f"未知的关系：{relation}（可填：{RELATIONS_ALLOWED}）"
        try:
            numbers = phones.split(phone)
        except phones.InvalidPhone as exc:
            errors[keys[1]] = str(exc)
            numbers = [""]
        if not numbers:
            errors[keys[1]] = "必填：紧急联系人须有电话"
        elif len(numbers) > 2:
            errors[keys[1]] = "一个单元格中最多填写两个电话号码"
        else:
            contact["phone"], contact["phone_alt"] = (*numbers, "")[:2]
        contacts.append(contact)
    return contacts


def contacts_text(contacts) -> str:
    """Contacts as a clerk reads them in a preview: 张小山（子女）13900002222."""
    return "；".join(
        f"{c['name']}（{Relation(c['relation'] or Relation.OTHER).label}）{c['phone']}"
        + (f"、{c['phone_alt']}" if c["phone_alt"] else "")
        for c in contacts
    )


def merge_contacts(stored: list[dict], given: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """Lay the file's contacts over the stored ones: a contact of the same name is updated, another is added;
    none is removed. Returns (all contacts after, contacts to add, stored contacts changed with their id)."""
    after = [dict(c) for c in stored]
    added, changed = [], []
    for contact in given:
        match = next((c for c in after if c["name"] == contact["name"]), None)
        if match is None:
            contact = {**contact, "relation": contact["relation"] or Relation.OTHER}
            after.append(contact)
            added.append(contact)
            continue
        update = {k: v for k, v in contact.items() if v and v != match.get(k) and k != "name"}
        if update:
            match.update(update)
            changed.append(match)
    return after, added, changed


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
    if name == "contacts":
        return contacts_text(value)
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
    labels = {"contacts": "紧急联系人"}  # the preview's name of the contacts' changes

    def __init__(self, actor: Actor, present=None):
        self.actor = actor
        self.present = tuple(c.key for c in COLUMNS if present is None or c.key in present)
        self.fields = tuple(k for k in self.present if k not in CONTACT_KEYS)
        self.contact_columns = tuple(k for k in self.present if k in CONTACT_KEYS)
        self.communities = set(
            Region.objects.filter(level=Level.COMMUNITY).values_list("code", flat=True).iterator(chunk_size=5000)
        )
        self.in_scope = region_predicate(actor.user, Elder, "import")
        self.region_names = RegionNames([Level.COMMUNITY], self.in_scope)
        self.seen: dict[str, int] = {}
        self.today = timezone.localdate()

    def _given(self, raw: dict, errors: dict[str, str]) -> tuple[dict, list[dict]]:
        """The row's values, tidied, with the region named by name turned to its code and a phone cell holding
        two numbers split; and its emergency contacts."""
        given = tidy({k: v for k, v in given_values(raw, self.present).items() if k not in errors})
        if numeric_id(raw.get("id_number", "")):
            errors["id_number"] = NUMERIC_ID
        region = given.get("region_code", "")
        if region and not region.isdigit():
            try:
                given["region_code"] = self.region_names.resolve(region)
            except ValueError as exc:
                errors["region_code"] = str(exc)
        if given.get("phone"):
            try:
                numbers = phones.split(given["phone"])
            except phones.InvalidPhone as exc:
                errors["phone"] = str(exc)
            else:
                if len(numbers) > 2:
                    errors["phone"] = "一个单元格中最多填写两个电话号码"
                elif len(numbers) == 2 and given.get("phone_alt"):
                    errors["phone"] = "联系电话中有两个号码，同时又填写了备用电话；请只保留两个号码"
                elif numbers:
                    given["phone"] = numbers[0]
                    if len(numbers) == 2:
                        given["phone_alt"] = numbers[1]
        contacts = read_contacts(given, errors) if self.contact_columns else []
        for key in self.contact_columns:
            given.pop(key, None)
        return given, contacts

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
        stored_contacts = _stored_contacts([c["id"] for c in stored.values()]) if self.contact_columns else {}
        now = timezone.now()
        for (number, raw), key in zip(chunk, keys, strict=True):
            if (first := self._claim(number, key)) is not None:
                self._refuse(plan, number, raw, {"id_number": f"与第 {first} 行重复"})
                continue
            errors = cell_refusals(raw, self.present)  # what the reader or the tidying found, per cell
            given, contacts = self._given(raw, errors)
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
                errors = {**exc.fields, **errors}
            if errors:
                self._refuse(plan, number, raw, errors)
                continue
            if not self.in_scope(row["region_code"]):
                self._refuse(plan, number, raw, {"region_code": "不在您的管辖范围内"})
                continue
            if current is None:
                plan.new.append(row)
                plan.new_contacts.append([{**c, "relation": c["relation"] or Relation.OTHER} for c in contacts])
                continue
            diff = {
                name: (shown_value(name, current[name]), shown_value(name, row[name]))
                for name in COMPARED
                if row[name] != current[name]
            }
            if contacts:
                before = stored_contacts.get(current["id"], [])
                after, added, changed = merge_contacts(before, contacts)
                if added or changed:
                    diff["contacts"] = (contacts_text(before), contacts_text(after))
                    plan.contact_adds.extend((current["id"], row["county_code"], c) for c in added)
                    plan.contact_changes.extend(changed)
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
        ids = insert_new(plan.new)
        if plan.changed:
            bulk.update(Elder, UPDATE_COLUMNS, plan.changed)
            rollups.apply(plan.rollup_deltas)
        new_contacts = [
            ElderContact(elder_id=pk, county_code=row["county_code"], **contact)
            for pk, row, contacts in zip(ids, plan.new, plan.new_contacts, strict=True)
            for contact in contacts
        ]
        new_contacts += [
            ElderContact(elder_id=pk, county_code=county, **contact) for pk, county, contact in plan.contact_adds
        ]
        ElderContact.objects.bulk_create(new_contacts, batch_size=1000)
        if plan.contact_changes:
            ElderContact.objects.bulk_update(
                [ElderContact(**c) for c in plan.contact_changes], ["phone", "phone_alt", "relation"], batch_size=1000
            )

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


def insert_new(clean_rows: list[dict], *, update_rollups: bool = True) -> list[int]:
    """Insert validated elders that are known not to exist yet, with their identity rows; their ids.

    A generator loading millions of rows may skip the running counts and call rollups.rebuild() once.
    """
    if not clean_rows:
        return []
    now = timezone.now()
    defaults = {name: None for name in INSERT_COLUMNS} | {"created_at": now, "updated_at": now, "phone_alt": ""}
    values = itemgetter(*INSERT_COLUMNS[1:])
    ids = bulk.reserve_ids(Elder, len(clean_rows))
    elders = [(pk, *values(defaults | row)) for pk, row in zip(ids, clean_rows, strict=True)]
    bulk.insert(Elder, INSERT_COLUMNS, elders)
    bulk.insert(
        ElderIdentity, ("id_number", "elder"), ((row["id_number"], pk) for pk, row in zip(ids, clean_rows, strict=True))
    )
    if update_rollups:
        rollups.apply(rollups.count_rows(clean_rows))
    return ids


def _stored_contacts(elder_ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    fields = ("id", "elder_id", "name", "relation", "phone", "phone_alt")
    for start in range(0, len(elder_ids), 900):
        for values in ElderContact.objects.filter(elder_id__in=elder_ids[start : start + 900]).values(*fields):
            found.setdefault(values["elder_id"], []).append(values)
    return found


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
