"""What the officer's pages and the indicators read: the monthly visit rate per region with drill-down,
overdue targets, visitors behind, findings waiting for follow-up, referrals, campaigns and their
progress. Every read goes through the scoping mechanism."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Substr
from django.http import Http404
from django.utils import timezone

from yiyang.benefits import services as benefits
from yiyang.benefits.models import ApplicationSource
from yiyang.care import services as care
from yiyang.care.models import OPEN_STATES, AlarmKind, AlarmSource
from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import PREFIX_LENGTH, Level, county_of, level_of, region_range_q
from yiyang.core.scoping import ensure_visible, get_for_action
from yiyang.homecare import services as homecare
from yiyang.regions.models import Region
from yiyang.renovation import services as renovation
from yiyang.renovation.models import ApplicantKind

from . import services
from .choices import ReferralKind, ReferralStatus, Risk, Tier
from .models import Campaign, Referral, Visit, VisitConflict, VisitTarget


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = services.month_start(month)
    return services._start_of_day(start), services._start_of_day(services.next_month(start))


def active_in(queryset, month: date):
    """Targets enrolled for some part of the month."""
    start, end = month_bounds(month)
    return queryset.filter(enrolled_at__lt=end).filter(Q(exited_at__isnull=True) | Q(exited_at__gte=start))


def counted_visit_in(month: date):
    start, end = month_bounds(month)
    return Exists(Visit.objects.filter(target=OuterRef("pk"), counts=True, visited_at__gte=start, visited_at__lt=end))


@dataclass
class RateRow:
    code: str
    name: str
    targets: int = 0
    visited: int = 0
    overdue: int = 0

    @property
    def rate(self) -> float | None:
        return round(100 * self.visited / self.targets, 1) if self.targets else None


def child_width(code: str) -> int:
    return PREFIX_LENGTH[Level(min(level_of(code) + 1, Level.COMMUNITY))]


def rate_counts(user, code: str, width: int, month: date, today: date | None = None):
    """Per child prefix of `width` digits: targets of the month, those visited by a counted method in it,
    and those overdue today. The current month reads the targets' own last counted day (a grouped count,
    no join); another month joins the visits."""
    today = today or timezone.localdate()
    month = services.month_start(month)
    targets = active_in(VisitTarget.objects.visible_to(user, "view").filter(region_range_q("region_code", code)), month)
    if month == services.month_start(timezone.localdate()):
        visited = Q(last_counted_on__gte=month)
    else:
        targets = targets.annotate(was_visited=counted_visit_in(month))
        visited = Q(was_visited=True)
    return (
        targets.annotate(child=Substr("region_code", 1, width))
        .values("child")
        .annotate(
            n=Count("county_code"),
            visited=Count("county_code", filter=visited),
            overdue=Count("county_code", filter=Q(exited_at__isnull=True, next_due__lt=today)),
        )
    )


def method_counts(user, code: str, width: int, month: date):
    """Per child prefix and method: the visits of the month."""
    start, end = month_bounds(month)
    return (
        Visit.objects.visible_to(user, "view")
        .filter(region_range_q("region_code", code), visited_at__gte=start, visited_at__lt=end)
        .annotate(child=Substr("region_code", 1, width))
        .values("child", "method")
        .annotate(n=Count("county_code"))
    )


def monthly_rate(user, code: str, month: date | None = None) -> tuple[RateRow, list[RateRow]]:
    """The monthly visit rate of region `code` and of each child region: targets of the month with at
    least one visit of a counted method in the month ÷ targets of the month."""
    today = timezone.localdate()
    month = services.month_start(month or today)
    width = child_width(code)
    regions = Region.objects.visible_to(user, "view")
    children = list(regions.filter(parent_code=code).order_by("code")) if level_of(code) < Level.COMMUNITY else []
    own = regions.filter(code=code).first()
    whole = RateRow(code, own.name if own else code)
    rows = {c.code[:width]: RateRow(c.code, c.name) for c in children}
    for row in rate_counts(user, code, width, month, today):
        for target in {id(r): r for r in (whole, rows.get(row["child"])) if r is not None}.values():
            target.targets += row["n"]
            target.visited += row["visited"]
            target.overdue += row["overdue"]
    return whole, list(rows.values())


def direct_rate(user, code: str, month: date) -> tuple[int, int]:
    """(targets, visited) counted the plain way, for tests and the benchmark's comparison."""
    targets = active_in(VisitTarget.objects.visible_to(user, "view").filter(region_range_q("region_code", code)), month)
    start, end = month_bounds(month)
    visited = (
        Visit.objects.filter(target__in=targets, counts=True, visited_at__gte=start, visited_at__lt=end)
        .values("target_id")
        .distinct()
        .count()
    )
    return targets.count(), visited


def targets_listing(user, code: str, *, tier: str = "", overdue: bool = False, unassigned: bool = False):
    today = timezone.localdate()
    rows = (
        VisitTarget.objects.visible_to(user, "view")
        .filter(region_range_q("region_code", code), exited_at__isnull=True)
        .select_related("elder", "visitor")
    )
    if tier in Tier.values:
        rows = rows.filter(tier=tier)
    if overdue:
        rows = rows.filter(next_due__lt=today)
    if unassigned:
        rows = rows.filter(visitor__isnull=True)
    return rows.order_by("next_due", "id")


def tier_counts(user, code: str) -> dict:
    rows = (
        VisitTarget.objects.visible_to(user, "view")
        .filter(region_range_q("region_code", code), exited_at__isnull=True)
        .values("tier")
        .annotate(n=Count("county_code"))
    )
    return {row["tier"]: row["n"] for row in rows}


def _count_of(queryset):
    """A correlated COUNT subquery (one per column, never a join of targets × visits per visitor)."""
    return Subquery(queryset.order_by().values("visitor_id").annotate(n=Count("pk")).values("n")[:1])


def visitors_with_load(user, code: str):
    """Visitors of the region with their open targets, overdue targets and visits this month; those with
    overdue targets first ("behind")."""
    today = timezone.localdate()
    start, _ = month_bounds(today)
    open_targets = VisitTarget.objects.filter(visitor=OuterRef("pk"), exited_at__isnull=True)
    return (
        services.visitors(user)
        .filter(region_range_q("region_code", code))
        .annotate(
            load=Coalesce(_count_of(open_targets), 0),
            overdue=Coalesce(_count_of(open_targets.filter(next_due__lt=today)), 0),
            visits_month=Coalesce(_count_of(Visit.objects.filter(visitor=OuterRef("pk"), visited_at__gte=start)), 0),
        )
        .order_by("-is_active", "-overdue", "name")
    )


def findings(user, code: str):
    """Visits that found a need, a hazard or a high risk and have no referral yet."""
    return (
        Visit.objects.visible_to(user, "view")
        .filter(region_range_q("region_code", code))
        .filter(~Q(needs=[]) | ~Q(hazards=[]) | Q(risk_after=Risk.HIGH))
        .annotate(referred=Exists(Referral.objects.filter(visit=OuterRef("pk"))))
        .filter(referred=False)
        .select_related("elder", "visitor")
        .order_by("-visited_at")
    )


def referrals(user, code: str):
    return (
        Referral.objects.visible_to(user, "view")
        .filter(region_range_q("region_code", code))
        .select_related("elder", "order", "renovation", "allowance__program", "alarm")
        .order_by("-created_at")
    )


# --- Referrals ---------------------------------------------------------------------------------------


def _tomorrow_morning() -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=9)))


def renovation_ref(visit: Visit) -> str:
    """The referral number a renovation application keeps of the visit that referred it."""
    return f"visit:{visit.pk}"


def _findings_note(visit: Visit) -> str:
    found = [*visit.hazard_labels, *(label for label in visit.need_labels if label != "适老化改造")]
    return f"探访发现：{'、'.join(found)}" if found else ""


def _apply_for_renovation(actor: Actor, visit: Visit, note: str):
    """A renovation application for the visited household, as a referral (the application keeps the
    visit's number; its page links back here through the registered origin)."""
    try:
        return renovation.apply(actor, {"elder_id": visit.elder_id, "applicant_kind": ApplicantKind.REFERRAL,
                                        "referral_ref": renovation_ref(visit), "applicant_name": actor.name})  # fmt: skip
    except PermissionDenied:
        raise FieldErrors({"kind": "您不能为该老人提出适老化改造申请"}) from None


# The alarm kinds a visitor can report from the elder's home (not the devices' own signals).
VISIT_ALARM_KINDS = (AlarmKind.SOS, AlarmKind.FALL, AlarmKind.HEALTH, AlarmKind.GAS, AlarmKind.SMOKE,
                     AlarmKind.WATER_LEAK)  # fmt: skip


def _apply_for_allowance(actor: Actor, visit: Visit, program_id):
    """An allowance application for the visited elder, filed as a visit referral: the bank account is
    left for the review chain, as for the month's candidates. A refusal by a program rule (not eligible,
    already a recipient or an applicant) propagates with the rule named."""
    if not program_id:
        raise FieldErrors({"program_id": "请选择补贴项目"})
    try:
        return benefits.apply(actor, {"elder_id": visit.elder_id, "program_id": program_id,
                                      "applicant_name": actor.name, "applicant_relation": "探访人员"},
                             opened_by=ApplicationSource.REFERRAL)  # fmt: skip
    except (Http404, PermissionDenied):
        # The visit is the officer's, the elder's allowances another's: say so rather than "not found".
        raise FieldErrors({"kind": "您不能为该老人提出补贴申请"}) from None


def _open_alarm(actor: Actor, visit: Visit, alarm_kind: str, note: str):
    """An alarm for an emergency the visit found, through the hotline's own service; it waits in the
    operator's queue as coming from a visit. One open alarm per visit: a second tap names the first."""
    if alarm_kind not in VISIT_ALARM_KINDS:
        raise FieldErrors({"alarm_kind": "不是可选的紧急情况类型"})
    earlier = Referral.objects.filter(visit=visit, alarm__state__in=OPEN_STATES).select_related("alarm").first()
    if earlier is not None:
        raise FieldErrors({"kind": f"该探访已转紧急呼叫，报警 #{earlier.alarm_id} 尚未结束"})
    return care.open_manual(actor, visit.elder_id, alarm_kind, summary=note, source=AlarmSource.VISIT)


@transaction.atomic
def refer(
    actor: Actor, visit_id, kind: str, note: str = "", item_id=None, *, program_id=None, alarm_kind: str = AlarmKind.SOS
) -> Referral:
    """Turn a visit's finding into work, through the services of the module that takes it: a home-care
    order booked, a renovation or an allowance application filed, or an alarm opened in the hotline's
    queue; each points at the referral and back. A refusal there (the household already has one, the
    elder is not eligible, with the rule named) is the referral's refusal, and nothing is stored. Any
    other kind waits as a referral with its note."""
    if kind not in ReferralKind.values:
        raise FieldErrors({"kind": "不是可选的转办类型"})
    visit = get_for_action(Visit.objects.select_related("elder"), actor.user, "visits.add_referral", pk=visit_id)
    note = (note or "").strip()[:500]
    if kind in (ReferralKind.RENOVATION, ReferralKind.ALLOWANCE) and not note:
        note = _findings_note(visit)
    if kind == ReferralKind.ALARM and not note:
        # The alarm's timeline already says it came from a visit (its source): only what was found.
        note = "、".join([*visit.hazard_labels, *visit.need_labels]) or "紧急情况"
    if kind not in (ReferralKind.HOMECARE_ORDER, ReferralKind.RENOVATION, ReferralKind.ALLOWANCE) and not note:
        raise FieldErrors({"note": "请说明需要办理的事项"})
    links = {}
    if kind == ReferralKind.HOMECARE_ORDER:
        if not item_id:
            raise FieldErrors({"item_id": "请选择服务项目"})
        links["order"] = homecare.book(actor, visit.elder_id, int(item_id), _tomorrow_morning(),
                                       notes=f"探访转介：{note}" if note else "探访转介")  # fmt: skip
    elif kind == ReferralKind.RENOVATION:
        links["renovation"] = _apply_for_renovation(actor, visit, note)
    elif kind == ReferralKind.ALLOWANCE:
        links["allowance"] = _apply_for_allowance(actor, visit, program_id)
    elif kind == ReferralKind.ALARM:
        links["alarm"] = _open_alarm(actor, visit, alarm_kind, note)
    referral = Referral.objects.create(
        visit=visit, elder_id=visit.elder_id, region_code=visit.region_code, county_code=visit.county_code,
        kind=kind, note=note, created_by=actor.db_user, **links,
        status=ReferralStatus.LINKED if links else ReferralStatus.OPEN,
    )  # fmt: skip
    audit.record(actor, AuditAction.CREATE, referral, object_repr=f"探访转办：{referral}")
    return referral


@transaction.atomic
def close_referral(actor: Actor, referral_id, outcome: str) -> Referral:
    if not (outcome or "").strip():
        raise FieldErrors({"outcome": "请填写办理结果"})
    referral = get_for_action(Referral.objects, actor.user, "visits.add_referral", lock=True, pk=referral_id)
    if referral.status == ReferralStatus.CLOSED:
        raise FieldErrors({"outcome": "该转办已办结"})
    referral.status, referral.outcome, referral.closed_at = ReferralStatus.CLOSED, outcome.strip()[:200], timezone.now()
    referral.save()
    audit.record(actor, AuditAction.UPDATE, referral, changes={"status": ["open", "closed"], "outcome": outcome})
    return referral


@transaction.atomic
def resolve_conflict(actor: Actor, conflict_id, resolution: str) -> VisitConflict:
    if not (resolution or "").strip():
        raise FieldErrors({"resolution": "请填写处理说明"})
    conflict = get_for_action(VisitConflict.objects, actor.user, "visits.resolve_visitconflict", lock=True,
                              pk=conflict_id, resolved_at__isnull=True)  # fmt: skip
    conflict.resolved_at, conflict.resolved_by = timezone.now(), actor.db_user
    conflict.resolution = resolution.strip()[:200]
    conflict.save()
    audit.record(actor, AuditAction.UPDATE, conflict, changes={"resolution": conflict.resolution})
    return conflict


# --- Campaigns ---------------------------------------------------------------------------------------


@transaction.atomic
def launch_campaign(actor: Actor, name: str, region_code: str, tiers: list[str], deadline) -> Campaign:
    errors = {}
    if not (name or "").strip():
        errors["name"] = "请填写名称"
    if not tiers or any(t not in Tier.values for t in tiers):
        errors["tiers"] = "请选择对象等级"
    if deadline is None:
        errors["deadline"] = "请填写截止时间"
    elif deadline <= timezone.now():
        errors["deadline"] = "截止时间应晚于现在"
    if errors:
        raise FieldErrors(errors)
    campaign = Campaign.objects.create(name=name.strip()[:100], region_code=region_code,
                                       county_code=county_of(region_code), tiers=sorted(set(tiers)),
                                       deadline=deadline, created_by=actor.db_user)  # fmt: skip
    ensure_visible(actor.user, campaign, "visits.add_campaign")
    audit.record(actor, AuditAction.CREATE, campaign)
    return campaign


@dataclass
class Progress:
    campaign: Campaign
    total: int
    done: int

    @property
    def percent(self) -> float:
        return round(100 * self.done / self.total, 1) if self.total else 100.0

    @property
    def closed(self) -> bool:
        return timezone.now() >= self.campaign.deadline


def progress(campaign: Campaign) -> Progress:
    """Targets of the campaign's tiers in its region, and those visited (by any method) between its start
    and its deadline."""
    group = VisitTarget.objects.filter(region_range_q("region_code", campaign.region_code), tier__in=campaign.tiers,
                                       enrolled_at__lt=campaign.deadline).filter(
        Q(exited_at__isnull=True) | Q(exited_at__gte=campaign.starts_at))  # fmt: skip
    visited = Visit.objects.filter(target=OuterRef("pk"), visited_at__gte=campaign.starts_at,
                                   visited_at__lte=campaign.deadline)  # fmt: skip
    counts = group.aggregate(total=Count("county_code"), done=Count("county_code", filter=Q(Exists(visited))))
    return Progress(campaign, counts["total"], counts["done"])


def campaigns(user, code: str) -> list[Progress]:
    rows = Campaign.objects.visible_to(user, "view").filter(region_range_q("region_code", code))
    return [progress(c) for c in rows.order_by("-deadline")[:50]]
