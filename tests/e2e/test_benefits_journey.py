"""Allowances on a 375 px phone: a family applies for the old-age allowance, the community worker does the
first review, and none of the county officer's allowance pages scrolls sideways; and the whole journey
through the pages: apply, review, notice, approve, payroll (four eyes), bank file, result file, death
list, recovery and repayment."""

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


def test_application_to_payroll_bank_file_death_list_and_recovery_through_the_pages(live_server, browser, make_user,
                                                                                     make_elder, regions, tmp_path):  # fmt: skip
    from datetime import timedelta

    from yiyang.benefits.months import add_months, first_of

    today = date.today()
    this_month = first_of(today)
    elder = make_elder(name="赵晚年", id_number=make_id_number(birth=date(today.year - 84, 2, 11)))
    services.seed_programs(COUNTY)
    make_user(Role.OFFICER, region_code=COUNTY, username="officer")
    make_user(Role.OFFICER, region_code=COUNTY, username="checker")
    make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk, username="son")
    make_user(Role.COMMUNITY_WORKER, region_code=elder.region_code, username="worker")

    page = phone(browser, live_server, "son")
    page.goto(f"{live_server.url}/benefits/apply/")
    form = page.locator("#offer-old_age form")
    form.locator("[name=applicant_name]").fill("赵小军")
    form.locator("[name=bank_account]").fill("6228480012345678901")
    form.locator("button[type=submit]").click()
    expect(page.locator("#status")).to_have_text("待社区初审")
    application = Application.objects.get(elder=elder)

    page = phone(browser, live_server, "worker")
    page.goto(f"{live_server.url}/benefits/applications/{application.pk}/")
    page.click("#step-community_pass")
    expect(page.locator("#status")).to_have_text("待街道审核")

    officer = phone(browser, live_server, "officer")
    officer.goto(f"{live_server.url}/benefits/applications/{application.pk}/")
    officer.click("#step-street_pass")
    expect(officer.locator("#status")).to_have_text("待公示")
    officer.click("#step-start_notice")
    expect(officer.locator("#status")).to_contain_text("公示中")
    expect(officer.locator("#step-approve")).to_be_disabled()  # the notice period has not run out
    # A week passes: the notice period ends.
    Application.objects.filter(pk=application.pk).update(notice_ends=today - timedelta(days=1))
    officer.reload()
    officer.click("#step-approve")
    expect(officer.locator("#status")).to_contain_text("已审批")
    recipient = Recipient.objects.get(elder=elder)
    assert recipient.start_month == this_month

    # Next month's payroll carries this month and the next (80-89 band: 50 元 each).
    following = add_months(this_month, 1)
    officer.goto(f"{live_server.url}/benefits/payrolls/?region={COUNTY}")
    officer.fill("[name=month]", f"{following:%Y-%m}")
    officer.click("#run")
    expect(officer.locator("#lines")).to_have_text("2")
    expect(officer.locator("#total")).to_have_text("100.00")
    payroll_url = officer.url

    checker = phone(browser, live_server, "checker")
    checker.goto(payroll_url)
    checker.click("#step-check")
    expect(checker.locator("#status")).to_have_text("待审批")
    officer.goto(payroll_url)
    officer.click("#step-approve")
    expect(officer.locator("#status")).to_have_text("已审批待导出")
    with officer.expect_download() as download:
        officer.click("#bank-file")
    lines = download.value.path().read_bytes().decode("gbk").splitlines()
    assert lines[-1] == "汇总,2,100.00"
    rows = [line.split(",") for line in lines[1:-1]]
    result = tmp_path / "回盘.csv"
    result.write_text("序号,账号,户名,金额,处理结果\n" + "".join(f"{r[0]},{r[1]},{r[2]},{r[3]},成功\n" for r in rows)
                      + "汇总,2,100.00\n", encoding="utf-8")  # fmt: skip
    officer.goto(payroll_url)
    officer.set_input_files("[name=file]", str(result))
    officer.click("#result")
    expect(officer.locator("#status")).to_have_text("已回盘")

    # The police report the death this month: next month's 50 元 was paid after it.
    deaths = tmp_path / "死亡名单.csv"
    deaths.write_text(f"身份证号码,姓名,死亡日期\n{elder.id_number},赵晚年,{today.isoformat()}\n", encoding="utf-8")
    officer.goto(f"{live_server.url}/benefits/stops/?region={COUNTY}")
    officer.fill("[name=source]", "公安户籍注销")
    officer.set_input_files("[name=file]", str(deaths))
    officer.click("#upload")
    expect(officer.locator("#records")).to_contain_text("比中，已停发")
    officer.goto(f"{live_server.url}/benefits/recoveries/?region={COUNTY}")
    expect(officer.locator("#due")).to_have_text("50.00")
    officer.click("#cases a")
    expect(officer.locator("#balance")).to_have_text("50.00 元")
    officer.fill("[name=amount_yuan]", "50")
    officer.fill("[name=note]", "家属退回")
    officer.click("#repay")
    expect(officer.locator("#balance")).to_have_text("0.00 元")
    assert officer.evaluate("document.documentElement.scrollWidth") <= 375
