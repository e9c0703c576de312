"""Pages of the facility registry: list with filters, record with residents, registration, export."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from yiyang.core.access import login_only, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.forms import apply_errors
from yiyang.core.scoping import get_visible_or_404, has_permission
from yiyang.elders import services as elder_services
from yiyang.elders.models import Elder
from yiyang.regions.pickers import pick_regions, region_names

from . import services
from .models import Facility, FacilityStatus, FacilityType, OperationModel, Residence, Service

BLANK = [("", "全部")]


class FilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "名称/编码/地址"}))
    region = forms.CharField(label="区划代码", required=False)
    facility_type = forms.ChoiceField(label="类型", required=False, choices=BLANK + FacilityType.choices)
    operation_model = forms.ChoiceField(label="运营模式", required=False, choices=BLANK + OperationModel.choices)
    status = forms.ChoiceField(label="状态", required=False, choices=BLANK + FacilityStatus.choices)
    star_min = forms.TypedChoiceField(
        label="星级不低于",
        required=False,
        coerce=int,
        empty_value=None,
        choices=BLANK + [(i, f"{i} 星") for i in range(1, 6)],
    )
    has_vacancy = forms.BooleanField(label="有空床", required=False)

    def to_filter(self) -> services.FacilityFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return services.FacilityFilter(**{k: v for k, v in data.items() if v not in (None, "", False)})


class FacilityForm(forms.Form):
    code = forms.CharField(label="机构编码", max_length=32)
    name = forms.CharField(label="机构名称", max_length=100)
    facility_type = forms.ChoiceField(label="机构类型", choices=FacilityType.choices)
    operation_model = forms.ChoiceField(label="运营模式", choices=OperationModel.choices)
    region_code = forms.CharField(label="所属区划代码", max_length=12, help_text="街道或社区的 12 位代码")
    address = forms.CharField(label="地址", max_length=200)
    lat = forms.FloatField(label="纬度", required=False)
    lng = forms.FloatField(label="经度", required=False)
    phone = forms.CharField(label="联系电话", max_length=30, required=False)
    contact_person = forms.CharField(label="联系人", max_length=50, required=False)
    opening_hours = forms.CharField(label="开放时间", max_length=100, required=False)
    services = forms.MultipleChoiceField(
        label="服务项目", choices=Service.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    monthly_fee_min_yuan = forms.DecimalField(label="月收费下限（元）", required=False, min_value=0, decimal_places=2)
    monthly_fee_max_yuan = forms.DecimalField(label="月收费上限（元）", required=False, min_value=0, decimal_places=2)
    beds_total = forms.IntegerField(label="床位总数", min_value=0, initial=0)
    beds_nursing = forms.IntegerField(label="护理型床位", min_value=0, initial=0)
    beds_occupied = forms.IntegerField(label="在住人数", min_value=0, initial=0)
    star_rating = forms.IntegerField(label="星级", min_value=0, max_value=5, initial=0)
    status = forms.ChoiceField(label="状态", choices=FacilityStatus.choices)
    established_on = forms.DateField(label="开业日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label="简介", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_published = forms.BooleanField(label="在服务地图公开", required=False, initial=True)


@requires("facilities.view_facility")
def list_view(request):
    form = FilterForm(request.GET or None)
    pick_regions(form, request.user, "region", "any")
    facilities = Facility.objects.visible_to(request.user, "view")
    try:
        facilities = services.filter_facilities(facilities, form.to_filter())
    except DomainError as exc:
        apply_errors(form, exc)
        facilities = facilities.none()
    page = Paginator(facilities.order_by("region_code", "id"), 20).get_page(request.GET.get("page"))
    names = region_names(f.region_code for f in page)
    for f in page:
        f.region_name = names.get(f.region_code, "")
    return render(
        request,
        "facilities/list.html",
        {
            "form": form,
            "page": page,
            "query": request.GET.urlencode(),
            "can_add": has_permission(request.user, "facilities.add_facility"),
            "can_export": has_permission(request.user, "facilities.export_facility"),
            "can_import": has_permission(request.user, "facilities.import_facility"),
        },
    )


@requires("facilities.export_facility")
def export_view(request):
    form = FilterForm(request.GET or None)
    try:
        queryset = services.filter_facilities(Facility.objects.all(), form.to_filter())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("facilities:list")
    handle = services.export_facilities(Actor.from_request(request), queryset, request.GET.urlencode())
    return FileResponse(handle, as_attachment=True, filename="养老服务机构.xlsx")


@login_only
def detail_view(request, facility_id: int):
    facility = get_visible_or_404(Facility.objects, request.user, "view", pk=facility_id)
    residents = (
        Residence.objects.visible_to(request.user, "view")
        .filter(facility=facility, left_on__isnull=True)
        .select_related("elder")
    )
    return render(
        request,
        "facilities/detail.html",
        {
            "facility": facility,
            "residents": residents,
            "service_labels": [Service(s).label for s in facility.services if s in Service.values],
            "can_change": Facility.objects.visible_to(request.user, "change").filter(pk=facility.pk).exists(),
            "can_admit": Facility.objects.visible_to(request.user, "facilities.add_residence")
            .filter(pk=facility.pk)
            .exists(),
        },
    )


@requires("facilities.add_facility")
def create_view(request):
    form = FacilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            facility = services.register_facility(Actor.from_request(request), form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已登记 {facility.name}")
            return redirect("facilities:detail", facility_id=facility.pk)
    return render(request, "facilities/form.html", {"form": form, "title": "登记养老服务机构"})


@login_only
def edit_view(request, facility_id: int):
    facility = get_visible_or_404(Facility.objects, request.user, "change", pk=facility_id)
    initial = {name: getattr(facility, name) for name in services.EDITABLE_FIELDS}
    for name in ("monthly_fee_min", "monthly_fee_max"):
        fen = getattr(facility, name)
        initial[f"{name}_yuan"] = None if fen is None else fen / 100
    form = FacilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        for name in ("monthly_fee_min", "monthly_fee_max"):
            data[name] = None  # the yuan fields decide
        try:
            services.update_facility(Actor.from_request(request), facility.pk, data)
        except DomainError as exc:
            apply_errors(form, exc, rename=lambda n: f"{n}_yuan" if n.startswith("monthly_fee") else n)
        else:
            messages.success(request, "已保存")
            return redirect("facilities:detail", facility_id=facility.pk)
    return render(
        request, "facilities/form.html", {"form": form, "title": f"修改 {facility.name}", "facility": facility}
    )


class AdmitForm(forms.Form):
    id_number = forms.CharField(label="老人身份证号码", max_length=18)
    name = forms.CharField(
        label="身份证上的姓名（新入住、不在本机构名册中的老人必填，与登记的姓名核对）", max_length=50, required=False
    )
    region_code = forms.CharField(
        label="户籍所在社区代码（尚未登记的老人；默认本机构所在社区）", max_length=12, required=False
    )
    phone = forms.CharField(label="联系电话（尚未登记的老人）", max_length=20, required=False)
    admitted_on = forms.DateField(label="入住日期", widget=forms.DateInput(attrs={"type": "date"}))
    bed_number = forms.CharField(label="床位号", max_length=20, required=False)


@login_only
def admit_view(request, facility_id: int):
    facility = get_visible_or_404(Facility.objects, request.user, "facilities.add_residence", pk=facility_id)
    form = AdmitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        elder = (
            Elder.objects.visible_to(request.user, "view")
            .filter(id_number=form.cleaned_data["id_number"].strip().upper())
            .first()
        )
        data, actor = form.cleaned_data, Actor.from_request(request)
        if elder is None and not data["name"].strip():
            form.add_error("id_number", "在您的管辖范围内没有找到该身份证号码的老人")
            form.add_error("name", "新入住的老人请填写身份证上的姓名")
        else:
            try:
                if elder is None:
                    # A newcomer the facility does not see: admitted by the number and name on the card.
                    person = {name: data[name] for name in ("id_number", "name", "region_code", "phone")}
                    residence = services.admit_presented(actor, facility.pk, person, data["admitted_on"],
                                                         data["bed_number"])  # fmt: skip
                else:
                    residence = services.admit(actor, facility.pk, elder.pk, data["admitted_on"], data["bed_number"])
            except DomainError as exc:
                if exc.code == "name_mismatch":
                    elder_services.trace_name_mismatch(actor, data["id_number"], facility.region_code)
                apply_errors(form, exc, rename=lambda n: "id_number" if n == "elder_id" else n)
            else:
                messages.success(request, f"{residence.elder.name} 已办理入住")
                return redirect("facilities:detail", facility_id=facility.pk)
    return render(request, "facilities/admit.html", {"form": form, "facility": facility})


@login_only
@require_POST
def discharge_view(request, residence_id: int):
    residence = get_visible_or_404(Residence.objects, request.user, "change", pk=residence_id)
    try:
        services.discharge(Actor.from_request(request), residence.pk, timezone.localdate())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已办理离开")
    return redirect("facilities:detail", facility_id=residence.facility_id)
