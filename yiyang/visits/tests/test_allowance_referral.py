"""A visit that finds an elder missing an allowance files the application with one tap: it goes through the
allowance services as a visit referral (the bank account comes later, as for the month's candidates), and
the two pages link to each other; a refusal by a program rule is the referral's refusal, with the rule."""

import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from yiyang.benefits import services as benefits
from yiyang.benefits.models import Application
from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors
from yiyang.core.roles import Role
from yiyang.visits import reports
from yiyang.visits.models import Referral, Visit

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def programs(regions):
    return {p.code: p for p in benefits.seed_programs("411002000000")}


@pytest.fixture
def visit(grid_worker, target):
    body = {"id": str(uuid.uuid4()), "target_id": target.pk, "method": "home", "visited_at": timezone.now().isoformat(),
            "needs": ["allowance"], "risk_after": "medium"}  # fmt: skip
    response = client_for(grid_worker).post("/api/v1/visits/sync", json.dumps({"items": [body]}),
                                            content_type="application/json")  # fmt: skip
    assert response.status_code == 200
    return Visit.objects.get(pk=body["id"])


def post_api(user, visit, body):
    return client_for(user).post(f"/api/v1/visits/{visit.pk}/referrals", json.dumps(body),
                                 content_type="application/json")  # fmt: skip


def test_a_referral_files_an_allowance_application_without_a_bank_account(county_officer, visit, programs):
    referral = reports.refer(Actor(user=county_officer), visit.pk, "allowance", program_id=programs["old_age"].pk)
    application = Application.objects.get()
    assert referral.allowance == application and referral.status == "linked" and referral.note == "探访发现：补贴救助"
    assert application.source == "referral" and application.get_source_display() == "探访转介"
    assert application.bank_account == "" and application.status == "submitted"
    assert application.elder_id == visit.elder_id and list(application.visit_referrals.all()) == [referral]


def test_the_referral_names_a_program(county_officer, visit, programs):
    with pytest.raises(FieldErrors) as refused:
        reports.refer(Actor(user=county_officer), visit.pk, "allowance")
    assert "program_id" in refused.value.fields and not Referral.objects.exists()


def test_one_tap_on_the_page_links_both_ways(county_officer, visit, programs):
    client = client_for(county_officer)
    page = client.get(f"/visits/records/{visit.pk}/").content.decode()
    # The programs the elder fails are shown with the rule, and cannot be chosen.
    assert 'id="refer-allowance"' in page and f'<option value="{programs["old_age"].pk}">高龄津贴<' in page
    assert "不符合“对象类别”条件" in page
    response = client.post(f"/visits/records/{visit.pk}/", {"kind": "allowance", "program_id": programs["old_age"].pk})
    assert response.status_code == 302
    application = Application.objects.get()
    detail = client.get(f"/benefits/applications/{application.pk}/").content.decode()
    assert 'id="origins"' in detail and f'href="/visits/records/{visit.pk}/"' in detail and "王网格" in detail
    assert "探访转介" in detail and "未填写" in detail
    page = client.get(f"/visits/records/{visit.pk}/").content.decode()
    assert f'href="/benefits/applications/{application.pk}/"' in page and "高龄津贴申请（待社区初审）" in page
    findings = client.get("/visits/findings/?region=411002000000").content.decode()
    assert f'href="/benefits/applications/{application.pk}/"' in findings


def test_an_elder_already_applying_is_refused_with_the_rule_named(county_officer, visit, programs):
    client = client_for(county_officer)
    body = {"kind": "allowance", "program_id": programs["old_age"].pk}
    client.post(f"/visits/records/{visit.pk}/", body)
    response = client.post(f"/visits/records/{visit.pk}/", body, follow=True)
    assert "不符合“未重复享受”条件：老人已有一份高龄津贴申请在办理中" in response.content.decode()
    assert Referral.objects.count() == 1 and Application.objects.count() == 1


def test_an_ineligible_elder_is_refused_through_the_api_with_the_rule(county_officer, visit, programs):
    response = post_api(county_officer, visit, {"kind": "allowance", "program_id": programs["service"].pk})
    assert response.status_code == 422 and response.json()["rule"] == "category"
    assert not Referral.objects.exists() and not Application.objects.exists()


def test_the_api_files_and_lists_the_referral(county_officer, visit, programs):
    response = post_api(county_officer, visit, {"kind": "allowance", "program_id": programs["old_age"].pk})
    assert response.status_code == 201, response.content
    application = Application.objects.get()
    assert response.json()["allowance_id"] == application.pk and response.json()["status"] == "linked"
    listed = client_for(county_officer).get(f"/api/v1/visits/{visit.pk}/referrals").json()
    assert [r["allowance_id"] for r in listed] == [application.pk]
    shown = client_for(county_officer).get(f"/api/v1/benefits/applications/{application.pk}").json()
    assert shown["source"] == "referral"


def test_a_reader_who_may_not_see_visits_sees_no_link_back(county_officer, visit, lonely_elder, programs, make_user):
    referral = reports.refer(Actor(user=county_officer), visit.pk, "allowance", program_id=programs["old_age"].pk)
    family = make_user(Role.FAMILY, region_code=lonely_elder.region_code, scope_id=lonely_elder.pk)
    detail = client_for(family).get(f"/benefits/applications/{referral.allowance_id}/")
    assert detail.status_code == 200 and 'id="origins"' not in detail.content.decode()


# The officer's visit page is not a visitor's at all (403 whatever the visit); through the API the visit
# is not theirs to refer (404, as for one that does not exist).
@pytest.mark.parametrize(("who", "page"), [("neighbour_officer", 404), ("neighbour_worker", 403), ("grid_worker", 403)])
def test_outsiders_and_visitors_cannot_refer_the_visit(request, who, page, visit, programs):
    user = request.getfixturevalue(who)
    body = {"kind": "allowance", "program_id": programs["old_age"].pk}
    assert client_for(user).post(f"/visits/records/{visit.pk}/", body).status_code == page
    assert post_api(user, visit, body).status_code == 404
    assert client_for(user).get(f"/api/v1/visits/{visit.pk}/referrals").status_code == 404
    assert not Referral.objects.exists() and not Application.objects.exists()
