from django.contrib.auth import get_user_model
from django.core.management import call_command

from yiyang.core.idnumber import parse
from yiyang.elders.models import Assessment, Elder, ElderIdentity
from yiyang.facilities.models import Facility, FacilityType, Residence
from yiyang.regions.models import Region


def test_demo_builds_a_consistent_henan_with_one_account_per_role(db):
    call_command("demo", elderly=300, streets=2, communities=2, stdout=open("/dev/null", "w"))
    assert Region.objects.filter(code="411002000000", name="魏都区").exists()
    assert Region.objects.filter(level=1).count() == 1 and Region.objects.filter(level=3).count() > 150
    assert Elder.objects.count() == ElderIdentity.objects.count() == 300
    for elder in Elder.objects.all()[:300]:
        info = parse(elder.id_number)
        assert (info.birth_date, info.sex) == (elder.birth_date, elder.sex)
        assert elder.region_code.startswith(elder.county_code)
    assert {t for t in Facility.objects.values_list("facility_type", flat=True)} == set(FacilityType.values)
    assert Assessment.objects.count() > 0
    assert Residence.objects.filter(left_on__isnull=True).count() > 0
    assert (
        Elder.objects.filter(facility_id__isnull=False).count()
        == Residence.objects.filter(left_on__isnull=True).count()
    )
    xuchang = Region.objects.get(code="411000000000")
    assert xuchang.population_60 == sum(
        Region.objects.filter(parent_code="411000000000").values_list("population_60", flat=True)
    )
    users = set(get_user_model().objects.values_list("username", flat=True))
    assert {"admin", "xuchang", "weidu", "viewer", "grid", "auditor", "manager", "family"} <= users


def test_demo_ledger_holds_hazards_in_every_state_and_subsidies_in_review(db):
    from yiyang.supervision.models import ClaimStatus, Hazard, SubsidyClaim

    call_command("demo", elderly=300, streets=2, communities=2, stdout=open("/dev/null", "w"))
    states = set(Hazard.objects.values_list("status", flat=True))
    assert states == {"open", "submitted", "closed"}
    assert Hazard.objects.filter(escalation_level__gte=1).exists()
    assert Hazard.objects.filter(status="closed", photos__purpose="evidence").exists()
    assert {ClaimStatus.CALCULATED, ClaimStatus.SUBMITTED} <= set(SubsidyClaim.objects.values_list("status", flat=True))
    # Complaints: every state, each history a chain of the workflow's steps from registration to it.
    from yiyang.supervision.models import Complaint
    from yiyang.supervision.workflows import COMPLAINT

    complaints = list(Complaint.objects.prefetch_related("steps"))
    assert {c.status for c in complaints} == {"received", "handling", "replied", "closed", "reopened"}
    for complaint in complaints:
        steps = list(complaint.steps.all())
        assert (steps[0].from_status, steps[0].to_status) == ("", "received")
        for before, after in zip(steps, steps[1:], strict=False):
            assert after.from_status == before.to_status and after.to_status in COMPLAINT.targets_from(before.to_status)
            assert after.at >= before.at
        assert steps[-1].to_status == complaint.status
        assert bool(complaint.reply) == any(s.to_status == "replied" for s in steps)
        assert (complaint.closed_at is not None) == (complaint.status == "closed")


def test_demo_has_visit_targets_visits_and_a_visitor_login(db):
    from yiyang.visits.models import Campaign, Visit, VisitTarget
    from yiyang.visits.services import visitor_of

    call_command("demo", elderly=600, streets=2, communities=2, stdout=open("/dev/null", "w"))
    assert VisitTarget.objects.filter(county_code="411002", exited_at__isnull=True).count() > 10
    assert Visit.objects.filter(county_code="411002").count() > 10
    assert Campaign.objects.exists()
    grid = get_user_model().objects.get(username="grid")
    visitor = visitor_of(grid)
    assert visitor is not None and VisitTarget.objects.filter(visitor=visitor).exists()
