"""Service map API: public facility search and nearest services (no login, no personal data), and the
15-minute service circle for civil-affairs staff (/api/v1/map, /api/v1/facilities/nearby)."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Query, Router, Schema

from yiyang.core import coords
from yiyang.core.api import ErrorOut, region_code_param
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import Level, level_of
from yiyang.core.scoping import has_permission
from yiyang.facilities.models import Facility, FacilityType, Service
from yiyang.regions.models import Region
from yiyang.regions.services import requested_region

from . import boundaries, services

public_router = Router(tags=["养老服务地图（公开）"], auth=None)
nearby_router = Router(tags=["养老服务地图（公开）"], auth=None)
router = Router(tags=["15分钟养老服务圈"])

MAX_MARKERS = 2000


class PublicFacilityOut(Schema):
    """What a facility publishes: no resident, staff member or contact person appears here."""

    id: int
    name: str
    facility_type: str
    facility_type_label: str
    operation_model_label: str
    address: str
    lat: float | None
    lng: float | None
    phone: str
    opening_hours: str
    services: list[str]
    service_labels: list[str]
    monthly_fee_min_yuan: int | None
    monthly_fee_max_yuan: int | None
    beds_total: int
    beds_vacant: int
    star_rating: int

    @staticmethod
    def build(f: Facility) -> dict:
        return {
            **{name: getattr(f, name) for name in ("id", "name", "facility_type", "address", "lat", "lng", "phone")},
            **{name: getattr(f, name) for name in ("opening_hours", "services", "beds_total", "star_rating")},
            "facility_type_label": f.get_facility_type_display(),
            "operation_model_label": f.get_operation_model_display(),
            "service_labels": [Service(s).label for s in f.services if s in Service.values],
            "monthly_fee_min_yuan": None if f.monthly_fee_min is None else f.monthly_fee_min // 100,
            "monthly_fee_max_yuan": None if f.monthly_fee_max is None else f.monthly_fee_max // 100,
            "beds_vacant": f.beds_vacant,
        }


class PublicDetailOut(PublicFacilityOut):
    description: str
    region_code: str
    region_path: list[str]


class NearbyOut(PublicFacilityOut):
    distance_m: int
    walking_minutes: int


class MapFilterIn(Schema):
    q: str = Field("", description="机构名称、地址或区划名称")
    facility_type: str = ""
    service: str = ""
    star_min: int | None = Field(None, ge=0, le=5)
    has_vacancy: bool = False
    fee_max_yuan: int | None = Field(None, ge=0)
    operation_model: str = ""
    region: str = ""
    bbox: str = Field("", description="可选：南纬,西经,北纬,东经（WGS-84），只返回该范围内的机构")


def _bbox(raw: str) -> tuple[float, float, float, float] | None:
    if not raw:
        return None
    try:
        south, west, north, east = (float(part) for part in raw.split(","))
    except ValueError:
        raise FieldErrors({"bbox": "格式应为 南纬,西经,北纬,东经"}) from None
    if south > north or west > east:
        raise FieldErrors({"bbox": "范围无效"})
    return south, west, north, east


@public_router.get("/facilities", response={200: list[PublicFacilityOut], 422: ErrorOut}, summary="地图上的机构")
def map_facilities(request, filters: Query[MapFilterIn]):
    data = filters.dict(exclude={"bbox"})
    if data["region"]:
        data["region"] = region_code_param(data["region"])
    queryset = services.filter_public(services.public_facilities(), services.PublicFilter(**data))
    if box := _bbox(filters.bbox):
        south, west, north, east = box
        queryset = queryset.filter(lat__gte=south, lat__lte=north, lng__gte=west, lng__lte=east)
    return [PublicFacilityOut.build(f) for f in queryset.order_by("-star_rating", "id")[:MAX_MARKERS]]


@public_router.get("/facilities/{facility_id}", response={200: PublicDetailOut, 404: ErrorOut}, summary="机构公开信息")
def map_facility(request, facility_id: int):
    facility = services.public_facilities().filter(pk=facility_id).first()
    if facility is None:
        raise Http404
    path = [r.name for r in Region.objects.filter(code__in=_ancestors(facility.region_code)).order_by("code")]
    return {**PublicFacilityOut.build(facility), "description": facility.description,
            "region_code": facility.region_code, "region_path": path}  # fmt: skip


def _ancestors(code: str) -> list[str]:
    from yiyang.core.regioncodes import ancestors

    return [*ancestors(code), code]


@nearby_router.get("", response={200: list[NearbyOut], 422: ErrorOut}, summary="附近的养老服务机构")
def nearby(
    request,
    lat: float,
    lng: float,
    radius: float = Query(3000, description="米，最大 50000"),
    type: str = "",
    coord_system: str = Query("wgs84", description="wgs84、gcj02 或 bd09"),
    limit: int = Query(20, ge=1, le=services.MAX_NEARBY_RESULTS),
):
    try:
        lat, lng = coords.to_wgs84(lat, lng, coord_system)
    except coords.InvalidCoordinates as exc:
        raise FieldErrors({"lat": str(exc)}) from None
    found = services.nearby(lat, lng, radius, facility_type=type, limit=limit)
    return [{**PublicFacilityOut.build(f), "distance_m": d, "walking_minutes": m} for f, d, m in found]


# --- For civil-affairs staff ---------------------------------------------------------------------


class RateOut(Schema):
    code: str
    name: str
    total: int
    covered: int
    rate: float | None
    urban_total: int
    urban_covered: int
    urban_rate: float | None
    rural_total: int
    rural_covered: int
    rural_rate: float | None


class CoverageOut(Schema):
    region: RateOut
    children: list[RateOut]
    computed_at: datetime | None


class UncoveredOut(Schema):
    community_code: str
    community: str
    area: str
    radius_m: int
    nearest_facility_id: int | None
    nearest_facility: str
    nearest_m: int | None


class WhatIfIn(Schema):
    region: str
    lat: float
    lng: float
    coord_system: str = "wgs84"
    facility_type: str = FacilityType.DAY_CARE


class NewlyCoveredOut(Schema):
    community_code: str
    community: str
    area: str
    distance_m: int


class WhatIfOut(Schema):
    before: RateOut
    after: RateOut
    newly_covered: list[NewlyCoveredOut]


class SupplyDemandOut(Schema):
    code: str
    name: str
    vacant_beds: int
    unmet_demand: int


@router.get("/coverage", response={200: CoverageOut, 404: ErrorOut, 422: ErrorOut}, summary="服务圈覆盖率")
def coverage(request, region: str):
    code = requested_region(request.user, region, default=None)
    whole, children = services.rates(request.user, code)
    return {"region": whole.as_dict(), "children": [c.as_dict() for c in children],
            "computed_at": services.computed_at(code)}  # fmt: skip


@router.get("/coverage/uncovered", response={200: list[UncoveredOut], 404: ErrorOut, 422: ErrorOut})
def uncovered(request, region: str):
    return services.uncovered(request.user, requested_region(request.user, region, default=None))


@router.post(
    "/coverage/what-if", response={200: WhatIfOut, 404: ErrorOut, 422: ErrorOut}, summary="规划新设施的覆盖效果"
)
def what_if(request, payload: WhatIfIn):
    code = requested_region(request.user, payload.region, default=None)
    try:
        lat, lng = coords.to_wgs84(payload.lat, payload.lng, payload.coord_system)
    except coords.InvalidCoordinates as exc:
        raise FieldErrors({"lat": str(exc)}) from None
    return services.what_if(request.user, code, lat, lng, payload.facility_type)


@router.post("/coverage/recompute", response={200: CoverageOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def recompute(request, region: str):
    code = requested_region(request.user, region, default=None)
    if not Region.objects.visible_to(request.user, "change").filter(code=code).exists():
        raise PermissionDenied
    services.recompute(code)
    return coverage(request, region)


@router.get("/supply-demand", response={200: list[SupplyDemandOut], 404: ErrorOut, 422: ErrorOut}, summary="供需")
def supply_demand(request, region: str):
    return services.supply_and_demand(request.user, requested_region(request.user, region, default=None))


@router.get(
    "/boundaries", response={200: dict, 404: ErrorOut, 422: ErrorOut}, summary="下级区划边界与覆盖率（GeoJSON）"
)
def region_boundaries(request, region: str):
    code = requested_region(request.user, region, default=None)
    if not has_permission(request.user, "regions.view_region"):
        raise PermissionDenied
    _, children = services.rates(request.user, code)
    by_code = {c.code: c.as_dict() for c in children}
    if level_of(code) >= Level.COUNTY:
        return {"type": "FeatureCollection", "features": []}
    return boundaries.children_geojson(code, by_code)


@public_router.get("/boundaries", response={200: dict, 422: ErrorOut}, summary="下级区划边界（GeoJSON，公开）")
def public_boundaries(request, region: str):
    code = region_code_param(region)
    if level_of(code) >= Level.COUNTY:
        return {"type": "FeatureCollection", "features": []}
    return boundaries.children_geojson(code, {})
