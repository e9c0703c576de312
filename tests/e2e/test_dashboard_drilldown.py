"""A provincial leader clicks down the tree from province to street; the figures match the API."""

import pytest

from yiyang.core.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def headline(page, key):
    return page.text_content(f"#headline [data-key={key}] .value").strip()


def test_province_officer_drills_down_to_a_street(live_server, browser, make_user, elder, neighbour_elder, facility):
    make_user(Role.OFFICER, region_code="410000000000", username="henan")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "henan")
    page.fill("#id_password", "Pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/analytics/")
    for name, code in (("许昌市", "411000000000"), ("魏都区", "411002000000"), ("西大街道", "411002001000")):
        page.click(f"#children-table a:text-is('{name}')")
        page.wait_for_url(f"**/analytics/?region={code}")
        api = page.request.get(f"{live_server.url}/api/v1/analytics/dashboard?region={code}").json()
        assert headline(page, "elders") == str(api["region"]["values"]["elders"])
        assert headline(page, "facilities") == str(api["region"]["values"]["facilities"])
        assert name in page.text_content("#breadcrumb")
    assert headline(page, "elders") == "1"
    page.click("#breadcrumb a:text-is('许昌市')")
    assert headline(page, "elders") == "2"
    page.close()
