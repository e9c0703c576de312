"""Every indicator against a direct computation on the base tables, at every level of the tree."""

import random
from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Q, Sum

from yiyang.analytics import indicators, services
from yiyang.core.regioncodes import region_range_q
from yiyang.elders import categories, rollups
from yiyang.elders.models import Elder, ElderCategoryRollup, ElderRollup
from yiyang.facilities.models import Facility, FacilityType
from yiyang.regions.models import Region
from yiyang.servicemap.models import CommunityCoverage

TODAY = date(2026, 11, 25)


@pytest.fixture
def demo(db):
    call_command("demo", elderly=1500, streets=3, communities=3, stdout=open("/dev/null", "w"))
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin")


def direct(code: str) -> dict:
    """The indicators computed straight from the registry, the facility table and the coverage table."""
    elders = Elder.objects.filter(region_range_q("region_code", code), status="active")
    values = {"elders": elders.count()}
    for key, _, low, high in indicators.AGE_BANDS:
        values[f"age_{key}"] = elders.filter(birth_date__year__gte=TODAY.year - high,
                                             birth_date__year__lte=TODAY.year - low).count()  # fmt: skip
    values["elders_female"] = elders.filter(sex="F").count()
    values["assessed"] = elders.filter(capability_level__isnull=False).count()
    for level in range(5):
        values[f"level_{level}"] = elders.filter(capability_level=level).count()
    for c in categories.CATEGORIES:
        values[f"category_{c.code}"] = sum(1 for bits in elders.values_list("categories", flat=True) if bits & c.bit)
    facilities = Facility.objects.filter(region_range_q("region_code", code), status="operating")
    values["facilities"] = facilities.count()
    for value in FacilityType.values:
        values[f"facilities_{value}"] = facilities.filter(facility_type=value).count()
    beds = facilities.aggregate(t=Sum("beds_total"), n=Sum("beds_nursing"))
    values["beds"], values["beds_nursing"] = beds["t"] or 0, beds["n"] or 0
    values["nursing_bed_share"] = round(100 * values["beds_nursing"] / values["beds"], 2) if values["beds"] else None
    coverage = CommunityCoverage.objects.filter(region_range_q("community_code", code))
    total, covered = coverage.count(), coverage.filter(covered=True).count()
    values["coverage_rate"] = round(100 * covered / total, 2) if total else None
    streets = Region.objects.filter(region_range_q("code", code), level=4)
    with_centre = {
        c[:9] for c in facilities.filter(facility_type="street_centre").values_list("region_code", flat=True)
    }
    values["street_centre_share"] = (
        round(100 * sum(s.code[:9] in with_centre for s in streets) / streets.count(), 2) if streets.count() else None
    )
    from yiyang.homecare.models import Order

    orders = Order.objects.filter(region_range_q("region_code", code)).exclude(status="cancelled")
    values["orders"] = orders.count()
    values["orders_completed"] = orders.filter(status__in=["completed", "rated", "disputed", "resolved"]).count()
    rated = orders.filter(rating__isnull=False)
    values["satisfaction_rate"] = (
        round(100 * rated.filter(rating__gte=4).count() / rated.count(), 2) if rated.count() else None
    )
    from yiyang.supervision.models import Hazard, SubsidyPayment

    hazards = Hazard.objects.filter(region_range_q("region_code", code))
    values["hazards"] = hazards.count()
    values["hazards_overdue"] = hazards.exclude(status="closed").filter(deadline__lt=TODAY).count()
    closed = hazards.filter(status="closed").count()
    values["hazard_closed_rate"] = round(100 * closed / values["hazards"], 2) if values["hazards"] else None
    paid = SubsidyPayment.objects.filter(region_range_q("region_code", code)).aggregate(t=Sum("amount"))["t"] or 0
    values["operation_subsidy_paid"] = round(paid / 100, 2)
    region = Region.objects.get(code=code)
    values["aging_rate"] = (
        round(100 * region.population_60 / region.population_total, 2) if region.population_total else None
    )
    return values


@pytest.mark.parametrize("code", ["410000000000", "411000000000", "411002000000", "411002001000", "411002001001"])
def test_every_indicator_equals_a_direct_computation_at_every_level(demo, code):
    whole, _ = indicators.gather(demo, code, today=TODAY)
    computed = indicators.values(whole)
    for key, expected in direct(code).items():
        assert computed[key] == expected, key


def test_additive_indicators_of_the_children_sum_to_the_parent(demo):
    for code in ("410000000000", "411000000000", "411002000000"):
        whole, children = indicators.gather(demo, code, today=TODAY)
        parent = indicators.values(whole)
        for indicator in indicators.REGISTRY:
            if indicator.additive:
                assert sum(indicators.values(c)[indicator.key] or 0 for c in children) == parent[indicator.key], (
                    code,
                    indicator.key,
                )


def test_registry_is_documented(settings):
    from pathlib import Path

    text = (Path(settings.BASE_DIR) / "docs" / "indicators.md").read_text(encoding="utf-8")
    missing = [i.key for i in indicators.REGISTRY if f"`{i.key}`" not in text]
    assert not missing


def rollup_state():
    people = {tuple(r[:-1]): r[-1] for r in ElderRollup.objects.filter(~Q(count=0)).values_list(
        "region_code", "birth_year", "sex", "capability_level", "status", "count")}  # fmt: skip
    groups = {tuple(r[:-1]): r[-1] for r in ElderCategoryRollup.objects.filter(~Q(count=0)).values_list(
        "region_code", "category", "status", "count")}  # fmt: skip
    return people, groups


def test_running_counts_equal_a_rebuild_after_arbitrary_changes(demo, django_capture_on_commit_callbacks):
    """Registrations, transfers, deaths, category changes, assessments and imports, in random order."""
    from conftest import full_scores, make_id_number
    from yiyang.core.audit import Actor
    from yiyang.elders import services as elders

    actor = Actor(user=demo)
    rng = random.Random(8)
    communities = list(Region.objects.filter(level=5).values_list("code", flat=True))
    for step in range(40):
        ids = list(Elder.objects.values_list("id", flat=True)[:200])
        action = rng.choice(["register", "move", "death", "categories", "assess"])
        elder_id = rng.choice(ids)
        if action == "register":
            elders.register_elder(actor, {"name": "测试", "id_number": make_id_number(rng.choice(communities)),
                                          "region_code": rng.choice(communities)})  # fmt: skip
        elif action == "move":
            elders.update_elder(actor, elder_id, {"region_code": rng.choice(communities)})
        elif action == "death":
            elders.update_elder(actor, elder_id, {"status": "deceased", "status_date": "2026-01-01"})
        elif action == "categories":
            elders.update_elder(actor, elder_id, {"categories": rng.sample(["tekun", "dibao", "entitled"], 2)})
        else:
            scores = full_scores(lambda item: rng.randint(0, item.max_score))
            elders.record_assessment(actor, elder_id, {"assessed_on": "2026-11-01", "assessor_1": "甲",
                                                       "assessor_2": "乙", "scores": scores})  # fmt: skip
    running = rollup_state()
    rollups.rebuild()
    assert rollup_state() == running


def test_new_elder_shows_on_the_dashboard_at_once(demo):
    from conftest import make_id_number
    from yiyang.core.audit import Actor
    from yiyang.elders import services as elders

    before = services.dashboard(demo, "411002000000").values["elders"]
    elders.register_elder(Actor(user=demo), {"name": "新人", "id_number": make_id_number("411002001001"),
                                              "region_code": "411002001001"})  # fmt: skip
    assert services.dashboard(demo, "411002000000").values["elders"] == before + 1
    assert services.dashboard(demo, "410000000000").values["elders"] == before + 1 + (
        Elder.objects.filter(status="active").exclude(county_code="411002").count()
    )
