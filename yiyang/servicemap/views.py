"""Pages: the public service map and facility pages (no login), and the coverage analysis for staff."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from yiyang.core.access import login_only, public, requires
from yiyang.core.regioncodes import ancestors
from yiyang.core.scoping import home_region
from yiyang.facilities.models import FacilityType, OperationModel, Service
from yiyang.regions.models import Region
from yiyang.regions.services import requested_region

from . import services


def _map_home() -> Region | None:
    code = getattr(settings, "MAP_HOME_REGION", "")
    return Region.objects.filter(code=code).first() if code else Region.objects.filter(level=1).first()


def _map_settings() -> dict:
    return {"tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION}


@public
def public_map(request):
    home = _map_home()
    return render(
        request,
        "servicemap/map.html",
        {
            "home": home,
            "types": FacilityType.choices,
            "service_choices": Service.choices,
            "models": OperationModel.choices,
            **_map_settings(),
        },
    )


@public
def public_facility(request, facility_id: int):
    facility = services.public_facilities().filter(pk=facility_id).first()
    if facility is None:
        raise Http404
    path = Region.objects.filter(code__in=[*ancestors(facility.region_code), facility.region_code]).order_by("code")
    return render(
        request,
        "servicemap/facility.html",
        {
            "facility": facility,
            "path": path,
            "service_labels": [Service(s).label for s in facility.services if s in Service.values],
            **_map_settings(),
        },
    )


def _default_region(user) -> str | None:
    if code := home_region(user):
        return code
    home = _map_home()
    return home.code if home else None


@requires("regions.view_region")
def coverage_page(request):
    code = requested_region(request.user, request.GET.get("region"), default=_default_region, page=True)
    region = Region.objects.get(code=code)
    whole, children = services.rates(request.user, code)
    path = [r for r in Region.objects.filter(code__in=ancestors(code)).order_by("code")]
    visible_path = [r for r in path if Region.objects.visible_to(request.user, "view").filter(code=r.code).exists()]
    return render(
        request,
        "servicemap/coverage.html",
        {
            "region": region,
            "path": visible_path,
            "whole": whole,
            "children": children,
            "uncovered": services.uncovered(request.user, code, limit=200),
            "supply_demand": services.supply_and_demand(request.user, code),
            "computed_at": services.computed_at(code),
            "can_recompute": Region.objects.visible_to(request.user, "change").filter(code=code).exists(),
            "types": FacilityType.choices,
            **_map_settings(),
        },
    )


@login_only
@require_POST
def recompute_view(request):
    code = requested_region(request.user, request.POST.get("region"), default=None, page=True, action="change")
    count = services.recompute(code)
    messages.success(request, f"已重新计算 {count} 个社区（村）的覆盖情况")
    return redirect(f"{reverse('servicemap:coverage')}?region={code}")
