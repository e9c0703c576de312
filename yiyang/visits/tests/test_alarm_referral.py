"""A visit that finds an emergency opens an alarm with one tap: through the hotline's own service, waiting
in the operator's queue as coming from a visit, and linked both ways (the alarm's card names the visit)."""

import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from yiyang.care.models import Alarm
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
def visit(grid_worker, target):
    body = {"id": str(uuid.uuid4()), "target_id": target.pk, "method": "home", "visited_at": timezone.now().isoformat(),
            "needs": ["emergency"], "hazards": ["heating"], "risk_after": "high"}  # fmt: skip
    response = client_for(grid_worker).post("/api/v1/visits/sync", json.dumps({"items": [body]}),
                                            content_type="application/json")  # fmt: skip
    assert response.status_code == 200
    return Visit.objects.get(pk=body["id"])


@pytest.fixture
def operator(make_user, regions):
    return make_user(Role.OPERATOR, region_code="411002000000", username="weidu-operator")


def post_api(user, visit, body):
    return client_for(user).post(f"/api/v1/visits/{visit.pk}/referrals", json.dumps(body),
                                 content_type="application/json")  # fmt: skip


def test_a_referral_opens_an_alarm_that_waits_for_the_hotline(county_officer, visit):
    referral = reports.refer(Actor(user=county_officer), visit.pk, "alarm", "老人胸闷气短", alarm_kind="health")
    alarm = Alarm.objects.get()
    assert referral.alarm == alarm and referral.status == "linked" and list(alarm.visit_referrals.all()) == [referral]
    assert alarm.source == "visit" and alarm.kind == "health" and alarm.elder_id == visit.elder_id
    # Nobody at the hotline has taken it yet: it waits as new, unacknowledged.
    assert alarm.state == "new" and alarm.acknowledged_at is None and alarm.acknowledged_by == ""
    assert alarm.summary == "老人胸闷气短" and alarm.steps.get().note == "探访发现：老人胸闷气短"


def test_without_a_note_the_alarm_carries_the_findings(county_officer, visit):
    reports.refer(Actor(user=county_officer), visit.pk, "alarm")
    alarm = Alarm.objects.get()
    assert alarm.kind == "sos" and alarm.summary == "取暖、紧急救助"
    assert alarm.steps.get().note == "探访发现：取暖、紧急救助"


def test_a_second_tap_while_the_alarm_is_open_names_the_first(county_officer, visit):
    actor = Actor(user=county_officer)
    first = reports.refer(actor, visit.pk, "alarm", "跌倒在地", alarm_kind="fall")
    with pytest.raises(FieldErrors) as refused:
        reports.refer(actor, visit.pk, "alarm", "跌倒在地", alarm_kind="fall")
    assert f"#{first.alarm_id}" in str(refused.value.fields)
    assert Alarm.objects.count() == 1 and Referral.objects.count() == 1


def test_a_device_signal_is_not_a_kind_a_visit_reports(county_officer, visit):
    with pytest.raises(FieldErrors) as refused:
        reports.refer(Actor(user=county_officer), visit.pk, "alarm", "无活动", alarm_kind="inactivity")
    assert "alarm_kind" in refused.value.fields and not Alarm.objects.exists()


def test_one_tap_on_the_page_reaches_the_console_linked_both_ways(county_officer, operator, visit):
    client = client_for(county_officer)
    page = client.get(f"/visits/records/{visit.pk}/").content.decode()
    assert 'id="refer-alarm"' in page and "本次探访发现紧急救助需求" in page
    response = client.post(f"/visits/records/{visit.pk}/", {"kind": "alarm", "alarm_kind": "fall", "note": "跌倒"})
    assert response.status_code == 302
    alarm = Alarm.objects.get()
    page = client.get(f"/visits/records/{visit.pk}/").content.decode()
    assert f'href="/care/alarms/{alarm.pk}/"' in page and f"报警 #{alarm.pk}（待响应）" in page
    # The operator's queue marks it as coming from a visit, and its card names the visit.
    console = client_for(operator)
    queue = console.get("/care/console/queue/").content.decode()
    assert f'data-id="{alarm.pk}"' in queue and 'class="tag source-visit">探访发现<' in queue
    card = console.get(f"/care/alarms/{alarm.pk}/").content.decode()
    assert 'id="origins"' in card and f'href="/visits/records/{visit.pk}/"' in card and "王网格" in card
    assert "探访发现 ·" in card
    live = console.get("/api/v1/care/alarms/live").json()
    assert [(a["id"], a["source"]) for a in live["items"]] == [(alarm.pk, "visit")]


def test_the_api_opens_the_alarm_and_refuses_a_wrong_kind(county_officer, visit):
    response = post_api(county_officer, visit, {"kind": "alarm", "alarm_kind": "water"})
    assert response.status_code == 422 and "alarm_kind" in response.json()["fields"]
    response = post_api(county_officer, visit, {"kind": "alarm", "alarm_kind": "gas", "note": "闻到燃气味"})
    assert response.status_code == 201, response.content
    alarm = Alarm.objects.get()
    assert response.json()["alarm_id"] == alarm.pk
    # Gas goes straight to 119 and dispatch, as any gas alarm does.
    assert alarm.emergency_numbers == ["119"]


def test_a_family_sees_the_alarm_but_not_the_visit(county_officer, visit, lonely_elder, make_user):
    referral = reports.refer(Actor(user=county_officer), visit.pk, "alarm", "跌倒", alarm_kind="fall")
    family = make_user(Role.FAMILY, region_code=lonely_elder.region_code, scope_id=lonely_elder.pk)
    page = client_for(family).get(f"/care/alarms/{referral.alarm_id}/")
    assert page.status_code == 200 and f"/visits/records/{visit.pk}/" not in page.content.decode()


@pytest.mark.parametrize(("who", "page"), [("neighbour_officer", 404), ("neighbour_worker", 403), ("grid_worker", 403)])
def test_outsiders_and_visitors_cannot_open_an_alarm_from_the_visit(request, who, page, visit):
    user = request.getfixturevalue(who)
    body = {"kind": "alarm", "alarm_kind": "fall", "note": "跌倒"}
    assert client_for(user).post(f"/visits/records/{visit.pk}/", body).status_code == page
    assert post_api(user, visit, body).status_code == 404
    assert not Referral.objects.exists() and not Alarm.objects.exists()
