"""The care workforce: registering staff and their certificates, training classes and attendance, and
the staffing figures of a facility (`staffing_of`) that the grading and the dashboards read.

Every write checks the row against the acting user's scope inside its transaction; every refused input
names the field with a Chinese reason.
"""

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from yiyang.core import audit, masking, phones
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.regioncodes import InvalidRegionCode, county_of, normalize, region_range_q
from yiyang.core.scoping import ensure_visible, get_visible_or_404
from yiyang.elders.models import CapabilityLevel
from yiyang.facilities.models import Facility, Residence

from ..models import (
    COLLEGE_OR_ABOVE,
    Attendance,
    Certificate,
    CertificateKind,
    Education,
    Staff,
    StaffRole,
    TrainingClass,
)

__all__ = [
    "Staffing",
    "add_certificate",
    "add_staff",
    "change_staff",
    "create_training",
    "current",
    "may_reveal_phone",
    "phone_for",
    "record_attendance",
    "staffing_of",
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
    """The facility (in the user's scope for adding staff) or the provider with its region code."""
    facility_id, provider_id = data.get("facility_id"), data.get("provider_id")
    if bool(facility_id) == bool(provider_id):
        raise FieldErrors({"facility_id": "请指定所属机构或所属居家服务商（只能二选一）"})
    if facility_id:
        facility = get_visible_or_404(Facility.objects, actor.user, "supervision.add_staff", pk=facility_id)
        return {"facility": facility, "region_code": facility.region_code, "county_code": facility.county_code}
    # The provider's own row lives in the homecare app, which this app does not import: the officer
    # gives its region, and the scope check after the insert keeps it inside the officer's region.
    try:
        code = normalize(str(data.get("region_code") or ""))
    except InvalidRegionCode as exc:
        raise FieldErrors({"region_code": f"居家服务商人员请填写所属区划代码：{exc}"}) from None
    return {"provider_id": int(provider_id), "region_code": code, "county_code": county_of(code)}


@transaction.atomic
def add_staff(actor: Actor, data: dict) -> Staff:
    employer = _employer(actor, data)
    clean = _clean_staff(data)
    staff = Staff.objects.create(**employer, **clean)
    ensure_visible(actor.user, staff, "supervision.add_staff")
    audit.record(actor, AuditAction.CREATE, staff, object_repr=f"登记从业人员：{staff}")
    return staff


@transaction.atomic
def change_staff(actor: Actor, staff_id: int, data: dict) -> Staff:
    staff = _locked(actor, Staff, staff_id, "supervision.change_staff")
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
    """Staff employed on `today`: hired on or before it, not yet left."""
    today = today or timezone.localdate()
    return queryset.filter(Q(left_on__isnull=True) | Q(left_on__gt=today), hired_on__lte=today)


# --- Certificates --------------------------------------------------------------------------------


@transaction.atomic
def add_certificate(actor: Actor, staff_id: int, data: dict) -> Certificate:
    staff = _locked(actor, Staff, staff_id, "supervision.add_certificate")
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
        facility = get_visible_or_404(Facility.objects, actor.user, "supervision.add_trainingclass",
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
    ensure_visible(actor.user, training, "supervision.add_trainingclass")
    audit.record(actor, AuditAction.CREATE, training, object_repr=f"培训班：{topic}")
    return training


def eligible_attendees(user, training: TrainingClass):
    """Staff the user may see who may attend: a facility's class is for its own staff, a bureau's class
    for the staff under its region."""
    staff = Staff.objects.visible_to(user)
    if training.facility_id:
        return staff.filter(facility_id=training.facility_id)
    return staff.filter(region_range_q("region_code", training.region_code))


@transaction.atomic
def record_attendance(actor: Actor, training_id: int, staff_id, hours, passed: bool = True) -> Attendance:
    training = _locked(actor, TrainingClass, training_id, "supervision.change_trainingclass")
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
    """Total credited training hours per staff member."""
    rows = Attendance.objects.filter(staff_id__in=list(staff_ids)).values("staff_id").annotate(total=Sum("hours"))
    return {row["staff_id"]: row["total"] for row in rows}


# --- Staffing figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Staffing:
    """Headcounts of one facility on one day. Ratios are exact fractions so that a threshold test at
    the edge (1 carer to exactly 10 residents) is not decided by floating-point rounding."""

    residents: int = 0
    severe_residents: int = 0  # capability level 3 and 4 (重度失能、完全失能)
    moderate_residents: int = 0  # capability level 2 (中度失能)
    carers: int = 0
    certified_carers: int = 0  # a carer's certificate, or trained to the junior standard (§12)
    doctors: int = 0
    nurses: int = 0
    social_workers_full_time: int = 0
    social_workers_part_time: int = 0
    directors: int = 0
    directors_college: int = 0
    beds_total: int = 0
    beds_occupied: int = 0

    @property
    def certified_carer_share(self) -> Fraction | None:
        return Fraction(self.certified_carers, self.carers) if self.carers else None

    @property
    def carers_per_severe(self) -> Fraction | None:
        return Fraction(self.carers, self.severe_residents) if self.severe_residents else None

    @property
    def carers_per_moderate(self) -> Fraction | None:
        return Fraction(self.carers, self.moderate_residents) if self.moderate_residents else None

    @property
    def occupancy(self) -> Fraction | None:
        return Fraction(self.beds_occupied, self.beds_total) if self.beds_total else None

    def per_200_residents(self, count: int) -> Fraction | None:
        return Fraction(count * 200, self.residents) if self.residents else None

    def as_dict(self) -> dict:
        """Counts plus rounded ratios, for pages, the API and the snapshot kept with a scoring sheet."""

        def show(value: Fraction | None, digits: int = 3):
            return None if value is None else round(float(value), digits)

        return {
            **asdict(self),
            "certified_carer_share": show(self.certified_carer_share),
            "carers_per_severe": show(self.carers_per_severe),
            "carers_per_moderate": show(self.carers_per_moderate),
            "occupancy": show(self.occupancy),
            "doctors_per_200": show(self.per_200_residents(self.doctors), 2),
            "nurses_per_200": show(self.per_200_residents(self.nurses), 2),
            "social_workers_per_200": show(
                self.per_200_residents(self.social_workers_full_time + self.social_workers_part_time), 2
            ),
        }


def staffing_of(facility: Facility, today: date | None = None) -> Staffing:
    """The facility's staffing on `today`: residents are its current Residence rows by the elder's
    capability level; staff are those employed that day; occupancy is the registered beds."""
    today = today or timezone.localdate()
    residents = Residence.objects.filter(facility=facility, left_on__isnull=True).aggregate(
        total=Count("id"),
        severe=Count("id", filter=Q(elder__capability_level__gte=CapabilityLevel.SEVERE)),
        moderate=Count("id", filter=Q(elder__capability_level=CapabilityLevel.MODERATE)),
    )
    staff = current(Staff.objects.filter(facility=facility), today)
    certified = Q(trained_junior_standard=True) | Q(certificates__kind=CertificateKind.CARER)
    carers = staff.filter(role=StaffRole.CARER)
    directors = staff.filter(is_director=True)
    return Staffing(
        residents=residents["total"],
        severe_residents=residents["severe"],
        moderate_residents=residents["moderate"],
        carers=carers.count(),
        certified_carers=carers.filter(certified).distinct().count(),
        doctors=staff.filter(role=StaffRole.DOCTOR).count(),
        nurses=staff.filter(role=StaffRole.NURSE).count(),
        social_workers_full_time=staff.filter(role=StaffRole.SOCIAL_WORKER, is_full_time=True).count(),
        social_workers_part_time=staff.filter(role=StaffRole.SOCIAL_WORKER, is_full_time=False).count(),
        directors=directors.count(),
        directors_college=directors.filter(education__in=COLLEGE_OR_ABOVE).count(),
        beds_total=facility.beds_total,
        beds_occupied=facility.beds_occupied,
    )
