"""Elderly registry operations: validation, registration, changes, search, assessments, export.

The API, the pages, the admin and the importer all call these functions; each write runs in one
transaction, re-checks the row against the actor's scope and writes the audit log.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from yiyang.core import audit, coords, dates, idnumber, masking, periodlocks, phones, pinyin
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.exports import write_xlsx
from yiyang.core.regioncodes import InvalidRegionCode, Level, county_of, level_of, normalize, region_range_q
from yiyang.core.scoping import SYSTEM_READER, ensure_visible, get_visible_or_404, scope_condition
from yiyang.regions.models import Region

from . import assessment as rules
from . import categories, rollups
from .models import (
    Assessment,
    AssessmentReason,
    Elder,
    ElderContact,
    ElderIdentity,
    LivingSituation,
    Relation,
    Sex,
    Status,
)

SEX_BY_TEXT = {"M": Sex.MALE, "F": Sex.FEMALE, "男": Sex.MALE, "女": Sex.FEMALE}
LIVING_BY_TEXT = {**{v: v for v in LivingSituation.values}, **{label: v for v, label in LivingSituation.choices}}
# Short forms officers type in spreadsheets.
LIVING_BY_TEXT.update(
    {
        "空巢": LivingSituation.EMPTY_NEST,
        "空巢老人": LivingSituation.EMPTY_NEST,
        "仅与配偶同住": LivingSituation.EMPTY_NEST,
        "与配偶同住": LivingSituation.EMPTY_NEST,
        "独居老人": LivingSituation.ALONE,
        "留守老人": LivingSituation.LEFT_BEHIND,
        "子女同住": LivingSituation.WITH_CHILDREN,
        "与儿女同住": LivingSituation.WITH_CHILDREN,
        "亲属同住": LivingSituation.WITH_RELATIVES,
        "入住机构": LivingSituation.IN_INSTITUTION,
        "机构养老": LivingSituation.IN_INSTITUTION,
        "养老机构": LivingSituation.IN_INSTITUTION,
    }
)
STATUS_BY_TEXT = {**{v: v for v in Status.values}, **{label: v for v, label in Status.choices}}
EDITABLE_FIELDS = (
    "name",
    "id_number",
    "sex",
    "birth_date",
    "ethnicity",
    "phone",
    "phone_alt",
    "address",
    "region_code",
    "lat",
    "lng",
    "living_situation",
    "categories",
    "health_notes",
    "status",
    "status_date",
)


# --- Validation --------------------------------------------------------------------------------


def _text(data: dict, name: str, limit: int) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()[:limit]


def _date(value, errors: dict, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return dates.parse(value)
    except ValueError:
        errors[name] = "日期格式应为 YYYY-MM-DD（也可写作 1949/12/31、1949.12.31 或 1949年12月31日）"
        return None


def _float(value, errors: dict, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        errors[name] = "应为数字"
        return None


def parse_categories(value) -> int:
    """Category codes or labels, as a list or a string separated by commas, spaces or 、."""
    if value in (None, ""):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = categories.split(value)
    return categories.to_bits(part.strip() for part in value)


def clean_elder(data: dict, *, community_exists, today: date | None = None) -> dict:
    """Validate one elder's data and return the model field values, or raise FieldErrors naming
    every field that is wrong. `community_exists(code)` says whether a community code is registered.

    The ID number decides birth date and sex; values entered for them must agree with it.
    """
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    clean: dict = {}

    name = _text(data, "name", 50)
    if not name:
        errors["name"] = "必填"
    clean["name"] = name

    raw_id = idnumber.normalize(_text(data, "id_number", 30))
    info = None
    if not raw_id:
        errors["id_number"] = "必填"
    else:
        try:
            info = idnumber.parse(idnumber.upgrade_15(raw_id) if len(raw_id) == 15 else raw_id, today=today)
        except idnumber.InvalidIdNumber as exc:
            errors["id_number"] = str(exc)
    if info:
        clean["id_number"], clean["birth_date"], clean["sex"] = info.number, info.birth_date, info.sex
        entered_sex = SEX_BY_TEXT.get(_text(data, "sex", 2), None) if _text(data, "sex", 2) else None
        if _text(data, "sex", 2) and entered_sex is None:
            errors["sex"] = "应为 男 或 女"
        elif entered_sex and entered_sex != info.sex:
            errors["sex"] = f"与身份证号码不符（号码显示为{Sex(info.sex).label}）"
        entered_birth = _date(data.get("birth_date"), errors, "birth_date")
        if entered_birth and entered_birth != info.birth_date:
            errors["birth_date"] = f"与身份证号码不符（号码显示为 {info.birth_date:%Y-%m-%d}）"

    clean["ethnicity"] = _text(data, "ethnicity", 20) or "汉族"
    try:
        clean["phone"] = phones.normalize(_text(data, "phone", 30))
    except phones.InvalidPhone as exc:
        errors["phone"] = str(exc)
    try:
        clean["phone_alt"] = phones.normalize(_text(data, "phone_alt", 30))
    except phones.InvalidPhone as exc:
        errors["phone_alt"] = str(exc)
    clean["address"] = _text(data, "address", 200)
    clean["health_notes"] = _text(data, "health_notes", 2000)

    raw_region = _text(data, "region_code", 20)
    if not raw_region:
        errors["region_code"] = "必填"
    else:
        try:
            code = normalize(raw_region)
            if level_of(code) != Level.COMMUNITY:
                errors["region_code"] = "应为社区（村）级的 12 位区划代码"
            elif not community_exists(code):
                errors["region_code"] = f"区划代码 {code} 不存在"
            else:
                clean["region_code"], clean["county_code"] = code, county_of(code)
        except InvalidRegionCode as exc:
            errors["region_code"] = str(exc)

    lat, lng = _float(data.get("lat"), errors, "lat"), _float(data.get("lng"), errors, "lng")
    if (lat is None) != (lng is None) and "lat" not in errors and "lng" not in errors:
        errors["lat"] = "纬度和经度需同时填写"
    elif lat is not None and lng is not None:
        try:
            lat, lng = coords.to_wgs84(lat, lng, _text(data, "coord_system", 10) or coords.WGS84)
        except coords.InvalidCoordinates as exc:
            errors["lat"] = str(exc)
    clean["lat"], clean["lng"] = lat, lng

    living = _text(data, "living_situation", 20)
    if living and living not in LIVING_BY_TEXT:
        errors["living_situation"] = f"未知的居住情况：{living}（可填：{'、'.join(LivingSituation.labels)}）"
    clean["living_situation"] = LIVING_BY_TEXT.get(living, "")
    try:
        clean["categories"] = parse_categories(data.get("categories"))
    except categories.UnknownCategory as exc:
        errors["categories"] = str(exc)

    status = _text(data, "status", 10) or Status.ACTIVE
    if status not in STATUS_BY_TEXT:
        errors["status"] = "应为 在册、迁出 或 死亡"
    clean["status"] = STATUS_BY_TEXT.get(status, Status.ACTIVE)
    status_date = _date(data.get("status_date"), errors, "status_date")
    if clean["status"] != Status.ACTIVE and status_date is None and "status_date" not in errors:
        errors["status_date"] = "迁出或死亡须填写日期"
    elif status_date and status_date > today:
        errors["status_date"] = "日期不能晚于今天"
    elif status_date and info and status_date < info.birth_date:
        errors["status_date"] = "日期不能早于出生日期"
    clean["status_date"] = status_date if clean["status"] != Status.ACTIVE else None

    if errors:
        raise FieldErrors(errors)
    clean["name_pinyin"] = pinyin.full(name)[:120]
    clean["name_initials"] = pinyin.initials(name)[:20]
    return clean


def community_lookup():
    """A `community_exists` for clean_elder that asks the database once per code."""
    return lambda code: Region.objects.filter(code=code, level=Level.COMMUNITY).exists()


def _current_values(elder: Elder) -> dict:
    return {name: getattr(elder, name) for name in EDITABLE_FIELDS}


def _clean_contacts(contacts: list[dict]) -> list[dict]:
    errors, clean = {}, []
    for index, contact in enumerate(contacts):
        name = _text(contact, "name", 50)
        relation = _text(contact, "relation", 20) or Relation.OTHER
        if not name:
            errors[f"contacts.{index}.name"] = "必填"
        if relation not in Relation.values:
            relation = {label: value for value, label in Relation.choices}.get(relation)
            if relation is None:
                errors[f"contacts.{index}.relation"] = "未知的关系"
        try:
            phone = phones.normalize(_text(contact, "phone", 30))
            if not phone:
                errors[f"contacts.{index}.phone"] = "必填"
        except phones.InvalidPhone as exc:
            errors[f"contacts.{index}.phone"] = str(exc)
            phone = ""
        try:
            phone_alt = phones.normalize(_text(contact, "phone_alt", 30))
        except phones.InvalidPhone as exc:
            errors[f"contacts.{index}.phone_alt"] = str(exc)
            phone_alt = ""
        clean.append({"name": name, "relation": relation, "phone": phone, "phone_alt": phone_alt,
                      "is_guardian": bool(contact.get("is_guardian"))})  # fmt: skip
    if errors:
        raise FieldErrors(errors)
    return clean


# --- Registration and changes -----------------------------------------------------------------


DUPLICATE_MESSAGE = "该身份证号码已在平台登记，请勿重复登记；如老人已迁入本地，请联系原所在地民政部门办理迁移"


def register_elder(actor: Actor, data: dict, contacts: list[dict] | None = None) -> Elder:
    """Register a new elder; an ID number already on the platform is refused (one record per person).

    The refusal says only that the number is registered, never where, and is written to the audit log
    (outside the registration's transaction, so that it stays): probing numbers leaves a trace."""
    clean = clean_elder(data, community_exists=community_lookup())
    contact_rows = _clean_contacts(contacts or [])
    if ElderIdentity.objects.filter(id_number=clean["id_number"]).exists():
        audit.record(
            actor,
            AuditAction.CREATE_REFUSED,
            object_type=Elder._meta.label_lower,
            object_repr=f"重复登记 {masking.mask_id_number(clean['id_number'])}",
            region_code=clean["region_code"],
        )
        raise Conflict(DUPLICATE_MESSAGE, {"id_number": "已登记"})
    return _create_elder(actor, clean, contact_rows)


@transaction.atomic
def _create_elder(actor: Actor, clean: dict, contact_rows: list[dict], *, action: str = "add") -> Elder:
    elder = Elder.objects.create(**clean)
    try:
        with transaction.atomic():
            ElderIdentity.objects.create(id_number=elder.id_number, elder=elder)
    except IntegrityError:
        raise Conflict(DUPLICATE_MESSAGE, {"id_number": "已登记"}) from None
    ensure_visible(actor.user, elder, action)
    ElderContact.objects.bulk_create(
        [ElderContact(elder=elder, county_code=elder.county_code, **row) for row in contact_rows]
    )
    rollups.record(None, elder)
    audit.record(actor, AuditAction.CREATE, elder, changes=audit.diff({}, _current_values(elder)))
    return elder


# --- A facility admitting the person at its door ------------------------------------------------------

_NAME_DOTS = str.maketrans({"•": "·", "・": "·", ".": "·", "．": "·", "‧": "·"})


def _name_key(name: str) -> str:
    # Registers and facility systems write the middle dot of minority names (阿依古丽·买买提) in many ways.
    return "".join((name or "").split()).translate(_NAME_DOTS)


def find_presented(actor: Actor, id_number: str, name: str) -> Elder | None:
    """The elder registered with this ID number, when the name presented with it is the registered name.

    For a facility admitting a person who shows an ID card: the facility sees only its own residents, so
    this reads outside the caller's scope, and answers only to someone holding both the number and the name.
    No record: None. A record under another name: `NameMismatch` naming `name` (the card at the door shows
    the number is taken anyway). The caller owns the transaction that the refusal rolls back, so it writes
    the refusal to the audit log afterwards (`trace_name_mismatch`): probing numbers leaves a trace."""
    number = idnumber.normalize(id_number)
    identity = ElderIdentity.objects.filter(id_number=number).only("elder_id").first()
    if identity is None:
        return None
    elder = Elder.objects.visible_to(SYSTEM_READER, "view").select_for_update().get(pk=identity.elder_id)
    if _name_key(elder.name) != _name_key(name):
        raise NameMismatch({"name": "与该身份证号码登记的姓名不符，请核对身份证"})
    return elder


class NameMismatch(FieldErrors):
    def __init__(self, fields: dict[str, str]):
        super().__init__(fields)
        self.code = "name_mismatch"


def trace_name_mismatch(actor: Actor, id_number: str, region_code: str) -> None:
    """The audit entry of a refused `find_presented`, in the region of the one who asked."""
    audit.record(
        actor, AuditAction.CREATE_REFUSED, object_type=Elder._meta.label_lower, region_code=region_code,
        object_repr=f"入住核对姓名不符 {masking.mask_id_number(idnumber.normalize(id_number))}",
    )  # fmt: skip


def register_on_admission(actor: Actor, data: dict, facility_id: int) -> Elder:
    """Register a person a facility admits who is on no register yet, by the same rules as any registration
    (one record per person, the ID number decides birth date and sex). The record starts with the facility
    as its current one, so the admitting facility sees it as it sees its residents; the caller's right is the
    admission's, checked by the facilities app before it calls this."""
    clean = clean_elder(data, community_exists=community_lookup())
    clean["facility_id"], clean["living_situation"] = facility_id, LivingSituation.IN_INSTITUTION
    return _create_elder(actor, clean, [], action="view")


@transaction.atomic
def update_elder(actor: Actor, elder_id: int, data: dict, contacts: list[dict] | None = None) -> Elder:
    """Change an elder's record. Fields not given keep their values. A change that would move the
    elder out of the actor's scope (e.g. into another county) is rolled back."""
    elder = get_visible_or_404(Elder.objects.select_for_update(), actor.user, "change", pk=elder_id)
    before = _current_values(elder)
    counted = rollups.snapshot(elder)
    merged = {**before, **{k: v for k, v in data.items() if k in (*EDITABLE_FIELDS, "coord_system")}}
    if "lat" not in data and "coord_system" in merged:
        merged.pop("coord_system")  # stored coordinates are already WGS-84
    merged["categories"] = data.get("categories", elder.categories) or 0
    clean = clean_elder(merged, community_exists=community_lookup())
    if clean["id_number"] != elder.id_number:
        if ElderIdentity.objects.filter(id_number=clean["id_number"]).exclude(elder=elder).exists():
            raise Conflict("该身份证号码已在平台登记", {"id_number": "已登记"})
        ElderIdentity.objects.filter(elder=elder).update(id_number=clean["id_number"])
    for name, value in clean.items():
        setattr(elder, name, value)
    elder.save()
    ensure_visible(actor.user, elder, "change")
    rollups.record(counted, elder)
    if contacts is not None:
        rows = _clean_contacts(contacts)
        elder.contacts.all().delete()
        ElderContact.objects.bulk_create(
            [ElderContact(elder=elder, county_code=elder.county_code, **row) for row in rows]
        )
    changes = audit.diff(before, _current_values(elder))
    if changes or contacts is not None:
        audit.record(actor, AuditAction.UPDATE, elder, changes=changes)
    return elder


# --- Reading: filters, search, masking -----------------------------------------------------------


@dataclass(frozen=True)
class ElderFilter:
    q: str = ""
    region: str = ""
    category: str = ""
    level: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    status: str = ""
    living_situation: str = ""
    # Active elders whose next capability assessment falls within ASSESSMENT_DUE_DAYS days or is past.
    due: bool = False


# How far ahead an assessment counts as due (the officer's to-do and the list filter).
ASSESSMENT_DUE_DAYS = 30


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def search_q(q: str, user=None) -> Q:
    """What a search box string matches: ID number, phone, pinyin initials or full pinyin, or name.

    ID numbers and phones are matched only on the rows `user` may see in full (when a user is given):
    on a masked row, a search that answers "found" or "not found" would let the hidden digits be
    guessed one query at a time, undoing the mask."""
    text = q.strip().replace(" ", "")
    if not text:
        return Q()
    if len(text) == 18 and text[:17].isdigit():
        return _revealable(Q(id_number=text.upper()), user)
    if text.isdigit():
        return _revealable(Q(phone__startswith=text) if len(text) >= 7 else Q(id_number__endswith=text), user)
    if text.isascii() and text.isalpha():
        low = text.lower()
        return Q(name_initials__startswith=low) | Q(name_pinyin__startswith=low)
    return Q(name__startswith=text) if len(text) == 1 else Q(name__contains=text)


def _revealable(condition: Q, user) -> Q:
    if user is None:
        return condition
    scope = scope_condition(user, Elder, Elder.sensitive.permission)
    return condition if scope is None else condition & scope


def filter_elders(queryset, f: ElderFilter, *, today: date | None = None, user=None):
    """`user`: the reader, whose right to see rows in full limits searching by ID number and phone."""
    today = today or timezone.localdate()
    if f.q:
        queryset = queryset.filter(search_q(f.q, user))
    if f.region:
        try:
            queryset = queryset.filter(region_range_q("region_code", normalize(f.region)))
        except InvalidRegionCode as exc:
            raise FieldErrors({"region": str(exc)}) from None
    if f.category:
        if f.category not in categories.BY_CODE:
            raise FieldErrors({"category": f"未知的老人类别：{f.category}"})
        queryset = categories.has_category_q(queryset, f.category)
    if f.level is not None:
        queryset = queryset.filter(capability_level=f.level)
    if f.age_min is not None:
        queryset = queryset.filter(birth_date__lte=_years_before(today, f.age_min))
    if f.age_max is not None:
        queryset = queryset.filter(birth_date__gt=_years_before(today, f.age_max + 1))
    if f.status:
        queryset = queryset.filter(status=f.status)
    if f.living_situation:
        queryset = queryset.filter(living_situation=f.living_situation)
    if f.due:
        queryset = queryset.filter(
            status=Status.ACTIVE, assessment_due__lte=today + timedelta(days=ASSESSMENT_DUE_DAYS)
        )
    return queryset


def age(elder: Elder, today: date | None = None) -> int:
    return idnumber.age_on(elder.birth_date, today or timezone.localdate())


# --- Capability assessment ---------------------------------------------------------------------


@transaction.atomic
def record_assessment(actor: Actor, elder_id: int, data: dict) -> Assessment:
    """Record a GB/T 42195-2022 assessment; the newest one by date becomes the elder's current level."""
    elder = get_visible_or_404(Elder.objects.select_for_update(), actor.user, "view", pk=elder_id)
    if not Elder.objects.visible_to(actor.user, "elders.add_assessment").filter(pk=elder.pk).exists():
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    errors: dict[str, str] = {}
    assessed_on = _date(data.get("assessed_on"), errors, "assessed_on")
    today = timezone.localdate()
    if assessed_on is None and "assessed_on" not in errors:
        errors["assessed_on"] = "必填"
    elif assessed_on and assessed_on > today:
        errors["assessed_on"] = "评估日期不能晚于今天"
    elif assessed_on and assessed_on < elder.birth_date:
        errors["assessed_on"] = "评估日期不能早于出生日期"
    reason = _text(data, "reason", 10) or AssessmentReason.ROUTINE
    if reason not in AssessmentReason.values:
        errors["reason"] = "未知的评估原因"
    assessors = [_text(data, "assessor_1", 50), _text(data, "assessor_2", 50)]
    for index, name in enumerate(assessors, start=1):
        if not name:
            errors[f"assessor_{index}"] = "每次评估须有两名评估员"
    if assessors[0] and assessors[0] == assessors[1]:
        errors["assessor_2"] = "两名评估员不能是同一人"
    flags = {name: bool(data.get(name)) for name in ("coma", "dementia", "mental_disorder")}
    risk_events = data.get("risk_events") or {}
    try:
        result = rules.evaluate(data.get("scores") or {}, risk_events=risk_events, **flags)
    except FieldErrors as exc:
        errors.update({f"scores.{code}" if code.startswith("B.") else code: r for code, r in exc.fields.items()})
    if errors:
        raise FieldErrors(errors)
    periodlocks.refuse_if_locked(elder.county_code, [assessed_on], "能力评估")
    months = settings.ASSESSMENT_REVIEW_MONTHS
    due_month = assessed_on.month - 1 + months
    next_due = _safe_date(assessed_on.year + due_month // 12, due_month % 12 + 1, assessed_on.day)
    record = Assessment.objects.create(
        elder=elder,
        region_code=elder.region_code,
        county_code=elder.county_code,
        standard=rules.STANDARD,
        assessed_on=assessed_on,
        reason=reason,
        assessor_1=assessors[0],
        assessor_2=assessors[1],
        scores={code: int(value) for code, value in (data.get("scores") or {}).items()},
        risk_events={k: int(v) for k, v in risk_events.items()},
        self_care=result.self_care,
        mobility=result.mobility,
        mental=result.mental,
        perception=result.perception,
        total=result.total,
        preliminary_level=result.preliminary_level,
        final_level=result.final_level,
        level_changes=result.level_changes,
        next_due=next_due,
        created_by=actor.db_user,
        **flags,
    )
    if elder.assessed_on is None or assessed_on >= elder.assessed_on:
        counted = rollups.snapshot(elder)
        before = {"capability_level": elder.capability_level, "assessed_on": elder.assessed_on}
        elder.capability_level, elder.assessed_on, elder.assessment_due = result.final_level, assessed_on, next_due
        elder.save(update_fields=["capability_level", "assessed_on", "assessment_due", "updated_at"])
        rollups.record(counted, elder)
        after = {"capability_level": elder.capability_level, "assessed_on": elder.assessed_on}
    else:
        before = after = {}
    audit.record(
        actor,
        AuditAction.CREATE,
        record,
        object_repr=f"{elder.name} 能力评估 {assessed_on}",
        changes={"total": [None, result.total], "final_level": [None, result.final_level], **audit.diff(before, after)},
    )
    return record


def _safe_date(year: int, month: int, day: int) -> date:
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


# --- Export ------------------------------------------------------------------------------------

EXPORT_HEADERS = [
    "姓名",
    "性别",
    "出生日期（屏蔽时为出生年份）",
    "年龄",
    "公民身份号码",
    "联系电话",
    "居住地址",
    "所属社区代码",
    "居住情况",
    "特殊类别",
    "能力等级",
    "最近评估日期",
    "状态",
]


def export_elders(actor: Actor, queryset, *, reveal: bool = False, description: str = ""):
    """Write the (already scoped and filtered) elders to .xlsx. Sensitive columns stay masked unless
    `reveal` is asked for, and then only on rows whose scope grants it. Returns an open binary file."""
    exportable = masking.with_may_reveal(queryset.visible_to(actor.user, "export"), actor.user).order_by(
        "region_code", "id"
    )
    today = timezone.localdate()
    count = 0

    def rows():
        nonlocal count
        for elder in exportable.iterator(chunk_size=2000):
            count += 1
            shown = masking.export_values(elder, reveal=reveal, fields=("id_number", "phone", "address"))
            # Beside a masked ID number, the birth year only (see core.masking).
            full = reveal and getattr(elder, "may_reveal", False)
            yield [
                elder.name,
                elder.get_sex_display(),
                elder.birth_date.isoformat() if full else str(elder.birth_date.year),
                idnumber.age_on(elder.birth_date, today),
                shown["id_number"],
                shown["phone"],
                shown["address"],
                elder.region_code,
                elder.get_living_situation_display(),
                "、".join(categories.to_labels(elder.categories)),
                elder.get_capability_level_display() or "",
                elder.assessed_on.isoformat() if elder.assessed_on else "",
                elder.get_status_display(),
            ]

    handle = write_xlsx(EXPORT_HEADERS, rows(), sheet_name="老年人")
    audit.record(
        actor,
        AuditAction.EXPORT,
        object_type="elders.elder",
        object_repr=f"导出老年人 {count} 条{'（含完整敏感信息）' if reveal else ''}",
        changes={"filter": description, "rows": count, "unmasked": reveal},
    )
    return handle


def counts_by_child_region(queryset, code: str) -> dict[str, int]:
    """{child region code: number of elders} under region `code`, grouped by the code's prefix of the
    next level (DESIGN.md §3); `queryset` is already scoped."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    from yiyang.core.regioncodes import PREFIX_LENGTH

    level = level_of(code)
    if level == Level.COMMUNITY:
        return {code: queryset.filter(region_code=code).count()}
    width = PREFIX_LENGTH[Level(level + 1)]
    rows = (
        queryset.filter(region_range_q("region_code", code))
        .annotate(child=Substr("region_code", 1, width))
        .values("child")
        .annotate(n=Count("region_code"))
        .order_by("child")
    )
    return {row["child"].ljust(12, "0"): row["n"] for row in rows}
