"""A household's renovation on phones and a desk: the officer reviews and assigns the organisations, the
assessor proposes the plan on a 375 px phone, the family confirms it on theirs, and no page scrolls
sideways."""

import pytest

from yiyang.core.audit import Actor
from yiyang.core.roles import Role
from yiyang.elders import categories
from yiyang.providers.models import Provider
from yiyang.renovation import services
from yiyang.renovation.models import Application, FundSource, OrgRole, Status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
COUNTY = "411002000000"


def login(browser, live_server, username, *, phone=False):
    viewport = {"width": 375, "height": 740} if phone else {"width": 1280, "height": 900}
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


def test_review_assign_plan_and_confirm_on_phones(live_server, browser, make_user, make_elder, county_officer):
    officer = Actor(user=county_officer)
    services.save_policy(officer, COUNTY, 2026, "mca-2020", {"tekun": 300_000}, target=3)
    services.save_budget(officer, COUNTY, 2026, FundSource.PROVINCE, 3_000_000)
    providers = {}
    for role, name in ((OrgRole.ASSESS, "安居评估设计所"), (OrgRole.CONSTRUCT, "福居建设公司"),
                       (OrgRole.ACCEPT, "信达工程监理")):  # fmt: skip
        providers[role] = Provider.objects.create(name=name, region_code="411002001000", county_code="411002",
                                                  service_regions=[COUNTY])  # fmt: skip
        services.register_org(officer, providers[role], role, COUNTY)
    elder = make_elder(categories=categories.to_bits(["tekun"]), address="西大街道花园社区 3 号楼 1 单元 201 室")
    make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk, username="daughter")
    make_user(Role.PROVIDER_MANAGER, region_code="411002001000", scope_id=providers[OrgRole.ASSESS].pk,
              username="assessor")  # fmt: skip
    application = services.apply(officer, {"elder_id": elder.pk, "applicant_kind": "community"})

    desk = login(browser, live_server, county_officer.username)
    desk.goto(f"{live_server.url}/renovation/{application.pk}/")
    desk.click("#step-street_approve")
    desk.wait_for_selector("#county-form")
    desk.select_option("select[name=assessor_id]", str(providers[OrgRole.ASSESS].pk))
    desk.select_option("select[name=contractor_id]", str(providers[OrgRole.CONSTRUCT].pk))
    desk.select_option("select[name=acceptor_id]", str(providers[OrgRole.ACCEPT].pk))
    desk.click("#step-county_approve")
    desk.wait_for_selector("text=县级已审核（待评估）")

    assessor = login(browser, live_server, "assessor", phone=True)
    assessor.goto(f"{live_server.url}/renovation/{application.pk}/")
    assessor.wait_for_selector("#plan-form")
    assert no_sideways_scroll(assessor)
    first_basic = application.policy.catalog.items.filter(tier="basic").order_by("number").first()
    assessor.check(f"input[name=need_{first_basic.pk}]")
    assessor.fill(f"input[name=qty_{first_basic.pk}]", "10")
    assessor.click("#step-plan")
    assessor.wait_for_selector("text=已评估（待确认方案）")
    assert no_sideways_scroll(assessor)

    daughter = login(browser, live_server, "daughter", phone=True)
    daughter.goto(f"{live_server.url}/renovation/{application.pk}/")
    assert "600.00 元" in daughter.text_content("#plan-total")
    daughter.click("#step-confirm")
    daughter.wait_for_selector("text=方案已确认（待施工）")
    assert no_sideways_scroll(daughter)
    assert Application.objects.get().status == Status.CONFIRMED

    # The region's own catalog, kept item by item, also fits a phone.
    services.derive_catalog(officer, "mca-2020", COUNTY, "weidu-2026", "魏都区适老化改造目录")
    phone_officer = login(browser, live_server, county_officer.username, phone=True)
    for path in ("/renovation/", "/renovation/progress/", "/renovation/budgets/", "/renovation/catalogs/",
                 "/renovation/variants/"):  # fmt: skip
        phone_officer.goto(f"{live_server.url}{path}")
        assert no_sideways_scroll(phone_officer), path
