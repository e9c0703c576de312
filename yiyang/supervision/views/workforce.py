"""Pages of the care workforce: the facilities with their staffing, a facility's staff with the add
form and its staffing figures, one person with certificates and training, training classes with
attendance."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone

from yiyang.core.access import login_only, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.forms import apply_errors, submitted
from yiyang.core.masking import mask_phone
from yiyang.core.scoping import get_visible_or_404, has_permission
from yiyang.facilities.models import Facility, FacilityType
from yiyang.providers.models import Attendance, CertificateKind, Education, Staff, StaffRole, TrainingClass
from yiyang.regions.services import default_region

from ..services import workforce as services

RESIDENTIAL = [FacilityType.INSTITUTION, FacilityType.SUPPORT_HOME, FacilityType.STREET_CENTRE]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _may(user, model, row, permission: str) -> bool:
    return model.objects.visible_to(user, permission).filter(pk=row.pk).exists()


@requires("providers.view_staff")
def workforce_view(request):
    """Facilities in the user's scope with their current staff counts; a facility manager goes
    straight to their own facility."""
    facilities = Facility.objects.visible_to(request.user, "providers.view_staff")
    if not has_permission(request.user, "regions.view_region"):
        own = facilities.first()
        if own is None:
            raise PermissionDenied
        return redirect("supervision:facility_staff", facility_id=own.pk)
    today = timezone.localdate()
    employed = Q(staff__hired_on__lte=today) & (Q(staff__left_on__isnull=True) | Q(staff__left_on__gt=today))
    rows = (
        facilities.filter(facility_type__in=RESIDENTIAL)
        .annotate(
            staff_count=Count("staff", filter=employed),
            carer_count=Count("staff", filter=employed & Q(staff__role=StaffRole.CARER)),
        )
        .order_by("region_code", "id")
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "supervision/workforce/index.html", {"page": page})


class StaffForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    role = forms.ChoiceField(label="岗位", choices=StaffRole.choices)
    is_director = forms.BooleanField(label="机构负责人（院长）", required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    education = forms.ChoiceField(label="学历", choices=[("", "—"), *Education.choices], required=False)
    hired_on = forms.DateField(label="入职日期", widget=DATE)
    left_on = forms.DateField(label="离职日期", widget=DATE, required=False)
    is_full_time = forms.BooleanField(label="全职", required=False, initial=True)
    trained_junior_standard = forms.BooleanField(label="已按初级（五级）标准培训合格", required=False)


class StaffEditForm(StaffForm):
    """The edit form never carries the full phone number: a blank phone keeps the current one."""

    clear_phone = forms.BooleanField(label="删除联系电话", required=False)
    field_order = ["name", "role", "is_director", "phone", "clear_phone"]

    def __init__(self, *args, current_phone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if current_phone:
            self.fields["phone"].label = "新联系电话"
            self.fields["phone"].help_text = f"留空则保持不变（当前：{mask_phone(current_phone)}）"
        else:
            del self.fields["clear_phone"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_phone") and cleaned.get("phone"):
            self.add_error("clear_phone", "填写了新联系电话时请不要勾选删除")
        return cleaned

    def changes(self) -> dict:
        """The cleaned fields to save: the phone only when a new one is typed or deletion is asked for."""
        data = dict(self.cleaned_data)
        clear = data.pop("clear_phone", False)
        if clear:
            data["phone"] = ""
        elif not data.get("phone"):
            del data["phone"]
        return data


@login_only
def facility_staff_view(request, facility_id: int):
    facility = get_visible_or_404(Facility.objects, request.user, "providers.view_staff", pk=facility_id)
    may_add = _may(request.user, Facility, facility, "providers.add_staff")
    form = StaffForm(request.POST or None) if may_add else None
    if submitted(request, form):
        try:
            staff = services.add_staff(Actor.from_request(request), {**form.cleaned_data, "facility_id": facility.pk})
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已登记{staff}")
            return redirect("supervision:facility_staff", facility_id=facility.pk)
    show_all = request.GET.get("all") == "1"
    staff = Staff.objects.visible_to(request.user).filter(facility=facility).prefetch_related("certificates")
    if not show_all:
        staff = services.current(staff)
    staff = list(staff.order_by("role", "name", "id"))
    hours = services.training_hours(person.pk for person in staff)
    for person in staff:
        person.training_total = hours.get(person.pk, 0)
        person.phone_shown = mask_phone(person.phone)  # full numbers only on the person's page, on request
    return render(
        request,
        "supervision/workforce/facility.html",
        {"facility": facility, "staff": staff, "staffing": services.staffing_of(facility).as_dict(), "form": form,
         "show_all": show_all},
    )  # fmt: skip


class CertificateForm(forms.Form):
    kind = forms.ChoiceField(label="证书类别", choices=CertificateKind.choices)
    level = forms.TypedChoiceField(
        label="护理员等级", coerce=int, empty_value=None, required=False,
        choices=[("", "—"), (5, "五级（初级工）"), (4, "四级（中级工）"), (3, "三级（高级工）"), (2, "二级（技师）"),
                 (1, "一级（高级技师）")],
    )  # fmt: skip
    number = forms.CharField(label="证书编号", max_length=40)
    issuer = forms.CharField(label="发证机构", max_length=100)
    issued_on = forms.DateField(label="发证日期", widget=DATE)


@login_only
def staff_view(request, staff_id: int):
    """One person: the edit form, certificates with the add form, training attended."""
    staff = get_visible_or_404(Staff.objects.select_related("facility"), request.user, pk=staff_id)
    may_change = _may(request.user, Staff, staff, "providers.change_staff")
    may_certify = _may(request.user, Staff, staff, "providers.add_certificate")
    initial = {name: getattr(staff, name) for name in services.STAFF_FIELDS if name != "phone"}
    edit_form = StaffEditForm(initial=initial, prefix="staff", current_phone=staff.phone) if may_change else None
    certificate_form = CertificateForm(prefix="cert") if may_certify else None
    if request.method == "POST":
        actor = Actor.from_request(request)
        if "staff-name" in request.POST:
            if edit_form is None:
                raise PermissionDenied
            edit_form = StaffEditForm(request.POST, initial=initial, prefix="staff", current_phone=staff.phone)
            if edit_form.is_valid():
                try:
                    services.change_staff(actor, staff.pk, edit_form.changes())
                except DomainError as exc:
                    apply_errors(edit_form, exc)
                else:
                    messages.success(request, "人员信息已保存")
                    return redirect("supervision:staff", staff_id=staff.pk)
        else:
            if certificate_form is None:
                raise PermissionDenied
            certificate_form = CertificateForm(request.POST, prefix="cert")
            if certificate_form.is_valid():
                try:
                    services.add_certificate(actor, staff.pk, certificate_form.cleaned_data)
                except DomainError as exc:
                    apply_errors(certificate_form, exc)
                else:
                    messages.success(request, "证书已登记")
                    return redirect("supervision:staff", staff_id=staff.pk)
    attendance = Attendance.objects.visible_to(request.user).filter(staff=staff).select_related("training")
    phone = services.phone_for(Actor.from_request(request), staff, request.GET.get("reveal") == "1")
    may_reveal = bool(staff.phone) and services.may_reveal_phone(request.user, staff)
    return render(
        request,
        "supervision/workforce/staff.html",
        {"staff": staff, "phone": phone, "may_reveal": may_reveal,
         "certificates": staff.certificates.all(), "attendance": attendance,
         "training_total": services.training_hours([staff.pk]).get(staff.pk, 0),
         "edit_form": edit_form, "certificate_form": certificate_form},
    )  # fmt: skip


class TrainingForm(forms.Form):
    facility = forms.ModelChoiceField(label="组织机构", queryset=None, required=False,
                                      help_text="由机构自行组织时选择；由民政部门组织时留空并填写区划与组织单位")  # fmt: skip
    region_code = forms.CharField(label="组织单位区划代码", max_length=12, required=False)
    organiser = forms.CharField(label="组织单位", max_length=100, required=False)
    topic = forms.CharField(label="培训主题", max_length=200)
    starts_on = forms.DateField(label="开始日期", widget=DATE)
    ends_on = forms.DateField(label="结束日期", widget=DATE)
    hours = forms.DecimalField(label="学时", max_digits=6, decimal_places=1, min_value=0.1)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = Facility.objects.visible_to(user, "providers.add_trainingclass")
        if not has_permission(user, "regions.view_region"):
            # A facility organises for itself only.
            del self.fields["region_code"], self.fields["organiser"]
            self.fields["facility"].required = True


@requires("providers.view_trainingclass")
def trainings_view(request):
    may_add = has_permission(request.user, "providers.add_trainingclass")
    initial = {"region_code": default_region(request.user)}
    form = TrainingForm(request.POST or None, initial=initial, user=request.user) if may_add else None
    if submitted(request, form):
        data = dict(form.cleaned_data)
        facility = data.pop("facility", None)
        data["facility_id"] = facility.pk if facility else None
        try:
            training = services.create_training(Actor.from_request(request), data)
        except DomainError as exc:
            apply_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
        else:
            messages.success(request, "培训班已创建")
            return redirect("supervision:training", training_id=training.pk)
    rows = (
        TrainingClass.objects.visible_to(request.user)
        .annotate(attendees=Count("attendance"))
        .order_by("-starts_on", "-id")
    )
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "supervision/workforce/trainings.html", {"form": form, "page": page})


class AttendanceForm(forms.Form):
    staff = forms.ModelChoiceField(label="参训人员", queryset=None)
    hours = forms.DecimalField(label="认定学时", max_digits=6, decimal_places=1, min_value=0.1)
    passed = forms.BooleanField(label="考核合格", required=False, initial=True)

    def __init__(self, *args, user, training, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = services.current(services.eligible_attendees(user, training)).order_by("name")
        self.fields["hours"].initial = training.hours


@login_only
def training_view(request, training_id: int):
    training = get_visible_or_404(TrainingClass.objects.select_related("facility"), request.user, pk=training_id)
    may_record = _may(request.user, TrainingClass, training, "providers.change_trainingclass")
    form = AttendanceForm(request.POST or None, user=request.user, training=training) if may_record else None
    if submitted(request, form):
        data = form.cleaned_data
        try:
            services.record_attendance(Actor.from_request(request), training.pk, data["staff"].pk, data["hours"],
                                       data["passed"])  # fmt: skip
        except DomainError as exc:
            apply_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
        else:
            messages.success(request, f"已登记{data['staff'].name}参训")
            return redirect("supervision:training", training_id=training.pk)
    attendance = Attendance.objects.visible_to(request.user).filter(training=training).select_related("staff__facility")
    return render(request, "supervision/workforce/training.html",
                  {"training": training, "attendance": attendance, "form": form})  # fmt: skip
