from django.shortcuts import render

from yiyang.core.access import login_only
from yiyang.core.scoping import has_permission
from yiyang.elders.models import Elder, Status
from yiyang.facilities.models import Facility
from yiyang.regions.models import Region

from .todo import home_for


@login_only
def home(request):
    """The landing page: the user's roles, what waits for them (to-do counts linking to the lists that show
    the same rows) and headline counts within their scope."""
    user = request.user
    stats = []
    if has_permission(user, "elders.view_elder"):
        elders = Elder.objects.visible_to(user, "view").filter(status=Status.ACTIVE)
        stats.append(("在册老年人", elders.count()))
    if has_permission(user, "facilities.view_facility"):
        stats.append(("养老服务机构", Facility.objects.visible_to(user, "view").count()))
    memberships = list(user.memberships.filter(is_active=True))
    regions = {r.code: r.name for r in Region.objects.filter(code__in=[m.region_code for m in memberships])}
    return render(request, "home.html", {"stats": stats, "memberships": memberships, "region_names": regions,
                                         "home": home_for(user)})  # fmt: skip
