from ninja import Field, Router, Schema

from yiyang.core.api import ErrorOut
from yiyang.core.audit import Actor, Interface
from yiyang.core.regioncodes import InvalidRegionCode, normalize
from yiyang.core.scoping import get_visible_or_404

from . import services
from .models import Region

router = Router(tags=["行政区划"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str | None
    urban_rural: str
    lat: float | None
    lng: float | None
    population_total: int | None
    population_60: int | None
    population_65: int | None
    population_80: int | None
    aging_rate: float | None


class PopulationIn(Schema):
    population_total: int | None = Field(None, ge=0)
    population_60: int | None = Field(None, ge=0)
    population_65: int | None = Field(None, ge=0)
    population_80: int | None = Field(None, ge=0)


def _code(raw: str) -> str:
    from django.http import Http404

    try:
        return normalize(raw)
    except InvalidRegionCode:
        raise Http404 from None


@router.get("/{code}", response={200: RegionOut, 404: ErrorOut}, summary="区划详情")
def get_region(request, code: str):
    return get_visible_or_404(Region.objects, request.user, "view", code=_code(code))


@router.get("/{code}/children", response={200: list[RegionOut], 404: ErrorOut}, summary="下级区划")
def list_children(request, code: str):
    region = get_visible_or_404(Region.objects, request.user, "view", code=_code(code))
    return list(Region.objects.visible_to(request.user, "view").filter(parent_code=region.code))


@router.patch("/{code}/population", response={200: RegionOut, 404: ErrorOut, 422: ErrorOut}, summary="修改人口数据")
def update_population(request, code: str, payload: PopulationIn):
    actor = Actor.from_request(request, Interface.API)
    return services.update_population(actor, _code(code), payload.dict(exclude_unset=True))
