"""The big screen: the clock runs on the viewer's own clock, every category label is shown, and the
map names its cities."""

from datetime import datetime

import pytest
from playwright.sync_api import expect

from yiyang.core.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_screen_reads_the_viewers_clock_and_names_every_city(live_server, browser, make_user, elder, facility):
    make_user(Role.OFFICER, region_code="410000000000", username="henan")
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "henan")
    page.fill("#id_password", "Pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    # The viewer's clock says 2031-05-06 07:08:09 (a Tuesday), whatever the server's says.
    page.clock.set_fixed_time(datetime(2031, 5, 6, 7, 8, 9))
    page.goto(f"{live_server.url}/analytics/screen/?region=410000000000")
    expect(page.locator("#clock")).to_have_text("2031-05-06 星期二 07:08:09")

    page.wait_for_selector(".leaflet-tooltip.region-label")
    labels = page.locator(".leaflet-tooltip.region-label").all_text_contents()
    assert {"许昌市", "郑州市"} <= set(labels)

    intervals = page.evaluate(
        "['children-chart', 'level-chart'].map(function (id) {"
        " return echarts.getInstanceByDom(document.getElementById(id)).getOption().xAxis[0].axisLabel.interval; })"
    )
    assert intervals == [0, 0]
    context.close()


def test_an_alarm_shows_on_the_screen_while_it_is_open(live_server, browser, county_officer, elder):
    from yiyang.care.models import Alarm

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", county_officer.username)
    page.fill("#id_password", "Pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/analytics/screen/?region=411002000000")
    expect(page.locator("#alarms-open")).to_have_text("0")

    alarm = Alarm.objects.create(elder=elder, region_code=elder.region_code, county_code="411002", kind="fall",
                                 source="device")  # fmt: skip
    expect(page.locator("#alarms-open")).to_have_text("1", timeout=12_000)
    expect(page.locator("#alarms-open-stat")).to_have_class("screen-stat live alarm active")
    expect(page.locator("#open-alarms li")).to_have_text("跌倒 · 花园社区 · 待响应 · 0 分钟")
    assert elder.name not in page.content()

    Alarm.objects.filter(pk=alarm.pk).update(state="closed")
    expect(page.locator("#alarms-open")).to_have_text("0", timeout=12_000)
    expect(page.locator("#open-alarms li")).to_have_count(0)
    context.close()
