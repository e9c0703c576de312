from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from yiyang.core.access import login_only, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.regioncodes import InvalidRegionCode, normalize
from yiyang.core.scoping import get_visible_or_404, memberships_of

from . import services
from .models import Region


class PopulationForm(forms.Form):
    population_total = forms.IntegerField(label="户籍总人口", min_value=0, required=False)
    population_60 = forms.IntegerField(label="60岁及以上人口", min_value=0, required=False)
    population_65 = forms.IntegerField(label="65岁及以上人口", min_value=0, required=False)
    population_80 = forms.IntegerField(label="80岁及以上人口", min_value=0, required=False)


@requires("regions.view_region")
def browse(request):
    """Start at the highest regions the user holds."""
    roots = Region.objects.visible_to(request.user, "view")
    codes = sorted({m.region_code for m in memberships_of(request.user) if m.region_code})
    if codes and not request.user.is_superuser:
        roots = roots.filter(code__in=codes)
    else:
        roots = roots.filter(level=1)
    return render(request, "regions/browse.html", {"regions": roots})


@login_only
def detail(request, code):
    try:
        code = normalize(code)
    except InvalidRegionCode:
        from django.http import Http404

        raise Http404 from None
    region = get_visible_or_404(Region.objects, request.user, "view", code=code)
    can_edit = Region.objects.visible_to(request.user, "change").filter(code=code).exists()
    form = PopulationForm(request.POST or None, initial={f: getattr(region, f) for f in services.POPULATION_FIELDS})
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.update_population(Actor.from_request(request), code, form.cleaned_data)
            except DomainError as exc:
                for field, reason in exc.fields.items():
                    form.add_error(field if field in form.fields else None, reason)
            else:
                messages.success(request, "人口数据已保存")
                return redirect("regions:detail", code=code)
    return render(
        request,
        "regions/detail.html",
        {
            "region": region,
            "path": services.path_to(code)[:-1],
            "children": Region.objects.visible_to(request.user, "view").filter(parent_code=code),
            "form": form,
            "can_edit": can_edit,
        },
    )
