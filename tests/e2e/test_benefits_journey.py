"""Allowances on a 375 px phone: a family applies for the old-age allowance, the community worker does the
first review, and none of the county officer's allowance pages scrolls sideways."""

from datetime import date

import pytest
from playwright.sync_api import expect

from conftest import make_id_number
from yiyang.benefits import payroll, services
from yiyang.benefits.models import Application, Recipient
from yiyang.core.audit import Actor
from yiyang.core.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
COUNTY = "411002000000"


def phone(browser, live_server, username):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Pass-word-123")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def fits(page, url):
    page.goto(url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, url


def test_family_applies_on_a_phone_and_officer_pages_fit(live_server, browser, make_user, make_elder, regions):
    today = date.today()
    elder = make_elder(name="王长寿", id_number=make_id_number(birth=date(today.year - 86, 3, 8)))
    services.seed_programs(COUNTY)
    officer = make_user(Role.OFFICER, region_code=COUNTY, username="officer")
    checker = make_user(Role.OFFICER, region_code=COUNTY, username="checker")
    make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk, username="daughter")
    make_user(Role.COMMUNITY_WORKER, region_code=elder.region_code, username="worker")
    other = make_elder(name="李百岁", id_number=make_id_number(birth=date(today.year - 101, 1, 2)))
    program = services.programs_for(other).get(code="old_age")
    Recipient.objects.create(elder=other, program=program, region_code=other.region_code, county_code="411002",
                             start_month=today.replace(day=1), next_month=today.replace(day=1),
                             bank_account="6228480012345678901234", account_holder="李百岁长长的户名")  # fmt: skip
    run, _ = payroll.run(Actor(user=officer), COUNTY, today.replace(day=1))
    payroll.take_step(Actor(user=checker), run.pk, "check")

    page = phone(browser, live_server, "daughter")
    fits(page, f"{live_server.url}/benefits/apply/")
    form = page.locator("#offer-old_age form")
    form.locator("[name=applicant_name]").fill("王小明")
    form.locator("[name=bank_account]").fill("6228480012345678901")
    form.locator("button[type=submit]").click()
    expect(page.locator("#status")).to_have_text("待社区初审")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    application = Application.objects.get(elder=elder)

    page = phone(browser, live_server, "worker")
    page.goto(f"{live_server.url}/benefits/applications/{application.pk}/")
    page.click("#step-community_pass")
    expect(page.locator("#status")).to_have_text("待街道审核")

    page = phone(browser, live_server, "officer")
    for path in ("", "candidates/", "applications/", "payrolls/", f"payrolls/{run.pk}/", "stops/", "recoveries/",
                 "verifications/", f"applications/{application.pk}/"):  # fmt: skip
        fits(page, f"{live_server.url}/benefits/{path}?region={COUNTY}" if "?" not in path else path)
    expect(page.locator("#status")).to_have_text("待街道审核")
