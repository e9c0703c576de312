"""The printed monthly report: the month's figures against last month's, from the page and the API as
PDF, and 404 for everyone outside the report's region."""

from datetime import date

import pytest
from django.test import Client

from conftest import pdf_pages
from yiyang.analytics import services, tasks
from yiyang.core.audit import Actor


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def report(county_officer, elder, make_elder, django_capture_on_commit_callbacks):
    services.take_snapshot(county_officer, "411002000000", date(2026, 10, 1))
    make_elder("411002001002")
    with django_capture_on_commit_callbacks(execute=True):
        report = tasks.request_report(Actor(user=county_officer), "411002000000", date(2026, 11, 1))
    report.refresh_from_db()
    return report


def urls(report):
    return [f"/analytics/reports/{report.pk}/print/", f"/analytics/reports/{report.pk}/report.pdf",
            f"/api/v1/analytics/reports/{report.pk}/report.pdf"]  # fmt: skip


def test_the_pdf_holds_the_figures_of_the_month_and_the_change(county_officer, report, make_elder):
    make_elder("411002002001")  # after the report was built: not in the month's figures
    for url in urls(report)[1:]:
        response = client_for(county_officer).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf", url
        pages = pdf_pages(response.content)
        # The indicator table and the children's table; the emergency-help rows carried it onto a third page.
        assert 2 <= len(pages) <= 3
        text = "".join(pages)
        assert "魏都区养老服务月度报告" in text and "2026年11月" in text
        assert "在册老年人 人 2 1 +1" in text
        assert "报告生成时记录的数据" in text
        assert "西大街道" in text and "南关街道" in text and "15分钟服务圈覆盖率" in text
        assert "误报率" in text


def test_the_print_page_and_the_dashboard_link(county_officer, report):
    page = client_for(county_officer).get(urls(report)[0]).content.decode()
    assert "@media print" in page and "魏都区养老服务月度报告" in page and urls(report)[1] in page
    dashboard = client_for(county_officer).get("/analytics/?region=411002000000").content.decode()
    assert urls(report)[0] in dashboard


def test_the_city_reads_the_report_of_its_county(city_officer, report):
    assert client_for(city_officer).get(urls(report)[1]).status_code == 200


@pytest.mark.parametrize("who", ["neighbour_officer", "other_city_officer", "other_facility_manager", None])
def test_outsiders_get_404_and_anonymous_the_login(request, report, who):
    user = request.getfixturevalue(who) if who else None
    for url in urls(report):
        response = client_for(user).get(url)
        if user is None:
            assert response.status_code == (401 if url.startswith("/api/") else 302), url
            if response.status_code == 302:
                assert "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == 404, (who, url, response.status_code)
