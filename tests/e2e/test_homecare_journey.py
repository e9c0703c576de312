"""The whole home-care journey across four phones and desks: the daughter books, the dispatcher and the
provider send a caregiver, the caregiver checks in and out, the daughter rates, the statistics show it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from yiyang.core.roles import Role
from yiyang.elders.models import Elder
from yiyang.homecare.models import Order, ServiceItem
from yiyang.providers.models import Provider, Staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The smallest valid PNG: a 1×1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4c80000000049454e44ae426082"
)


def login(browser, live_server, username, *, phone=False, geolocation=None):
    options = {"viewport": {"width": 375, "height": 740} if phone else {"width": 1280, "height": 900}}
    if geolocation:
        options.update(geolocation=geolocation, permissions=["geolocation"])
    page = browser.new_context(**options).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_book_dispatch_serve_rate_and_count(live_server, browser, settings, tmp_path, make_user, elder,
                                            county_officer):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path / "media"
    Elder.objects.filter(pk=elder.pk).update(lat=34.03, lng=113.85)
    ServiceItem.objects.create(region_code="411002000000", county_code="411002", code="bath", name="助浴",
                               category="daily_living", unit="visit", price=6000)  # fmt: skip
    provider = Provider.objects.create(name="安康居家服务", region_code="411002001000", county_code="411002",
                                       service_regions=["411002000000"], service_items=["bath"])  # fmt: skip
    caregiver = Staff.objects.create(provider=provider, region_code=provider.region_code, role="carer", county_code="411002", name="刘护理", phone="13900001111",
                                         skill_level=3, lat=34.031, lng=113.85)  # fmt: skip
    make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk, username="daughter")
    make_user(Role.PROVIDER_MANAGER, region_code=provider.region_code, scope_id=provider.pk, username="anyang")
    make_user(Role.CAREGIVER, region_code="411002000000", scope_id=caregiver.pk, username="liu")

    daughter = login(browser, live_server, "daughter", phone=True)
    daughter.goto(f"{live_server.url}/homecare/book/{elder.pk}/")
    daughter.check("input[name=item]")
    slot = timezone.localtime() + timedelta(minutes=5)
    daughter.fill("#id_slot_start", slot.strftime("%Y-%m-%dT%H:%M"))
    daughter.click("#show-quote")
    assert "60 元" in daughter.text_content("#self-pay")
    assert daughter.evaluate("document.documentElement.scrollWidth") <= 375
    daughter.click("#confirm")
    daughter.wait_for_selector("#order-status")
    order = Order.objects.get()

    dispatcher = login(browser, live_server, "weidu-officer")
    dispatcher.goto(f"{live_server.url}/homecare/board/")
    dispatcher.click(f"a:text-is('#{order.pk}')")
    dispatcher.click("#auto-dispatch")
    assert "已派给服务商" in dispatcher.text_content("#order-status")

    manager = login(browser, live_server, "anyang")
    manager.goto(f"{live_server.url}/homecare/orders/{order.pk}/")
    manager.click("#accept")
    assert "已派给服务人员" in manager.text_content("#order-status")

    carer = login(browser, live_server, "liu", phone=True, geolocation={"latitude": 34.0301, "longitude": 113.85})
    carer.goto(f"{live_server.url}/homecare/today/")
    carer.click("text=到达签到")
    carer.wait_for_selector("text=服务完成签退")
    carer.fill("textarea[name=record]", "协助洗浴")
    carer.set_input_files("input[name=photos]", files=[{"name": "bath.png", "mimeType": "image/png", "buffer": PNG}])
    carer.click("text=服务完成签退")
    carer.wait_for_selector("text=今天没有待服务的订单")
    carer.goto(f"{live_server.url}/homecare/orders/{order.pk}/")
    carer.fill("input[name=code]", elder.phone[-4:])  # the daughter reads out the last digits on site
    carer.click("#confirm")
    assert "当面确认" in carer.text_content("#order-confirmation")

    daughter.goto(f"{live_server.url}/homecare/orders/{order.pk}/")
    assert daughter.locator(".photos img").count() == 1  # the service record's photo
    daughter.select_option("#rating", "5")
    daughter.click("#rate")
    assert "已评价" in daughter.text_content("#order-status")

    dispatcher.goto(f"{live_server.url}/homecare/stats/?region=411002000000")
    assert dispatcher.text_content("#stat-completed").strip() == "1"
    assert dispatcher.text_content("#stat-satisfaction").strip() == "100.0%"
    order.refresh_from_db()
    assert order.check_in_distance_m is not None and order.check_in_distance_m < 50
