"""Pages of institution grading: the applications (officers see their region's, a facility manager
its own, with the apply form), one application with the eligibility review, the scoring sheet, the
computed level, the committee and publication actions and the history, and the expiry reminders."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from yiyang.core.access import login_only, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError, FieldErrors
from yiyang.core.forms import apply_errors, submitted
from yiyang.core.scoping import get_visible_or_404, has_permission
from yiyang.facilities.models import Facility

from ..models import RatingAction, RatingApplication, RatingStatus
from ..services import ratings as services
from ..workflows import RATING

LEVEL_CHOICES = [(level, label) for level, label in services.LEVEL_LABELS.items() if level]


class ApplyForm(forms.Form):
    facility = forms.ModelChoiceField(label="申请机构", queryset=None)
    applied_level = forms.TypedChoiceField(label="申请等级", choices=LEVEL_CHOICES, coerce=int,
                                           help_text="首次申请最高三级")  # fmt: skip
    statement = forms.CharField(label="申请说明", max_length=2000, required=False,
                                widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        types = services.default_scheme().config["eligibility"]["facility_types"]
        self.fields["facility"].queryset = Facility.objects.visible_to(
            user, "supervision.add_ratingapplication"
        ).filter(facility_type__in=types)


@requires("supervision.view_ratingapplication")
def ratings_view(request):
    may_apply = has_permission(request.user, "supervision.add_ratingapplication")
    form = ApplyForm(request.POST or None, user=request.user) if may_apply else None
    if submitted(request, form):
        data = form.cleaned_data
        try:
            application = services.apply(Actor.from_request(request), data["facility"].pk, data["applied_level"],
                                         data["statement"])  # fmt: skip
        except DomainError as exc:
            apply_errors(form, exc, rename=lambda n: "facility" if n in ("facility_id", "established_on") else n)
        else:
            messages.success(request, "申请已提交，等待民政部门资格审查")
            return redirect("supervision:rating", application_id=application.pk)
    rows = RatingApplication.objects.visible_to(request.user).select_related("facility")
    status = request.GET.get("status", "")
    if status in RatingStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows.order_by("-created_at", "-id"), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/ratings/list.html",
        {"form": form, "page": page, "statuses": RatingStatus.choices, "status": status,
         "may_remind": has_permission(request.user, "regions.view_region")},
    )  # fmt: skip


def _sheet(application: RatingApplication, posted=None, errors=None) -> list[dict]:
    """The scoring sheet: parts with their items, the saved (or just posted) score and any error."""
    errors = errors or {}
    result_parts = application.result.get("parts", {})
    sheet = []
    for part in application.scheme.config["parts"]:
        items = []
        for item in part["items"]:
            code = item["code"]
            value = posted.get(f"score-{code}", "") if posted is not None else application.scores.get(code, "")
            items.append({**item, "value": value, "error": errors.get(f"scores.{code}", "")})
        sheet.append({**part, "items": items, "score": result_parts.get(part["code"])})
    return sheet


def _actions(user, application: RatingApplication) -> dict:
    """Which forms the page offers: the transitions the workflow offers this user now. A form may lead
    to one of several transitions (the review accepts or rejects); publishing is offered during the
    notice too, disabled with the date it ends."""
    offered = {option.name for option in RATING.options(user, application)}
    return {
        "review": bool({RatingAction.ACCEPTED, RatingAction.REJECTED} & offered),
        "score": RatingAction.SCORED in offered,
        "decide": bool({RatingAction.DECIDED, RatingAction.NOT_RATED} & offered),
        "notice": RatingAction.NOTICE in offered,
        "objection": RatingAction.OBJECTION in offered,
        "publish": RatingAction.PUBLISHED in offered,
        "withdraw": RatingAction.WITHDRAWN in offered,
    }


def _run(request, application: RatingApplication, action: str):
    actor, post = Actor.from_request(request), request.POST
    note = post.get("note", "")
    if action == "review":
        services.review(actor, application.pk, is_registered=post.get("is_registered") == "1",
                        penalised_recently=post.get("penalised_recently") == "1",
                        on_dishonest_list=post.get("on_dishonest_list") == "1",
                        has_medical_unit=post.get("has_medical_unit") == "1", note=note)  # fmt: skip
        return "资格审查已办理"
    if action == "score":
        codes = [item["code"] for item in services.all_items(application.scheme.config)]
        scores = {code: post.get(f"score-{code}", "").strip() for code in codes}
        saved = services.save_scores(actor, application.pk, scores, note)
        return f"评分已保存，计算等级：{services.LEVEL_LABELS[saved.computed_level]}"
    if action == "decide":
        raw = post.get("level", "")
        if not raw.isdigit():
            raise FieldErrors({"level": "请选择审定等级"})
        services.decide(actor, application.pk, int(raw), note)
        return "评定委员会审定意见已记录"
    if action == "notice":
        services.start_notice(actor, application.pk, note)
        return "已开始公示"
    if action == "objection":
        services.object_to_notice(actor, application.pk, note)
        return "已退回复核"
    if action == "publish":
        services.publish(actor, application.pk, note)
        return "评定结果已公布，机构星级已更新"
    if action == "withdraw":
        services.withdraw(actor, application.pk, note)
        return "申请已撤回"
    raise PermissionDenied


@login_only
def rating_view(request, application_id: int):
    application = get_visible_or_404(
        RatingApplication.objects.select_related("facility", "scheme"), request.user, pk=application_id
    )
    actions = _actions(request.user, application)
    errors, posted = {}, None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if not actions.get(action):
            raise PermissionDenied
        try:
            message = _run(request, application, action)
        except DomainError as exc:
            errors = exc.fields
            messages.error(request, exc.message)
            if action == "score":
                posted = request.POST
        else:
            messages.success(request, message)
            return redirect("supervision:rating", application_id=application.pk)
    result = application.result
    return render(
        request,
        "supervision/ratings/detail.html",
        {
            "application": application, "facility": application.facility, "actions": actions,
            "sheet": _sheet(application, posted, errors), "result": result, "errors": errors,
            "checks": result.get("checks", []), "staffing": result.get("staffing", {}),
            "levels": services.LEVEL_LABELS, "level_choices": LEVEL_CHOICES,
            "computed_label": services.LEVEL_LABELS[application.computed_level],
            "steps": application.steps.all(),
            "notice_running": services.notice_running(application),
            "config": application.scheme.config,
        },
    )  # fmt: skip


@requires("supervision.view_ratingapplication")
def expiring_view(request):
    """Ratings ending within the reminder days, and ratings that have ended (shown as expired)."""
    today = timezone.localdate()
    expiring = list(services.expiring(request.user, today)[:500])
    for facility in expiring:
        facility.days_left = (facility.star_rating_valid_until - today).days
    return render(
        request,
        "supervision/ratings/expiring.html",
        {"expiring": expiring, "expired": services.expired(request.user, today)[:500],
         "days": services.reminder_days()},
    )  # fmt: skip
