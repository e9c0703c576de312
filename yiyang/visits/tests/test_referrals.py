"""A visit that finds a home hazard refers the household to a renovation application with one tap: the
application is filed through the renovation services as a referral, and the two pages link to each other;
a refusal of the application (not eligible, the household already has one) is the referral's refusal."""

import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.elders import categories
from yiyang.elders.models import Elder
from yiyang.renovation import services as renovation
from yiyang.renovation.models import Application
from yiyang.visits import reports
from yiyang.visits.models import Referral, Visit

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def policy(regions):
    from yiyang.accounts.services import create_user

    root = Actor(user=create_user("visits-renovation-root", "Pass-word-123", is_superuser=True))
    return renovation.save_policy(root, "411002000000", timezone.localdate().year, "mca-2020", {"tekun": 300_000})


@pytest.fixture
def visit(grid_worker, target):
    body = {"id": str(uuid.uuid4()), "target_id": target.pk, "method": "home", "visited_at": timezone.now().isoformat(),
            "hazards": ["falls", "electricity"], "needs": ["renovation"], "risk_after": "medium"}  # fmt: skip
    response = client_for(grid_worker).post("/api/v1/visits/sync", json.dumps({"items": [body]}),
                                            content_type="application/json")  # fmt: skip
    assert response.status_code == 200
    return Visit.objects.get(pk=body["id"])


def make_tekun(elder):
    Elder.objects.filter(pk=elder.pk).update(categories=categories.to_bits(["tekun"]))


def test_one_tap_files_a_renovation_application_linked_both_ways(county_officer, visit, lonely_elder, policy):
    make_tekun(lonely_elder)
    client = client_for(county_officer)
    page = client.get(f"/visits/records/{visit.pk}/").content.decode()
    assert 'id="refer-renovation"' in page and 'value="探访发现：用电、跌倒风险"' in page
    response = client.post(f"/visits/records/{visit.pk}/", {"kind": "renovation", "note": ""})
    assert response.status_code == 302
    referral = Referral.objects.get()
    application = Application.objects.get()
    assert referral.renovation == application and referral.status == "linked"
    assert referral.note == "探访发现：用电、跌倒风险"
    assert application.applicant_kind == "referral" and application.referral_ref == f"visit:{visit.pk}"
    assert application.elder_id == lonely_elder.pk and list(application.visit_referrals.all()) == [referral]

    # The application's page names the visit it came from, and the visit's page the application.
    detail = client.get(f"/renovation/{application.pk}/").content.decode()
    assert 'id="origins"' in detail and f'href="/visits/records/{visit.pk}/"' in detail and "王网格" in detail
    page = client.get(f"/visits/records/{visit.pk}/").content.decode()
    assert f'href="/renovation/{application.pk}/"' in page and application.number in page
    assert 'id="refer-renovation"' not in page
    findings = client.get("/visits/findings/?region=411002000000").content.decode()
    assert f'href="/renovation/{application.pk}/"' in findings


def test_a_second_referral_of_the_household_is_refused_with_the_number_of_the_first(
    county_officer, visit, lonely_elder, policy
):
    make_tekun(lonely_elder)
    actor = Actor(user=county_officer)
    first = reports.refer(actor, visit.pk, "renovation")
    from yiyang.core.errors import FieldErrors

    with pytest.raises(FieldErrors) as refused:
        reports.refer(actor, visit.pk, "renovation", "卫生间加装扶手")
    assert first.renovation.number in str(refused.value.fields)
    assert Referral.objects.count() == 1 and Application.objects.count() == 1


def test_an_elder_the_region_does_not_fund_is_refused_and_nothing_is_stored(county_officer, visit, policy):
    client = client_for(county_officer)
    response = client.post(f"/visits/records/{visit.pk}/", {"kind": "renovation", "note": "加装扶手"}, follow=True)
    assert "不属于本地补贴对象" in response.content.decode()
    assert not Referral.objects.exists() and not Application.objects.exists()


def test_a_reader_who_may_not_see_visits_sees_no_link_back(county_officer, visit, lonely_elder, policy, make_user):
    from yiyang.core.roles import Role

    make_tekun(lonely_elder)
    referral = reports.refer(Actor(user=county_officer), visit.pk, "renovation")
    family = make_user(Role.FAMILY, region_code=lonely_elder.region_code, scope_id=lonely_elder.pk)
    detail = client_for(family).get(f"/renovation/{referral.renovation_id}/")
    assert detail.status_code == 200 and 'id="origins"' not in detail.content.decode()


def test_a_neighbour_officer_cannot_refer_the_visit(neighbour_officer, visit, lonely_elder, policy):
    make_tekun(lonely_elder)
    response = client_for(neighbour_officer).post(f"/visits/records/{visit.pk}/", {"kind": "renovation"})
    assert response.status_code == 404
    assert not Referral.objects.exists() and not Application.objects.exists()
