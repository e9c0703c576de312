import json
import re

from django.contrib.auth import get_user_model
from django.core.management import call_command

from yiyang.core.idnumber import address_code_ever_existed, parse
from yiyang.demo import generate
from yiyang.elders.models import Assessment, Elder, ElderIdentity
from yiyang.facilities.models import Facility, FacilityType, Residence
from yiyang.regions.models import Region


def test_demo_builds_a_consistent_henan_with_one_account_per_role(db):
    call_command("demo", elderly=300, streets=2, communities=2, stdout=open("/dev/null", "w"))
    assert Region.objects.filter(code="411002000000", name="魏都区").exists()
    assert Region.objects.filter(level=1).count() == 1 and Region.objects.filter(level=3).count() > 150
    # 300 in Xuchang, in full detail; at least 10 in each of the 17 other cities (济源 among them).
    assert Elder.objects.filter(county_code__startswith="4110").count() == 300
    assert Elder.objects.count() == ElderIdentity.objects.count() == 300 + 17 * 10
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
    assert {
        "admin",
        "xuchang",
        "weidu",
        "viewer",
        "grid",
        "auditor",
        "manager",
        "family",
        "operator",
        "responder",
    } <= users
    from yiyang.care.models import Alarm, Device

    family = get_user_model().objects.get(username="family")
    assert Device.objects.visible_to(family).exists() and Alarm.objects.visible_to(family).exists()
    operator = get_user_model().objects.get(username="operator")
    assert Alarm.objects.visible_to(operator).filter(state="closed").exists()
    assert not Alarm.objects.visible_to(get_user_model().objects.get(username="jianan")).exists()


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


HENAN_CITIES = {
    "410100000000": "郑州市", "410200000000": "开封市", "410300000000": "洛阳市", "410400000000": "平顶山市",
    "410500000000": "安阳市", "410600000000": "鹤壁市", "410700000000": "新乡市", "410800000000": "焦作市",
    "410900000000": "濮阳市", "411000000000": "许昌市", "411100000000": "漯河市", "411200000000": "三门峡市",
    "411300000000": "南阳市", "411400000000": "商丘市", "411500000000": "信阳市", "411600000000": "周口市",
    "411700000000": "驻马店市", "419000000000": "济源市（省直辖）",  # the placeholder over 济源 (419001), named after it
}  # fmt: skip


def test_demo_is_believable_names_match_sex_facilities_are_unique_and_every_city_has_data(db, client):
    from yiyang.core.regioncodes import region_range_q
    from yiyang.demo.names import FEMALE_GIVEN, GIVEN_BY_SEX, MALE_GIVEN, SURNAMES

    call_command("demo", elderly=200, streets=2, communities=2, elderly_per_city=5, stdout=open("/dev/null", "w"))

    # A given name tells the sex it was drawn for: the pools share none, and each elder's is from theirs.
    assert not set(MALE_GIVEN) & set(FEMALE_GIVEN)
    elders = list(Elder.objects.values_list("name", "sex", "id_number"))
    assert len(elders) == 200 + 17 * 5 and {sex for _, sex, _ in elders} == {"M", "F"}
    for name, sex, number in elders:
        assert name[0] in SURNAMES and name[1:] in GIVEN_BY_SEX[sex], (name, sex)
        assert parse(number).sex == sex
        assert address_code_ever_existed(number[:6])  # a real GB/T 2260 code, as the county's

    # No two facilities share a name, and each name carries its county's real name.
    names = list(Facility.objects.values_list("name", "county_code"))
    assert len(names) == len({name for name, _ in names})
    county_names = dict(Region.objects.filter(level=3).values_list("code", "name"))
    for name, county in names:
        assert name.startswith(county_names[county.ljust(12, "0")]), name

    # Every city of Henan, and 济源, has elders and facilities; the region names are the real ones.
    cities = dict(Region.objects.filter(level=2).values_list("code", "name"))
    assert cities == HENAN_CITIES
    assert Region.objects.get(code="419001000000").name == "济源市"
    for code in cities:
        assert Elder.objects.filter(region_range_q("region_code", code)).exists(), code
        assert Facility.objects.filter(region_range_q("region_code", code)).exists(), code

    # The province dashboard (the big screen's data) has one entry per city, each with data.
    client.force_login(get_user_model().objects.get(username="admin"))
    board = client.get("/api/v1/analytics/dashboard", {"region": "410000000000"}).json()
    children = {c["code"]: c for c in board["children"]}
    assert set(children) == set(HENAN_CITIES)
    for code, child in children.items():
        assert child["name"] == HENAN_CITIES[code]
        assert child["values"]["elders"] > 0 and child["values"]["facilities"] > 0, child["name"]
        assert child["values"]["orders"] > 0, child["name"]
    assert children["411000000000"]["values"]["elders"] > 10 * children["410100000000"]["values"]["elders"]
    # The big screen draws a bar per city from the same figures.
    screen = client.get("/analytics/screen/", {"region": "410000000000"}).content.decode()
    data = json.loads(re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', screen).group(1))
    assert {c["name"] for c in data["children"] if c["values"]["elders"]} == set(HENAN_CITIES.values())
    # The demo logins are those of Xuchang, as before.
    users = set(get_user_model().objects.values_list("username", flat=True))
    assert {u for u, *_ in generate.DEMO_ACCOUNTS} <= users


def test_facility_names_stay_unique_in_one_place_by_suffix_then_ordinal():
    from yiyang.demo.names import facility_name

    used: set[str] = set()
    homes = [facility_name("support_home", "魏都区", "柳林镇", "", used) for _ in range(3)]
    assert homes == ["魏都区柳林镇敬老院", "魏都区柳林镇第二敬老院", "魏都区柳林镇第三敬老院"]
    institutions = [facility_name("institution", "魏都区", "东城街道", "花园社区", used) for _ in range(5)]
    assert institutions[:4] == [
        "魏都区东城街道养老院",
        "魏都区东城街道康养中心",
        "魏都区东城街道颐养院",
        "魏都区东城街道护理院",
    ]
    assert institutions[4] == "魏都区东城街道第二养老院"
    assert facility_name("day_care", "魏都区", "东城街道", "花园社区", used) == "魏都区东城街道花园社区日间照料中心"
    names = [facility_name("canteen", "魏都区", "东城街道", "花园社区", used) for _ in range(40)]
    assert len(set(names)) == 40 and len(used) == 3 + 5 + 1 + 40


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
