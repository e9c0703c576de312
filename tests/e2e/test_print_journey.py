"""Printing from the browser: the rectification notice opens from the inspection, reads on a 375 px phone,
hides its toolbar when printed, and its PDF link answers a PDF."""

from datetime import date

import pytest

from yiyang.core.audit import Actor
from yiyang.supervision.services import inspections

from .test_inspection_journey import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_notice_prints_from_the_inspection_page(live_server, browser, county_officer, facility):
    checklist = inspections.save_checklist(
        Actor(user=county_officer), "411002", "安全检查表", [("fire", "疏散通道畅通")]
    )
    inspection = inspections.plan_inspection(
        Actor(user=county_officer), facility.pk, checklist.pk, "scheduled", date.today(), "王科长"
    )
    findings = {"fire-01": inspections.Finding("二楼疏散通道堆放杂物", "major", "张院长")}
    inspections.record_results(Actor(user=county_officer), inspection.pk, {"fire-01": "fail"}, findings)

    page = login(browser, live_server, "weidu-officer", phone=True)
    page.goto(f"{live_server.url}/supervision/inspections/{inspection.pk}/")
    page.click("#print-notice")
    page.wait_for_selector("#hazards")
    assert "二楼疏散通道堆放杂物" in page.text_content("#hazards")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.is_visible("#print-document")
    page.emulate_media(media="print")
    assert not page.is_visible("#print-document")
    pdf_url = page.get_attribute("#download-pdf", "href")
    response = page.request.get(live_server.url + pdf_url)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
