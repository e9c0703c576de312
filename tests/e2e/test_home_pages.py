"""Each role's home page on a phone: the to-do counts are there and lead to lists of as many rows; the
404 page leads home; and no page of any role scrolls sideways at 375 px."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from yiyang.core.roles import Role
from yiyang.homecare.models import Order, OrderStatus, ServiceItem
from yiyang.providers.models import Provider, Staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def phone(browser, live_server, username=None, **options):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", **options)
    page = context.new_page()
    if username:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "Pass-word-123")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
    return page


def assert_fits(page, url):
    page.goto(url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, url
    if page.locator("label.menu-button").count():
        page.click("label.menu-button")  # the menu, opened, fits too
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, f"{url} (menu open)"


@pytest.fixture
def world(make_user, elder, facility, regions):
    item = ServiceItem.objects.create(region_code="411002000000", county_code="411002", code="bath", name="助浴",
                                      category="daily_living", unit="visit", price=6000)  # fmt: skip
    provider = Provider.objects.create(name="安康居家服务", region_code="411002001000", county_code="411002",
                                       service_regions=["411002000000"], service_items=["bath"])  # fmt: skip
    caregiver = Staff.objects.create(provider=provider, region_code=provider.region_code, role="carer",
                                     county_code="411002", name="刘护理", phone="13900001111", skill_level=3)  # fmt: skip
    soon = timezone.localtime().replace(hour=23, minute=0, second=0, microsecond=0)

    def order(status, **fields):
        return Order.objects.create(
            elder_id=elder.pk, region_code=elder.region_code, county_code=elder.county_code, item=item,
            status=status, slot_start=soon, address="西大街 3 号", lat=34.03, lng=113.85, price=6000, subsidy=0,
            voucher=0, self_pay=6000, **fields,
        )  # fmt: skip

    order(OrderStatus.CREATED)
    order(OrderStatus.CREATED)
    order(OrderStatus.ASSIGNED, provider=provider)
    dispatched = order(OrderStatus.DISPATCHED, provider=provider, caregiver=caregiver)
    order(OrderStatus.COMPLETED, provider=provider, caregiver=caregiver)
    make_user(Role.OFFICER, region_code="411002000000", username="officer")
    make_user(Role.PROVIDER_MANAGER, region_code=provider.region_code, scope_id=provider.pk, username="manager")
    make_user(Role.CAREGIVER, region_code="411002000000", scope_id=caregiver.pk, username="carer")
    make_user(Role.FACILITY_MANAGER, region_code=facility.region_code, scope_id=facility.pk, username="director")
    make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk, username="daughter")
    make_user(Role.AUDITOR, region_code="411002000000", username="auditor")
    return {"elder": elder, "dispatched": dispatched, "facility": facility, "day": date.today() + timedelta(days=0)}


def test_each_role_sees_its_to_do_counts_and_they_lead_to_as_many_rows(live_server, browser, world):
    page = phone(browser, live_server, "officer")
    expect(page.locator("#todo-orders_assign .count")).to_have_text("2")
    page.click("#todo-orders_assign")
    expect(page.locator("#orders tbody tr")).to_have_count(2)
    assert "待派单" in page.text_content("h1")

    page = phone(browser, live_server, "manager")
    expect(page.locator("#todo-orders_accept .count")).to_have_text("1")
    expect(page.locator("#todo-orders_today .count")).to_have_text("3")
    page.click("#todo-orders_today")
    expect(page.locator("#orders tbody tr")).to_have_count(3)

    page = phone(browser, live_server, "carer")
    expect(page.locator("#todo-caregiver_queue .count")).to_have_text("1")
    assert "23:00" in page.text_content("#today-orders")
    page.click("#today-orders a")
    expect(page.locator("#call-elder")).to_have_attribute("href", "tel:13800001111")
    assert page.locator("#phone-card a.nav-link").count() == 3

    page = phone(browser, live_server, "daughter")
    expect(page.locator(f"#book-{world['elder'].pk}")).to_have_text("预约服务")
    expect(page.locator("#todo-orders_confirm .count")).to_have_text("1")
    page.click("#todo-orders_confirm")
    expect(page.locator("#orders tbody tr")).to_have_count(1)

    page = phone(browser, live_server, "auditor")
    expect(page.locator("#audit-search")).to_be_visible()


def test_the_404_page_leads_home(live_server, browser, world):
    page = phone(browser, live_server, "daughter")
    response = page.goto(f"{live_server.url}/elders/999999/")
    assert response.status == 404
    expect(page.locator("#error-page h1")).to_have_text("页面不存在或不在您的管辖范围内")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.click("#back-home")
    page.wait_for_url(f"{live_server.url}/")


def test_no_page_scrolls_sideways_at_375_px(live_server, browser, world):
    base = live_server.url
    order = world["dispatched"].pk
    pages = {
        None: ["/accounts/login/", "/map/", "/no-such-page/"],
        "officer": ["/", "/homecare/orders/?waiting=assign", f"/homecare/orders/{order}/", "/elders/?due=on",
                    "/supervision/complaints/?due_soon=1", "/supervision/subsidies/?waiting=county_approve",
                    "/supervision/ledger/?overdue=1", "/accounts/tokens/"],
        "manager": ["/", "/homecare/orders/?day=today", "/homecare/orders/?waiting=accept"],
        "carer": ["/", "/homecare/today/", f"/homecare/orders/{order}/"],
        "director": ["/", "/supervision/subsidies/?waiting=submit", f"/supervision/ledger/?facility={world['facility'].pk}&status=open"],
        "daughter": ["/", f"/homecare/book/{world['elder'].pk}/", "/homecare/orders/?waiting=confirm",
                     f"/homecare/orders/{order}/"],
        "auditor": ["/", "/accounts/audit/"],
    }  # fmt: skip
    for username, urls in pages.items():
        page = phone(browser, live_server, username)
        for url in urls:
            assert_fits(page, base + url)
        # Large-font mode too.
        page.goto(base + "/accounts/login/" if username is None else base + "/")
        if page.locator("label.menu-button").count():
            page.click("label.menu-button")
        page.click("#large-font-toggle")
        expect(page.locator("html")).to_have_class("large-font")
        for url in urls:
            assert_fits(page, base + url)
        page.context.close()
