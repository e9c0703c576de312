"""Pages of the elderly registry: list with search and filters, record, registration, assessment, export."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from yiyang.core import masking, pdf
from yiyang.core.access import login_only, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.forms import apply_errors
from yiyang.core.regioncodes import ancestors
from yiyang.core.scoping import get_visible_or_404, has_permission
from yiyang.regions.models import Region
from yiyang.regions.pickers import pick_regions, region_names

from . import assessment as rules
from . import categories, documents, services
from .models import Assessment, AssessmentReason, CapabilityLevel, Elder, LivingSituation, Relation, Status

BLANK = [("", "全部")]


class FilterForm(forms.Form):
    q = forms.CharField(
        label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "姓名/拼音首字母/身份证/电话"})
    )
    region = forms.CharField(label="区划代码", required=False)
    category = forms.ChoiceField(label="特殊类别", required=False, choices=BLANK + categories.CHOICES)
    level = forms.TypedChoiceField(
        label="能力等级", required=False, coerce=int, empty_value=None, choices=BLANK + CapabilityLevel.choices
    )
    age_min = forms.IntegerField(label="年龄自", required=False, min_value=0, max_value=150)
    age_max = forms.IntegerField(label="年龄至", required=False, min_value=0, max_value=150)
    status = forms.ChoiceField(label="状态", required=False, choices=BLANK + Status.choices)
    living_situation = forms.ChoiceField(label="居住情况", required=False, choices=BLANK + LivingSituation.choices)
    due = forms.BooleanField(label="30 天内应评估", required=False)

    def to_filter(self) -> services.ElderFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return services.ElderFilter(**{k: v for k, v in data.items() if v not in (None, "")})


class ElderForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="公民身份号码", max_length=18)
    ethnicity = forms.CharField(label="民族", max_length=20, required=False, initial="汉族")
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    phone_alt = forms.CharField(label="备用电话", max_length=20, required=False)
    region_code = forms.CharField(label="所属社区（村）代码", max_length=12, help_text="12 位统计用区划代码")
    address = forms.CharField(label="居住地址", max_length=200, required=False)
    lat = forms.FloatField(label="纬度", required=False)
    lng = forms.FloatField(label="经度", required=False)
    living_situation = forms.ChoiceField(
        label="居住情况", required=False, choices=[("", "—")] + LivingSituation.choices
    )
    categories = forms.MultipleChoiceField(
        label="特殊类别", required=False, choices=categories.CHOICES, widget=forms.CheckboxSelectMultiple
    )
    health_notes = forms.CharField(label="健康状况", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(label="状态", choices=Status.choices, initial=Status.ACTIVE)
    status_date = forms.DateField(label="迁出/死亡日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    contact_name = forms.CharField(label="紧急联系人", max_length=50, required=False)
    contact_relation = forms.ChoiceField(label="关系", required=False, choices=Relation.choices)
    contact_phone = forms.CharField(label="联系人电话", max_length=20, required=False)
    contact_phone_alt = forms.CharField(label="联系人备用电话", max_length=20, required=False)

    def service_data(self) -> tuple[dict, list[dict] | None]:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("contact_")}
        contact = None
        if self.cleaned_data.get("contact_name") or self.cleaned_data.get("contact_phone"):
            contact = [
                {
                    "name": self.cleaned_data["contact_name"],
                    "relation": self.cleaned_data["contact_relation"],
                    "phone": self.cleaned_data["contact_phone"],
                    "phone_alt": self.cleaned_data["contact_phone_alt"],
                    "is_guardian": False,
                }
            ]
        return data, contact


@requires("elders.view_elder")
def list_view(request):
    form = FilterForm(request.GET or None)
    pick_regions(form, request.user, "region", "any")
    elders = Elder.objects.visible_to(request.user, "view")
    try:
        elders = services.filter_elders(elders, form.to_filter(), user=request.user)
    except DomainError as exc:
        apply_errors(form, exc)
        elders = elders.none()
    page = Paginator(elders.order_by("region_code", "id"), 20).get_page(request.GET.get("page"))
    names = region_names(e.region_code for e in page)
    rows = [(e, masking.masked(e), services.age(e), names.get(e.region_code, "")) for e in page]
    return render(
        request,
        "elders/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": request.GET.urlencode(),
            "can_add": has_permission(request.user, "elders.add_elder"),
            "can_export": has_permission(request.user, "elders.export_elder"),
            "can_import": has_permission(request.user, "elders.import_elder"),
        },
    )


@requires("elders.export_elder")
def export_view(request):
    form = FilterForm(request.GET or None)
    try:
        queryset = services.filter_elders(Elder.objects.all(), form.to_filter(), user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("elders:list")
    reveal = request.GET.get("reveal") == "1"
    handle = services.export_elders(
        Actor.from_request(request), queryset, reveal=reveal, description=form.data.urlencode() if form.data else ""
    )
    return FileResponse(handle, as_attachment=True, filename="老年人名单.xlsx")


def _contacts_shown(elder: Elder, revealed: bool) -> list:
    # The contacts' phones are revealed with the elder's record, under its one audit entry.
    contacts = list(elder.contacts.all())
    for contact in contacts:
        shown = {"phone": contact.phone, "phone_alt": contact.phone_alt} if revealed else masking.masked(contact)
        contact.phone_shown, contact.phone_alt_shown = shown["phone"], shown.get("phone_alt", "")
    return contacts


@login_only
def detail_view(request, elder_id: int):
    elder = get_visible_or_404(Elder.objects, request.user, "view", pk=elder_id)
    reveal = request.GET.get("reveal") == "1"
    sensitive = masking.shown(Actor.from_request(request), elder, reveal=reveal)
    return render(
        request,
        "elders/detail.html",
        {
            "elder": elder,
            "sensitive": sensitive.values,
            "revealed": sensitive.revealed,
            "age": services.age(elder),
            "category_labels": categories.to_labels(elder.categories),
            "region_path": " · ".join(
                Region.objects.filter(code__in=[*ancestors(elder.region_code)[2:], elder.region_code])
                .order_by("-code")
                .values_list("name", flat=True)
            ),
            "contacts": _contacts_shown(elder, sensitive.revealed),
            "assessments": Assessment.objects.visible_to(request.user, "view").filter(elder=elder),
            "may_reveal": sensitive.may_reveal,
            "can_change": Elder.objects.visible_to(request.user, "change").filter(pk=elder.pk).exists(),
            "can_assess": Elder.objects.visible_to(request.user, "elders.add_assessment").filter(pk=elder.pk).exists(),
            "can_book": has_permission(request.user, "homecare.add_order") and elder.status == "active",
        },
    )


@requires("elders.add_elder")
def create_view(request):
    form = ElderForm(request.POST or None)
    pick_regions(form, request.user, "region_code", "5")
    if request.method == "POST" and form.is_valid():
        data, contacts = form.service_data()
        try:
            elder = services.register_elder(Actor.from_request(request), data, contacts)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已登记 {elder.name}")
            return redirect("elders:detail", elder_id=elder.pk)
    return render(request, "elders/form.html", {"form": form, "title": "登记老年人"})


@login_only
def edit_view(request, elder_id: int):
    elder = get_visible_or_404(Elder.objects, request.user, "change", pk=elder_id)
    contact, *other_contacts = elder.contacts.order_by("pk") or [None]
    initial = {name: getattr(elder, name) for name in services.EDITABLE_FIELDS}
    initial["categories"] = categories.to_codes(elder.categories)
    if contact:
        initial.update(contact_name=contact.name, contact_relation=contact.relation, contact_phone=contact.phone,
                       contact_phone_alt=contact.phone_alt)  # fmt: skip
    form = ElderForm(request.POST or None, initial=initial)
    pick_regions(form, request.user, "region_code", "5")
    if request.method == "POST" and form.is_valid():
        data, contacts = form.service_data()
        if contacts is not None and contact:
            # The page edits the first contact; the others (an imported register may hold several) and
            # the guardian mark stay as they are.
            contacts[0]["is_guardian"] = contact.is_guardian
            contacts += [{"name": c.name, "relation": c.relation, "phone": c.phone, "phone_alt": c.phone_alt,
                          "is_guardian": c.is_guardian} for c in other_contacts]  # fmt: skip
        try:
            services.update_elder(Actor.from_request(request), elder.pk, data, contacts)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("elders:detail", elder_id=elder.pk)
    return render(request, "elders/form.html", {"form": form, "title": f"修改 {elder.name} 的信息", "elder": elder})


def _score_choices(item: rules.Item):
    return [(str(score), rules.score_label(item, score)) for score in range(item.max_score, -1, -1)]


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(label="评估基准日期", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(label="评估原因", choices=AssessmentReason.choices, initial=AssessmentReason.ROUTINE)
    assessor_1 = forms.CharField(label="评估员一", max_length=50)
    assessor_2 = forms.CharField(label="评估员二", max_length=50)
    coma = forms.BooleanField(label="昏迷（A.5.11）", required=False)
    dementia = forms.BooleanField(label="确诊痴呆（F00-F03）", required=False)
    mental_disorder = forms.BooleanField(label="其他精神和行为障碍（F04-F99）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in rules.ITEMS:
            self.fields[f"item_{item.code}"] = forms.ChoiceField(
                label=f"{item.code} {item.label}", choices=[("", "—")] + _score_choices(item)
            )
        for key, label in rules.RISK_EVENTS:
            self.fields[f"risk_{key}"] = forms.TypedChoiceField(
                label=label, coerce=int, initial=0, choices=[(0, "0 次"), (1, "1 次"), (2, "2 次"), (3, "3 次及以上")]
            )

    def dimensions(self):
        """Item fields grouped by dimension, for the template."""
        return [(d.label, [self[f"item_{i.code}"] for i in d.items]) for d in rules.DIMENSIONS]

    def risk_fields(self):
        return [self[f"risk_{key}"] for key, _ in rules.RISK_EVENTS]

    def progress(self) -> rules.Progress:
        """The running subtotals and levels of what has been filled in so far (bound or not)."""
        data = self.data if self.is_bound else {}
        flags = {name: data.get(name) in ("on", "true", "1") for name in ("coma", "dementia", "mental_disorder")}
        return rules.progress(
            {i.code: data.get(f"item_{i.code}") for i in rules.ITEMS},
            risk_events={key: data.get(f"risk_{key}") for key, _ in rules.RISK_EVENTS},
            **flags,
        )

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith(("item_", "risk_"))}
        data["scores"] = {i.code: self.cleaned_data[f"item_{i.code}"] for i in rules.ITEMS}
        data["risk_events"] = {key: self.cleaned_data[f"risk_{key}"] for key, _ in rules.RISK_EVENTS}
        return data


def _assessment_field(name: str) -> str:
    """The form field for a service error key: 'scores.B.1.1' -> 'item_B.1.1', 'risk_events.fall' -> 'risk_fall'."""
    if name.startswith("scores."):
        return f"item_{name.removeprefix('scores.')}"
    if name.startswith("risk_events."):
        return f"risk_{name.removeprefix('risk_events.')}"
    return name


@login_only
def assess_view(request, elder_id: int):
    elder = get_visible_or_404(Elder.objects, request.user, "elders.add_assessment", pk=elder_id)
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and request.POST.get("preview") == "1":
        # The running total while the form is filled in: nothing is saved.
        return render(request, "elders/_assessment_summary.html", {"progress": form.progress()})
    if request.method == "POST" and form.is_valid():
        try:
            record = services.record_assessment(Actor.from_request(request), elder.pk, form.service_data())
        except DomainError as exc:
            apply_errors(form, exc, rename=_assessment_field)
        else:
            messages.success(request, f"评估已保存：总分 {record.total}，{record.get_final_level_display()}")
            return redirect("elders:detail", elder_id=elder.pk)
    return render(request, "elders/assess.html", {"form": form, "elder": elder, "progress": form.progress()})


@requires("elders.view_assessment")
def assessment_print_view(request, elder_id: int, assessment_id: int):
    """The assessment report (GB/T 42195-2022 Annex C) as a page to print; `?reveal=1` unmasks (audited)."""
    context = documents.assessment_report(
        Actor.from_request(request), elder_id, assessment_id, reveal=request.GET.get("reveal") == "1"
    )
    pdf_url = reverse("elders:assessment_pdf", args=[elder_id, assessment_id])
    return pdf.page(
        request, documents.TEMPLATE, context, pdf_url=pdf_url + ("?reveal=1" if context["revealed"] else "")
    )


@requires("elders.view_assessment")
def assessment_pdf_view(request, elder_id: int, assessment_id: int):
    context = documents.assessment_report(
        Actor.from_request(request), elder_id, assessment_id, reveal=request.GET.get("reveal") == "1"
    )
    return pdf.response(request, documents.TEMPLATE, context, filename=documents.filename(context["record"]))
