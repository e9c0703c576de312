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
    assert page.evaluate("document.documentElement.classList.contains('large-font')")

    page.locator(".leaflet-marker-icon").first.click()
    page.wait_for_selector(".leaflet-popup-content a")
    page.click(".leaflet-popup-content a")
    page.wait_for_selector("#facility-name")
    assert page.text_content("#facility-name") == "灵井敬老院"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
