"""REST API for the facility registry (/api/v1/facilities)."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from ninja import Field, Query, Router, Schema, Status

from yiyang.core.api import ErrorOut, Page, paginate
from yiyang.core.api import api_actor as _actor
from yiyang.core.scoping import get_visible_or_404, has_permission
from yiyang.regions.services import requested_region

from . import services
from .models import Facility, Residence

router = Router(tags=["养老服务机构"])


class FacilityFilterIn(Schema):
    q: str = ""
    region: str = ""
    facility_type: str = ""
    operation_model: str = ""
    status: str = ""
    star_min: int | None = Field(None, ge=0, le=5)
    has_vacancy: bool | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, description="最大 100")

    def to_filter(self, user) -> services.FacilityFilter:
        """The filter, with a region outside the user's scope answered 404 as a detail would be."""
        if self.region:
            requested_region(user, self.region, narrows=True)
        return services.FacilityFilter(**self.dict(exclude={"page", "page_size"}))


class FacilityOut(Schema):
    id: int
    code: str
    name: str
    facility_type: str
    operation_model: str
    region_code: str
    address: str
    lat: float | None
    lng: float | None
    phone: str
    contact_person: str
    opening_hours: str
    services: list[str]
    monthly_fee_min: int | None = Field(description="分")
    monthly_fee_max: int | None = Field(description="分")
    beds_total: int
    beds_nursing: int
    beds_occupied: int
    beds_vacant: int
    star_rating: int
    status: str
    established_on: date | None
    is_published: bool


class FacilityIn(Schema):
    code: str = Field(..., max_length=32)
    name: str = Field(..., max_length=100)
    facility_type: str
    operation_model: str
    region_code: str
    address: str = Field(..., max_length=200)
    lat: float | None = None
    lng: float | None = None
    coord_system: str = "wgs84"
    phone: str = ""
    contact_person: str = ""
    opening_hours: str = ""
    services: list[str] = []
    monthly_fee_min: int | None = Field(None, ge=0, description="分")
    monthly_fee_max: int | None = Field(None, ge=0, description="分")
    beds_total: int = Field(0, ge=0)
    beds_nursing: int = Field(0, ge=0)
    beds_occupied: int = Field(0, ge=0)
    star_rating: int = Field(0, ge=0, le=5)
    status: str = "operating"
    established_on: date | None = None
    description: str = ""
    is_published: bool = True


class FacilityPatch(Schema):
    name: str | None = Field(None, max_length=100)
    facility_type: str | None = None
    operation_model: str | None = None
    region_code: str | None = None
    address: str | None = Field(None, max_length=200)
    lat: float | None = None
    lng: float | None = None
    coord_system: str | None = None
    phone: str | None = None
    contact_person: str | None = None
    opening_hours: str | None = None
    services: list[str] | None = None
    monthly_fee_min: int | None = Field(None, ge=0)
    monthly_fee_max: int | None = Field(None, ge=0)
    beds_total: int | None = Field(None, ge=0)
    beds_nursing: int | None = Field(None, ge=0)
    beds_occupied: int | None = Field(None, ge=0)
    star_rating: int | None = Field(None, ge=0, le=5)
    status: str | None = None
    established_on: date | None = None
    description: str | None = None
    is_published: bool | None = None


class ResidenceIn(Schema):
    elder_id: int
    admitted_on: date
    bed_number: str = ""


class ResidenceOut(Schema):
    id: int
    facility_id: int
    elder_id: int
    bed_number: str
    admitted_on: date
    left_on: date | None


class DischargeIn(Schema):
    left_on: date


@router.get("/", response={200: Page[FacilityOut], 404: ErrorOut, 422: ErrorOut}, summary="机构列表（按管辖范围）")
def list_facilities(request, filters: Query[FacilityFilterIn]):
    queryset = services.filter_facilities(
        Facility.objects.visible_to(request.user, "view"), filters.to_filter(request.user)
    )
    return paginate(queryset.order_by("region_code", "id"), filters.page, filters.page_size)


@router.get("/export.xlsx", response={200: None, 403: ErrorOut, 422: ErrorOut}, summary="导出筛选结果（.xlsx）")
def export_facilities(request, filters: Query[FacilityFilterIn]):
    if not has_permission(request.user, "facilities.export_facility"):
        raise PermissionDenied
    queryset = services.filter_facilities(Facility.objects.all(), filters.to_filter(request.user))
    handle = services.export_facilities(_actor(request), queryset, filters.model_dump_json())
    return FileResponse(handle, as_attachment=True, filename="facilities.xlsx")


@router.post("/", response={201: FacilityOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut}, summary="登记机构")
def create_facility(request, payload: FacilityIn):
    return Status(201, services.register_facility(_actor(request), payload.dict()))


@router.get("/{facility_id}", response={200: FacilityOut, 404: ErrorOut}, summary="机构详情")
def get_facility(request, facility_id: int):
    return get_visible_or_404(Facility.objects, request.user, "view", pk=facility_id)


@router.patch("/{facility_id}", response={200: FacilityOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def update_facility(request, facility_id: int, payload: FacilityPatch):
    return services.update_facility(_actor(request), facility_id, payload.dict(exclude_unset=True))


@router.get("/{facility_id}/residents", response={200: list[ResidenceOut], 404: ErrorOut}, summary="在住老人")
def list_residents(request, facility_id: int, current: bool = True):
    facility = get_visible_or_404(Facility.objects, request.user, "view", pk=facility_id)
    residences = Residence.objects.visible_to(request.user, "view").filter(facility=facility)
    return list(residences.filter(left_on__isnull=True) if current else residences)


@router.post(
    "/{facility_id}/residents",
    response={201: ResidenceOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="办理入住",
)
def admit(request, facility_id: int, payload: ResidenceIn):
    return Status(
        201, services.admit(_actor(request), facility_id, payload.elder_id, payload.admitted_on, payload.bed_number)
    )


@router.post(
    "/residents/{residence_id}/discharge",
    response={200: ResidenceOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="办理离开",
)
def discharge(request, residence_id: int, payload: DischargeIn):
    return services.discharge(_actor(request), residence_id, payload.left_on)
