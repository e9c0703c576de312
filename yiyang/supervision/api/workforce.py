"""The care workforce: staff, certificates, training classes and attendance, a facility's staffing."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Router, Schema, Status

from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.audit import Actor, Interface
from yiyang.core.errors import FieldErrors
from yiyang.core.masking import mask_phone
from yiyang.core.scoping import get_visible_or_404
from yiyang.facilities.models import Facility

from ..models import Attendance, Certificate, Staff, StaffRole, TrainingClass
from ..services import workforce as services

router = Router(tags=["监管：人才队伍"])


def _actor(request) -> Actor:
    return Actor.from_request(request, Interface.API)


class StaffIn(Schema):
    facility_id: int | None = None
    provider_id: int | None = None
    region_code: str = ""
    name: str
    role: str
    is_director: bool = False
    phone: str = ""
    education: str = ""
    hired_on: date
    left_on: date | None = None
    is_full_time: bool = True
    trained_junior_standard: bool = False


class StaffPatch(Schema):
    name: str | None = None
    role: str | None = None
    is_director: bool | None = None
    phone: str | None = None
    education: str | None = None
    hired_on: date | None = None
    left_on: date | None = None
    is_full_time: bool | None = None
    trained_junior_standard: bool | None = None


class StaffOut(Schema):
    id: int
    facility_id: int | None
    provider_id: int | None
    region_code: str
    name: str
    role: str
    is_director: bool
    phone: str
    education: str
    hired_on: date
    left_on: date | None
    is_full_time: bool
    trained_junior_standard: bool
    training_hours: Decimal = Decimal(0)


def _out(staff: Staff, hours: Decimal, may_change: bool) -> dict:
    """A staff row as sent: the phone is masked for users who may not change the person (DESIGN.md §5)."""
    data = {name: getattr(staff, name) for name in StaffOut.model_fields if name != "training_hours"}
    if not may_change:
        data["phone"] = mask_phone(staff.phone)
    data["training_hours"] = hours
    return data


def _one(request, staff: Staff) -> dict:
    may_change = Staff.objects.visible_to(request.user, "change").filter(pk=staff.pk).exists()
    return _out(staff, services.training_hours([staff.pk]).get(staff.pk, Decimal(0)), may_change)


MAX_ID = 2**63 - 1


def _check_ids(**ids: int) -> None:
    """Ids the database can hold; a larger number is refused naming the parameter, not a server error."""
    wrong = {name: "编号超出范围" for name, value in ids.items() if not 0 <= value <= MAX_ID}
    if wrong:
        raise FieldErrors(wrong)


@router.get("/staff", response={200: Page[StaffOut], 422: ErrorOut}, summary="从业人员（按管辖范围）")
def list_staff(request, facility_id: int = 0, provider_id: int = 0, role: str = "", current: bool = True,
               page: int = 1, page_size: int = 20):  # fmt: skip
    _check_ids(facility_id=facility_id, provider_id=provider_id)
    rows = Staff.objects.visible_to(request.user)
    if facility_id:
        rows = rows.filter(facility_id=facility_id)
    if provider_id:
        rows = rows.filter(provider_id=provider_id)
    if role in StaffRole.values:
        rows = rows.filter(role=role)
    if current:
        rows = services.current(rows)
    result = paginate(rows.order_by("role", "name", "id"), page, page_size)
    ids = [s.pk for s in result["items"]]
    hours = services.training_hours(ids)
    changeable = set(Staff.objects.visible_to(request.user, "change").filter(pk__in=ids).values_list("pk", flat=True))
    result["items"] = [_out(s, hours.get(s.pk, Decimal(0)), s.pk in changeable) for s in result["items"]]
    return result


@router.post("/staff", response={201: StaffOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="登记从业人员")
def create_staff(request, payload: StaffIn):
    staff = services.add_staff(_actor(request), payload.dict())
    return Status(201, _one(request, staff))


@router.get("/staff/{staff_id}", response={200: StaffOut, 404: ErrorOut})
def get_staff(request, staff_id: int):
    return _one(request, get_visible_or_404(Staff.objects, request.user, pk=staff_id))


@router.patch(
    "/staff/{staff_id}",
    response={200: StaffOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="修改从业人员信息",
)
def change_staff(request, staff_id: int, payload: StaffPatch):
    staff = services.change_staff(_actor(request), staff_id, payload.dict(exclude_unset=True))
    return _one(request, staff)


class CertificateIn(Schema):
    kind: str
    level: int | None = None
    number: str
    issuer: str
    issued_on: date


class CertificateOut(Schema):
    id: int
    staff_id: int
    kind: str
    level: int | None
    number: str
    issuer: str
    issued_on: date


@router.get("/staff/{staff_id}/certificates", response={200: list[CertificateOut], 404: ErrorOut})
def list_certificates(request, staff_id: int):
    staff = get_visible_or_404(Staff.objects, request.user, pk=staff_id)
    return list(Certificate.objects.visible_to(request.user).filter(staff=staff))


@router.post("/staff/{staff_id}/certificates",
             response={201: CertificateOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="登记资格证书")  # fmt: skip
def create_certificate(request, staff_id: int, payload: CertificateIn):
    return Status(201, services.add_certificate(_actor(request), staff_id, payload.dict()))


class StaffingOut(Schema):
    facility_id: int
    residents: int
    severe_residents: int
    moderate_residents: int
    carers: int
    certified_carers: int
    doctors: int
    nurses: int
    social_workers_full_time: int
    social_workers_part_time: int
    directors: int
    directors_college: int
    beds_total: int
    beds_occupied: int
    certified_carer_share: float | None
    carers_per_severe: float | None
    carers_per_moderate: float | None
    occupancy: float | None
    doctors_per_200: float | None
    nurses_per_200: float | None
    social_workers_per_200: float | None


@router.get("/facilities/{facility_id}/staffing", response={200: StaffingOut, 404: ErrorOut},
            summary="机构人员配置（护理员配比、持证率、每 200 名老人医护社工数、入住率）")  # fmt: skip
def staffing(request, facility_id: int):
    facility = get_visible_or_404(Facility.objects, request.user, "supervision.view_staff", pk=facility_id)
    return {"facility_id": facility.pk, **services.staffing_of(facility).as_dict()}


class TrainingIn(Schema):
    facility_id: int | None = None
    region_code: str = ""
    organiser: str = ""
    topic: str
    starts_on: date
    ends_on: date
    hours: Decimal


class TrainingOut(Schema):
    id: int
    region_code: str
    facility_id: int | None
    organiser: str
    topic: str
    starts_on: date
    ends_on: date
    hours: Decimal


@router.get("/training-classes", response=Page[TrainingOut], summary="培训班")
def list_trainings(request, page: int = 1, page_size: int = 20):
    return paginate(TrainingClass.objects.visible_to(request.user).order_by("-starts_on", "-id"), page, page_size)


@router.post("/training-classes", response={201: TrainingOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="举办培训班（区划或机构组织）")  # fmt: skip
def create_training(request, payload: TrainingIn):
    return Status(201, services.create_training(_actor(request), payload.dict()))


@router.get("/training-classes/{training_id}", response={200: TrainingOut, 404: ErrorOut})
def get_training(request, training_id: int):
    return get_visible_or_404(TrainingClass.objects, request.user, pk=training_id)


class AttendanceIn(Schema):
    staff_id: int
    hours: Decimal
    passed: bool = True


class AttendanceOut(Schema):
    id: int
    training_id: int
    staff_id: int
    hours: Decimal
    passed: bool
    recorded_at: datetime


@router.get("/training-classes/{training_id}/attendance", response={200: list[AttendanceOut], 404: ErrorOut})
def list_attendance(request, training_id: int):
    training = get_visible_or_404(TrainingClass.objects, request.user, pk=training_id)
    return list(Attendance.objects.visible_to(request.user).filter(training=training)[:1000])


@router.post("/training-classes/{training_id}/attendance",
             response={201: AttendanceOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="登记参训人员与认定学时")  # fmt: skip
def create_attendance(request, training_id: int, payload: AttendanceIn):
    attendance = services.record_attendance(_actor(request), training_id, payload.staff_id, payload.hours,
                                            payload.passed)  # fmt: skip
    return Status(201, attendance)
