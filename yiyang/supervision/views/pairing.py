"""Pages of cadre pairing (万人助中心): cadres and their pairings, the print-friendly board a centre
posts on its wall (上墙), visits (入网) and the points ranking of a region (计分)."""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from yiyang.core import pdf, photos
from yiyang.core.access import login_only, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.forms import apply_errors, submitted
from yiyang.core.scoping import get_visible_or_404, has_permission
from yiyang.facilities.models import Facility
from yiyang.facilities.services import own_facility
from yiyang.regions.models import Region
from yiyang.regions.services import default_region, requested_region

from .. import documents
from ..models import Cadre
from ..services import pairing as services


class CadreForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    post = forms.CharField(label="单位职务", max_length=100)
    phone = forms.CharField(label="联系电话", max_length=20)
    region_code = forms.CharField(label="所属区划代码", max_length=12)
    photo = forms.FileField(label="照片（JPEG、PNG 或 WebP）", required=False)


@requires("supervision.view_pairing")
def cadres_view(request):
    """The cadres in the user's scope with their current pairings; officers register cadres here."""
    if not has_permission(request.user, "supervision.view_cadre"):
        # A facility sees its own board.
        facility = own_facility(request.user, "supervision.view_pairing")
        return redirect("supervision:pairing_board", facility_id=facility.pk)
    may_add = has_permission(request.user, "supervision.add_cadre")
    form = CadreForm(request.POST or None, request.FILES or None,
                     initial={"region_code": default_region(request.user)}) if may_add else None  # fmt: skip
    if submitted(request, form):
        data = form.cleaned_data
        try:
            cadre = services.register_cadre(Actor.from_request(request), data, data.get("photo"))
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已登记包联干部 {cadre.name}")
            return redirect("supervision:pairing_cadre", cadre_id=cadre.pk)
    cadres = list(services.cadres(request.user).order_by("region_code", "name")[:500])
    today = timezone.localdate()
    current = {}
    for p in services.pairings(request.user).filter(cadre__in=cadres, until__isnull=True).select_related("facility"):
        if p.since <= today:
            current.setdefault(p.cadre_id, []).append(p.facility)
    return render(request, "supervision/pairing/cadres.html", {
        "form": form, "rows": [(c, current.get(c.pk, [])) for c in services.with_phones_masked(cadres)],
    })  # fmt: skip


class PairForm(forms.Form):
    facility = forms.ModelChoiceField(label="包联机构/中心", queryset=None)
    since = forms.DateField(label="包联开始", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = Facility.objects.visible_to(user, "supervision.add_pairing")


@login_only
def cadre_view(request, cadre_id: int):
    cadre = get_visible_or_404(services.cadres(request.user), request.user, pk=cadre_id)
    may_change = Cadre.objects.visible_to(request.user, "supervision.change_cadre").filter(pk=cadre.pk).exists()
    pair_form = PairForm(request.POST if request.POST.get("action") == "pair" else None, user=request.user,
                         initial={"since": timezone.localdate()})  # fmt: skip
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        actor, action = Actor.from_request(request), request.POST.get("action")
        try:
            if action == "photo":
                services.set_photo(actor, cadre.pk, request.FILES.get("photo"))
                messages.success(request, "照片已更新")
                return redirect("supervision:pairing_cadre", cadre_id=cadre.pk)
            if action == "end":
                until = _date(request.POST.get("until"), "until")
                services.end_pairing(actor, int(request.POST.get("pairing", 0) or 0), until)
                messages.success(request, "包联关系已结束")
                return redirect("supervision:pairing_cadre", cadre_id=cadre.pk)
            if action == "pair" and pair_form.is_valid():
                data = pair_form.cleaned_data
                services.pair(actor, cadre.pk, data["facility"].pk, data["since"])
                messages.success(request, f"已包联 {data['facility'].name}")
                return redirect("supervision:pairing_cadre", cadre_id=cadre.pk)
        except DomainError as exc:
            apply_errors(pair_form, exc, rename=lambda n: n.removesuffix("_id")) if action == "pair" else (
                messages.error(request, exc.message))  # fmt: skip
    services.with_phone_shown(Actor.from_request(request), cadre, request.GET.get("reveal") == "1")
    return render(request, "supervision/pairing/cadre.html", {
        "cadre": cadre, "may_change": may_change, "pair_form": pair_form,
        "pairings": services.pairings(request.user).filter(cadre=cadre).select_related("facility"),
        "visits": services.visits(request.user).filter(cadre=cadre).select_related("facility")[:100],
        "today": timezone.localdate(),
    })  # fmt: skip


def _date(raw, field: str) -> date:
    from yiyang.core.errors import FieldErrors

    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        raise FieldErrors({field: "请填写日期（YYYY-MM-DD）"}) from None


@login_only
def cadre_photo_view(request, cadre_id: int):
    cadre = Cadre.objects.filter(pk=cadre_id).first()
    if cadre is None or not cadre.photo or not services.photo_visible(request.user, cadre):
        raise Http404
    return photos.serve(cadre.photo, cadre.photo_extension)


@requires("supervision.view_pairing")
def board_view(request, facility_id: int):
    """The board of paired cadres (name, post, phone, photo) a centre prints and posts on its wall."""
    reveal = request.GET.get("reveal") == "1"
    context = documents.pairing_board(Actor.from_request(request), facility_id, for_pdf=False, reveal=reveal)
    return pdf.page(request, documents.BOARD_TEMPLATE, context,
                    pdf_url=reverse("supervision:pairing_board_pdf", args=[facility_id]) + ("?reveal=1" if reveal else ""))  # fmt: skip


@requires("supervision.view_pairing")
def board_pdf_view(request, facility_id: int):
    reveal = request.GET.get("reveal") == "1"
    context = documents.pairing_board(Actor.from_request(request), facility_id, for_pdf=True, reveal=reveal)
    return pdf.response(request, documents.BOARD_TEMPLATE, context, filename=documents.board_filename(context))


class VisitForm(forms.Form):
    cadre = forms.ModelChoiceField(label="干部", queryset=None)
    facility = forms.ModelChoiceField(label="走访机构/中心", queryset=None)
    visited_on = forms.DateField(label="走访日期", widget=forms.DateInput(attrs={"type": "date"}))
    findings = forms.CharField(label="走访情况", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    problems_raised = forms.CharField(label="发现问题", widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                      max_length=2000)  # fmt: skip
    raised_count = forms.IntegerField(label="发现问题数", min_value=0, max_value=100, initial=0)
    problems_solved = forms.CharField(label="解决问题", widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                      max_length=2000)  # fmt: skip
    solved_count = forms.IntegerField(label="解决问题数", min_value=0, max_value=100, initial=0)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = services.cadres(user).filter(is_active=True)
        paired = services.pairings(user, "supervision.add_cadrevisit").values("facility_id")
        self.fields["facility"].queryset = Facility.objects.visible_to(user).filter(pk__in=paired)


@requires("supervision.view_cadrevisit")
def visits_view(request):
    """Visits in the user's scope (a cadre: their own); cadres and officers record visits here."""
    may_add = has_permission(request.user, "supervision.add_cadrevisit")
    form = (
        VisitForm(request.POST or None, user=request.user, initial={"visited_on": timezone.localdate()})
        if may_add
        else None
    )
    if submitted(request, form):
        data = dict(form.cleaned_data)
        try:
            services.record_visit(Actor.from_request(request), data.pop("cadre").pk, data.pop("facility").pk, data)
        except DomainError as exc:
            apply_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
        else:
            messages.success(request, "走访已录入")
            return redirect("supervision:pairing_visits")
    rows = services.visits(request.user).select_related("cadre", "facility").order_by("-visited_on", "-id")[:200]
    return render(request, "supervision/pairing/visits.html", {"form": form, "visits": rows})


class SchemeForm(forms.Form):
    points_per_visit = forms.IntegerField(label="每次走访得分", min_value=0, max_value=1000)
    points_per_solved = forms.IntegerField(label="每解决一个问题得分", min_value=0, max_value=1000)
    monthly_cap = forms.IntegerField(label="每月得分上限（0 为不设上限）", min_value=0, max_value=1000)
    source = forms.CharField(label="依据文件", max_length=200, required=False)


@requires("supervision.view_cadre")
def ranking_view(request):
    """Points of the cadres of a region for a period, best first; officers set the region's scheme."""
    region = Region.objects.get(code=requested_region(request.user, request.GET.get("region", ""), page=True))
    today = timezone.localdate()
    try:
        start = date.fromisoformat(request.GET.get("start") or "")
    except ValueError:
        start = today.replace(month=1, day=1)
    try:
        end = date.fromisoformat(request.GET.get("end") or "")
    except ValueError:
        end = today
    scheme = services.scheme_for(region.code)
    may_set = has_permission(request.user, "supervision.change_scoringscheme")
    form = SchemeForm(request.POST or None, initial=vars(scheme)) if may_set else None
    if submitted(request, form):
        data = form.cleaned_data
        try:
            services.save_scheme(Actor.from_request(request), region.code, data["points_per_visit"],
                                 data["points_per_solved"], data["monthly_cap"], data["source"])  # fmt: skip
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{region.name}计分规则已保存")
            return redirect(f"{request.path}?region={region.code}&start={start}&end={end}")
    try:
        rows = services.ranking(request.user, region.code, start, end)
    except DomainError as exc:
        messages.error(request, exc.message)
        rows = []
    return render(request, "supervision/pairing/ranking.html", {
        "region": region, "start": start, "end": end, "scheme": scheme, "rows": rows, "form": form,
        "scheme_is_own": scheme.region_code == region.code,
    })  # fmt: skip
