"""The home page per role: what waits for the user, each item linking to the list that shows the same
rows, with the same count there and in the API; and the menu grouped and filtered by the pages' access."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.core.roles import Role
from yiyang.elders.models import Elder
from yiyang.homecare.models import Order, OrderStatus, ServiceItem
from yiyang.providers.models import Provider, Staff
from yiyang.supervision.models import Complaint, Hazard, SubsidyClaim, SubsidyRateTable
from yiyang.supervision.services import inspections

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def todos(client) -> dict:
    return {item.key: item for item in client.get("/").context["home"].todos}


def listed(client, url) -> int:
    """The number of rows the list page behind a to-do link shows."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


@pytest.fixture
def item(regions):
    return ServiceItem.objects.create(region_code="411002000000", county_code="411002", code="bath", name="助浴",
                                      category="daily_living", unit="visit", price=6000)  # fmt: skip


@pytest.fixture
def provider(regions):
    return Provider.objects.create(name="安康居家服务", region_code="411002001000", county_code="411002",
                                   service_regions=["411002000000"], service_items=["bath"])  # fmt: skip


@pytest.fixture
def caregiver(provider):
    return Staff.objects.create(provider=provider, region_code=provider.region_code, role="carer",
                                county_code="411002", name="刘护理", phone="13900001111", skill_level=3)  # fmt: skip


def make_order(elder, item, status=OrderStatus.CREATED, *, slot=None, provider=None, caregiver=None, **fields):
    return Order.objects.create(
        elder_id=elder.pk, region_code=elder.region_code, county_code=elder.county_code, item=item, status=status,
        slot_start=slot or timezone.now() + timedelta(hours=2), address="西大街 3 号", price=6000, subsidy=0,
        voucher=0, self_pay=6000, provider=provider, caregiver=caregiver, **fields,
    )  # fmt: skip


@pytest.fixture
def overdue_hazard(county_officer, facility):
    actor = Actor(user=county_officer)
    checklist = inspections.save_checklist(actor, "411002000000", "安全检查表", [("fire", "疏散通道畅通")])
    inspection = inspections.plan_inspection(actor, facility.pk, checklist.pk, "unannounced", date.today(), "王科长")
    inspections.record_results(actor, inspection.pk, {"fire-01": "fail"},
                               {"fire-01": inspections.Finding("通道堆放杂物", "major", "张院长")})  # fmt: skip
    hazard = inspection.hazards.get()
    Hazard.objects.filter(pk=hazard.pk).update(deadline=date.today() - timedelta(days=3))
    return hazard


def make_claim(facility, status, month=date(2026, 9, 1)):
    table, _ = SubsidyRateTable.objects.get_or_create(
        region_code="411002000000", county_code="411002", name="运营补贴",
        defaults={"valid_from": date(2026, 1, 1), "level_rates": {}},
    )  # fmt: skip
    return SubsidyClaim.objects.create(facility=facility, region_code=facility.region_code, county_code="411002",
                                       month=month, rate_table=table, status=status, residents=3, amount=90000,
                                       run_id="t")  # fmt: skip


def make_complaint(facility, deadline):
    return Complaint.objects.create(
        facility=facility, subject_name=facility.name, region_code=facility.region_code, county_code="411002",
        channel="phone", complainant_name="王先生", complainant_phone="13700001111", content="饭菜不热",
        received_on=date.today() - timedelta(days=10), deadline=deadline,
    )  # fmt: skip


def test_the_county_officer_sees_what_waits_and_each_count_is_the_lists_and_the_apis(
    county_officer, neighbour_officer, elder, neighbour_elder, item, facility, neighbour_facility, overdue_hazard
):
    make_order(elder, item)
    make_order(elder, item, OrderStatus.DECLINED)
    make_order(elder, item, OrderStatus.COMPLETED)
    make_order(neighbour_elder, item)  # another county: not this officer's
    make_claim(facility, "submitted")
    make_claim(facility, "county_approved", month=date(2026, 8, 1))  # the city's step, not the county's
    make_claim(neighbour_facility, "submitted")
    today = timezone.localdate()
    make_complaint(facility, today + timedelta(days=2))
    make_complaint(facility, today + timedelta(days=10))  # not near yet
    make_complaint(neighbour_facility, today)
    Elder.objects.filter(pk=elder.pk).update(assessment_due=today + timedelta(days=20))
    Elder.objects.filter(pk=neighbour_elder.pk).update(assessment_due=today)

    client = client_for(county_officer)
    found = todos(client)
    assert {k: v.count for k, v in found.items()} == {
        "orders_assign": 2, "hazards_overdue": 1, "claims_county_approve": 1, "complaints_due": 1,
        "assessments_due": 1, "visits_overdue": 0, "benefit_applications": 0, "renovation_street_approve": 0,
        "renovation_county_approve": 0, "renovation_approve_subsidy": 0, "renovation_pay": 0, "renovation_close": 0,
    }  # fmt: skip
    for todo in found.values():
        assert listed(client, todo.url) == todo.count, todo.key
    api = {
        "orders_assign": "/api/v1/homecare/orders?waiting=assign",
        "hazards_overdue": "/api/v1/supervision/hazards?overdue=true",
        "claims_county_approve": "/api/v1/supervision/subsidy-claims?waiting=county_approve",
        "complaints_due": "/api/v1/supervision/complaints?due_soon=true",
        "assessments_due": "/api/v1/elders/?due=true",
        "benefit_applications": "/api/v1/benefits/applications?waiting=true",
    }
    for key, url in api.items():
        assert client.get(url).json()["count"] == found[key].count, key
    page = client.get("/").content.decode()
    assert 'id="todo-orders_assign"' in page and "待派单的服务订单" in page

    # The neighbour's officer counts only the neighbour's rows.
    theirs = {k: v.count for k, v in todos(client_for(neighbour_officer)).items()}
    assert theirs["orders_assign"] == 1 and theirs["claims_county_approve"] == 1 and theirs["hazards_overdue"] == 0


def test_the_city_officer_waits_for_the_city_step_only(city_officer, facility, elder, item):
    make_claim(facility, "submitted")
    make_claim(facility, "county_approved", month=date(2026, 8, 1))
    found = todos(client_for(city_officer))
    assert "claims_county_approve" not in found
    assert found["claims_city_approve"].count == 1
    assert listed(client_for(city_officer), found["claims_city_approve"].url) == 1


def test_provider_manager_and_caregiver(make_user, provider, caregiver, elder, item):
    manager = make_user(Role.PROVIDER_MANAGER, region_code=provider.region_code, scope_id=provider.pk)
    carer = make_user(Role.CAREGIVER, region_code="411002000000", scope_id=caregiver.pk)
    late = timezone.localtime().replace(hour=23, minute=30, second=0, microsecond=0)
    make_order(elder, item, OrderStatus.ASSIGNED, provider=provider, slot=late + timedelta(days=1))
    make_order(elder, item, OrderStatus.ACCEPTED, provider=provider, slot=late + timedelta(days=1))
    today_order = make_order(elder, item, OrderStatus.DISPATCHED, provider=provider, caregiver=caregiver, slot=late)
    make_order(elder, item, OrderStatus.DISPATCHED, provider=provider, caregiver=caregiver,
               slot=late + timedelta(days=2))  # fmt: skip

    client = client_for(manager)
    found = todos(client)
    assert (found["orders_accept"].count, found["orders_dispatch"].count, found["orders_today"].count) == (1, 1, 1)
    for todo in found.values():
        assert listed(client, todo.url) == todo.count, todo.key
    assert client.get("/api/v1/homecare/orders?waiting=accept").json()["count"] == 1
    assert client.get(f"/api/v1/homecare/orders?day={timezone.localdate()}").json()["count"] == 1

    client = client_for(carer)
    home = client.get("/").context["home"]
    queue = {t.key: t for t in home.todos}["caregiver_queue"]
    assert queue.count == 2 and len(client.get(queue.url).context["orders"]) == 2
    assert [o.pk for o in home.today_orders] == [today_order.pk]
    assert "23:30" in client.get("/").content.decode()


def test_facility_manager_rectifies_and_submits(facility_manager, facility, neighbour_facility, overdue_hazard):
    make_claim(facility, "calculated")
    make_claim(neighbour_facility, "calculated")
    client = client_for(facility_manager)
    found = todos(client)
    assert (found["hazards_rectify"].count, found["claims_submit"].count) == (1, 1)
    for todo in (found["hazards_rectify"], found["claims_submit"]):
        assert listed(client, todo.url) == todo.count, todo.key


def test_the_family_books_and_confirms(make_user, elder, neighbour_elder, item):
    family = make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk)
    make_order(elder, item, OrderStatus.COMPLETED)
    make_order(elder, item, OrderStatus.RATED, confirmed_at=timezone.now(), confirmed_by="family")
    make_order(neighbour_elder, item, OrderStatus.COMPLETED)
    client = client_for(family)
    page = client.get("/")
    assert f'href="/homecare/book/{elder.pk}/"' in page.content.decode() and "预约服务" in page.content.decode()
    found = todos(client)
    assert (found["orders_mine"].count, found["orders_confirm"].count) == (2, 1)
    for todo in found.values():
        assert listed(client, todo.url) == todo.count, todo.key
    assert client.get("/api/v1/homecare/orders?waiting=confirm").json()["count"] == 1
    assert len(page.context["home"].recent_orders) == 2


def test_the_auditor_gets_a_recent_search(make_user, regions):
    auditor = make_user(Role.AUDITOR, region_code="411002000000")
    client = client_for(auditor)
    page = client.get("/")
    assert 'id="audit-search"' in page.content.decode()
    recent = todos(client)["audit_recent"]
    assert listed(client, recent.url) == recent.count


def test_the_menu_is_grouped_and_filtered_by_the_pages_access(county_officer, make_user, elder, caregiver):
    groups = client_for(county_officer).get("/").context["nav_groups"]
    labels = [g["label"] for g in groups if g["label"]]
    assert labels == ["数据决策分析", "智慧养老服务", "民政系统监管"]
    alone = [g["items"][0]["label"] for g in groups if not g["label"]]
    assert alone == ["首页", "服务地图", "接口令牌"]

    family = make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk)
    carer = make_user(Role.CAREGIVER, region_code="411002000000", scope_id=caregiver.pk)
    for user in (family, carer):
        client = client_for(user)
        names = [i["label"] for i in client.get("/").context["nav_items"]]
        assert "接口令牌" not in names and "数据分析" not in names
        assert client.get("/accounts/tokens/").status_code == 403
    assert "我的服务" in [i["label"] for i in client_for(carer).get("/").context["nav_items"]]


@pytest.mark.parametrize("role", [r for r in Role.values if r not in (Role.PLATFORM_ADMIN,)])
def test_every_role_has_a_home_page(role, make_user, regions, facility, elder, provider, caregiver):
    scope = {Role.FACILITY_MANAGER: facility.pk, Role.PROVIDER_MANAGER: provider.pk, Role.CAREGIVER: caregiver.pk,
             Role.FAMILY: elder.pk}.get(role)  # fmt: skip
    user = make_user(role, region_code="411002000000" if scope is None else elder.region_code, scope_id=scope)
    response = client_for(user).get("/")
    assert response.status_code == 200
    for todo in response.context["home"].todos:
        assert client_for(user).get(todo.url).status_code == 200, (role, todo.key)


def test_the_platform_administrator_has_a_home_page(regions, facility):
    from yiyang.accounts.services import create_user

    admin = create_user("root-home", "Pass-word-123", is_superuser=True)
    response = client_for(admin).get("/")
    assert response.status_code == 200 and response.context["home"].todos
