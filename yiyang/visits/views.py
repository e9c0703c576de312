"""Pages of visits: the visitor's phone app (an installable shell that works offline) and the officer's
pages: who must be visited, assignment, the monthly rate with drill-down, visitors behind, findings and
referrals, campaigns and conflicts."""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from yiyang.benefits import services as benefits
from yiyang.core import masking, photos, pwa
from yiyang.core.access import public, requires
from yiyang.core.audit import Actor
from yiyang.core.errors import DomainError
from yiyang.core.regioncodes import region_range_q
from yiyang.core.scoping import get_visible_or_404, has_permission, home_region, may
from yiyang.elders.models import Elder
from yiyang.homecare import services as homecare
from yiyang.regions.models import Region
from yiyang.regions.services import requested_region

from . import reports, services
from .choices import AbsentReason, ExitReason, Hazard, Method, Mood, Need, ReferralKind, Risk, Tier
from .models import Visit, VisitConflict, VisitPhoto, VisitTarget

SHELL = pwa.Shell(name="颐养·探访关爱", short_name="探访", start="/visits/app/",
                  assets=("yiyang/site.css", "visits/app.css", "core/offline.js", "visits/app.js"))  # fmt: skip


# --- The phone app -----------------------------------------------------------------------------------


@requires("visits.record_visit")
def app_view(request):
    return render(request, "visits/app.html", {
        "methods": Method.choices, "absent_reasons": AbsentReason.choices, "moods": Mood.choices,
        "hazards": Hazard.choices, "needs": Need.choices, "risks": Risk.choices,
    })  # fmt: skip


# The manifest, the worker and the icon hold no data: the browser fetches them to install the app and to
# check for a new version, also when the session has run out.
@public
def manifest_view(request):
    return pwa.manifest_response(SHELL)


@public
def worker_view(request):
    return pwa.worker_response(SHELL)


@public
def icon_view(request):
    return pwa.icon_response(SHELL)


# --- Officer pages -----------------------------------------------------------------------------------


def _region(request):
    code = requested_region(request.user, request.GET.get("region") or request.POST.get("region"),
                            default=home_region, page=True)  # fmt: skip
    return Region.objects.get(code=code)


def _fail(request, exc: DomainError):
    reasons = "；".join(f"{v}" for v in exc.fields.values()) if exc.fields else ""
    messages.error(request, f"{exc.message}{'：' + reasons if reasons and reasons != exc.message else ''}")


@requires("visits.view_visittarget")
def targets_view(request):
    region = _region(request)
    tier = request.GET.get("tier", "")
    overdue = request.GET.get("overdue") == "1"
    unassigned = request.GET.get("unassigned") == "1"
    if request.method == "POST":
        return _enrol(request, region)
    rows = reports.targets_listing(request.user, region.code, tier=tier, overdue=overdue, unassigned=unassigned)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    whole, _ = reports.monthly_rate(request.user, region.code)
    return render(request, "visits/targets.html", {
        "region": region, "page": page, "tiers": Tier.choices, "tier": tier, "overdue": overdue,
        "unassigned": unassigned, "counts": reports.tier_counts(request.user, region.code), "whole": whole,
        "today": timezone.localdate(), "may_enrol": has_permission(request.user, "visits.change_visittarget"),
    })  # fmt: skip


def _enrol(request, region):
    if not has_permission(request.user, "visits.change_visittarget"):
        raise PermissionDenied
    try:
        result = services.enrol_from_registry(Actor.from_request(request), region.code)
    except DomainError as exc:
        _fail(request, exc)
    else:
        messages.success(request, f"已按老人信息库更新：纳入 {result.enrolled} 人，调整等级 {result.retiered} 人，"
                                  f"退出 {result.exited} 人，分配探访人 {result.assigned} 人")  # fmt: skip
    return redirect(f"{reverse('visits:targets')}?region={region.code}")


@requires("visits.view_visittarget")
def target_view(request, target_id: int):
    target = get_visible_or_404(VisitTarget.objects.select_related("elder", "visitor"), request.user, pk=target_id)
    actor = Actor.from_request(request)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "assign":
                services.assign(actor, target.pk, request.POST.get("visitor_id"))
                messages.success(request, "已分配探访人")
            elif action == "exit":
                services.exit_target(actor, target.pk, request.POST.get("exit_reason", ""),
                                     request.POST.get("exit_note", ""))  # fmt: skip
                messages.success(request, "已退出探访对象")
            elif action == "tier":
                services.set_tier(actor, target.pk, request.POST.get("tier", ""), request.POST.get("reason", ""))
                messages.success(request, "已调整探访等级")
            elif action == "event":
                services.record_event(actor, target.pk)
                messages.success(request, "已登记重大事件，探访时限已提前")
            else:
                messages.error(request, "未知的操作")
        except DomainError as exc:
            _fail(request, exc)
        return redirect("visits:target", target_id=target.pk)
    change = may(request.user, target, "change")
    candidates = (
        services.visitors(request.user).filter(is_active=True, county_code=target.county_code) if change else []
    )
    visits = Visit.objects.visible_to(request.user).filter(target=target).select_related("visitor")[:50]
    return render(request, "visits/target.html", {
        "target": target, "visits": visits, "change": change, "candidates": candidates,
        "exit_reasons": ExitReason.choices, "tiers": Tier.choices,
    })  # fmt: skip


@requires("visits.change_visittarget")
def enrol_view(request, elder_id: int):
    elder = get_visible_or_404(Elder.objects, request.user, pk=elder_id)
    if request.method == "POST":
        try:
            target = services.add_target(Actor.from_request(request), elder.pk, request.POST.get("tier", ""),
                                         request.POST.get("reason", ""))  # fmt: skip
        except DomainError as exc:
            _fail(request, exc)
        else:
            messages.success(request, "已纳入探访对象")
            return redirect("visits:target", target_id=target.pk)
    return render(request, "visits/enrol.html", {"elder": elder, "tiers": Tier.choices})


@requires("visits.view_visittarget")
def rate_view(request):
    region = _region(request)
    month = parse_date(f"{request.GET.get('month', '')}-01") if request.GET.get("month") else None
    month = month or timezone.localdate().replace(day=1)
    whole, children = reports.monthly_rate(request.user, region.code, month)
    by_method = {row["method"]: row["n"] for row in reports.method_counts(request.user, region.code, 2, month)
                 .values("method").annotate(n=Count("county_code"))}  # fmt: skip
    return render(request, "visits/rate.html", {
        "region": region, "whole": whole, "children": children, "month": month,
        "by_method": [(label, by_method.get(value, 0)) for value, label in Method.choices],
        "methods": [Method(m).label for m in services.counted_methods(region.code)],
        "drill": [c for c in children if c.code != region.code],
    })  # fmt: skip


@requires("visits.view_visitor")
def visitors_view(request):
    region = _region(request)
    if request.method == "POST":
        try:
            handed = services.visitor_leaves(Actor.from_request(request), request.POST.get("visitor_id"))
        except DomainError as exc:
            _fail(request, exc)
        else:
            messages.success(request, f"已登记离岗，{handed} 位老人已交给同区域的其他探访人")
        return redirect(f"{reverse('visits:visitors')}?region={region.code}")
    rows = reports.visitors_with_load(request.user, region.code)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "visits/visitors.html", {"region": region, "page": page})


@requires("visits.view_visit")
def findings_view(request):
    region = _region(request)
    page = Paginator(reports.findings(request.user, region.code), 30).get_page(request.GET.get("page"))
    referrals = _linked_as_seen(request.user, list(reports.referrals(request.user, region.code)[:50]))
    return render(request, "visits/findings.html", {"region": region, "page": page, "referrals": referrals})


@requires("visits.view_visit")
def visit_view(request, visit_id):
    visit = get_visible_or_404(Visit.objects.select_related("elder", "visitor", "target"), request.user, pk=visit_id)
    actor = Actor.from_request(request)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "close":
                reports.close_referral(actor, request.POST.get("referral_id"), request.POST.get("outcome", ""))
                messages.success(request, "已办结")
            else:
                referral = reports.refer(actor, visit.pk, request.POST.get("kind", ""), request.POST.get("note", ""),
                                         request.POST.get("item_id") or None,
                                         program_id=request.POST.get("program_id") or None,
                                         alarm_kind=request.POST.get("alarm_kind") or "sos")  # fmt: skip
                messages.success(request, f"已转办：{referral.get_kind_display()}")
        except DomainError as exc:
            _fail(request, exc)
        return redirect("visits:visit", visit_id=visit.pk)
    shown = masking.shown(actor, visit, reveal=request.GET.get("reveal") == "1")
    may_refer = may(request.user, visit, "visits.add_referral")
    items = homecare.menu_for(visit.elder) if may_refer else []
    referrals = list(visit.referrals.select_related("order", "renovation", "allowance__program", "alarm"))
    # One tap files the household's renovation application, unless a referral already did.
    renovate = (
        may_refer
        and has_permission(request.user, "renovation.add_application")
        and not any(r.renovation_id for r in referrals)
    )
    referrals = _linked_as_seen(request.user, referrals)
    # Each program with the rule the elder fails, if any: the officer sees why before tapping.
    programs = (
        [(p, benefits.eligibility(p, visit.elder)) for p in benefits.programs_for(visit.elder)]
        if may_refer and has_permission(request.user, "benefits.add_application")
        else []
    )
    alarm_kinds = reports.VISIT_ALARM_KINDS if may_refer and has_permission(request.user, "care.add_alarm") else ()
    return render(request, "visits/visit.html", {
        "visit": visit, "shown": shown, "photos": visit.photos.all(), "referrals": referrals,
        "kinds": [(v, label) for v, label in ReferralKind.choices if v == ReferralKind.OTHER],
        "items": items, "may_refer": may_refer, "renovate": renovate, "programs": programs,
        "alarm_kinds": [(k.value, k.label) for k in alarm_kinds], "emergency": Need.EMERGENCY in visit.needs,
    })  # fmt: skip


@requires("visits.view_visitphoto")
def photo_view(request, photo_id: int):
    photo = get_visible_or_404(VisitPhoto.objects, request.user, pk=photo_id)
    return photos.serve(photo.file, photo.extension)


def _deadline(raw: str):
    at = parse_datetime(raw or "")
    if at is None and raw:
        day = parse_date(raw)
        at = datetime.combine(day, datetime.max.time().replace(microsecond=0)) if day else None
    return timezone.make_aware(at) if at is not None and timezone.is_naive(at) else at


@requires("visits.view_campaign")
def campaigns_view(request):
    region = _region(request)
    if request.method == "POST":
        if not has_permission(request.user, "visits.add_campaign"):
            raise PermissionDenied
        try:
            reports.launch_campaign(Actor.from_request(request), request.POST.get("name", ""), region.code,
                                    request.POST.getlist("tiers"), _deadline(request.POST.get("deadline", "")))  # fmt: skip
        except DomainError as exc:
            _fail(request, exc)
        else:
            messages.success(request, "已发起专项探访行动")
        return redirect(f"{reverse('visits:campaigns')}?region={region.code}")
    return render(request, "visits/campaigns.html", {"region": region, "rows": reports.campaigns(request.user, region.code),
                                                     "tiers": Tier.choices,
                                                     "may_launch": has_permission(request.user, "visits.add_campaign")})  # fmt: skip


@requires("visits.view_visitconflict")
def conflicts_view(request):
    region = _region(request)
    if request.method == "POST":
        try:
            reports.resolve_conflict(Actor.from_request(request), request.POST.get("conflict_id"),
                                     request.POST.get("resolution", ""))  # fmt: skip
        except DomainError as exc:
            _fail(request, exc)
        else:
            messages.success(request, "已处理")
        return redirect(f"{reverse('visits:conflicts')}?region={region.code}")
    rows = (
        VisitConflict.objects.visible_to(request.user)
        .filter(region_range_q("region_code", region.code), resolved_at__isnull=True)
        .select_related("visit", "visit__elder")[:100]
    )
    return render(request, "visits/conflicts.html", {"region": region, "rows": rows})


def _linked_as_seen(user, referrals: list) -> list:
    """The rows a referral became, shown only to a reader who may see them: a visitor who may read the visit
    must not learn the status of an application or alarm hidden from them (the link would 404 anyway)."""
    for referral in referrals:
        for name in ("order", "renovation", "allowance", "alarm"):
            linked = getattr(referral, name)
            if linked is not None and not may(user, linked, "view"):
                setattr(referral, name, None)
    return referrals
