"""Pages: the rectification ledger, planning inspections, the on-site results page (a phone page), a
hazard with its history and next step, checklists, and the scoped photo download."""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
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
from yiyang.regions.services import default_region, path_to, requested_region

from .. import documents
from ..models import Checklist, Hazard, HazardStatus, InspectionKind, InspectionStatus, Photo, Severity, StepAction
from ..services import inspections as services
from ..workflows import HAZARD, INSPECTION


@requires("supervision.view_hazard")
def ledger_view(request):
    """The rectification ledger of a region: per child region the 对账 counts, then the lines."""
    facility_id = int(request.GET["facility"]) if request.GET.get("facility", "").isdigit() else None
    if facility_id is None and not has_permission(request.user, "regions.view_region"):
        # A facility manager's ledger is the facility's own.
        facility = own_facility(request.user, "supervision.view_hazard")
        return redirect(f"{request.path}?facility={facility.pk}")
    if facility_id:
        facility = get_visible_or_404(Facility.objects, request.user, "view", pk=facility_id)
        region, summary = None, []
        code = facility.region_code
    else:
        facility = None
        region = Region.objects.get(code=requested_region(request.user, request.GET.get("region", ""), page=True))
        code = region.code
        summary = services.summary_by_child_region(request.user, code)
    status = request.GET.get("status", services.PENDING)
    filters = {
        "status": status if status in (services.PENDING, *HazardStatus.values) else "",
        "severity": request.GET.get("severity", "") if request.GET.get("severity") in Severity.values else "",
        "overdue": request.GET.get("overdue") == "1",
        "escalated": request.GET.get("escalated") == "1",
    }
    if request.GET.get("format") == "xlsx":
        rows = services.ledger(request.user, code, facility_id=facility_id, action="export", **filters)
        handle = services.export_ledger(Actor.from_request(request), rows)
        return FileResponse(handle, as_attachment=True, filename="隐患整改台账.xlsx")
    hazards = services.ledger(request.user, code, facility_id=facility_id, **filters)
    # The summary has already counted what a status filter alone selects; no second count is needed.
    known = None
    if summary and not (filters["severity"] or filters["overdue"] or filters["escalated"]):
        field = {"": "total", services.PENDING: None}.get(filters["status"], filters["status"])
        known = sum(row[field] if field else row["open"] + row["submitted"] for row in summary)
    page = Paginator(services.LedgerRows(hazards, known), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/ledger.html",
        {
            "region": region, "facility": facility, "path": path_to(code) if region else [], "summary": summary,
            "page": page, "filters": filters, "statuses": [(services.PENDING, "未销号"), ("", "全部"),
                                                            *HazardStatus.choices], "severities": Severity.choices,
            "today": timezone.localdate(), "may_export": has_permission(request.user, "supervision.export_hazard"),
        },
    )  # fmt: skip


class PlanForm(forms.Form):
    facility = forms.ModelChoiceField(label="检查机构", queryset=None)
    checklist = forms.ModelChoiceField(label="检查表", queryset=None)
    kind = forms.ChoiceField(label="检查方式", choices=InspectionKind.choices)
    planned_on = forms.DateField(label="计划日期", widget=forms.DateInput(attrs={"type": "date"}))
    inspectors = forms.CharField(label="检查人员", max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = Facility.objects.visible_to(user, "supervision.add_inspection")
        self.fields["checklist"].queryset = services.checklists_usable(user)


@requires("supervision.view_inspection")
def inspections_view(request):
    """Inspections in the user's scope, newest first; officers plan new ones here."""
    may_plan = has_permission(request.user, "supervision.add_inspection")
    form = PlanForm(request.POST or None, user=request.user) if may_plan else None
    if submitted(request, form):
        data = form.cleaned_data
        try:
            inspection = services.plan_inspection(Actor.from_request(request), data["facility"].pk,
                                                  data["checklist"].pk, data["kind"], data["planned_on"],
                                                  data["inspectors"])  # fmt: skip
        except DomainError as exc:
            apply_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
        else:
            messages.success(request, "检查已安排")
            return redirect("supervision:inspection", inspection_id=inspection.pk)
    rows = services.inspections_visible(request.user).select_related("facility")
    if request.GET.get("status") in InspectionStatus.values:
        rows = rows.filter(status=request.GET["status"])
    page = Paginator(rows.order_by("-planned_on", "-id"), 30).get_page(request.GET.get("page"))
    return render(request, "supervision/inspections.html", {"form": form, "page": page})


def _findings_from(post, checklist: Checklist) -> tuple[dict, dict]:
    results, findings = {}, {}
    for item in checklist.items:
        code = item["code"]
        if post.get(f"result-{code}"):
            results[code] = post[f"result-{code}"]
        if results.get(code) == "fail":
            raw_deadline = post.get(f"deadline-{code}", "")
            try:
                deadline = date.fromisoformat(raw_deadline) if raw_deadline else None
            except ValueError:
                deadline = date.min  # refused by the service as earlier than today
            findings[code] = services.Finding(
                description=post.get(f"description-{code}", ""), severity=post.get(f"severity-{code}", "general"),
                responsible_person=post.get(f"responsible-{code}", ""), deadline=deadline,
            )  # fmt: skip
    return results, findings


@login_only
def inspection_view(request, inspection_id: int):
    """The on-site page: one card per checklist item (合格 / 不合格 / 不适用), and for a failed item the
    hazard, its severity, who rectifies it by when, and photos."""
    inspection = services.get_inspection(request.user, inspection_id)
    may_record = INSPECTION.may(request.user, inspection, "record")
    errors = {}
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        results, findings = _findings_from(request.POST, inspection.checklist)
        photos = {
            item["code"]: request.FILES.getlist(f"photo-{item['code']}")
            for item in inspection.checklist.items
            if request.FILES.getlist(f"photo-{item['code']}")
        }
        try:
            services.record_results(Actor.from_request(request), inspection.pk, results, findings,
                                    request.POST.get("summary", ""), photos)  # fmt: skip
        except DomainError as exc:
            errors = exc.fields
            messages.error(request, exc.message)
        else:
            failed = sum(1 for value in results.values() if value == "fail")
            messages.success(request, f"检查结果已保存，{failed} 项不合格已列入整改台账")
            return redirect("supervision:inspection", inspection_id=inspection.pk)
    items = []
    for item in inspection.checklist.items:
        code = item["code"]
        items.append({
            **item,
            "category_label": dict(services.CheckCategory.choices).get(item["category"], item["category"]),
            "result": request.POST.get(f"result-{code}", inspection.results.get(code, "")),
            "values": {name: request.POST.get(f"{name}-{code}", "") for name in
                       ("description", "severity", "responsible", "deadline")},
            "errors": [reason for field, reason in errors.items() if f".{code}" in field],
        })  # fmt: skip
    hazards = inspection.hazards.order_by("id") if inspection.status == InspectionStatus.DONE else []
    return render(
        request,
        "supervision/inspection.html",
        {
            "inspection": inspection,
            "items": items,
            "may_record": may_record,
            "hazards": hazards,
            "severities": Severity.choices,
            "results": services.RESULTS,
        },  # fmt: skip
    )


class RectifyForm(forms.Form):
    note = forms.CharField(label="整改情况", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class VerifyForm(forms.Form):
    note = forms.CharField(label="核验意见", max_length=500, required=False)


@login_only
def hazard_view(request, hazard_id: int):
    hazard = get_visible_or_404(
        Hazard.objects.select_related("facility", "inspection__checklist"), request.user, pk=hazard_id
    )
    offered = {t.name for t in HAZARD.allowed(request.user, hazard)}
    may_rectify = StepAction.SUBMITTED in offered
    may_verify = bool({StepAction.CLOSED, StepAction.RETURNED} & offered)
    rectify_form = RectifyForm(prefix="rectify")
    if request.method == "POST":
        actor = Actor.from_request(request)
        try:
            if "rectify-note" in request.POST:
                rectify_form = RectifyForm(request.POST, prefix="rectify")
                if rectify_form.is_valid():
                    services.submit_rectification(actor, hazard.pk, rectify_form.cleaned_data["note"],
                                                  request.FILES.getlist("photos"))  # fmt: skip
                    messages.success(request, "整改材料已提交，等待核验")
                    return redirect("supervision:hazard", hazard_id=hazard.pk)
            elif request.POST.get("decision") in ("close", "return"):
                services.verify(actor, hazard.pk, request.POST["decision"] == "close", request.POST.get("note", ""))
                messages.success(request, "已销号" if request.POST["decision"] == "close" else "已退回重新整改")
                return redirect("supervision:hazard", hazard_id=hazard.pk)
        except DomainError as exc:
            apply_errors(rectify_form, exc) if "rectify-note" in request.POST else messages.error(request, exc.message)
    item = hazard.inspection.checklist.item(hazard.item_code) or {}
    return render(
        request,
        "supervision/hazard.html",
        {
            "hazard": hazard,
            "item": item,
            "steps": hazard.steps.all(),
            "photos": hazard.photos.all(),
            "may_rectify": may_rectify,
            "may_verify": may_verify,
            "rectify_form": rectify_form,
            "overdue": hazard.is_overdue(),
        },  # fmt: skip
    )


@login_only
def photo_view(request, photo_id: int):
    photo = get_visible_or_404(Photo.objects, request.user, pk=photo_id)
    return photos.serve(photo.file, photo.extension)


class ChecklistForm(forms.Form):
    region_code = forms.CharField(label="适用区划代码", max_length=12)
    name = forms.CharField(label="检查表名称", max_length=100)
    items = forms.CharField(
        label="检查项目", widget=forms.Textarea(attrs={"rows": 16}), help_text="每行一项，写成“类别：检查内容”"
    )


@requires("supervision.view_checklist")
def checklists_view(request):
    may_add = has_permission(request.user, "supervision.add_checklist")
    labels = dict(services.CheckCategory.choices)
    initial = {
        "region_code": default_region(request.user),
        "name": "养老机构安全检查表",
        "items": "\n".join(f"{labels[category]}：{text}" for category, text in services.DEFAULT_ITEMS),
    }
    form = ChecklistForm(request.POST or None, initial=initial) if may_add else None
    if submitted(request, form):
        data = form.cleaned_data
        try:
            checklist = services.save_checklist(Actor.from_request(request), data["region_code"], data["name"],
                                                data["items"])  # fmt: skip
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已发布{checklist}")
            return redirect("supervision:checklists")
    checklists = Checklist.objects.visible_to(request.user).order_by("region_code", "name", "-version")[:200]
    return render(request, "supervision/checklists.html", {"form": form, "checklists": checklists})


@requires("supervision.view_inspection")
def notice_view(request, inspection_id: int):
    """The rectification notice (整改通知书) of a carried-out inspection, as a page to print."""
    context = documents.rectification_notice(request.user, inspection_id)
    return pdf.page(request, documents.NOTICE_TEMPLATE, context,
                    pdf_url=reverse("supervision:inspection_notice_pdf", args=[inspection_id]))  # fmt: skip


@requires("supervision.view_inspection")
def notice_pdf_view(request, inspection_id: int):
    context = documents.rectification_notice(request.user, inspection_id)
    return pdf.response(request, documents.NOTICE_TEMPLATE, context, filename=documents.notice_filename(context))
