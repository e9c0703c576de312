"""A county officer on a phone: log in, search, open an elder, record an assessment, export the list."""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from yiyang.elders.models import Assessment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_officer_searches_opens_assesses_and_exports(live_server, phone_page, county_officer, elder, neighbour_elder):
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "weidu-officer")
    page.fill("#id_password", "Pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "您好" in page.text_content("h1")

    page.goto(f"{live_server.url}/elders/?q=zhs")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and "张华山" in rows.first.text_content()
    assert "李秀英" not in page.content()
    # The page fits a phone: no horizontal scrolling of the whole document.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.click("text=张华山")
    assert "**********" in page.text_content("#id-number")
    page.click("text=录入能力评估")
    page.fill("#id_assessed_on", "2026-03-01")
    page.fill("#id_assessor_1", "李评估")
    page.fill("#id_assessor_2", "王评估")
    assert "0 分 · 鼻饲，或吞咽困难" in page.text_content("select[name='item_B.1.1']")
    page.select_option("select[name='item_B.1.1']", "4")
    expect(page.locator("#live-total")).to_have_text("4 / 90")
    expect(page.locator("#live-missing")).to_have_text("还有 25 项未填")
    for select in page.locator("select[name^=item_]").all():
        select.select_option(index=2)  # second-highest score for every item
    # The running total and the levels follow the last change, before anything is saved.
    expect(page.locator("#live-total")).to_have_text("64 / 90")
    expect(page.locator("#live-level")).to_contain_text("初步 2 级，最终 2 级")
    page.check("#id_dementia")
    expect(page.locator("#live-level")).to_contain_text("最终 3 级")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert not Assessment.objects.exists()
    page.uncheck("#id_dementia")
    expect(page.locator("#live-level")).to_contain_text("最终 2 级")
    page.click("text=计算等级并保存")
    page.wait_for_selector("#assessments")
    record = Assessment.objects.get(elder=elder)
    assert record.total == 90 - 26
    assert record.get_final_level_display() in page.text_content("#current-level")

    page.goto(f"{live_server.url}/elders/?q=张")
    with page.expect_download() as download_info:
        page.click("#export-link")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:
        sheet = load_workbook(handle).active
        assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["张华山"]


def test_api_docs_render_offline_under_the_content_security_policy(live_server, browser, county_officer):
    page = browser.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector(".opblock", timeout=15000)
    assert page.locator(".opblock").count() >= 10
    assert not [e for e in errors if "Content Security Policy" in e]
    page.close()
