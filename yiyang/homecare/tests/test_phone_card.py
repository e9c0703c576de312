"""The caregiver's phone card: the elder's name, the phone to tap (through the masking mechanism's
reveal rule, audited, only to the caregiver on the job), navigation, the service and time; the right
message after each step; families see their confirmation, not the internal flags."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.test import Client
from django.utils import timezone

from yiyang.core import masking
from yiyang.core.audit import Actor
from yiyang.core.models import AuditEntry
from yiyang.core.roles import Role
from yiyang.homecare.models import Order, OrderStatus
from yiyang.homecare.reveal import CAREGIVER_CALLS_ELDER
from yiyang.providers.models import Staff

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def order(elder, bath, provider, caregiver):
    return Order.objects.create(
        elder_id=elder.pk, region_code=elder.region_code, county_code=elder.county_code, item=bath,
        status=OrderStatus.DISPATCHED, provider=provider, caregiver=caregiver, lat=34.03, lng=113.85,
        slot_start=timezone.now() + timedelta(minutes=10), address="西大街道花园社区 3 号楼 201", price=8000,
        subsidy=0, voucher=0, self_pay=8000,
    )  # fmt: skip


def sensitive_views():
    return list(AuditEntry.objects.filter(action="view_sensitive").values_list("changes", flat=True))


def test_the_assigned_caregiver_gets_the_card_with_the_phone_once_audited(order, caregiver_user, elder):
    page = client_for(caregiver_user).get(f"/homecare/orders/{order.pk}/").content.decode()
    assert 'id="phone-card"' in page and elder.name in page and "助浴" in page
    assert 'href="tel:13800001111"' in page
    assert 'href="geo:34.030000,113.850000?q=34.030000,113.850000(' in page
    assert "https://uri.amap.com/marker?position=113.850000,34.030000" in page and "coordinate=wgs84" in page
    assert "https://api.map.baidu.com/marker?location=34.030000,113.850000" in page and "coord_type=wgs84" in page
    assert sensitive_views() == [{"fields": ["phone"], "rule": CAREGIVER_CALLS_ELDER.name}]
    entry = AuditEntry.objects.get(action="view_sensitive")
    assert entry.object_id == str(elder.pk) and entry.user_id == caregiver_user.pk


def test_no_phone_for_anyone_else_or_after_the_job(order, caregiver_user, provider_manager, provider, make_user, family,
                                                   elder):  # fmt: skip
    colleague = Staff.objects.create(provider=provider, region_code=provider.region_code, county_code="411002",
                                     role="carer", name="孙护理", phone="13900003333")  # fmt: skip
    colleague_user = make_user(Role.CAREGIVER, region_code="411002000000", scope_id=colleague.pk)
    assert client_for(colleague_user).get(f"/homecare/orders/{order.pk}/").status_code == 404
    with pytest.raises(Http404):
        masking.reveal_by_rule(Actor(user=colleague_user), elder, CAREGIVER_CALLS_ELDER.name)
    for user in (provider_manager, family):
        page = client_for(user).get(f"/homecare/orders/{order.pk}/").content.decode()
        assert 'id="phone-card"' not in page and "13800001111" not in page
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.COMPLETED)
    page = client_for(caregiver_user).get(f"/homecare/orders/{order.pk}/").content.decode()
    assert 'id="phone-card"' not in page and "13800001111" not in page
    with pytest.raises(Http404):
        masking.reveal_by_rule(Actor(user=caregiver_user), elder, CAREGIVER_CALLS_ELDER.name)
    assert sensitive_views() == []


def test_the_rule_reveals_only_its_fields(order, caregiver_user, elder):
    with pytest.raises(ValueError):
        masking.reveal_by_rule(Actor(user=caregiver_user), elder, CAREGIVER_CALLS_ELDER.name, ["id_number"])


def test_each_step_says_where_the_order_stands(order, caregiver_user):
    client = client_for(caregiver_user)
    response = client.post(f"/homecare/orders/{order.pk}/check_in/", {"lat": "34.5", "lng": "113.85"}, follow=True)
    page = response.content.decode()
    assert "已签到，服务中" in page and "已完成" not in page.split('class="messages"')[1].split("</ul>")[0]
    assert 'id="order-status">服务中' in page
    response = client.post(f"/homecare/orders/{order.pk}/check_out/", {"record": "协助洗浴"}, follow=True)
    assert "已签退，服务已完成" in response.content.decode()


def test_the_family_sees_the_confirmation_not_the_flags(order, caregiver_user, family):
    client_for(caregiver_user).post(f"/homecare/orders/{order.pk}/check_in/", {"lat": "34.5", "lng": "113.85"})
    order.refresh_from_db()
    assert order.flags  # far from the address: a flag for the provider and the bureau
    staff_page = client_for(caregiver_user).get(f"/homecare/orders/{order.pk}/").content.decode()
    assert order.flags[0] in staff_page and "距地址" in staff_page
    client_for(caregiver_user).post(f"/homecare/orders/{order.pk}/check_out/", {"record": "协助洗浴"})
    family_client = client_for(family)
    page = family_client.get(f"/homecare/orders/{order.pk}/").content.decode()
    assert order.flags[0] not in page and "距地址" not in page and 'id="order-confirmation"' in page
    family_client.post(f"/homecare/orders/{order.pk}/confirm/")
    page = family_client.get(f"/homecare/orders/{order.pk}/").content.decode()
    assert "家属在手机上确认" in page
    body = family_client.get(f"/api/v1/homecare/orders/{order.pk}").json()
    assert body["flags"] == [] and body["check_in_distance_m"] is None and body["confirmed_by"] == "family"
    listed = family_client.get("/api/v1/homecare/orders").json()["items"]
    assert listed[0]["flags"] == []
    order.refresh_from_db()
    assert client_for(caregiver_user).get(f"/api/v1/homecare/orders/{order.pk}").json()["flags"] == order.flags


def test_the_today_page_lists_name_time_and_the_card_link(order, caregiver_user, elder):
    page = client_for(caregiver_user).get("/homecare/today/").content.decode()
    assert elder.name in page and timezone.localtime(order.slot_start).strftime("%H:%M") in page
    assert f'href="/homecare/orders/{order.pk}/"' in page and "13800001111" not in page
