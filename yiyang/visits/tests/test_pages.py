"""The officer's pages and the phone app shell: rightful users reach them, outsiders get 404 for rows and
regions outside their scope, anonymous users are sent to sign in; a finding becomes a home-care order
with one tap."""

import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from yiyang.homecare.models import Order, ServiceItem
from yiyang.visits.models import Campaign, Referral, Visit, VisitConflict, VisitPhoto, VisitTarget


def client_for(user):
    client = Client()
    if user:
        client.force_login(user)
    return client


@pytest.fixture
def visit(grid_worker, target):
    body = {"id": str(uuid.uuid4()), "target_id": target.pk, "method": "home", "visited_at": timezone.now().isoformat(),
            "health": "腿脚不便", "needs": ["daily_care"], "hazards": ["gas"], "risk_after": "medium"}  # fmt: skip
    response = client_for(grid_worker).post("/api/v1/visits/sync", json.dumps({"items": [body]}),
                                            content_type="application/json")  # fmt: skip
    assert response.status_code == 200
    client_for(grid_worker).post("/api/v1/visits/sync", json.dumps({"items": [{**body, "health": "x"}]}),
                                 content_type="application/json")  # fmt: skip
    return Visit.objects.get(pk=body["id"])


@pytest.fixture
def photo(visit):
    from django.core.files.base import ContentFile

    row = VisitPhoto(visit=visit, sha256="a" * 64, region_code=visit.region_code, county_code=visit.county_code,
                     size=10, extension="png")  # fmt: skip
    row.file.save("photo", ContentFile(b"\x89PNG\r\n\x1a\n" + b"\x00" * 10), save=False)
    row.save()
    return row


PAGES = [
    ("get", "/visits/?region=411002000000"),
    ("get", "/visits/?region=411002000000&overdue=1&tier=high"),
    ("get", "/visits/targets/{target}/"),
    ("post", "/visits/targets/{target}/"),
    ("get", "/visits/enrol/{elder}/"),
    ("post", "/visits/enrol/{elder}/"),
    ("get", "/visits/rate/?region=411002000000"),
    ("get", "/visits/visitors/?region=411002000000"),
    ("post", "/visits/visitors/?region=411002000000"),
    ("get", "/visits/findings/?region=411002000000"),
    ("get", "/visits/records/{visit}/"),
    ("post", "/visits/records/{visit}/"),
    ("get", "/visits/photos/{photo}/"),
    ("get", "/visits/campaigns/?region=411002000000"),
    ("post", "/visits/campaigns/?region=411002000000"),
    ("get", "/visits/conflicts/?region=411002000000"),
    ("post", "/visits/conflicts/?region=411002000000"),
    ("post", "/visits/?region=411002000000"),
]


def _url(route, target, visit, photo, elder):
    return route.format(target=target.pk, visit=visit.pk, photo=photo.pk, elder=elder.pk)


def _unchanged(target, visit):
    target.refresh_from_db()
    visit.refresh_from_db()
    assert target.exited_at is None and visit.version == 1
    assert not Referral.objects.exists() and not Campaign.objects.exists()
    assert not VisitConflict.objects.filter(resolved_at__isnull=False).exists()


@pytest.mark.parametrize("method, route", PAGES)
@pytest.mark.parametrize("who", ["neighbour_officer", "other_city_officer", None])
def test_outsiders_get_404_and_anonymous_users_sign_in(request, method, route, who, target, visit, photo, lonely_elder):
    user = request.getfixturevalue(who) if who else None
    url = _url(route, target, visit, photo, lonely_elder)
    client = client_for(user)
    body = {"action": "exit", "exit_reason": "moved_out", "visitor_id": target.visitor_id, "kind": "other",
            "note": "x", "name": "x", "tiers": ["high"], "deadline": "2099-01-01", "tier": "high", "reason": "x",
            "conflict_id": VisitConflict.objects.first().pk, "resolution": "x"}  # fmt: skip
    response = client.post(url, body) if method == "post" else client.get(url)
    if user is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    else:
        assert response.status_code == 404, (who, url, response.status_code)
    _unchanged(target, visit)


@pytest.mark.parametrize("method, route", [p for p in PAGES if p[0] == "get"])
def test_the_county_officer_reaches_every_page(county_officer, method, route, target, visit, photo, lonely_elder):
    response = client_for(county_officer).get(_url(route, target, visit, photo, lonely_elder))
    assert response.status_code == 200, (route, response.status_code)


def test_the_target_list_shows_the_tier_and_the_rate(county_officer, visit, target):
    body = client_for(county_officer).get("/visits/?region=411002000000").content.decode()
    assert "孙独居" in body and 'id="count-high">1<' in body and 'id="month-rate">100.0%<' in body


def test_rate_page_drills_down_and_names_the_counted_methods(county_officer, visit):
    response = client_for(county_officer).get("/visits/rate/?region=411002000000")
    body = response.content.decode()
    assert "上门入户、电话、视频" in body
    children = {c.name: (c.visited, c.targets) for c in response.context["drill"]}
    assert children == {"西大街道": (1, 1), "南关街道": (0, 0)}


def test_one_tap_turns_a_finding_into_a_home_care_order_linked_both_ways(county_officer, visit):
    item = ServiceItem.objects.create(region_code="411002000000", county_code="411002", code="S01", name="助浴",
                                      category="daily_living", unit="visit", price=5000)  # fmt: skip
    client = client_for(county_officer)
    findings = client.get("/visits/findings/?region=411002000000").content.decode()
    assert "孙独居" in findings and "生活照料" in findings
    response = client.post(
        f"/visits/records/{visit.pk}/", {"kind": "homecare_order", "item_id": item.pk, "note": "生活照料"}
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    order = Order.objects.get()
    assert referral.order == order and list(order.visit_referrals.all()) == [referral]
    assert order.elder_id == visit.elder_id and referral.status == "linked"
    # The order's page names the visit it came from.
    detail = client.get(f"/homecare/orders/{order.pk}/").content.decode()
    assert 'id="origins"' in detail and f'href="/visits/records/{visit.pk}/"' in detail
    assert "孙独居" not in client.get("/visits/findings/?region=411002000000").context["page"].object_list.__repr__()


def test_other_referrals_need_a_note(county_officer, visit):
    client = client_for(county_officer)
    client.post(f"/visits/records/{visit.pk}/", {"kind": "other", "note": ""})
    assert not Referral.objects.exists()
    client.post(f"/visits/records/{visit.pk}/", {"kind": "other", "note": "联系村委会协助修缮院墙"})
    assert Referral.objects.get().kind == "other"


def test_sensitive_parts_of_a_record_are_masked_for_a_viewer(make_user, visit):
    from yiyang.core.roles import Role

    viewer = make_user(Role.VIEWER, region_code="411002000000")
    body = client_for(viewer).get(f"/visits/records/{visit.pk}/").content.decode()
    assert "腿脚不便" not in body and "****" in body


def test_a_campaign_shows_its_progress(county_officer, visit):
    client = client_for(county_officer)
    client.post("/visits/campaigns/?region=411002000000", {"name": "寒潮前探访", "tiers": ["high"],
                                                           "deadline": "2099-01-01T12:00"})  # fmt: skip
    campaign = Campaign.objects.get()
    Campaign.objects.filter(pk=campaign.pk).update(starts_at=visit.visited_at - timezone.timedelta(hours=1))
    rows = client.get("/visits/campaigns/?region=411002000000").context["rows"]
    assert [(r.done, r.total) for r in rows] == [(1, 1)]


def test_a_conflict_is_listed_for_the_supervisor_and_resolved(county_officer, visit):
    client = client_for(county_officer)
    assert "孙独居" in client.get("/visits/conflicts/?region=411002000000").content.decode()
    conflict = VisitConflict.objects.get()
    client.post("/visits/conflicts/?region=411002000000", {"conflict_id": conflict.pk, "resolution": "以第1版为准"})
    conflict.refresh_from_db()
    assert conflict.resolved_at is not None and conflict.resolution == "以第1版为准"


def test_the_officer_runs_enrolment_and_assigns_by_hand(county_officer, lonely_elder, visitor, colleague):
    client = client_for(county_officer)
    client.post("/visits/?region=411002000000")
    target = VisitTarget.objects.get()
    client.post(f"/visits/targets/{target.pk}/", {"action": "assign", "visitor_id": colleague.pk})
    target.refresh_from_db()
    assert target.visitor == colleague


def test_the_phone_app_shell_installs(grid_worker, db):
    anonymous = Client()
    assert anonymous.get("/visits/app/").status_code == 302
    manifest = anonymous.get("/visits/app/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.json()["start_url"] == "/visits/app/"
    worker = anonymous.get("/visits/app/sw.js")
    assert worker.status_code == 200 and worker["Service-Worker-Allowed"] == "/visits/app/"
    assert "/static/visits/app.js" in worker.content.decode()
    page = client_for(grid_worker).get("/visits/app/")
    assert page.status_code == 200 and 'rel="manifest"' in page.content.decode()


def test_the_phone_app_is_refused_to_a_family_member(make_user, elder):
    from yiyang.core.roles import Role

    family = make_user(Role.FAMILY, scope_id=elder.pk)
    assert client_for(family).get("/visits/app/").status_code == 403


def test_the_home_page_counts_the_overdue_targets_its_link_lists(county_officer, target):
    from datetime import timedelta

    VisitTarget.objects.filter(pk=target.pk).update(next_due=timezone.localdate() - timedelta(days=3))
    client = client_for(county_officer)
    todo = {t.key: t for t in client.get("/").context["home"].todos}["visits_overdue"]
    assert todo.count == 1
    assert client.get(todo.url).context["page"].paginator.count == 1


def test_visitors_behind_come_first_with_their_load(county_officer, target, visitor, colleague):
    from datetime import timedelta

    VisitTarget.objects.filter(pk=target.pk).update(next_due=timezone.localdate() - timedelta(days=1))
    rows = list(client_for(county_officer).get("/visits/visitors/?region=411002000000").context["page"])
    behind = rows[0]
    assert behind.pk == target.visitor_id and (behind.load, behind.overdue) == (1, 1)
    assert [(r.load, r.overdue) for r in rows[1:]] == [(0, 0)]


def test_the_alarm_card_shows_the_elders_recent_visits_and_orders_to_the_operator(visit, make_user, make_elder):
    from datetime import timedelta

    from yiyang.care.models import Alarm
    from yiyang.core.roles import Role
    from yiyang.providers.models import Provider

    elder = visit.elder
    provider = Provider.objects.create(name="安康居家服务公司", region_code="411002001000", county_code="411002",
                                       service_regions=["411002000000"])  # fmt: skip
    item = ServiceItem.objects.create(region_code="411002000000", county_code="411002", name="上门助浴", price=8000,
                                      unit="次", duration_minutes=60)  # fmt: skip
    Order.objects.create(elder_id=elder.pk, region_code=elder.region_code, county_code="411002", item=item,
                         provider=provider, slot_start=timezone.now() - timedelta(days=2), address="x", price=8000,
                         subsidy=0, voucher=0, self_pay=8000)  # fmt: skip
    alarm = Alarm.objects.create(elder=elder, region_code=elder.region_code, county_code="411002", kind="sos",
                                 source="device")  # fmt: skip
    operator = make_user(Role.OPERATOR, region_code="411002000000", username="op-card")
    page = client_for(operator).get(f"/care/alarms/{alarm.pk}/").content.decode()
    assert "近期探访" in page and "上门入户 · 探访后风险中（有发现） · 王网格" in page
    assert "近期服务订单" in page and "上门助浴" in page and "安康居家服务公司" in page

    # An operator of the neighbour county sees neither the alarm nor, through any card, these rows.
    neighbour = make_user(Role.OPERATOR, region_code="411003000000", username="op-neighbour")
    assert client_for(neighbour).get(f"/care/alarms/{alarm.pk}/").status_code == 404
    from yiyang.elders import activity

    assert all(items == [] for _, items in activity.recent(neighbour, elder))
