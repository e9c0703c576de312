"""Demo visits: the demo county's targets enrolled from the registry, grid workers and volunteers per
street (the `grid` account among them, on the phone app), the paired cadres as visitors, this month's
and last month's visits by several methods, findings, referrals and a cold-wave campaign."""

import hashlib
import random
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from yiyang.core.audit import Actor, Interface
from yiyang.core.regioncodes import Level
from yiyang.core.scoping import SYSTEM_READER
from yiyang.regions.models import Region
from yiyang.visits import services
from yiyang.visits.choices import Hazard, Method, Need, ReferralKind, Risk, Tier, VisitorKind
from yiyang.visits.models import Campaign, Referral, Visit, VisitTarget

GIVEN = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"]
HEALTH = ["身体尚可，能自理", "腿脚不便，行走需拐杖", "高血压，按时服药", "近期感冒已好转", "听力下降，交流需大声"]
METHODS = [Method.HOME] * 5 + [Method.PHONE] * 3 + [Method.VIDEO, Method.RELATIVE, Method.SMART_ALERT, Method.VOLUNTEER]


def build(county: str, rng: random.Random) -> dict:
    actor = Actor(user=SYSTEM_READER, interface=Interface.CLI)
    streets = list(Region.objects.filter(parent_code=county, level=Level.STREET).order_by("code"))
    grid_user = get_user_model().objects.filter(username="grid").first()
    first_community = Region.objects.filter(level=Level.COMMUNITY, code__startswith=county[:6]).order_by("code").first()
    if grid_user and first_community:
        services.register_visitor(actor, {"kind": VisitorKind.GRID_WORKER, "name": "网格员小李",
                                          "region_code": first_community.code, "user": grid_user})  # fmt: skip
    for street in streets:
        for kind, title in ((VisitorKind.GRID_WORKER, "网格员"), (VisitorKind.VOLUNTEER, "志愿者")):
            services.register_visitor(
                actor, {"kind": kind, "name": f"{rng.choice(GIVEN)}{title}", "region_code": street.code}
            )
    from yiyang.supervision.models import Cadre

    for cadre in Cadre.objects.filter(county_code=county[:6]):
        services.ensure_cadre_visitor(cadre.pk, cadre.name, cadre.region_code, cadre.user)
    result = services.enrol_from_registry(actor, county)
    now = timezone.now()
    month_start = timezone.make_aware(
        timezone.datetime.combine(timezone.localdate().replace(day=1), timezone.datetime.min.time())
    )
    targets = list(VisitTarget.objects.filter(county_code=county[:6], exited_at__isnull=True,
                                              visitor__isnull=False).select_related("visitor"))  # fmt: skip
    visits = []
    for target in targets:
        # Most targets were visited this month; high-risk ones more often; a few are behind.
        times = {Tier.HIGH: 3, Tier.KEY: 1, Tier.GENERAL: 1}[target.tier] if rng.random() < 0.8 else 0
        days_this_month = max((now - month_start).days, 1)
        moments = [now - timedelta(days=rng.uniform(0, days_this_month), hours=rng.uniform(1, 8)) for _ in range(times)]
        moments.append(month_start - timedelta(days=rng.uniform(1, 25)))
        for at in moments:
            method = rng.choice(METHODS)
            found = rng.random() < 0.15
            visits.append(Visit(
                id=uuid.uuid4(), body_hash=hashlib.sha256(f"{target.pk}{at}".encode()).hexdigest(), target=target,
                elder_id=target.elder_id, region_code=target.region_code, county_code=target.county_code,
                visitor=target.visitor, visitor_kind=target.visitor.kind, method=method, visited_at=max(at, month_start - timedelta(days=40)),
                counts=method in services.counted_methods(target.region_code), elder_present=rng.random() > 0.05,
                absent_reason="", health=rng.choice(HEALTH), mood=rng.choice(["good", "good", "fair", "low"]),
                hazards=[rng.choice(Hazard.values)] if found else [], needs=[rng.choice(Need.values)] if found else [],
                risk_after=Risk.HIGH if found and target.tier == Tier.HIGH else rng.choice([Risk.LOW, Risk.MEDIUM]),
                lat=34.03 + rng.uniform(-0.02, 0.02), lng=113.85 + rng.uniform(-0.02, 0.02), accuracy_m=rng.randint(5, 60),
            ))  # fmt: skip
    for visit in visits:
        if not visit.elder_present:
            visit.absent_reason = "away"
    Visit.objects.bulk_create(visits, batch_size=2000)
    latest: dict[int, Visit] = {}
    for visit in visits:
        if visit.target_id not in latest or visit.visited_at > latest[visit.target_id].visited_at:
            latest[visit.target_id] = visit
    for target in targets:
        if target.pk in latest:
            target.last_visit_at = latest[target.pk].visited_at
        counted = [v.visited_at for v in visits if v.target_id == target.pk and v.counts]
        target.last_counted_on = timezone.localdate(max(counted)) if counted else None
        target.next_due = services.next_due(target)
    VisitTarget.objects.bulk_update(targets, ["last_visit_at", "last_counted_on", "next_due"], batch_size=2000)
    referred = 0
    for visit in [v for v in visits if v.needs][:5]:
        Referral.objects.create(visit=visit, elder_id=visit.elder_id, region_code=visit.region_code,
                                county_code=visit.county_code, kind=rng.choice([ReferralKind.RENOVATION,
                                ReferralKind.ALLOWANCE]), note="探访发现，待核实办理")  # fmt: skip
        referred += 1
    Campaign.objects.create(name="寒潮来临前 48 小时探访高风险老人", region_code=county, county_code=county[:6],
                            tiers=[Tier.HIGH], starts_at=now - timedelta(days=1), deadline=now + timedelta(days=1))  # fmt: skip
    return {"targets": result.enrolled, "visits": len(visits), "referrals": referred}
