"""The console, the alarm card, the responder's phone page and the family's view; and every new route
refused to outsiders (404 for rows out of scope, a login for anonymous visitors)."""

import json

import pytest
from django.test import Client

from yiyang.care.models import Alarm, Device
from yiyang.core.roles import Role

from .helpers import event, post_signed


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def alarm(button):
    post_signed(button.vendor, event())
    return Alarm.objects.get()


@pytest.fixture
def neighbour_alarm(vendor, neighbour_elder):
    device = Device.objects.create(vendor=vendor, external_id="N-1", kind="watch", elder=neighbour_elder,
                                   region_code=neighbour_elder.region_code, county_code="411003")  # fmt: skip
    post_signed(vendor, event("n1", device_id=device.external_id))
    return Alarm.objects.get(elder=neighbour_elder)


def test_the_console_queue_shows_the_operators_county_only(alarm, neighbour_alarm, operator):
    client = client_for(operator)
    assert client.get("/care/console/").status_code == 200
    page = client.get("/care/console/queue/")
    body = page.content.decode()
    assert f'data-id="{alarm.pk}"' in body and f'data-id="{neighbour_alarm.pk}"' not in body
    cursor = page.context["cursor"]
    assert client.get(f"/care/console/queue/?since={cursor}").status_code == 204


def test_the_card_shows_the_elder_contacts_in_order_and_devices(alarm, operator):
    page = client_for(operator).get(f"/care/alarms/{alarm.pk}/").content.decode()
    assert "张华山" in page and "13800001111" in page and "13911112222" in page and "卧室床头" in page
    assert "确认误报" in page and "接警" in page


def test_the_operator_acknowledges_calls_back_and_dispatches_from_the_card(alarm, operator, responder):
    client = client_for(operator)
    client.post(f"/care/alarms/{alarm.pk}/acknowledge/", {"version": alarm.version})
    client.post(f"/care/alarms/{alarm.pk}/call/", {"called": "老人本人", "call_outcome": "no_answer"})
    alarm.refresh_from_db()
    page = client.get(f"/care/alarms/{alarm.pk}/").content.decode()
    assert "王响应" in page and "米" in page
    client.post(f"/care/alarms/{alarm.pk}/dispatch/", {"version": alarm.version, "responder_id": responder.pk})
    alarm.refresh_from_db()
    assert alarm.state == "dispatched" and alarm.responder == responder
    assert alarm.steps.filter(action="call", call_outcome="no_answer").exists()


def test_a_stale_version_is_refused_with_a_message(alarm, operator):
    client = client_for(operator)
    response = client.post(f"/care/alarms/{alarm.pk}/acknowledge/", {"version": alarm.version + 5}, follow=True)
    assert "已被他人更新" in response.content.decode()
    alarm.refresh_from_db()
    assert alarm.state == "new"


def test_the_responder_accepts_navigates_arrives_and_closes_on_the_phone(alarm, operator, responder, responder_user):
    op = client_for(operator)
    op.post(f"/care/alarms/{alarm.pk}/acknowledge/", {"version": 0})
    alarm.refresh_from_db()
    op.post(f"/care/alarms/{alarm.pk}/dispatch/", {"version": alarm.version})
    phone = client_for(responder_user)
    assert f"/care/respond/{alarm.pk}/" in phone.get("/care/respond/").content.decode()
    page = phone.get(f"/care/respond/{alarm.pk}/").content.decode()
    assert 'href="geo:34.030000,113.850000?q=34.030000,113.850000(' in page and "西大街道花园社区 3 号楼 201" in page
    alarm.refresh_from_db()
    phone.post(f"/care/alarms/{alarm.pk}/accept/", {"version": alarm.version})
    alarm.refresh_from_db()
    phone.post(f"/care/alarms/{alarm.pk}/arrive/", {"version": alarm.version, "lat": "34.0301", "lng": "113.8501"})
    alarm.refresh_from_db()
    phone.post(f"/care/alarms/{alarm.pk}/resolve/", {"version": alarm.version, "outcome": "assisted",
                                                     "note": "老人跌倒，已扶起"})  # fmt: skip
    alarm.refresh_from_db()
    assert alarm.state == "resolved" and alarm.outcome == "assisted" and alarm.arrival_distance_m < 50
    # The responder's card lives while the job does.
    op.post(f"/care/alarms/{alarm.pk}/close/", {"version": alarm.version})
    assert phone.get(f"/care/respond/{alarm.pk}/").status_code == 200
    assert "老人跌倒" in phone.get(f"/care/respond/{alarm.pk}/").content.decode()


def test_the_family_sees_the_alarm_and_its_progress_but_no_actions(alarm, family):
    client = client_for(family)
    page = client.get(f"/care/alarms/{alarm.pk}/").content.decode()
    assert "待响应" in page and "确认误报" not in page
    assert client.post(f"/care/alarms/{alarm.pk}/acknowledge/", {"version": 0}).status_code == 404
    alarm.refresh_from_db()
    assert alarm.state == "new"
    assert f"/care/alarms/{alarm.pk}/" in client.get("/care/alarms/").content.decode()


def test_another_family_sees_nothing(alarm, make_user, neighbour_elder):
    other = make_user(Role.FAMILY, region_code=neighbour_elder.region_code, scope_id=neighbour_elder.pk)
    assert client_for(other).get(f"/care/alarms/{alarm.pk}/").status_code == 404
    assert f"#{alarm.pk}" not in client_for(other).get("/care/alarms/").content.decode()


# --- The scope table of every new route --------------------------------------------------------------

ROW_ROUTES = [
    ("get", "/care/alarms/{alarm}/"),
    ("post", "/care/alarms/{alarm}/acknowledge/"),
    ("post", "/care/alarms/{alarm}/call/"),
    ("post", "/care/alarms/{alarm}/note/"),
    ("post", "/care/alarms/{alarm}/notify_family/"),
    ("post", "/care/alarms/{alarm}/dispatch/"),
    ("post", "/care/alarms/{alarm}/false_alarm/"),
    ("get", "/care/respond/{alarm}/"),
    ("get", "/api/v1/care/alarms/{alarm}"),
    ("get", "/api/v1/care/alarms/{alarm}/timeline"),
    ("get", "/api/v1/care/alarms/{alarm}/responders"),
    ("post", "/api/v1/care/alarms/{alarm}/steps/acknowledge"),
    ("post", "/api/v1/care/alarms/{alarm}/steps/false_alarm"),
    ("post", "/api/v1/care/alarms/{alarm}/calls"),
    ("post", "/api/v1/care/alarms/{alarm}/notes"),
]
BODIES = {"calls": {"called": "老人", "outcome": "no_answer"}, "notes": {"note": "x"}, "false_alarm": {"note": "x"},
          "call/": {"called": "老人", "call_outcome": "no_answer"}, "note/": {"note": "x"}}  # fmt: skip
OUTSIDERS = ["neighbour_officer", "other_city_officer", "other_facility_manager", "neighbour_operator", None]


def _body(url):
    return next((body for key, body in BODIES.items() if url.endswith(key)), {"version": 0})


@pytest.mark.parametrize("method, route", ROW_ROUTES)
@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_can_neither_read_nor_change_an_alarm(request, alarm, method, route, who):
    user = request.getfixturevalue(who) if who else None
    url = route.format(alarm=alarm.pk)
    client = client_for(user)
    if url.startswith("/api/"):
        response = getattr(client, method)(url, json.dumps(_body(url)) if method == "post" else None,
                                           content_type="application/json")  # fmt: skip
    else:
        response = client.post(url, _body(url)) if method == "post" else client.get(url)
    if user is None:
        assert response.status_code in (401, 302), url
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == 404, (who, url, response.status_code)
    alarm.refresh_from_db()
    assert alarm.state == "new" and alarm.steps.count() == 1 and alarm.seq == 1


@pytest.mark.parametrize("url", ["/care/console/", "/care/console/queue/", "/care/alarms/", "/care/respond/",
                                 "/api/v1/care/alarms", "/api/v1/care/alarms/live", "/api/v1/care/devices",
                                 "/api/v1/care/events/unbound"])  # fmt: skip
def test_anonymous_visitors_are_asked_to_sign_in(regions, url):
    response = Client().get(url)
    assert response.status_code in (302, 401)
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", ["/care/console/call/", "/care/console/open/"])
def test_anonymous_posts_are_asked_to_sign_in(regions, url):
    assert "/accounts/login/" in Client().post(url, {"caller": "13800001111"})["Location"]


def test_lists_of_other_counties_are_empty(alarm, neighbour_operator, button):
    client = client_for(neighbour_operator)
    assert client.get("/api/v1/care/alarms").json()["count"] == 0
    assert client.get("/api/v1/care/devices").json()["count"] == 0
    assert client.get("/api/v1/care/alarms/live").json()["items"] == []
    assert f'data-id="{alarm.pk}"' not in client.get("/care/console/queue/").content.decode()


def test_the_binding_queue_is_scoped_by_the_vendors_region(vendor, operator, neighbour_operator):
    post_signed(vendor, event(device_id="UNKNOWN"))
    assert client_for(operator).get("/api/v1/care/events/unbound").json()["count"] == 1
    assert client_for(neighbour_operator).get("/api/v1/care/events/unbound").json()["count"] == 0


def test_pages_without_the_right_are_refused(alarm, family, responder_user):
    assert client_for(family).get("/care/console/").status_code == 403
    assert client_for(responder_user).get("/care/console/queue/").status_code == 403
    assert client_for(family).post("/api/v1/care/calls", {"caller": "13800001111"},
                                   content_type="application/json").status_code == 403  # fmt: skip


def test_the_queue_places_open_alarms_at_their_community_never_at_the_home(alarm, operator):
    from yiyang.regions.models import Region

    Region.objects.filter(code=alarm.region_code).update(lat=34.1, lng=113.9)
    body = client_for(operator).get("/care/console/queue/").content.decode()
    assert 'data-lat="34.10000" data-lng="113.90000"' in body and "花园社区" in body
    assert "34.03" not in body and "113.85" not in body  # the elder's home
    Alarm.objects.filter(pk=alarm.pk).update(state="closed")
    assert "data-lat" not in client_for(operator).get("/care/console/queue/").content.decode()
    page = client_for(operator).get("/care/console/").content.decode()
    assert 'id="alarm-map"' in page and 'data-outline="411000000000"' in page
