"""The care workforce: staff, certificates, training classes and attendance, a facility's staffing."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.masking import mask_phone
from yiyang.core.scoping import get_visible_or_404
from yiyang.facilities.models import Facility
from yiyang.providers.models import Attendance, Certificate, Staff, StaffRole, TrainingClass

from ..services import workforce as services
from .types import Id

router = Router(tags=["监管：人才队伍"])


class StaffIn(Schema):
    facility_id: Id | None = None
    provider_id: Id | None = None
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
    hired_on: date | None = Field(None, description="空 = 未登记（服务人员从居家服务登记而来）")
    left_on: date | None
    is_full_time: bool
    trained_junior_standard: bool
    training_hours: Decimal = Decimal(0)
    phone_revealed: bool = False


_COMPUTED = ("phone_revealed", "training_hours")


def _out(staff: Staff, hours: Decimal, phone: dict | None = None) -> dict:
    """A staff row as sent: the phone masked (DESIGN.md §5), unless `phone` is the revealed one."""
    data = {name: getattr(staff, name) for name in StaffOut.model_fields if name not in _COMPUTED}
    phone = phone or {"phone": mask_phone(staff.phone), "revealed": False}
    data.update(phone=phone["phone"], phone_revealed=phone["revealed"], training_hours=hours)
    return data


def _one(staff: Staff, phone: dict | None = None) -> dict:
    return _out(staff, services.training_hours([staff.pk]).get(staff.pk, Decimal(0)), phone)


@router.get("/staff", response={200: Page[StaffOut], 422: ErrorOut}, summary="从业人员（按管辖范围）")
def list_staff(request, facility_id: Id = 0, provider_id: Id = 0, role: str = "", current: bool = True,
               page: int = 1, page_size: int = 20):  # fmt: skip
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
    hours = services.training_hours(person.pk for person in result["items"])
    result["items"] = [_out(person, hours.get(person.pk, Decimal(0))) for person in result["items"]]
    return result


@router.post("/staff", response={201: StaffOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="登记从业人员")
def create_staff(request, payload: StaffIn):
    staff = services.add_staff(_actor(request), payload.dict())
    return Status(201, _one(staff))


@router.get("/staff/{staff_id}", response={200: StaffOut, 404: ErrorOut},
            summary="从业人员详情（电话脱敏，reveal=true 且有权限时显示完整并留痕）")  # fmt: skip
def get_staff(request, staff_id: Id, reveal: bool = False):
    staff = get_visible_or_404(Staff.objects, request.user, pk=staff_id)
    return _one(staff, services.phone_for(_actor(request), staff, reveal))


@router.patch(
    "/staff/{staff_id}",
    response={200: StaffOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="修改从业人员信息",
)
def change_staff(request, staff_id: Id, payload: StaffPatch):
    staff = services.change_staff(_actor(request), staff_id, payload.dict(exclude_unset=True))
    return _one(staff)


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
def list_certificates(request, staff_id: Id):
    staff = get_visible_or_404(Staff.objects, request.user, pk=staff_id)
    return list(Certificate.objects.visible_to(request.user).filter(staff=staff))


@router.post("/staff/{staff_id}/certificates",
             response={201: CertificateOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="登记资格证书")  # fmt: skip
def create_certificate(request, staff_id: Id, payload: CertificateIn):
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
def staffing(request, facility_id: Id):
    facility = get_visible_or_404(Facility.objects, request.user, "providers.view_staff", pk=facility_id)
    return {"facility_id": facility.pk, **services.staffing_of(facility).as_dict()}


class TrainingIn(Schema):
    facility_id: Id | None = None
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
def get_training(request, training_id: Id):
    return get_visible_or_404(TrainingClass.objects, request.user, pk=training_id)


class AttendanceIn(Schema):
    staff_id: Id
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
def list_attendance(request, training_id: Id):
    training = get_visible_or_404(TrainingClass.objects, request.user, pk=training_id)
    return list(Attendance.objects.visible_to(request.user).filter(training=training)[:1000])


@router.post("/training-classes/{training_id}/attendance",
             response={201: AttendanceOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="登记参训人员与认定学时")  # fmt: skip
def create_attendance(request, training_id: Id, payload: AttendanceIn):
    attendance = services.record_attendance(_actor(request), training_id, payload.staff_id, payload.hours,
                                            payload.passed)  # fmt: skip
    return Status(201, attendance)
