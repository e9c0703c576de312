"""Visits: the rules of a region, enrolment of targets from the elders registry, visitors and their
assignments, next-due dates and the change feed that phones download.

Every change to who visits whom, or to what a visitor's phone should show of a target, writes one
`AssignmentChange` row in the same transaction (the visitor's delta feed, `sync.assignments`).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import InvalidRegionCode, ancestors, contains, county_of, normalize, region_range_q
from yiyang.core.scoping import ensure_visible, get_for_action, get_visible_or_404
from yiyang.elders import categories
from yiyang.elders.models import CapabilityLevel, Elder, LivingSituation, Status
from yiyang.elders.services import age
from yiyang.providers.models import Staff

from .choices import DEFAULT_COUNTED_METHODS, ExitReason, Method, Tier, VisitorKind
from .models import AssignmentChange, CountedMethods, TierRule, Visit, Visitor, VisitTarget

# --- Rules of a region ----------------------------------------------------------------------------

# Inner Mongolia 2022 (domain notes): high risk at least weekly and within 24 h of a major event, key at
# least monthly, general at least quarterly. Used where neither the region nor any region above has a rule.
DEFAULT_CADENCE = {Tier.HIGH: (7, 24), Tier.KEY: (30, None), Tier.GENERAL: (90, None)}


@dataclass(frozen=True)
class Cadence:
    tier: str
    interval_days: int
    event_hours: int | None
    region_code: str  # where the rule was found ("" = the platform's default)


def _nearest_first(region_code: str) -> list[str]:
    return [region_code, *reversed(ancestors(region_code))]


def cadence(region_code: str, tier: str) -> Cadence:
    """The rule for `tier` of the region or its nearest ancestor with one."""
    chain = _nearest_first(region_code)
    rules = {r.region_code: r for r in TierRule.objects.filter(region_code__in=chain, tier=tier)}
    for code in chain:
        if rule := rules.get(code):
            return Cadence(tier, rule.interval_days, rule.event_hours, code)
    interval, hours = DEFAULT_CADENCE[Tier(tier)]
    return Cadence(tier, interval, hours, "")


def counted_methods(region_code: str) -> list[str]:
    """The visit methods that count toward the monthly rate of the region (nearest rule up the tree)."""
    chain = _nearest_first(region_code)
    rules = {r.region_code: r for r in CountedMethods.objects.filter(region_code__in=chain)}
    for code in chain:
        if rule := rules.get(code):
            return list(rule.methods)
    return [str(m) for m in DEFAULT_COUNTED_METHODS]


def _region(raw, field: str = "region_code") -> str:
    try:
        return normalize(raw)
    except InvalidRegionCode as exc:
        raise FieldErrors({field: str(exc)}) from None


@transaction.atomic
def save_tier_rule(actor: Actor, region_code: str, tier: str, interval_days, event_hours=None,
                   source: str = "") -> TierRule:  # fmt: skip
    code = _region(region_code)
    errors = {}
    if tier not in Tier.values:
        errors["tier"] = "不是可选的探访等级"
    try:
        interval = int(interval_days)
        if not 1 <= interval <= 366:
            raise ValueError
    except (TypeError, ValueError):
        errors["interval_days"] = "探访周期应为 1 到 366 天"
    hours = None
    if event_hours not in (None, ""):
        try:
            hours = int(event_hours)
            if not 1 <= hours <= 720:
                raise ValueError
        except (TypeError, ValueError):
            errors["event_hours"] = "事件后探访时限应为 1 到 720 小时"
    if errors:
        raise FieldErrors(errors)
    rule, _ = TierRule.objects.update_or_create(
        county_code=county_of(code), region_code=code, tier=tier,
        defaults={"interval_days": interval, "event_hours": hours, "source": source[:200]},
    )  # fmt: skip
    ensure_visible(actor.user, rule, "change")
    audit.record(actor, AuditAction.UPDATE, rule, changes={"interval_days": interval, "event_hours": hours})
    return rule


@transaction.atomic
def save_counted_methods(actor: Actor, region_code: str, methods: list[str], source: str = "") -> CountedMethods:
    code = _region(region_code)
    unknown = [m for m in methods if m not in Method.values]
    if unknown or not methods:
        raise FieldErrors({"methods": f"不是可选的探访方式：{'、'.join(unknown)}" if unknown else "至少选择一种方式"})
    rule, _ = CountedMethods.objects.update_or_create(
        county_code=county_of(code), region_code=code, defaults={"methods": sorted(set(methods)), "source": source}
    )
    ensure_visible(actor.user, rule, "change")
    # The visits of this month under the region are counted by the new rule.
    start = month_start(timezone.localdate())
    for visit in Visit.objects.filter(region_range_q("region_code", code), visited_at__gte=_start_of_day(start)):
        counts = visit.method in counted_methods(visit.region_code)
        if counts != visit.counts:
            Visit.objects.filter(pk=visit.pk).update(counts=counts)
    for target in VisitTarget.objects.filter(region_range_q("region_code", code), exited_at__isnull=True):
        _refresh_last_counted(target)
    audit.record(actor, AuditAction.UPDATE, rule, changes={"methods": rule.methods})
    return rule


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


# --- Who is a target, and in which tier ---------------------------------------------------------------


@dataclass(frozen=True)
class Classification:
    tier: str
    reason: str
    codes: tuple[str, ...]


def _has(elder: Elder, code: str) -> bool:
    return bool(elder.categories & categories.BY_CODE[code].bit)


def classify(elder: Elder, today: date | None = None) -> Classification | None:
    """Whether the registry makes the elder a target of the national guidance, in which tier and why.

    Target groups: living alone, empty-nest, left-behind, disabled (moderate or worse), severely
    handicapped, families who lost their only child, and scattered 特困 (not in an institution).
    High risk: 80 or older and living alone. Key: disabled or with dementia (assessed moderate or worse),
    scattered 特困, families who lost their only child. General: the rest of the groups.
    Elders under 60, not in the registry's active state, or living in an institution are no targets.
    """
    today = today or timezone.localdate()
    years = age(elder, today)
    if (
        elder.status != Status.ACTIVE
        or years < 60
        or elder.facility_id is not None
        or elder.living_situation == LivingSituation.IN_INSTITUTION
    ):
        return None
    alone = elder.living_situation == LivingSituation.ALONE or _has(elder, "living_alone")
    empty_nest = elder.living_situation == LivingSituation.EMPTY_NEST or _has(elder, "empty_nest")
    left_behind = elder.living_situation == LivingSituation.LEFT_BEHIND or _has(elder, "rural_left_behind")
    disabled = (elder.capability_level is not None and elder.capability_level >= CapabilityLevel.MODERATE) or _has(
        elder, "disabled"
    )
    groups = [
        ("living_alone", "独居", alone),
        ("empty_nest", "空巢", empty_nest),
        ("left_behind", "留守", left_behind),
        ("disabled", "失能", disabled),
        ("severe_disability", "重度残疾", _has(elder, "severe_disability")),
        ("family_planning", "计划生育特殊家庭", _has(elder, "family_planning")),
        ("tekun", "分散供养特困", _has(elder, "tekun")),
    ]
    found = [(code, label) for code, label, holds in groups if holds]
    if not found:
        return None
    codes = tuple(code for code, _ in found)
    labels = "、".join(label for _, label in found)
    if alone and years >= 80:
        return Classification(Tier.HIGH, f"{years}岁独居（{labels}）", codes)
    if {"disabled", "severe_disability", "family_planning", "tekun"} & set(codes):
        return Classification(Tier.KEY, f"{years}岁，{labels}", codes)
    return Classification(Tier.GENERAL, f"{years}岁，{labels}", codes)


# --- Due dates and the change feed -------------------------------------------------------------------


def next_due(target: VisitTarget, today: date | None = None) -> date:
    """The last visit (or the enrolment) plus the tier's interval; an event's deadline comes first."""
    rule = cadence(target.region_code, target.tier)
    since = timezone.localdate(target.last_visit_at or target.enrolled_at)
    due = since + timedelta(days=rule.interval_days)
    if target.event_due_at:
        due = min(due, timezone.localdate(target.event_due_at))
    return due


def _feed(target: VisitTarget, *, previous_visitor_id: int | None = None) -> None:
    """Tell the phones: the old visitor loses the target, the current one gets it (or its changes)."""
    if previous_visitor_id and previous_visitor_id != target.visitor_id:
        AssignmentChange.objects.create(county_code=target.county_code, region_code=target.region_code,
                                        visitor_id=previous_visitor_id, target=target, removed=True)  # fmt: skip
    if target.visitor_id:
        AssignmentChange.objects.create(
            county_code=target.county_code,
            region_code=target.region_code,
            visitor_id=target.visitor_id,
            target=target,
            removed=target.exited_at is not None,
        )


def _save(target: VisitTarget, *, previous_visitor_id: int | None = None, feed: bool = True) -> VisitTarget:
    target.next_due = next_due(target) if target.exited_at is None else None
    target.save()
    if feed:
        _feed(target, previous_visitor_id=previous_visitor_id)
    return target


def _refresh_last_counted(target: VisitTarget) -> None:
    last = target.visits.filter(counts=True).order_by("-visited_at").values_list("visited_at", flat=True).first()
    VisitTarget.objects.filter(pk=target.pk).update(last_counted_on=timezone.localdate(last) if last else None)


# --- Enrolment ---------------------------------------------------------------------------------------


@dataclass
class EnrolmentResult:
    enrolled: int = 0
    retiered: int = 0
    exited: int = 0
    assigned: int = 0


def _exit_reason_for(elder: Elder) -> str:
    if elder.status == Status.DECEASED:
        return ExitReason.DECEASED
    if elder.status == Status.MOVED_OUT:
        return ExitReason.MOVED_OUT
    if elder.facility_id is not None or elder.living_situation == LivingSituation.IN_INSTITUTION:
        return ExitReason.INSTITUTION
    return ExitReason.NO_LONGER_ELIGIBLE


@transaction.atomic
def enrol_from_registry(actor: Actor, region_code: str, today: date | None = None) -> EnrolmentResult:
    """Bring the targets of a region in line with the registry: enrol the elders the rules name (with the
    reason), move automatic targets to the tier the rules now give, exit those who left the groups (the
    dead, the moved out, those now in an institution), then give unassigned targets to visitors.
    Targets added by hand keep their tier; they exit only when the elder leaves the registry's active state
    or enters an institution."""
    code = _region(region_code)
    today = today or timezone.localdate()
    result = EnrolmentResult()
    open_targets = {
        t.elder_id: t
        for t in VisitTarget.objects.filter(region_range_q("region_code", code), exited_at__isnull=True)
        .select_related("elder")
        .select_for_update()
    }
    elders = Elder.objects.filter(region_range_q("region_code", code))
    for elder in elders.filter(status=Status.ACTIVE).iterator(chunk_size=2000):
        found = classify(elder, today)
        target = open_targets.pop(elder.pk, None)
        if found is None:
            if target is not None and (target.automatic or _exit_reason_for(elder) != ExitReason.NO_LONGER_ELIGIBLE):
                _exit(actor, target, _exit_reason_for(elder), "按规则自动退出")
                result.exited += 1
            continue
        if target is None:
            target = VisitTarget(elder=elder, region_code=elder.region_code, county_code=elder.county_code,
                                 tier=found.tier, reason=found.reason, reason_codes=list(found.codes))  # fmt: skip
            _save(target)
            audit.record(actor, AuditAction.CREATE, target, object_repr=f"纳入探访对象：{elder.name}（{found.reason}）")
            result.enrolled += 1
        elif target.automatic and (target.tier != found.tier or target.reason != found.reason):
            before = {"tier": target.tier, "reason": target.reason}
            target.tier, target.reason, target.reason_codes = found.tier, found.reason, list(found.codes)
            target.region_code = elder.region_code
            _save(target)
            audit.record(actor, AuditAction.UPDATE, target, changes=audit.diff(before, {"tier": target.tier,
                                                                                      "reason": target.reason}))  # fmt: skip
            result.retiered += 1
    # Open targets left over belong to elders no longer active in the registry.
    for target in open_targets.values():
        _exit(actor, target, _exit_reason_for(target.elder), "老人已不在册")
        result.exited += 1
    result.assigned = balance_unassigned(actor, code)
    return result


def _exit(actor: Actor, target: VisitTarget, reason: str, note: str = "") -> None:
    target.exited_at = timezone.now()
    target.exit_reason = reason
    target.exit_note = note[:200]
    _save(target)
    audit.record(actor, AuditAction.UPDATE, target, changes={"exit_reason": [None, reason], "exit_note": [None, note]})


@transaction.atomic
def add_target(actor: Actor, elder_id, tier: str, reason: str) -> VisitTarget:
    """Enrol an elder by hand (a life-threatening illness the registry does not hold, a request)."""
    errors = {}
    if tier not in Tier.values:
        errors["tier"] = "不是可选的探访等级"
    if not (reason or "").strip():
        errors["reason"] = "请填写纳入原因"
    if errors:
        raise FieldErrors(errors)
    elder = get_visible_or_404(Elder.objects, actor.user, "view", pk=elder_id)
    if elder.status != Status.ACTIVE:
        raise FieldErrors({"elder_id": "该老人不是在册状态"})
    if VisitTarget.objects.filter(elder=elder, exited_at__isnull=True).exists():
        raise FieldErrors({"elder_id": "该老人已是探访对象"})
    target = VisitTarget(elder=elder, region_code=elder.region_code, county_code=elder.county_code, tier=tier,
                         reason=reason.strip()[:200], automatic=False)  # fmt: skip
    _save(target, feed=False)
    ensure_visible(actor.user, target, "change")
    audit.record(actor, AuditAction.CREATE, target, object_repr=f"手动纳入探访对象：{elder.name}（{target.reason}）")
    return target


@transaction.atomic
def exit_target(actor: Actor, target_id, reason: str, note: str = "") -> VisitTarget:
    if reason not in ExitReason.values:
        raise FieldErrors({"exit_reason": "请选择退出原因"})
    if reason == ExitReason.OTHER and not note.strip():
        raise FieldErrors({"exit_note": "原因为“其他”时请填写说明"})
    target = get_for_action(VisitTarget.objects, actor.user, "change", lock=True, pk=target_id)
    if target.exited_at is not None:
        raise FieldErrors({"exit_reason": "该对象已退出"})
    _exit(actor, target, reason, note.strip())
    return target


@transaction.atomic
def set_tier(actor: Actor, target_id, tier: str, reason: str) -> VisitTarget:
    """Change a target's tier by hand: the target then keeps it through later automatic runs."""
    if tier not in Tier.values:
        raise FieldErrors({"tier": "不是可选的探访等级"})
    if not reason.strip():
        raise FieldErrors({"reason": "请填写调整原因"})
    target = get_for_action(VisitTarget.objects, actor.user, "change", lock=True, pk=target_id, exited_at=None)
    before = {"tier": target.tier, "reason": target.reason}
    target.tier, target.reason, target.automatic = tier, reason.strip()[:200], False
    _save(target)
    audit.record(actor, AuditAction.UPDATE, target, changes=audit.diff(before, {"tier": tier, "reason": target.reason}))
    return target


@transaction.atomic
def record_event(actor: Actor, target_id, at: datetime | None = None) -> VisitTarget:
    """A major event (illness, disaster, bereavement): the tier's event deadline starts now."""
    target = get_for_action(VisitTarget.objects, actor.user, "change", lock=True, pk=target_id, exited_at=None)
    rule = cadence(target.region_code, target.tier)
    hours = rule.event_hours or 24
    target.event_due_at = (at or timezone.now()) + timedelta(hours=hours)
    _save(target)
    audit.record(actor, AuditAction.UPDATE, target, changes={"event_due_at": [None, target.event_due_at.isoformat()]})
    return target


# --- Visitors and assignment ---------------------------------------------------------------------------


def visitors(user, action: str = "view"):
    return Visitor.objects.visible_to(user, action)


@transaction.atomic
def register_visitor(actor: Actor, data: dict) -> Visitor:
    """A visitor: a worker with an account, a provider's person from the registry, a volunteer, a cadre."""
    errors = {}
    kind = data.get("kind", "")
    if kind not in VisitorKind.values:
        errors["kind"] = "不是可选的探访人类型"
    name = (data.get("name") or "").strip()
    staff = None
    if data.get("staff_id"):
        staff = Staff.objects.visible_to(actor.user, "view").filter(pk=data["staff_id"]).first()
        if staff is None:
            errors["staff_id"] = "从业人员不存在或不在您的管辖范围内"
        else:
            name = name or staff.name
    if not name:
        errors["name"] = "请填写姓名"
    try:
        code = normalize(data.get("region_code") or (staff.region_code if staff else ""))
    except InvalidRegionCode as exc:
        errors["region_code"] = str(exc)
    if errors:
        raise FieldErrors(errors)
    visitor = Visitor.objects.create(
        kind=kind, name=name[:50], region_code=code, county_code=county_of(code), staff=staff,
        user=data.get("user"), phone=(data.get("phone") or (staff.phone if staff else ""))[:20],
        capacity=int(data.get("capacity") or 200),
    )  # fmt: skip
    ensure_visible(actor.user, visitor, "change")
    audit.record(actor, AuditAction.CREATE, visitor)
    return visitor


def ensure_cadre_visitor(cadre_id: int, name: str, region_code: str, user, is_active: bool = True) -> Visitor:
    """The visitor row of a paired cadre (kept current by the supervision app's cadre register): a cadre's
    visit to an elder is a visit like any other, of visitor kind "cadre"."""
    visitor, _ = Visitor.objects.update_or_create(
        county_code=county_of(region_code), cadre_id=cadre_id,
        defaults={"kind": VisitorKind.CADRE, "name": name[:50], "region_code": region_code, "user": user,
                  "is_active": is_active},
    )  # fmt: skip
    return visitor


def load_of(visitor_ids) -> dict[int, int]:
    rows = (
        VisitTarget.objects.filter(visitor_id__in=list(visitor_ids), exited_at__isnull=True)
        .values("visitor_id")
        .annotate(n=Count("id"))
    )
    return {row["visitor_id"]: row["n"] for row in rows}


def _candidates(region_code: str, exclude: int | None = None) -> list[Visitor]:
    """Active visitors whose area holds the community: nearest area first (community, street, county)."""
    chain = _nearest_first(region_code)
    rows = [v for v in Visitor.objects.filter(region_code__in=chain, is_active=True) if v.pk != exclude]
    return sorted(rows, key=lambda v: chain.index(v.region_code))


def _pick(region_code: str, load: dict[int, int], exclude: int | None = None) -> Visitor | None:
    """The least loaded visitor of the nearest area with room; balanced lists (issue part 2)."""
    by_area: dict[str, list[Visitor]] = {}
    for v in _candidates(region_code, exclude):
        by_area.setdefault(v.region_code, []).append(v)
    for area in _nearest_first(region_code):
        room = [v for v in by_area.get(area, []) if load.get(v.pk, 0) < v.capacity]
        if room:
            return min(room, key=lambda v: (load.get(v.pk, 0), v.pk))
    return None


@transaction.atomic
def balance_unassigned(actor: Actor, region_code: str) -> int:
    """Give each unassigned open target of the region to the least loaded visitor of its area."""
    targets = list(
        VisitTarget.objects.filter(
            region_range_q("region_code", region_code), exited_at__isnull=True, visitor__isnull=True
        )
        .select_for_update()
        .order_by("tier", "id")  # fmt: skip
    )
    if not targets:
        return 0
    pool = Visitor.objects.filter(Q(region_range_q("region_code", region_code)) | Q(region_code__in=ancestors(
        region_code)), is_active=True).values_list("pk", flat=True)  # fmt: skip
    load = load_of(pool)
    assigned = 0
    for target in targets:
        visitor = _pick(target.region_code, load)
        if visitor is None:
            continue
        target.visitor = visitor
        _save(target)
        load[visitor.pk] = load.get(visitor.pk, 0) + 1
        assigned += 1
    if assigned:
        audit.record(actor, AuditAction.UPDATE, None, object_type="visits.visittarget", object_repr=(
            f"自动分配探访人 {assigned} 人"), region_code=region_code)  # fmt: skip
    return assigned


@transaction.atomic
def assign(actor: Actor, target_id, visitor_id) -> VisitTarget:
    target = get_for_action(VisitTarget.objects, actor.user, "change", lock=True, pk=target_id, exited_at=None)
    visitor = Visitor.objects.visible_to(actor.user, "view").filter(pk=visitor_id, is_active=True).first()
    if visitor is None:
        raise FieldErrors({"visitor_id": "探访人不存在、已离岗或不在您的管辖范围内"})
    if not (contains(visitor.region_code, target.region_code) or contains(target.region_code, visitor.region_code)):
        raise FieldErrors({"visitor_id": "探访人的负责区域不含该老人所在社区"})
    previous = target.visitor_id
    target.visitor = visitor
    _save(target, previous_visitor_id=previous)
    audit.record(actor, AuditAction.UPDATE, target, changes={"visitor": [previous, visitor.pk]})
    return target


@transaction.atomic
def visitor_leaves(actor: Actor, visitor_id, left_on: date | None = None) -> int:
    """A visitor leaves: they are taken off duty and each of their targets goes to the least loaded
    colleague of the target's area (or waits unassigned, shown on the officer's page). Returns how many
    were handed over."""
    visitor = get_for_action(Visitor.objects, actor.user, "change", lock=True, pk=visitor_id)
    visitor.is_active = False
    visitor.left_on = left_on or timezone.localdate()
    visitor.save(update_fields=["is_active", "left_on"])
    targets = list(VisitTarget.objects.filter(visitor=visitor, exited_at__isnull=True).select_for_update())
    pool = Visitor.objects.filter(is_active=True, county_code=visitor.county_code).values_list("pk", flat=True)
    load = load_of(pool)
    handed = 0
    for target in targets:
        successor = _pick(target.region_code, load, exclude=visitor.pk)
        target.visitor = successor
        _save(target, previous_visitor_id=visitor.pk)
        if successor:
            load[successor.pk] = load.get(successor.pk, 0) + 1
            handed += 1
    audit.record(actor, AuditAction.UPDATE, visitor, changes={"is_active": [True, False], "handed_over": handed})
    return handed


def visitor_of(user) -> Visitor | None:
    """The active visitor row of a signed-in account (the phone app's user)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Visitor.objects.filter(user=user, is_active=True).order_by("id").first()
