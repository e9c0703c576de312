"""Pages: the month's subsidy claims of a region with the calculation button, one claim with its
evidence and review steps, and the rate tables."""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from yiyang.core import pdf
from yiyang.core.access import login_only, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.forms import apply_errors, submitted
from yiyang.core.regioncodes import region_range_q
from yiyang.core.scoping import get_visible_or_404, has_permission, may
from yiyang.core.templatetags.money import yuan
from yiyang.elders.models import CapabilityLevel, Elder
from yiyang.facilities.models import FacilityType
from yiyang.regions.models import Region
from yiyang.regions.services import default_region, requested_region

from .. import documents
from ..models import ClaimStatus, SubsidyClaim, SubsidyRateTable
from ..services import subsidies as services
from ..workflows import CLAIM


def _month(raw: str | None) -> date:
    try:
        return date.fromisoformat(f"{raw}-01") if raw else services.first_of_month(timezone.localdate())
    except ValueError:
        raise Http404 from None


@requires("supervision.view_subsidyclaim")
def claims_view(request):
    asked = request.GET.get("month") or request.POST.get("month")
    # `waiting`: the claims that wait for the user's step (the home page's to-do), of every month.
    waiting = request.GET.get("waiting", "") if request.GET.get("waiting") in CLAIM.by_name else ""
    claims = CLAIM.waiting(request.user, waiting) if waiting else SubsidyClaim.objects.visible_to(request.user)
    region = None
    if has_permission(request.user, "regions.view_region"):
        region = Region.objects.get(
            code=requested_region(request.user, request.GET.get("region") or request.POST.get("region", ""), page=True)
        )
        claims = claims.filter(region_range_q("region_code", region.code))
    if waiting and not asked:
        month = None
    else:
        # Without a month asked for, the page opens on the latest month that has claims, not on an empty one.
        latest = None if asked else claims.order_by("-month").values_list("month", flat=True).first()
        month = latest or _month(asked)
        claims = claims.filter(month=month)
    claims = claims.select_related("facility")
    if request.method == "POST":
        month = _month(asked)
        if region is None or not has_permission(request.user, "supervision.add_subsidyclaim"):
            raise PermissionDenied
        try:
            result = services.calculate_month(Actor.from_request(request), region.code, month)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已测算 {result.created} 家机构，金额 {yuan(result.amount)} 元；"
                                      f"已有申报的 {result.skipped} 家未重复测算")  # fmt: skip
        return redirect(f"{request.path}?region={region.code}&month={month:%Y-%m}")
    if request.GET.get("status") in ClaimStatus.values:
        claims = claims.filter(status=request.GET["status"])
    totals = claims.aggregate(n=Count("id"), residents=Sum("residents"), amount=Sum("amount"))
    page = Paginator(claims.order_by("region_code", "id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/subsidies/claims.html",
        {
            "region": region,
            "month": month,
            "page": page,
            "totals": totals,
            "statuses": ClaimStatus.choices,
            "waiting": CLAIM[waiting].label if waiting else "",
            "may_calculate": month is not None
            and region is not None
            and has_permission(request.user, "supervision.add_subsidyclaim"),
        },  # fmt: skip
    )


@login_only
def claim_view(request, claim_id: int):
    claim = get_visible_or_404(SubsidyClaim.objects.select_related("facility", "rate_table"), request.user, pk=claim_id)
    lines = list(claim.lines.all())
    # Residents registered in a county outside the user's scope keep their names hidden.
    elder_ids = [line.elder_id for line in lines if line.elder_id]
    names = dict(Elder.objects.visible_to(request.user).filter(pk__in=elder_ids).values_list("pk", "name"))
    levels = dict(CapabilityLevel.choices)
    for line in lines:
        line.elder_name = names.get(line.elder_id, "")
        line.level_label = levels.get(line.capability_level, "未评估或评估已过期")
    steps = [(t.name, t.label) for t in CLAIM.allowed(request.user, claim)]
    may_recalculate = claim.status == ClaimStatus.CALCULATED and may(
        request.user, claim, "supervision.add_subsidyclaim"
    )
    history = list(claim.steps.all())
    for step in history:
        step.label = services.STEP_LABELS.get(step.action, step.action)
    return render(
        request,
        "supervision/subsidies/claim.html",
        {
            "claim": claim,
            "lines": lines,
            "history": history,
            "steps": steps,
            "may_recalculate": may_recalculate,
            "payments": claim.payments.all(),
        },  # fmt: skip
    )


@login_only
@require_POST
def claim_step_view(request, claim_id: int):
    actor = Actor.from_request(request)
    try:
        if request.POST.get("step") == "recalculate":
            services.recalculate(actor, claim_id)
        else:
            services.take_step(actor, claim_id, request.POST.get("step", ""), request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已办理")
    return redirect("supervision:claim", claim_id=claim_id)


class RateTableForm(forms.Form):
    region_code = forms.CharField(label="适用区划代码", max_length=12)
    name = forms.CharField(label="政策名称", max_length=100)
    document = forms.CharField(label="政策文件", max_length=100, required=False)
    valid_from = forms.DateField(label="起始日期", widget=forms.DateInput(attrs={"type": "date"}))
    facility_types = forms.MultipleChoiceField(
        label="适用机构类型", choices=FacilityType.choices, widget=forms.CheckboxSelectMultiple
    )
    rate_0 = forms.DecimalField(label="能力完好（元/人/月）", min_value=0, max_value=10000, decimal_places=2)
    rate_1 = forms.DecimalField(label="轻度失能（元/人/月）", min_value=0, max_value=10000, decimal_places=2)
    rate_2 = forms.DecimalField(label="中度失能（元/人/月）", min_value=0, max_value=10000, decimal_places=2)
    rate_3 = forms.DecimalField(label="重度失能（元/人/月）", min_value=0, max_value=10000, decimal_places=2)
    rate_4 = forms.DecimalField(label="完全失能（元/人/月）", min_value=0, max_value=10000, decimal_places=2)
    unassessed = forms.DecimalField(
        label="未评估（元/人/月）", min_value=0, max_value=10000, decimal_places=2, initial=0
    )
    nursing_extra = forms.DecimalField(label="护理型床位加补（元/人/月）", min_value=0, max_value=10000,
                                       decimal_places=2, initial=0)  # fmt: skip
    construction = forms.DecimalField(label="新增床位建设补贴（元/张）", min_value=0, max_value=100000,
                                      decimal_places=2, initial=0)  # fmt: skip
    min_days = forms.IntegerField(label="当月在住满多少天计补", min_value=1, max_value=31, initial=15)


def _fen(value) -> int:
    return int(value * 100)


@requires("supervision.view_subsidyratetable")
def rates_view(request):
    may_add = has_permission(request.user, "supervision.add_subsidyratetable")
    form = (
        RateTableForm(request.POST or None, initial={"region_code": default_region(request.user)}) if may_add else None
    )
    if submitted(request, form):
        d = form.cleaned_data
        data = {
            "region_code": d["region_code"], "name": d["name"], "document": d["document"],
            "valid_from": d["valid_from"], "facility_types": d["facility_types"],
            "level_rates": {str(level): _fen(d[f"rate_{level}"]) for level in range(5)},
            "unassessed_rate": _fen(d["unassessed"]), "nursing_extra": _fen(d["nursing_extra"]),
            "construction_per_bed": _fen(d["construction"]), "min_days": d["min_days"],
        }  # fmt: skip
        try:
            services.save_rate_table(Actor.from_request(request), data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "补贴标准已发布")
            return redirect("supervision:subsidy_rates")
    tables = SubsidyRateTable.objects.visible_to(request.user)[:200]
    return render(request, "supervision/subsidies/rates.html", {"form": form, "tables": tables})


@requires("supervision.view_subsidyclaim")
def claim_print_view(request, claim_id: int):
    """A claim with its evidence lines (运营补贴申报表), as a page to print."""
    context = documents.subsidy_claim(request.user, claim_id)
    return pdf.page(request, documents.CLAIM_TEMPLATE, context,
                    pdf_url=reverse("supervision:claim_pdf", args=[claim_id]))  # fmt: skip


@requires("supervision.view_subsidyclaim")
def claim_pdf_view(request, claim_id: int):
    context = documents.subsidy_claim(request.user, claim_id)
    return pdf.response(request, documents.CLAIM_TEMPLATE, context, filename=documents.claim_filename(context))
