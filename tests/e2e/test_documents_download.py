"""Every printed document downloads as a PDF from its print page in Chromium on a phone, and the file says
in Chinese what the document is: the capability assessment report, the subsidy claim, the monthly report
and the cadre pairing board (the rectification notice has its own journey in test_print_journey)."""

from datetime import date

import pytest

from conftest import pdf_pages
from yiyang.analytics import services as analytics_services
from yiyang.analytics import tasks as analytics_tasks
from yiyang.core.audit import Actor
from yiyang.core.roles import Role
from yiyang.elders import services as elder_services
from yiyang.elders.assessment import ITEMS
from yiyang.supervision.models import SubsidyClaim
from yiyang.supervision.services import pairing, subsidies
from yiyang.supervision.tests.test_subsidies import MONTH, resident

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def assessment_report(officer, elder, **_):
    scores = {item.code: item.max_score for item in ITEMS}
    scores["B.1.1"] = 2
    record = elder_services.record_assessment(Actor(user=officer), elder.pk, {
        "assessed_on": date(2026, 1, 5), "assessor_1": "王评估", "assessor_2": "赵评估", "scores": scores})  # fmt: skip
    return f"/elders/{elder.pk}/assessments/{record.pk}/print/", ["老年人能力评估报告", "88", "轻度失能"]


def subsidy_claim(officer, facility, make_elder, **_):
    subsidies.save_rate_table(Actor(user=officer), {
        "region_code": "411002", "name": "魏都区养老机构运营补贴", "document": "魏民〔2026〕1号",
        "valid_from": date(2026, 1, 1), "facility_types": ["institution"],
        "level_rates": {"0": 5000, "1": 10000, "2": 15000, "3": 20000, "4": 30000}, "unassessed_rate": 3000,
        "nursing_level": 3, "nursing_extra": 5000, "construction_per_bed": 0, "min_days": 15,
    })  # fmt: skip
    resident(make_elder, facility, level=3, name="甲秀英")
    subsidies.calculate_month(Actor(user=officer), "411002", MONTH)
    return f"/supervision/subsidies/{SubsidyClaim.objects.get().pk}/print/", ["养老机构运营补贴申报表", "甲秀英"]


def monthly_report(officer, make_elder, **_):
    analytics_services.take_snapshot(officer, "411002000000", date(2026, 10, 1))
    make_elder("411002001002")
    report = analytics_tasks.request_report(Actor(user=officer), "411002000000", date(2026, 11, 1))
    return f"/analytics/reports/{report.pk}/print/", ["月度报告", "魏都区", "2026"]


def pairing_board(officer, facility, make_user, **_):
    user = make_user(Role.CADRE, region_code="411002000000", username="cadre-e2e")
    cadre = pairing.register_cadre(Actor(user=officer), {"name": "王建国", "post": "区民政局副局长",
                                   "phone": "13900001234", "region_code": "411002000000", "user_id": user.pk})  # fmt: skip
    pairing.pair(Actor(user=officer), cadre.pk, facility.pk, date(2025, 1, 1))
    return f"/supervision/pairing/board/{facility.pk}/", ["王建国", "区民政局副局长", facility.name]


@pytest.mark.parametrize("document", [assessment_report, subsidy_claim, monthly_report, pairing_board])
def test_the_document_downloads_as_a_pdf_that_reads_in_chinese(document, live_server, browser, county_officer,
                                                                elder, facility, make_elder, make_user):  # fmt: skip
    url, words = document(officer=county_officer, elder=elder, facility=facility, make_elder=make_elder,
                          make_user=make_user)  # fmt: skip
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", county_officer.username)
    page.fill("#id_password", "Pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(live_server.url + url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    with page.expect_download() as download_info:
        page.click("#download-pdf")
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        pages = pdf_pages(handle.read())
    assert 1 <= len(pages) <= 3
    text = "".join(pages)
    for word in words:
        assert word in text, (word, text[:400])
    context.close()
