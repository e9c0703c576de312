"""The region picker: a county officer picks a street, then a community, on the elder form and in the
list filter; only the county's own streets are offered."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_officer_picks_street_then_community(live_server, phone_page, county_officer, elder):
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", county_officer.username)
    page.fill("#id_password", "Pass-word-123")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/elders/new/")
    street = page.locator(".region-picker select[data-level='4']")
    expect(street.locator("option")).to_have_text(["请选择街道（乡镇）", "西大街道", "南关街道"])
    street.select_option(label="西大街道")
    community = page.locator(".region-picker select[data-level='5']")
    expect(community.locator("option")).to_have_count(3)
    community.select_option(label="春晖社区")
    assert page.input_value("#id_region_code") == "411002001002"
    street.select_option(label="南关街道")
    assert page.input_value("#id_region_code") == ""  # a street alone is not a community
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.goto(f"{live_server.url}/elders/")
    page.locator(".region-picker select[data-level='4']").select_option(label="西大街道")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**region=411002001000**")
    assert "花园社区" in page.text_content("table")
    # The picker opens on the chosen street again.
    expect(page.locator(".region-picker select[data-level='4']")).to_have_value("411002001000")
