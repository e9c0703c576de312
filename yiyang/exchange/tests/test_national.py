"""The month in the national system's layout (national.py): only approved months, codes from the layout
data, region codes checked against the division dictionary, refused rows listed with their reason."""

import io
from datetime import date

import openpyxl
import pytest
from django.test import Client

from yiyang.core.models import AuditAction, AuditEntry
from yiyang.exchange.models import ReportingPeriod
from yiyang.facilities.models import Facility

pytestmark = pytest.mark.django_db
URL = "/exchange/national/"


def _approve(county: str, month=date(2026, 3, 1)):
    ReportingPeriod.objects.create(region_code=county, county_code=county[:6], month=month, status="approved")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_month_not_approved_everywhere_is_refused_with_the_counties(city_officer, facility):
    _approve("411002000000")
    answer = _client(city_officer).get(URL, {"region": "411000000000", "month": "2026-03"})
    assert answer.status_code == 200 and 'id="national-download"' not in answer.content.decode()
    text = answer.content.decode()
    assert "建安区（411003）" in text and "魏都区（411002）" not in text


def test_an_approved_month_exports_the_layout_with_its_codes(county_officer, facility):
    _approve("411002000000")
    odd = Facility.objects.create(code="411002-0099", name="区划有误的机构", facility_type="day_care",
                                  operation_model="public", region_code="411002009999", county_code="411002",
                                  address="某路")  # fmt: skip
    client = _client(county_officer)
    page = client.get(URL, {"region": "411002000000", "month": "2026-03", "layout": "facilities"}).content.decode()
    assert "可导出 <strong>1</strong> 行" in page and f"#{odd.pk}" in page and "不在全国区划代码中" in page
    answer = client.get(URL, {"region": "411002000000", "month": "2026-03", "layout": "facilities", "download": "1"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("axbe0001", "axbe0002", "aab301")
    assert rows[1][0] == "机构标识" and rows[1][1] == "机构名称（待核实）"
    assert rows[2][0] == facility.code and rows[2][2] == facility.region_code and len(rows) == 3
    assert rows[2][3] == "1" and rows[2][4] == "3"  # institution, private: through the layout's dictionaries
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="exchange.national").count() == 1


def test_another_countys_officer_cannot_export_it(neighbour_officer, facility):
    _approve("411002000000")
    answer = _client(neighbour_officer).get(URL, {"region": "411002000000", "month": "2026-03"})
    assert answer.status_code == 404


def test_bad_month_and_layout_are_named(county_officer, facility):
    client = _client(county_officer)
    assert "应为年月" in client.get(URL, {"region": "411002000000", "month": "三月"}).content.decode()
    _approve("411002000000")
    text = client.get(URL, {"region": "411002000000", "month": "2026-03", "layout": "x"}).content.decode()
    assert "没有这个格式" in text


def test_the_home_services_layout_reads_the_months_completed_orders(county_officer, facility):
    from yiyang.core.audit import Actor
    from yiyang.exchange import national

    _approve("411002000000")
    export = national.build(Actor(user=county_officer), "home_services", "411002000000", "2026-03")
    assert export.rows == [] and "ahae0621" in export.unverified and export.columns[2]["code"] == "ahae0621"
