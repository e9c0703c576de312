"""Pages of complaints and the 12345 hotline: the list of a region (overdue filter) with the
registration form, and a complaint with its history and the next steps the user may take."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from yiyang.core.access import login_only, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.forms import apply_errors, submitted
from yiyang.core.regioncodes import InvalidRegionCode, normalize
from yiyang.core.scoping import get_visible_or_404, has_permission
from yiyang.facilities.models import Facility

from ..models import Channel, Complaint, ComplaintStatus
from ..services import complaints as services
from ..workflows import COMPLAINT


class ComplaintForm(forms.Form):
    facility = forms.ModelChoiceField(label="被投诉养老机构", queryset=None, required=False)
    provider_id = forms.IntegerField(label="或：被投诉服务商编号", min_value=1, max_value=services.MAX_ID,
                                     required=False)  # fmt: skip
    channel = forms.ChoiceField(label="渠道", choices=Channel.choices)
    ticket_number = forms.CharField(label="热线工单号", max_length=40, required=False)
    complainant_name = forms.CharField(label="投诉人", max_length=50)
    complainant_phone = forms.CharField(label="投诉人电话", max_length=20)
    content = forms.CharField(label="投诉内容", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    received_on = forms.DateField(label="登记日期", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = Facility.objects.visible_to(user, "supervision.add_complaint")


@requires("supervision.view_complaint")
def complaints_view(request):
    may_add = has_permission(request.user, "supervision.add_complaint")
    form = ComplaintForm(request.POST or None, user=request.user,
                         initial={"received_on": timezone.localdate()}) if may_add else None  # fmt: skip
    if submitted(request, form):
        data = dict(form.cleaned_data)
        facility = data.pop("facility")
        data["facility_id"] = facility.pk if facility else None
        try:
            complaint = services.register(Actor.from_request(request), data)
        except DomainError as exc:
            apply_errors(form, exc, rename=lambda n: "facility" if n == "facility_id" else n)
        else:
            messages.success(request, f"投诉已登记，答复期限 {complaint.deadline:%Y-%m-%d}")
            return redirect("supervision:complaint", complaint_id=complaint.pk)
    code = ""
    if request.GET.get("region"):
        try:
            code = normalize(request.GET["region"])
        except InvalidRegionCode:
            raise Http404 from None
    filters = {
        "status": request.GET.get("status", "") if request.GET.get("status") in ComplaintStatus.values else "",
        "overdue": request.GET.get("overdue") == "1",
        "due_soon": request.GET.get("due_soon") == "1",
        "channel": request.GET.get("channel", "") if request.GET.get("channel") in Channel.values else "",
    }
    rows = services.listing(request.user, code, **filters).select_related("facility")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "supervision/complaints/list.html", {
        "form": form, "page": page, "filters": filters, "region": code, "statuses": ComplaintStatus.choices,
        "channels": Channel.choices, "today": timezone.localdate(),
    })  # fmt: skip


@login_only
def complaint_view(request, complaint_id: int):
    complaint = get_visible_or_404(Complaint.objects.select_related("facility"), request.user, pk=complaint_id)
    actor = Actor.from_request(request)
    if request.method == "POST":
        to = request.POST.get("to", "")
        if to not in COMPLAINT:
            raise PermissionDenied
        try:
            services.transition(actor, complaint.pk, to, request.POST.get("note", ""), request.POST.get("reply", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已{COMPLAINT[to].label}")
            return redirect("supervision:complaint", complaint_id=complaint.pk)
    next_steps = [(t.target, t.label) for t in COMPLAINT.allowed(request.user, complaint)]
    return render(request, "supervision/complaints/detail.html", {
        "complaint": complaint, "contact": services.contact_for(actor, complaint, request.GET.get("reveal") == "1"),
        "may_reveal": Complaint.objects.visible_to(request.user, "supervision.view_sensitive_complaint").filter(
            pk=complaint.pk).exists(),
        "steps": complaint.steps.all(), "next_steps": next_steps, "overdue": complaint.is_overdue(),
    })  # fmt: skip
