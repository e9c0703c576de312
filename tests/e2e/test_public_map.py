"""An elder's daughter on her phone: open the service map, filter, tap a marker, open the facility page."""

import pytest
from playwright.sync_api import expect

from yiyang.facilities.models import Facility

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_family_finds_a_day_care_centre_on_the_phone_map(live_server, phone_page, facility, neighbour_facility):
    Facility.objects.filter(pk=facility.pk).update(lat=34.03, lng=113.85)
    Facility.objects.filter(pk=neighbour_facility.pk).update(lat=34.02, lng=113.95, facility_type="day_care")
    page = phone_page
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector(".facility-item")
    assert page.locator(".facility-item").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.select_option("select[name=facility_type]", "day_care")
    page.click("#map-filters button[type=submit]")
    expect(page.locator(".facility-item")).to_have_count(1)
    assert "灵井敬老院" in page.text_content("#facility-list")

    page.click("#large-font-toggle")
    expect(page.locator("html")).to_have_class("large-font")
    expect(page.locator(".facility-item")).to_have_count(1)  # switched in place: the filter still holds

    page.locator(".leaflet-marker-icon").first.click()
    page.wait_for_selector(".leaflet-popup-content a")
    page.click(".leaflet-popup-content a")
    page.wait_for_selector("#facility-name")
    assert page.text_content("#facility-name") == "灵井敬老院"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_without_tiles_the_map_names_its_regions_and_credits_leaflet_without_a_flag(live_server, phone_page, regions):
    page = phone_page
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector(".leaflet-tooltip.region-label")
    labels = page.locator(".leaflet-tooltip.region-label").all_text_contents()
    assert "许昌市" in labels and "郑州市" in labels
    prefix = page.locator(".leaflet-control-attribution")
    assert prefix.text_content().strip().startswith("Leaflet")
    assert prefix.locator("svg").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_near_me_marks_you_and_offers_a_wider_circle(live_server, browser, facility):
    from yiyang.facilities.models import Facility

    # 7 km north of the visitor: outside 3 and 5 km, inside 10.
    Facility.objects.filter(pk=facility.pk).update(lat=34.093, lng=113.85)
    context = browser.new_context(viewport={"width": 375, "height": 740}, geolocation={"latitude": 34.03,
                                  "longitude": 113.85}, permissions=["geolocation"])  # fmt: skip
    page = context.new_page()
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector(".facility-item")
    page.click("#near-me")
    page.wait_for_selector(".leaflet-tooltip.here-label")
    assert page.text_content(".leaflet-tooltip.here-label") == "您在这里"
    expect(page.locator("#map-status")).to_contain_text("3 公里内没有服务：扩大到 5 / 10 公里")
    page.click("#map-status button.widen[data-radius='5000']")
    expect(page.locator("#map-status")).to_contain_text("5 公里内没有服务：扩大到 10 公里")
    page.click("#map-status button.widen[data-radius='10000']")
    expect(page.locator("#map-status")).to_contain_text("10 公里内有 1 家机构")
    expect(page.locator(".facility-item")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()
