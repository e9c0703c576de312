"""The API's answers and refusals, and the officer's pages: list with filters, the household's page with
the workflow's buttons, the forms, progress, budgets, catalogs and the printed file."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import pdf_pages
from yiyang.elders import categories
from yiyang.renovation import services
from yiyang.renovation.models import Application, LinePhoto, OrgRole, Stage, Status

from .conftest import basic_items, orgs_data, png

pytestmark = pytest.mark.django_db


def client_for(actor):
    client = Client()
    client.force_login(actor.user)
    return client


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_api_applies_and_refuses_a_second_application_naming_the_field(officer, tekun_elder, policy):
    client = client_for(officer)
    answer = post_json(client, "/api/v1/renovation/applications", {"elder_id": tekun_elder.pk})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "submitted" and "201" not in body["address"]  # masked in answers
    again = post_json(client, "/api/v1/renovation/applications", {"elder_id": tekun_elder.pk})
    assert again.status_code == 422
    assert set(again.json()["fields"]) & {"address", "elder_id"}


def test_api_steps_refuse_an_acceptor_equal_to_the_contractor_and_then_approve(officer, tekun_elder, budget, orgs):
    client = client_for(officer)
    application = services.apply(officer, {"elder_id": tekun_elder.pk})
    url = f"/api/v1/renovation/applications/{application.pk}/steps/"
    assert post_json(client, url + "street_approve", {}).status_code == 200
    refused = post_json(client, url + "county_approve", orgs_data(orgs, acceptor_id=orgs[OrgRole.CONSTRUCT].pk))
    assert refused.status_code == 422 and refused.json()["fields"] == {"acceptor_id": "验收机构不能与施工单位相同"}
    done = post_json(client, url + "county_approve", orgs_data(orgs))
    assert done.status_code == 200 and done.json()["status"] == "county_approved"
    stale = post_json(client, url + "street_approve", {})
    assert stale.status_code == 409


def test_api_plan_above_the_cap_without_self_pay_is_a_422_naming_self_pay(approved, managers):
    client = client_for(managers[OrgRole.ASSESS])
    items = [*basic_items(approved), *approved.policy.catalog.items.filter(number__in=[10, 16])]
    body = {"lines": [{"item_id": i.pk, "quantity": 1} for i in items]}
    answer = post_json(client, f"/api/v1/renovation/applications/{approved.pk}/plan", body)
    assert answer.status_code == 422 and "self_pay" in answer.json()["fields"]
    detail = client.get(f"/api/v1/renovation/applications/{approved.pk}").json()
    assert detail["options"] == ["assess"]


def test_api_progress_and_budgets_for_the_county(approved, officer):
    client = client_for(officer)
    progress = client.get("/api/v1/renovation/progress?region=411002000000&year=2026").json()
    assert progress["whole"]["target"] == 5 and progress["whole"]["in_progress"] == 1
    assert progress["whole"]["committed"] == approved.cap
    budgets = client.get("/api/v1/renovation/budgets?region=411002000000&year=2026").json()
    assert budgets["budgets"][0]["left"] == budgets["budgets"][0]["amount"] - approved.cap
    assert [e["seq"] for e in budgets["queue"]] == [1]


def test_neighbour_officer_gets_404_for_the_application(approved, neighbour_officer):
    client = Client()
    client.force_login(neighbour_officer)
    assert client.get(f"/renovation/{approved.pk}/").status_code == 404
    assert client.get(f"/api/v1/renovation/applications/{approved.pk}").status_code == 404


def test_the_household_page_offers_the_steps_of_its_reader(approved, officer, managers, family):
    page = client_for(managers[OrgRole.ASSESS]).get(f"/renovation/{approved.pk}/").content.decode()
    assert 'id="plan-form"' in page and 'id="photo-form"' in page and 'id="county-form"' not in page
    family_page = client_for(family).get(f"/renovation/{approved.pk}/").content.decode()
    assert 'id="plan-form"' not in family_page and 'id="actions"' not in family_page
    officer_page = client_for(officer).get(f"/renovation/{approved.pk}/").content.decode()
    assert "县级审核通过" in officer_page and 'id="actions"' not in officer_page  # nothing for the bureau now


def test_the_whole_way_through_the_page_forms(approved, managers, family, officer):
    assessor = client_for(managers[OrgRole.ASSESS])
    item = basic_items(approved)[0]
    url = f"/renovation/{approved.pk}/"
    assessor.post(url + "photos/", {"item_id": item.pk, "stage": Stage.ASSESS, "photos": png()})
    assert LinePhoto.objects.filter(application=approved, stage=Stage.ASSESS).count() == 1
    assessor.post(url + "plan/", {f"need_{item.pk}": "1", f"qty_{item.pk}": "12", "version": approved.version + 0})
    approved.refresh_from_db()
    assert approved.status == Status.ASSESSED and approved.plan_total == 12 * item.reference_price
    client_for(family).post(url + "confirm/", {})
    contractor = client_for(managers[OrgRole.CONSTRUCT])
    contractor.post(url + "start/", {})
    for stage in (Stage.BEFORE, Stage.AFTER):
        contractor.post(url + "photos/", {"item_id": item.pk, "stage": stage, "photos": png()})
    contractor.post(url + "complete/", {})
    line = approved.lines.get(in_plan=True)
    client_for(managers[OrgRole.ACCEPT]).post(url + "checks/", {f"result_{line.pk}": "pass"})
    approved.refresh_from_db()
    assert approved.status == Status.ACCEPTED
    response = client_for(officer).post(url + "approve_subsidy/", {}, follow=True)
    assert "已办理" in response.content.decode()
    photo = LinePhoto.objects.filter(application=approved).first()
    assert client_for(officer).get(f"/renovation/photos/{photo.pk}/").status_code == 200


def test_a_refused_form_shows_the_reason(approved, managers):
    url = f"/renovation/{approved.pk}/plan/"
    response = client_for(managers[OrgRole.ASSESS]).post(url, {}, follow=True)
    assert "方案中至少要有一个改造项目" in response.content.decode()


def test_list_filters_and_keeps_its_queries_flat(officer, make_elder, policy):
    for n in range(8):
        elder = make_elder(name=f"老人{n}", categories=categories.to_bits(["tekun"]), address=f"西大街 {n + 1} 号")
        services.apply(officer, {"elder_id": elder.pk})
    client = client_for(officer)
    client.get("/renovation/")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/renovation/?status=submitted&year=2026").content.decode()
    assert page.count("SLH411002") == 8 and len(queries) <= 12
    assert "SLH411002" not in client.get("/renovation/?status=paid").content.decode()


def test_progress_budgets_catalogs_and_new_pages_open(approved, officer):
    client = client_for(officer)
    progress = client.get("/renovation/progress/?region=411002000000&year=2026").content.decode()
    assert 'id="waiting"' in progress and "西大街道" in progress
    assert "#1" in client.get("/renovation/budgets/?year=2026").content.decode()
    catalogs = client.get("/renovation/catalogs/").content.decode()
    assert "民发〔2020〕86号" in catalogs and "未核实" in catalogs
    assert client.get("/renovation/new/").status_code == 200


def test_the_new_form_refuses_an_ineligible_elder_with_the_reason(officer, make_elder, policy):
    elder = make_elder(categories=0)
    response = client_for(officer).post("/renovation/new/", {"elder_id": elder.pk}, follow=True)
    assert "不属于本地补贴对象" in response.content.decode()
    assert not Application.objects.exists()


def test_the_household_file_prints_as_a_pdf(approved, officer):
    client = client_for(officer)
    assert "居家适老化改造档案" in client.get(f"/renovation/{approved.pk}/file/").content.decode()
    answer = client.get(f"/renovation/{approved.pk}/file.pdf")
    assert answer["Content-Type"] == "application/pdf"
    text = "".join(pdf_pages(answer.content))
    assert approved.number in text and "张华山" in text


def test_the_county_sets_its_policy_budget_and_organisations_on_the_setup_page(officer, regions):
    from yiyang.providers.models import Provider
    from yiyang.renovation.models import Budget, Org, Policy

    provider = Provider.objects.create(name="福居建设公司", region_code="411002001000", county_code="411002",
                                       service_regions=["411002000000"])  # fmt: skip
    client = client_for(officer)
    url = "/renovation/setup/?region=411002000000&year=2026"
    assert client.get(url).status_code == 200
    client.post(url, {"form": "policy", "catalog": "mca-2020", "cap_tekun": "3000", "cap_dibao": "2000.5",
                      "target": "120"})  # fmt: skip
    policy = Policy.objects.get(region_code="411002000000", year=2026)
    assert policy.caps == {"tekun": 300_000, "dibao": 200_050} and policy.target == 120
    client.post(url, {"form": "budget", "source": "province", "amount": "900000"})
    assert Budget.objects.get().amount == 90_000_000
    response = client.post(url, {"form": "budget", "source": "province", "amount": "abc"}, follow=True)
    assert "应为金额" in response.content.decode()
    client.post(url, {"form": "org", "provider_id": str(provider.pk), "role": "construct"})
    assert Org.objects.filter(provider=provider, role="construct").exists()
    page = client.get(url).content.decode()
    assert "福居建设公司 · 施工单位" in page and "900,000.00" in page


def test_waiting_lists_the_queue_in_submission_order_for_its_reader(approved, officer, managers, make_elder):
    second = make_elder(name="赵福", categories=categories.to_bits(["tekun"]), address="南关街道金桥社区 9 号楼 302")
    later = services.apply(officer, {"elder_id": second.pk})
    client = client_for(officer)
    listed = client.get("/api/v1/renovation/applications?waiting=street_approve").json()
    assert [a["id"] for a in listed["items"]] == [later.pk]
    mine = client_for(managers[OrgRole.ASSESS]).get("/api/v1/renovation/applications?waiting=assess").json()
    assert [a["id"] for a in mine["items"]] == [approved.pk]
    theirs = client_for(managers[OrgRole.CONSTRUCT]).get("/api/v1/renovation/applications?waiting=assess").json()
    assert theirs["count"] == 0
    page = client.get("/renovation/?waiting=street_approve&region=411002001001").content.decode()
    assert later.number in page and approved.number not in page


def test_a_file_that_is_not_a_photo_is_refused_naming_the_field(approved, managers):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from yiyang.core.errors import FieldErrors

    fake = SimpleUploadedFile("plan.png", b"<script>alert(1)</script>", content_type="image/png")
    with pytest.raises(FieldErrors) as refused:
        services.add_photos(managers[OrgRole.ASSESS], approved.pk, basic_items(approved)[0].pk, Stage.ASSESS, [fake])
    assert "photos" in refused.value.fields and not LinePhoto.objects.exists()


def test_the_household_page_keeps_its_queries_flat(approved, managers, family, officer):
    assessor = managers[OrgRole.ASSESS]
    for item in basic_items(approved):
        services.add_photos(assessor, approved.pk, item.pk, Stage.ASSESS, [png(), png()])
    client = client_for(officer)
    client.get(f"/renovation/{approved.pk}/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/renovation/{approved.pk}/").status_code == 200
    assert len(queries) <= 25, [q["sql"][:120] for q in queries.captured_queries]


def test_the_city_sees_the_county_rolled_up(approved, city_officer):
    client = Client()
    client.force_login(city_officer)
    page = client.get("/renovation/progress/?year=2026").content.decode()
    assert "许昌市" in page and "魏都区" in page
    progress = client.get("/api/v1/renovation/progress?region=411000000000&year=2026").json()
    assert progress["whole"]["in_progress"] == 1 and progress["whole"]["target"] == 5
    assert [c["code"] for c in progress["children"]] == ["411002"]
