"""Facility registry operations: validation, registration, changes, residents, filters, export."""

import re
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from yiyang.core import audit, coords, dates, periodlocks, phones
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.exports import write_xlsx
from yiyang.core.regioncodes import InvalidRegionCode, Level, county_of, level_of, normalize, region_range_q
from yiyang.core.scoping import ensure_visible, get_visible_or_404, region_predicate
from yiyang.elders import services as elder_services
from yiyang.elders.models import Elder, LivingSituation
from yiyang.regions.models import Region

from .models import Facility, FacilityCode, FacilityStatus, FacilityType, OperationModel, Residence, Service
from .signals import facilities_changed

EDITABLE_FIELDS = (
    "code",
    "name",
    "facility_type",
    "operation_model",
    "region_code",
    "address",
    "lat",
    "lng",
    "phone",
    "contact_person",
    "opening_hours",
    "services",
    "monthly_fee_min",
    "monthly_fee_max",
    "beds_total",
    "beds_nursing",
    "beds_occupied",
    "star_rating",
    "status",
    "established_on",
    "description",
    "is_published",
)
# Facts the bureau registers; a facility's own manager may keep everything else current.
BUREAU_FIELDS = ("code", "region_code", "facility_type", "operation_model", "star_rating", "status")
MAX_BEDS = 20_000  # larger than any single institution in China; catches typos such as an extra zero


def _by_value_or_label(choices_cls, text: str):
    text = (text or "").strip()
    if text in choices_cls.values:
        return text
    return {label: value for value, label in choices_cls.choices}.get(text)


def _int(data: dict, name: str, errors: dict, *, low: int = 0, high: int | None = None) -> int | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
        if isinstance(value, float) and value != int(value):
            raise ValueError
    except (TypeError, ValueError):
        errors[name] = "应为整数"
        return None
    if number < low or (high is not None and number > high):
        errors[name] = f"应在 {low} 到 {high} 之间" if high is not None else f"不能小于 {low}"
        return None
    return number


def _yuan_to_fen(data: dict, name: str, errors: dict) -> int | None:
    """Fees are typed in yuan (元) and stored in fen (分), never as floats."""
    from decimal import Decimal, InvalidOperation

    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        errors[name] = "应为金额（元）"
        return None
    if amount < 0 or amount > 1_000_000:
        errors[name] = "金额应在 0 到 1,000,000 元之间"
        return None
    return int((amount * 100).to_integral_value())


def clean_facility(data: dict, *, region_exists) -> dict:
    """Validate a facility's data; returns model values or raises FieldErrors naming every bad field.
    Fees arrive in yuan as `monthly_fee_min_yuan` / `monthly_fee_max_yuan`, or in fen as the model fields."""
    errors: dict[str, str] = {}
    clean: dict = {}
    for name, limit in (("code", 32), ("name", 100), ("address", 200)):
        clean[name] = str(data.get(name) or "").strip()[:limit]
        if not clean[name]:
            errors[name] = "必填"
    for name, choices in (("facility_type", FacilityType), ("operation_model", OperationModel)):
        clean[name] = _by_value_or_label(choices, str(data.get(name) or ""))
        if not clean[name]:
            errors[name] = "必填" if not data.get(name) else _not_allowed(data.get(name), choices)
    clean["status"] = _by_value_or_label(FacilityStatus, str(data.get("status") or FacilityStatus.OPERATING))
    if not clean["status"]:
        errors["status"] = _not_allowed(data.get("status"), FacilityStatus)
    try:
        code = normalize(str(data.get("region_code") or "").strip())
        if level_of(code) < Level.STREET:
            errors["region_code"] = "应为街道（乡镇）或社区（村）级区划代码"
        elif not region_exists(code):
            errors["region_code"] = f"区划代码 {code} 不存在"
        else:
            clean["region_code"], clean["county_code"] = code, county_of(code)
    except InvalidRegionCode as exc:
        errors["region_code"] = "必填" if not data.get("region_code") else str(exc)
    lat, lng = data.get("lat"), data.get("lng")
    clean["lat"] = clean["lng"] = None
    if lat not in (None, "") or lng not in (None, ""):
        try:
            clean["lat"], clean["lng"] = coords.to_wgs84(
                float(lat), float(lng), str(data.get("coord_system") or coords.WGS84)
            )
        except (TypeError, ValueError) as exc:
            errors["lat"] = str(exc) if isinstance(exc, coords.InvalidCoordinates) else "纬度和经度应同时填写为数字"
    try:
        clean["phone"] = phones.normalize(str(data.get("phone") or ""))
    except phones.InvalidPhone as exc:
        errors["phone"] = str(exc)
    for name, limit in (("contact_person", 50), ("opening_hours", 100), ("description", 4000)):
        clean[name] = str(data.get(name) or "").strip()[:limit]
    services = data.get("services") or []
    if isinstance(services, str):
        services = [s for s in re.split(r"[,，、;；/／\s]+", services) if s.strip()]
    clean["services"] = []
    for item in services:
        value = _by_value_or_label(Service, str(item))
        if value is None:
            errors["services"] = f"未知的服务项目：{item}（可填：{'、'.join(Service.labels)}）"
        elif value not in clean["services"]:
            clean["services"].append(value)
    for name in ("monthly_fee_min", "monthly_fee_max"):
        clean[name] = (
            _yuan_to_fen(data, f"{name}_yuan", errors)
            if data.get(f"{name}_yuan") not in (None, "")
            else _int(data, name, errors, high=100_000_000)
        )
    if (clean["monthly_fee_min"] or 0) > (clean["monthly_fee_max"] or clean["monthly_fee_min"] or 0):
        errors["monthly_fee_max"] = "月收费上限不能低于下限"
    for name in ("beds_total", "beds_nursing", "beds_occupied"):
        clean[name] = _int(data, name, errors, high=MAX_BEDS) or 0
    if "beds_nursing" not in errors and clean["beds_nursing"] > clean["beds_total"]:
        errors["beds_nursing"] = "护理型床位不能多于床位总数"
    if "beds_occupied" not in errors and clean["beds_occupied"] > clean["beds_total"]:
        errors["beds_occupied"] = "在住人数不能多于床位总数"
    clean["star_rating"] = _int(data, "star_rating", errors, high=5) or 0
    established = data.get("established_on")
    clean["established_on"] = None
    if established not in (None, ""):
        try:
            clean["established_on"] = dates.parse(established)
            if clean["established_on"] > timezone.localdate():
                errors["established_on"] = "开业日期不能晚于今天"
        except ValueError:
            errors["established_on"] = "日期格式应为 YYYY-MM-DD"
    clean["is_published"] = data.get("is_published", True) not in (False, "false", "0", "否", 0)
    if errors:
        raise FieldErrors(errors)
    return clean


def _not_allowed(value, choices) -> str:
    return f"不是可选值之一：{value}（可填：{'、'.join(str(label) for label in choices.labels)}）"


def region_lookup():
    return lambda code: Region.objects.filter(code=code).exists()


# Said without naming where the code is used: a facility code is no secret, but which county holds
# it is not this user's business; the bureau resolves a clash.
CODE_TAKEN = "该机构编码已被平台上的其他机构使用，请核对编码；如确属同一机构，请联系民政部门处理"


def _claim_code(facility: Facility) -> None:
    """Register the facility's code platform-wide, inside the caller's transaction."""
    try:
        with transaction.atomic():
            FacilityCode.objects.create(code=facility.code, facility=facility)
    except IntegrityError:
        raise Conflict(CODE_TAKEN, {"code": "编码已被使用"}) from None


def _values(facility: Facility) -> dict:
    return {name: getattr(facility, name) for name in EDITABLE_FIELDS}


@transaction.atomic
def register_facility(actor: Actor, data: dict) -> Facility:
    clean = clean_facility(data, region_exists=region_lookup())
    if FacilityCode.objects.filter(code=clean["code"]).exists():
        raise Conflict(CODE_TAKEN, {"code": "编码已被使用"})
    facility = Facility.objects.create(**clean)
    _claim_code(facility)
    ensure_visible(actor.user, facility, "add")
    audit.record(actor, AuditAction.CREATE, facility, changes=audit.diff({}, _values(facility)))
    announce_change([(facility.lat, facility.lng)])
    return facility


@transaction.atomic
def update_facility(actor: Actor, facility_id: int, data: dict) -> Facility:
    facility = get_visible_or_404(Facility.objects.select_for_update(), actor.user, "change", pk=facility_id)
    before = _values(facility)
    clean = clean_facility({**before, **data}, region_exists=region_lookup())
    if not region_predicate(actor.user, Facility, "change")(facility.region_code):
        locked = {name: "只有民政部门可以修改" for name in BUREAU_FIELDS if clean[name] != before[name]}
        if locked:
            raise FieldErrors(locked)
    code_changed = clean["code"] != facility.code
    if code_changed and FacilityCode.objects.filter(code=clean["code"]).exists():
        raise Conflict(CODE_TAKEN, {"code": "编码已被使用"})
    for name, value in clean.items():
        setattr(facility, name, value)
    facility.save()
    if code_changed:
        FacilityCode.objects.filter(facility=facility).delete()
        _claim_code(facility)
    ensure_visible(actor.user, facility, "change")
    if changes := audit.diff(before, _values(facility)):
        audit.record(actor, AuditAction.UPDATE, facility, changes=changes)
        announce_change([(before["lat"], before["lng"]), (facility.lat, facility.lng)])
    return facility


def announce_change(places: list[tuple]) -> None:
    """Tell listeners (e.g. the service-circle coverage) which places changed, after commit."""
    points = [(lat, lng) for lat, lng in places if lat is not None and lng is not None]
    if points:
        transaction.on_commit(lambda: facilities_changed.send(sender=Facility, places=points))


# --- Residents ---------------------------------------------------------------------------------


@transaction.atomic
def admit(actor: Actor, facility_id: int, elder_id: int, admitted_on: date, bed_number: str = "") -> Residence:
    """Record an elder moving into a facility. Both must lie in the actor's scope."""
    facility = get_visible_or_404(
        Facility.objects.select_for_update(), actor.user, "facilities.add_residence", pk=facility_id
    )
    elder = get_visible_or_404(Elder.objects.select_for_update(), actor.user, "view", pk=elder_id)
    return _admit(actor, facility, elder, admitted_on, bed_number)


@transaction.atomic
def admit_presented(actor: Actor, facility_id: int, person: dict, admitted_on: date, bed_number: str = "") -> Residence:
    """A facility admits the person at its door by the ID number and name on their card.

    A facility sees only its residents, so it cannot pick a newcomer from the register as an officer does.
    It presents the number and the name instead: a registered elder is admitted when the name matches (the
    register's record, as it stands, is not changed); a person on no register is registered from `person`
    (name, ID number, household community `region_code`, by default the facility's, `phone`) and admitted.
    Either way the facility then sees the elder as its resident, and the county's officers see both."""
    facility = get_visible_or_404(
        Facility.objects.select_for_update(), actor.user, "facilities.add_residence", pk=facility_id
    )
    elder = elder_services.find_presented(actor, person.get("id_number") or "", person.get("name") or "")
    if elder is None:
        data = {**person, "region_code": person.get("region_code") or facility.region_code}
        elder = elder_services.register_on_admission(actor, data, facility.pk)
    return _admit(actor, facility, elder, admitted_on, bed_number)


def _admit(actor: Actor, facility: Facility, elder: Elder, admitted_on: date, bed_number: str) -> Residence:
    if elder.status != "active":
        raise FieldErrors({"elder_id": "该老人不是在册状态"})
    if admitted_on > timezone.localdate():
        raise FieldErrors({"admitted_on": "入住日期不能晚于今天"})
    periodlocks.refuse_if_locked(facility.county_code, [admitted_on], "入住")
    if Residence.objects.filter(elder=elder, left_on__isnull=True).exists():
        raise Conflict("该老人已在其他机构入住，请先办理离开", {"elder_id": "已入住"})
    if not facility.beds_total:
        raise Conflict("该机构没有登记床位，不能办理入住", {"facility_id": "没有床位"})
    if facility.beds_occupied >= facility.beds_total:
        raise Conflict("该机构床位已满", {"facility_id": "床位已满"})
    residence = Residence.objects.create(
        facility=facility,
        elder=elder,
        region_code=facility.region_code,
        county_code=facility.county_code,
        bed_number=bed_number.strip()[:20],
        admitted_on=admitted_on,
    )
    Facility.objects.filter(pk=facility.pk).update(beds_occupied=F("beds_occupied") + 1)
    Elder.objects.filter(pk=elder.pk).update(facility_id=facility.pk, living_situation=LivingSituation.IN_INSTITUTION)
    audit.record(actor, AuditAction.CREATE, residence, object_repr=f"{elder.name} 入住 {facility.name}")
    return residence


@transaction.atomic
def discharge(actor: Actor, residence_id: int, left_on: date) -> Residence:
    residence = get_visible_or_404(
        Residence.objects.select_for_update().select_related("facility", "elder"),
        actor.user,
        "change",
        pk=residence_id,
    )
    if residence.left_on is not None:
        raise Conflict("该入住记录已办理离开", {"left_on": "已离开"})
    if left_on < residence.admitted_on or left_on > timezone.localdate():
        raise FieldErrors({"left_on": "离开日期应在入住日期与今天之间"})
    periodlocks.refuse_if_locked(residence.county_code, [left_on], "离开")
    residence.left_on = left_on
    residence.save(update_fields=["left_on"])
    Facility.objects.filter(pk=residence.facility_id, beds_occupied__gt=0).update(beds_occupied=F("beds_occupied") - 1)
    Elder.objects.filter(pk=residence.elder_id, facility_id=residence.facility_id).update(facility_id=None)
    audit.record(actor, AuditAction.UPDATE, residence, changes={"left_on": [None, left_on.isoformat()]})
    return residence


# --- Reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacilityFilter:
    q: str = ""
    region: str = ""
    facility_type: str = ""
    operation_model: str = ""
    status: str = ""
    star_min: int | None = None
    has_vacancy: bool | None = None


def filter_facilities(queryset, f: FacilityFilter):
    if f.q:
        text = f.q.strip()
        if text.isascii() and text.isalpha():
            queryset = queryset.filter(Q(code__istartswith=text) | Q(name__contains=text))
        else:
            queryset = queryset.filter(Q(name__contains=text) | Q(code=text) | Q(address__contains=text))
    if f.region:
        try:
            queryset = queryset.filter(region_range_q("region_code", normalize(f.region)))
        except InvalidRegionCode as exc:
            raise FieldErrors({"region": str(exc)}) from None
    for name, choices in (
        ("facility_type", FacilityType),
        ("operation_model", OperationModel),
        ("status", FacilityStatus),
    ):
        value = getattr(f, name)
        if value:
            if value not in choices.values:
                raise FieldErrors({name: f"不是可选值之一：{value}"})
            queryset = queryset.filter(**{name: value})
    if f.star_min is not None:
        queryset = queryset.filter(star_rating__gte=f.star_min)
    if f.has_vacancy:
        queryset = queryset.filter(beds_occupied__lt=F("beds_total"))
    return queryset


EXPORT_HEADERS = [
    "机构编码",
    "机构名称",
    "机构类型",
    "运营模式",
    "所属区划代码",
    "地址",
    "联系电话",
    "床位总数",
    "护理型床位",
    "在住人数",
    "星级",
    "状态",
]


def export_facilities(actor: Actor, queryset, description: str = ""):
    exportable = queryset.visible_to(actor.user, "export").order_by("region_code", "id")
    count = 0

    def rows():
        nonlocal count
        for f in exportable.iterator(chunk_size=2000):
            count += 1
            yield [
                f.code,
                f.name,
                f.get_facility_type_display(),
                f.get_operation_model_display(),
                f.region_code,
                f.address,
                f.phone,
                f.beds_total,
                f.beds_nursing,
                f.beds_occupied,
                f.star_rating,
                f.get_status_display(),
            ]

    handle = write_xlsx(EXPORT_HEADERS, rows(), sheet_name="养老服务机构")
    audit.record(
        actor,
        AuditAction.EXPORT,
        object_type="facilities.facility",
        object_repr=f"导出养老服务机构 {count} 条",
        changes={"filter": description, "rows": count},
    )
    return handle


def own_facility(user, action: str) -> Facility:
    """The facility a facility-scoped user works for, for pages that send them from a region's list
    to their own facility's page; 403 when they have none for `action`."""
    from django.core.exceptions import PermissionDenied

    facility = Facility.objects.visible_to(user, action).order_by("id").first()
    if facility is None:
        raise PermissionDenied
    return facility
