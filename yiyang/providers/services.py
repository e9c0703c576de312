"""Registering providers and their people: the provider rows, the people of facilities and providers,
their certificates and training records, and which of them are employed or on duty.

Every write checks the row against the acting user's scope inside its transaction; every refused input
names the field with a Chinese reason.
"""

import datetime
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from yiyang.core import audit, masking, phones
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.regioncodes import InvalidRegionCode, contains, county_of, normalize, region_range_q
from yiyang.core.scoping import ensure_visible, get_for_action, get_visible_or_404
from yiyang.facilities.models import Facility
from yiyang.regions.models import Region

from .models import Attendance, Certificate, CertificateKind, Education, Provider, Staff, StaffRole, TrainingClass

__all__ = [
    "add_caregiver_training",
    "add_certificate",
    "add_staff",
    "caregiver_trainings",
    "change_staff",
    "create_training",
    "current",
    "eligible_attendees",
    "may_reveal_phone",
    "on_duty",
    "phone_for",
    "record_attendance",
    "save_caregiver",
    "save_provider",
    "training_hours",
]

# Which staff role a certificate kind belongs to: a nurse's licence on a carer is a data-entry slip.
CERTIFICATE_ROLE = {
    CertificateKind.CARER: StaffRole.CARER,
    CertificateKind.NURSE: StaffRole.NURSE,
    CertificateKind.DOCTOR: StaffRole.DOCTOR,
    CertificateKind.SOCIAL_WORKER: StaffRole.SOCIAL_WORKER,
}
MAX_TRAINING_HOURS = Decimal("2000")


# --- Field checks --------------------------------------------------------------------------------


def region_field(value, field: str, errors: dict) -> str | None:
    """A registered region code from a form field, or None with the reason in `errors[field]`."""
    try:
        code = normalize(str(value or ""))
    except InvalidRegionCode as exc:
        errors[field] = "必填" if not value else str(exc)
        return None
    if not Region.objects.filter(code=code).exists():
        errors[field] = f"区划代码 {code} 不存在"
        return None
    return code


def int_field(value, field: str, errors: dict, low: int, high: int, *, optional: bool = False) -> int | None:
    """An integer within [low, high] from a form field, or None with the reason in `errors[field]`."""
    if value in (None, "") and optional:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = "应为整数"
        return None
    if not low <= number <= high:
        errors[field] = f"应在 {low} 到 {high} 之间"
    return number


def _time(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.time):
        return value
    try:
        return datetime.time.fromisoformat(str(value))
    except ValueError:
        errors[field] = "应为时间，如 08:00"
        return None


def _locked(actor: Actor, model, pk, permission: str):
    """The row for a write: read access first (404 outside the scope), then the right to act (403
    inside it), then the row locked."""
    row = get_visible_or_404(model.objects, actor.user, "view", pk=pk)
    if not model.objects.visible_to(actor.user, permission).filter(pk=row.pk).exists():
        raise PermissionDenied
    return model.objects.select_for_update().get(pk=row.pk)


def _date(value, name: str, errors: dict, *, required: bool) -> date | None:
    if value in (None, ""):
        if required:
            errors[name] = "请填写日期"
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = "应为日期（YYYY-MM-DD）"
        return None


def _text(data: dict, name: str, errors: dict, *, limit: int, required: bool, label: str) -> str:
    value = str(data.get(name) or "").strip()
    if required and not value:
        errors[name] = f"请填写{label}"
    elif len(value) > limit:
        errors[name] = f"{label}不能超过 {limit} 个字"
    return value


def _hours(value, name: str, errors: dict) -> Decimal | None:
    """Hours with at most one decimal, above zero."""
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[name] = "学时应为数字"
        return None
    if not hours.is_finite() or hours <= 0 or hours > MAX_TRAINING_HOURS:
        errors[name] = f"学时应大于 0 且不超过 {MAX_TRAINING_HOURS}"
        return None
    if hours != hours.quantize(Decimal("0.1")):
        errors[name] = "学时最多保留一位小数"
        return None
    return hours


# --- Providers -----------------------------------------------------------------------------------


@transaction.atomic
def save_provider(actor: Actor, data: dict, provider_id: int | None = None) -> Provider:
    errors: dict[str, str] = {}
    provider = get_visible_or_404(Provider.objects, actor.user, "change", pk=provider_id) if provider_id else Provider()
    name = str(data.get("name", provider.name) or "").strip()[:100]
    if not name:
        errors["name"] = "必填"
    region = region_field(data.get("region_code", provider.region_code), "region_code", errors)
    areas = [
        region_field(code, "service_regions", errors) for code in data.get("service_regions", provider.service_regions)
    ]
    if not areas:
        errors["service_regions"] = "至少选择一个服务区域"
    try:
        phone = phones.normalize(str(data.get("phone", provider.phone) or ""))
    except phones.InvalidPhone as exc:
        errors["phone"] = str(exc)
    if errors:
        raise FieldErrors(errors)
    provider.name, provider.region_code, provider.county_code = name, region, county_of(region)
    provider.service_regions, provider.phone = areas, phone
    provider.service_items = [str(c) for c in data.get("service_items", provider.service_items)]
    provider.is_active = bool(data.get("is_active", provider.is_active if provider.pk else True))
    provider.save()
    ensure_visible(actor.user, provider, "change" if provider_id else "add")
    audit.record(actor, AuditAction.UPDATE if provider_id else AuditAction.CREATE, provider)
    return provider


# --- People of providers: working area and hours ---------------------------------------------------


def _working_hours(data: dict, caregiver: Staff, provider: Provider, errors: dict) -> tuple:
    """Working area (inside the provider's service area), weekdays 1-7 and daily hours."""
    regions = []
    for raw in data.get("work_regions", caregiver.work_regions) or []:
        if code := region_field(raw, "work_regions", errors):
            if not any(contains(area, code) for area in provider.service_regions):
                errors["work_regions"] = f"区划 {code} 不在服务商的服务区域内"
            regions.append(code)
    days = data.get("work_days", caregiver.work_days) or []
    if not isinstance(days, list) or any(not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        errors["work_days"] = "工作日应为 1（周一）到 7（周日）"
        days = []
    start = _time(data.get("work_start", caregiver.work_start), "work_start", errors)
    end = _time(data.get("work_end", caregiver.work_end), "work_end", errors)
    if (start is None) != (end is None):
        errors["work_end" if end is None else "work_start"] = "上班和下班时间应同时填写，或都不填（不限时段）"
    elif start and end and start >= end:
        errors["work_end"] = "下班时间应晚于上班时间"
    return sorted(set(regions)), sorted(set(days)), start, end


# --- Home-care caregivers ------------------------------------------------------------------------


def _sync_carer_certificate(staff: Staff, level: int | None, number: str) -> None:
    """The caregiver form edits the person's main carer certificate (level and number): create it,
    change it, or remove it when both are cleared; then refresh the person's best level."""
    main = staff.carer_certificate
    if main is None and (level is not None or number):
        Certificate.objects.create(staff=staff, county_code=staff.county_code, kind=CertificateKind.CARER,
                                   level=level, number=number)  # fmt: skip
    elif main is not None and level is None and not number:
        main.delete()
    elif main is not None and (main.level, main.number) != (level, number):
        main.level, main.number = level, number
        main.save(update_fields=["level", "number"])
    refresh_skill_level(staff)


def refresh_skill_level(staff: Staff) -> None:
    """Keep `Staff.skill_level` equal to the best (lowest) carer level among the person's certificates."""
    levels = [c.level for c in Certificate.objects.filter(staff=staff, kind=CertificateKind.CARER) if c.level]
    best = min(levels, default=None)
    if staff.skill_level != best:
        staff.skill_level = best
        staff.save(update_fields=["skill_level", "updated_at"])
    if hasattr(staff, "_prefetched_objects_cache"):
        staff._prefetched_objects_cache.pop("certificates", None)


@transaction.atomic
def save_caregiver(actor: Actor, provider_id: int, data: dict, caregiver_id: int | None = None) -> Staff:
    """Register or change a caregiver (a carer of a provider) with their home-care duty roster. Only the
    provider keeps the roster: the permissions are `providers.add_caregiver` and `providers.change_caregiver`,
    apart from the workforce register's `providers.add_staff`."""
    provider = get_visible_or_404(Provider.objects, actor.user, "view", pk=provider_id)
    caregiver = (
        get_visible_or_404(Staff.objects, actor.user, "providers.change_caregiver", pk=caregiver_id, provider=provider)
        if caregiver_id
        else Staff(provider=provider, region_code=provider.region_code, county_code=provider.county_code,
                   role=StaffRole.CARER)
    )  # fmt: skip
    errors: dict[str, str] = {}
    name = str(data.get("name", caregiver.name) or "").strip()[:50]
    if not name:
        errors["name"] = "必填"
    try:
        phone = phones.normalize(str(data.get("phone", caregiver.phone) or ""))
        if not phone:
            errors["phone"] = "必填"
    except phones.InvalidPhone as exc:
        errors["phone"] = str(exc)
    level = int_field(data.get("skill_level", caregiver.skill_level), "skill_level", errors, 1, 5, optional=True)
    number = str(data.get("certificate_no", caregiver.certificate_no if caregiver.pk else "") or "").strip()[:40]
    hours = _working_hours(data, caregiver, provider, errors)
    if errors:
        raise FieldErrors(errors)
    caregiver.name, caregiver.phone = name, phone
    caregiver.work_regions, caregiver.work_days, caregiver.work_start, caregiver.work_end = hours
    caregiver.is_active = bool(data.get("is_active", caregiver.is_active if caregiver.pk else True))
    caregiver.save()
    try:
        with transaction.atomic():
            _sync_carer_certificate(caregiver, level, number)
    except IntegrityError:
        raise FieldErrors({"certificate_no": "该证书编号已登记"}) from None
    ensure_visible(actor.user, caregiver, "providers.change_caregiver" if caregiver_id else "providers.add_caregiver")
    audit.record(actor, AuditAction.UPDATE if caregiver_id else AuditAction.CREATE, caregiver)
    return caregiver


@transaction.atomic
def add_caregiver_training(actor: Actor, caregiver_id: int, data: dict) -> Attendance:
    """Record a course a caregiver attended: a one-person class of the provider, with the hours and
    the completion certificate on the attendance."""
    caregiver = get_for_action(Staff.objects, actor.user, "providers.add_attendance", pk=caregiver_id)
    errors: dict[str, str] = {}
    topic = str(data.get("topic", "")).strip()[:100]
    if not topic:
        errors["topic"] = "必填"
    trained_on = data.get("trained_on")
    if not isinstance(trained_on, datetime.date):
        try:
            trained_on = datetime.date.fromisoformat(str(trained_on))
        except ValueError:
            errors["trained_on"] = "应为日期，如 2026-10-01"
    if isinstance(trained_on, datetime.date) and trained_on > timezone.localdate():
        errors["trained_on"] = "培训日期不能晚于今天"
    try:
        hours = Decimal(str(data.get("hours", "")))
        if not Decimal("0.5") <= hours <= Decimal("500"):
            errors["hours"] = "学时应在 0.5 到 500 之间"
    except InvalidOperation:
        errors["hours"] = "应为数字"
    if errors:
        raise FieldErrors(errors)
    hours = hours.quantize(Decimal("0.1"))
    training = TrainingClass.objects.create(
        region_code=caregiver.region_code, county_code=caregiver.county_code, provider_id=caregiver.provider_id,
        organiser=str(data.get("organiser", "")).strip()[:100], topic=topic, starts_on=trained_on,
        ends_on=trained_on, hours=hours, created_by=actor.db_user,
    )  # fmt: skip
    attendance = Attendance.objects.create(
        training=training, staff=caregiver, county_code=caregiver.county_code, hours=hours,
        certificate_no=str(data.get("certificate_no", "")).strip()[:40],
    )  # fmt: skip
    audit.record(actor, AuditAction.CREATE, attendance, object_repr=f"{caregiver.name} {topic}")
    return attendance


def caregiver_trainings(caregiver: Staff):
    """A person's training records, newest first (the caregiver page and API)."""
    return caregiver.attendance.select_related("training").order_by("-training__starts_on", "-id")


def on_duty(queryset):
    """People who can take orders now: on duty (在岗) and not left."""
    today = timezone.localdate()
    return queryset.filter(Q(left_on__isnull=True) | Q(left_on__gt=today), is_active=True)


# --- Staff ---------------------------------------------------------------------------------------

STAFF_FIELDS = ("name", "role", "is_director", "phone", "education", "hired_on", "left_on", "is_full_time",
                "trained_junior_standard")  # fmt: skip


def _clean_staff(data: dict, current: Staff | None = None) -> dict:
    """Checked values of the given fields; with `current`, a partial change (absent fields keep theirs)."""
    errors: dict[str, str] = {}
    clean: dict = {}
    given = set(data) & set(STAFF_FIELDS) if current else set(STAFF_FIELDS)
    if "name" in given:
        clean["name"] = _text(data, "name", errors, limit=50, required=True, label="姓名")
    if "role" in given:
        if data.get("role") not in StaffRole.values:
            errors["role"] = f"岗位应为{'、'.join(StaffRole.labels)}之一"
        clean["role"] = data.get("role")
    if "education" in given:
        if (data.get("education") or "") not in ("", *Education.values):
            errors["education"] = "学历不是可选值之一"
        clean["education"] = data.get("education") or ""
    if "phone" in given:
        try:
            clean["phone"] = phones.normalize(str(data.get("phone") or ""))
        except phones.InvalidPhone as exc:
            errors["phone"] = str(exc)
    for name in ("hired_on", "left_on"):
        if name in given:
            clean[name] = _date(data.get(name), name, errors, required=name == "hired_on")
    for name in ("is_director", "is_full_time", "trained_junior_standard"):
        if name in given:
            default = name == "is_full_time"
            clean[name] = bool(data.get(name, default))
    hired = clean.get("hired_on", current.hired_on if current else None)
    left = clean.get("left_on", current.left_on if current else None)
    today = timezone.localdate()
    if hired and hired > today and "hired_on" not in errors:
        errors["hired_on"] = "入职日期不能晚于今天"
    if hired and left and left < hired and "left_on" not in errors:
        errors["left_on"] = "离职日期不能早于入职日期"
    role = clean.get("role", current.role if current else None)
    if clean.get("is_director") and role != StaffRole.MANAGER and "role" not in errors:
        errors["is_director"] = "机构负责人的岗位应为管理人员"
    if errors:
        raise FieldErrors(errors)
    return clean


def _employer(actor: Actor, data: dict) -> dict:
    """The facility or the provider (in the user's scope for adding staff) with its region code."""
    facility_id, provider_id = data.get("facility_id"), data.get("provider_id")
    if bool(facility_id) == bool(provider_id):
        raise FieldErrors({"facility_id": "请指定所属机构或所属居家服务商（只能二选一）"})
    if facility_id:
        facility = get_visible_or_404(Facility.objects, actor.user, "providers.add_staff", pk=facility_id)
        return {"facility": facility, "region_code": facility.region_code, "county_code": facility.county_code}
    provider = Provider.objects.visible_to(actor.user, "providers.add_staff").filter(pk=provider_id).first()
    if provider is None:
        raise FieldErrors({"provider_id": "服务商编号不存在或不在您的管辖范围内"})
    return {"provider": provider, "region_code": provider.region_code, "county_code": provider.county_code}


@transaction.atomic
def add_staff(actor: Actor, data: dict) -> Staff:
    employer = _employer(actor, data)
    clean = _clean_staff(data)
    staff = Staff.objects.create(**employer, **clean)
    ensure_visible(actor.user, staff, "providers.add_staff")
    audit.record(actor, AuditAction.CREATE, staff, object_repr=f"登记从业人员：{staff}")
    return staff


@transaction.atomic
def change_staff(actor: Actor, staff_id: int, data: dict) -> Staff:
    staff = _locked(actor, Staff, staff_id, "providers.change_staff")
    clean = _clean_staff(data, current=staff)
    before = {name: getattr(staff, name) for name in clean}
    for name, value in clean.items():
        setattr(staff, name, value)
    staff.save()
    changes = audit.diff(before, clean)
    if changes:
        audit.record(actor, AuditAction.UPDATE, staff, changes=changes, object_repr=f"修改从业人员：{staff}")
    return staff


def may_reveal_phone(user, staff: Staff) -> bool:
    """Whether the user's role and scope allow the person's full phone number (DESIGN.md §5)."""
    return masking.may_reveal(user, staff)


def phone_for(actor: Actor, staff: Staff, reveal: bool = False) -> dict:
    """The person's phone as this actor may see it (core.masking: masked unless revealed, audited)."""
    shown = masking.shown(actor, staff, reveal=reveal and bool(staff.phone))
    return {"phone": shown["phone"], "revealed": shown.revealed}


def current(queryset, today: date | None = None):
    """Staff employed on `today`: hired on or before it (or before the platform kept the date), not yet left."""
    today = today or timezone.localdate()
    return queryset.filter(Q(left_on__isnull=True) | Q(left_on__gt=today),
                           Q(hired_on__isnull=True) | Q(hired_on__lte=today))  # fmt: skip


# --- Certificates --------------------------------------------------------------------------------


@transaction.atomic
def add_certificate(actor: Actor, staff_id: int, data: dict) -> Certificate:
    staff = _locked(actor, Staff, staff_id, "providers.add_certificate")
    errors: dict[str, str] = {}
    kind = data.get("kind")
    level = data.get("level")
    if kind not in CertificateKind.values:
        errors["kind"] = f"证书类别应为{'、'.join(CertificateKind.labels)}之一"
    elif CERTIFICATE_ROLE[kind] != staff.role:
        errors["kind"] = f"{CertificateKind(kind).label}与该人员的岗位（{staff.get_role_display()}）不符"
    if kind == CertificateKind.CARER:
        if level in (None, "") or str(level) not in ("1", "2", "3", "4", "5"):
            errors["level"] = "养老护理员证书请选择等级：五级（初级工）至一级（高级技师）"
        else:
            level = int(level)
    elif level not in (None, ""):
        errors["level"] = "只有养老护理员证书有等级"
    else:
        level = None
    number = _text(data, "number", errors, limit=40, required=True, label="证书编号")
    issuer = _text(data, "issuer", errors, limit=100, required=True, label="发证机构")
    issued_on = _date(data.get("issued_on"), "issued_on", errors, required=True)
    if issued_on and issued_on > timezone.localdate():
        errors["issued_on"] = "发证日期不能晚于今天"
    if errors:
        raise FieldErrors(errors)
    if Certificate.objects.filter(county_code=staff.county_code, kind=kind, number=number).exists():
        raise FieldErrors({"number": "该证书编号已登记"})
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(staff=staff, county_code=staff.county_code, kind=kind,
                                                     level=level, number=number, issuer=issuer,
                                                     issued_on=issued_on)  # fmt: skip
    except IntegrityError:
        raise FieldErrors({"number": "该证书编号已登记"}) from None
    if kind == CertificateKind.CARER:
        refresh_skill_level(staff)
    audit.record(actor, AuditAction.CREATE, certificate, region_code=staff.region_code,
                 object_repr=f"{staff.name}：{certificate}")  # fmt: skip
    return certificate


# --- Training ------------------------------------------------------------------------------------


@transaction.atomic
def create_training(actor: Actor, data: dict) -> TrainingClass:
    """A class organised by a facility (facility_id) or by a region's bureau (region_code)."""
    errors: dict[str, str] = {}
    facility = None
    if data.get("facility_id"):
        facility = get_visible_or_404(Facility.objects, actor.user, "providers.add_trainingclass",
                                      pk=data["facility_id"])  # fmt: skip
        code, organiser = facility.region_code, facility.name
    else:
        try:
            code = normalize(str(data.get("region_code") or ""))
        except InvalidRegionCode as exc:
            raise FieldErrors({"region_code": f"请填写组织单位的区划代码：{exc}"}) from None
        organiser = _text(data, "organiser", errors, limit=100, required=True, label="组织单位")
    topic = _text(data, "topic", errors, limit=200, required=True, label="培训主题")
    starts_on = _date(data.get("starts_on"), "starts_on", errors, required=True)
    ends_on = _date(data.get("ends_on"), "ends_on", errors, required=True)
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = "结束日期不能早于开始日期"
    hours = _hours(data.get("hours"), "hours", errors)
    if errors:
        raise FieldErrors(errors)
    training = TrainingClass.objects.create(
        region_code=code, county_code=county_of(code), facility=facility, organiser=organiser, topic=topic,
        starts_on=starts_on, ends_on=ends_on, hours=hours, created_by=actor.db_user,
    )  # fmt: skip
    ensure_visible(actor.user, training, "providers.add_trainingclass")
    audit.record(actor, AuditAction.CREATE, training, object_repr=f"培训班：{topic}")
    return training


def eligible_attendees(user, training: TrainingClass):
    """Staff the user may see who may attend: a facility's (or provider's) class is for its own staff,
    a bureau's class for the staff under its region."""
    staff = Staff.objects.visible_to(user)
    if training.facility_id:
        return staff.filter(facility_id=training.facility_id)
    if training.provider_id:
        return staff.filter(provider_id=training.provider_id)
    return staff.filter(region_range_q("region_code", training.region_code))


@transaction.atomic
def record_attendance(actor: Actor, training_id: int, staff_id, hours, passed: bool = True) -> Attendance:
    training = _locked(actor, TrainingClass, training_id, "providers.change_trainingclass")
    errors: dict[str, str] = {}
    staff = eligible_attendees(actor.user, training).filter(pk=staff_id).first() if str(staff_id).isdigit() else None
    if staff is None:
        errors["staff_id"] = "该人员不在本培训班的参训范围内"
    credited = _hours(hours, "hours", errors)
    if credited is not None and credited > training.hours:
        errors["hours"] = f"认定学时不能超过培训班学时 {training.hours}"
    if errors:
        raise FieldErrors(errors)
    already = Conflict(f"{staff.name}已登记参加本培训班", {"staff_id": "该人员已登记参加本培训班"})
    if Attendance.objects.filter(training=training, staff=staff).exists():
        raise already
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(training=training, staff=staff, county_code=staff.county_code,
                                                   hours=credited, passed=bool(passed))  # fmt: skip
    except IntegrityError:
        # A concurrent request registered the same person between the check and the insert.
        raise already from None
    audit.record(actor, AuditAction.CREATE, attendance, region_code=staff.region_code,
                 object_repr=f"{staff.name}参加培训“{training.topic}” {credited} 学时")  # fmt: skip
    return attendance


def training_hours(staff_ids) -> dict[int, Decimal]:
    """Total credited training hours per person."""
    rows = Attendance.objects.filter(staff_id__in=list(staff_ids)).values("staff_id").annotate(total=Sum("hours"))
    return {row["staff_id"]: row["total"] for row in rows}
