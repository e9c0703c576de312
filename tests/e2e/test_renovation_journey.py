"""A household's renovation on phones and a desk: the officer reviews and assigns the organisations, the
assessor proposes the plan on a 375 px phone, the family confirms it on theirs, and no page scrolls
sideways. The whole journey runs from the daughter's application to the payment, and the dashboard's
renovation figures move."""

import json
import struct
import zlib

import pytest
from django.utils import timezone
from playwright.sync_api import expect

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


def small_png(path, width=8, height=8):
    """A real PNG of a few pixels, written where `set_input_files` can pick it up like a phone's photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((200, 120, 40)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
                     + chunk(b"IEND", b""))  # fmt: skip
    return str(path)


def figures(page, live_server) -> dict:
    """The county's renovation figures as the dashboard page shows them: its data and its street's row."""
    page.goto(f"{live_server.url}/analytics/?region={COUNTY}")
    page.wait_for_selector("#children-table")
    values = json.loads(page.text_content("#dashboard-data"))["values"]
    street = page.evaluate(
        """() => {
            const keys = [...document.querySelectorAll('#children-table thead th')].map(th => th.dataset.key);
            const row = document.querySelector('#children-table tr[data-code="411002001000"]');
            return Object.fromEntries([...row.cells].map((cell, i) => [keys[i], cell.textContent.trim()]));
        }"""
    )
    keys = ("renovation_applications", "renovation_in_progress", "renovation_completed", "renovation_paid",
            "renovation_rework_rate")  # fmt: skip
    # The street's cell as a number ("—" where there is nothing to divide).
    return {key: (values[key], None if street[key] == "—" else float(street[key])) for key in keys}


def take(page, button: str, status: str) -> None:
    """Click a step's button on the household page and wait for the page to show the new state."""
    page.click(button)
    expect(page.locator("#status")).to_have_text(status)
    expect(page.locator(".messages")).to_contain_text("已办理")


def upload(page, item_pk: int, stage: str, photo: str) -> None:
    """Upload one photo of an item at a stage and wait for the plan's table to link one photo more."""
    links = page.locator("#lines a[href*='/renovation/photos/']")
    shown = links.count()
    page.select_option("#photo-form select[name=item_id]", str(item_pk))
    page.select_option("#photo-form select[name=stage]", stage)
    page.set_input_files("#photo-form input[name=photos]", photo)
    page.click("#upload")
    expect(links).to_have_count(shown + 1)
    expect(page.locator(".messages")).to_contain_text("已办理")


def test_the_whole_journey_through_the_pages_moves_the_dashboard(live_server, browser, make_user, make_elder,
                                                                 county_officer, tmp_path):  # fmt: skip
    year = timezone.localdate().year
    officer = Actor(user=county_officer)
    services.save_policy(officer, COUNTY, year, "mca-2020", {"tekun": 300_000}, target=3)
    services.save_budget(officer, COUNTY, year, FundSource.PROVINCE, 3_000_000)
    providers, managers = {}, {}
    for role, name, username in ((OrgRole.ASSESS, "安居评估设计所", "assessor"),
                                 (OrgRole.CONSTRUCT, "福居建设公司", "builder"),
                                 (OrgRole.ACCEPT, "信达工程监理", "inspector")):  # fmt: skip
        providers[role] = Provider.objects.create(name=name, region_code="411002001000", county_code="411002",
                                                  service_regions=[COUNTY])  # fmt: skip
        services.register_org(officer, providers[role], role, COUNTY)
        managers[role] = make_user(Role.PROVIDER_MANAGER, region_code="411002001000", scope_id=providers[role].pk,
                                   username=username).username  # fmt: skip
    elder = make_elder(categories=categories.to_bits(["tekun"]), address="西大街道花园社区 3 号楼 1 单元 201 室")
    make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk, username="daughter")
    make_user(Role.OFFICER, region_code="411002001000", username="street-officer")
    photo = small_png(tmp_path / "photo.png")

    desk = login(browser, live_server, county_officer.username)
    before = figures(desk, live_server)
    assert before["renovation_completed"] == (0, 0) and before["renovation_paid"] == (0, 0)

    # The daughter applies on her phone.
    daughter = login(browser, live_server, "daughter", phone=True)
    daughter.goto(f"{live_server.url}/renovation/new/?elder={elder.pk}")
    assert no_sideways_scroll(daughter)
    daughter.select_option("#apply-form select[name=applicant_kind]", "family")
    daughter.click("#apply-form button[type=submit]")
    expect(daughter.locator("#status")).to_have_text("已申请（待街道初审）")
    assert no_sideways_scroll(daughter)
    application = Application.objects.get()
    household = f"{live_server.url}/renovation/{application.pk}/"
    assert daughter.url == household

    # The street reviews; the county approves and assigns the three organisations.
    street = login(browser, live_server, "street-officer")
    street.goto(household)
    take(street, "#step-street_approve", "街道已初审（待县级审核）")
    desk.goto(household)
    desk.select_option("select[name=assessor_id]", str(providers[OrgRole.ASSESS].pk))
    desk.select_option("select[name=contractor_id]", str(providers[OrgRole.CONSTRUCT].pk))
    desk.select_option("select[name=acceptor_id]", str(providers[OrgRole.ACCEPT].pk))
    take(desk, "#step-county_approve", "县级已审核（待评估）")

    # The assessor visits with a phone: a photo of each place that needs work, then the plan.
    first, second = application.policy.catalog.items.filter(tier="basic").order_by("number")[:2]
    assessor = login(browser, live_server, managers[OrgRole.ASSESS], phone=True)
    assessor.goto(household)
    assessor.wait_for_selector("#plan-form")
    assert no_sideways_scroll(assessor)
    for item in (first, second):
        upload(assessor, item.pk, "assess", photo)
        assert no_sideways_scroll(assessor)
    expect(assessor.locator("#lines a", has_text="评估现场")).to_have_count(2)
    assessor.check(f"input[name=need_{first.pk}]")
    assessor.fill(f"input[name=qty_{first.pk}]", "10")
    assessor.fill(f"input[name=price_{first.pk}]", "60")
    assessor.check(f"input[name=need_{second.pk}]")
    assessor.fill(f"input[name=qty_{second.pk}]", "2")
    assessor.fill(f"input[name=price_{second.pk}]", "150")
    take(assessor, "#step-plan", "已评估（待确认方案）")
    assert no_sideways_scroll(assessor)

    # The family confirms the plan on the phone.
    daughter.goto(household)
    expect(daughter.locator("#plan-total")).to_contain_text("900.00 元")
    take(daughter, "#step-confirm", "方案已确认（待施工）")
    assert no_sideways_scroll(daughter)

    # The contractor builds, with a photo before and after each item.
    builder = login(browser, live_server, managers[OrgRole.CONSTRUCT], phone=True)
    builder.goto(household)
    take(builder, "#step-start", "施工中")
    for item in (first, second):
        upload(builder, item.pk, "before", photo)
        upload(builder, item.pk, "after", photo)
    assert no_sideways_scroll(builder)
    take(builder, "#step-complete", "已完工（待验收）")

    # The acceptance organisation fails the second item: it goes back for rework.
    lines = {line.item_id: line.pk for line in application.lines.filter(in_plan=True)}
    inspector = login(browser, live_server, managers[OrgRole.ACCEPT], phone=True)
    inspector.goto(household)
    inspector.wait_for_selector("#check-form")
    assert no_sideways_scroll(inspector)
    inspector.check(f"input[name=result_{lines[first.pk]}][value=pass]")
    inspector.check(f"input[name=result_{lines[second.pk]}][value=fail]")
    inspector.fill(f"input[name=note_{lines[second.pk]}]", "扶手松动，须重新固定")
    take(inspector, "#step-checks", "验收未通过（整改中）")
    expect(inspector.locator("#checks")).to_contain_text("不通过：扶手松动，须重新固定")
    assert no_sideways_scroll(inspector)

    # The contractor cannot report again before a new photo of the redone item.
    builder.goto(household)
    expect(builder.locator("#lines")).to_contain_text("不通过（整改中）")
    expect(builder.locator("#step-complete")).to_be_disabled()
    upload(builder, second.pk, "after", photo)
    take(builder, "#step-complete", "已完工（待验收）")
    assert no_sideways_scroll(builder)

    inspector.goto(household)
    for item in (first, second):
        inspector.check(f"input[name=result_{lines[item.pk]}][value=pass]")
    take(inspector, "#step-checks", "已验收")
    assert no_sideways_scroll(inspector)

    # The county approves the subsidy and pays it.
    desk.goto(household)
    take(desk, "#step-approve_subsidy", "补贴已核定")
    take(desk, "#step-pay", "补贴已拨付")
    expect(desk.locator("#paid")).to_contain_text("900.00 元")
    # Each item has its photos of the assessment, before and after (twice for the redone one).
    expect(desk.locator("#lines a[href*='/renovation/photos/']")).to_have_count(7)
    served = desk.request.get(live_server.url + desk.locator("#lines a", has_text="施工后").first.get_attribute("href"))
    assert served.ok and served.headers["content-type"] == "image/png"

    after = figures(desk, live_server)
    assert after["renovation_applications"] == (1, 1)
    assert after["renovation_in_progress"] == (0, 0)
    assert after["renovation_completed"] == (before["renovation_completed"][0] + 1,) * 2 == (1, 1)
    assert after["renovation_paid"] == (before["renovation_paid"][0] + 900,) * 2 == (900, 900)
    # Two rounds of two item checks each, one of the four failed.
    assert before["renovation_rework_rate"] == (None, None) and after["renovation_rework_rate"] == (25, 25)
    desk.goto(f"{live_server.url}/renovation/progress/?region={COUNTY}&year={year}")
    expect(desk.locator("#done")).to_have_text("1 / 3")
    expect(desk.locator("#committed")).to_have_text("900.00")
