"""Dashboard pages and API: drill-down, scoping, targets, table export, big screen, monthly reports."""

import io
import json
from datetime import date

import pytest
from django.test import Client
from openpyxl import load_workbook

from yiyang.analytics import services, tasks
from yiyang.analytics.models import MonthlyReport, Target
from yiyang.core.audit import Actor


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/analytics/dashboard?region=411002000000",
        "/api/v1/analytics/dashboard.xlsx?region=411002000000",
        "/api/v1/analytics/counters?region=411002000000",
        "/api/v1/analytics/dashboard?region=411000000000",
        "/analytics/?region=411002000000",
        "/analytics/export.xlsx?region=411002000000",
        "/analytics/screen/?region=411002000000",
    ],
)
def test_neighbour_county_officer_cannot_drill_into_another_county(neighbour_officer, elder, url):
    assert client_for(neighbour_officer).get(url).status_code == 404


def test_facility_manager_has_no_dashboard(facility_manager):
    assert client_for(facility_manager).get("/analytics/").status_code == 403


def test_city_officer_drills_from_city_to_county_and_street(city_officer, elder, neighbour_elder):
    client = client_for(city_officer)
    city = client.get("/api/v1/analytics/dashboard?region=411000000000").json()
    assert city["region"]["values"]["elders"] == 2
    assert {c["code"]: c["values"]["elders"] for c in city["children"]} == {"411002000000": 1, "411003000000": 1}
    county = client.get("/api/v1/analytics/dashboard?region=411002000000").json()
    assert [p["code"] for p in county["path"]] == ["411000000000"]  # the province lies outside the scope
    page = client.get("/analytics/?region=411002001000").content.decode()
    assert "西大街道" in page and "花园社区" in page


def test_county_officer_default_dashboard_is_the_own_county(county_officer, elder, neighbour_elder):
    response = client_for(county_officer).get("/analytics/")
    assert response.context["board"].region.code == "411002000000"
    assert response.context["board"].values["elders"] == 1


def test_targets_show_progress_and_flag_regions_behind(county_officer, elder, facility):
    actor = Actor(user=county_officer)
    services.set_target(actor, "411002000000", 2026, "nursing_bed_share", 55, "gte")
    services.set_target(actor, "411002000000", 2026, "elders", 1000, "gte")
    board = services.dashboard(county_officer, "411002000000", today=date(2026, 7, 1))
    states = {t["indicator"]: t for t in board.targets}
    assert states["nursing_bed_share"]["state"] == "met"  # 60 of 100 beds
    assert states["elders"]["state"] == "behind" and 495 < states["elders"]["expected_by_now"] < 500


def test_viewer_cannot_set_targets_and_bad_targets_are_refused(regions, make_user, county_officer):
    from yiyang.core.errors import FieldErrors, OutOfScope

    viewer = make_user("viewer", region_code="411002000000")
    with pytest.raises(OutOfScope):
        services.set_target(Actor(user=viewer), "411002000000", 2026, "elders", 1, "gte")
    with pytest.raises(FieldErrors) as caught:
        services.set_target(Actor(user=county_officer), "411002000000", 2026, "nope", 120, "gt")
    assert {"indicator", "direction"} <= set(caught.value.fields)
    assert not Target.objects.exists()
    response = client_for(county_officer).post(
        "/api/v1/analytics/targets",
        json.dumps({"region": "411002000000", "year": 2026, "indicator": "coverage_rate", "value": 101}),
        content_type="application/json",
    )
    assert response.status_code == 422


def test_table_export_lists_children_with_every_indicator(city_officer, elder, neighbour_elder):
    response = client_for(city_officer).get("/analytics/export.xlsx?region=411000000000")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "许昌市（合计）" and [r[0] for r in rows[2:]] == ["魏都区", "建安区"]
    assert rows[0][2] == "在册老年人（人）" and rows[1][2] == 2


def test_monthly_report_has_the_change_against_last_month(
    county_officer, elder, make_elder, django_capture_on_commit_callbacks
):
    services.take_snapshot(county_officer, "411002000000", date(2026, 10, 1))
    make_elder("411002001002")
    with django_capture_on_commit_callbacks(execute=True):
        report = tasks.request_report(Actor(user=county_officer), "411002000000", date(2026, 11, 1))
    report.refresh_from_db()
    assert report.status == "done"
    rows = list(load_workbook(report.file).active.iter_rows(values_only=True))
    elders_row = next(r for r in rows if r[0] == "在册老年人")
    assert elders_row[2:5] == (2, 1, 1)
    client = client_for(county_officer)
    assert client.get(f"/analytics/reports/{report.pk}/file/").status_code == 200
    other = MonthlyReport.objects.create(region_code="411003000000", month=date(2026, 11, 1))
    assert client.get(f"/analytics/reports/{other.pk}/file/").status_code == 404
    assert client.get(f"/api/v1/analytics/reports/{other.pk}").status_code == 404


def test_big_screen_shows_headline_figures_and_live_counters(county_officer, elder):
    page = client_for(county_officer).get("/analytics/screen/?region=411002000000").content.decode()
    assert "数据大屏" in page and 'id="registered-today">1<' in page


def test_headline_shows_the_change_against_last_months_snapshot(county_officer, elder, make_elder):
    from django.core.management import call_command

    call_command("snapshot_indicators", "--month", "2026-10", stdout=open("/dev/null", "w"))
    make_elder("411002001002")
    board = services.dashboard(county_officer, "411002000000", today=date(2026, 11, 25))
    assert board.last_month["elders"] == 1
    assert services.trend(board.values, board.last_month, "elders") == 1


def test_the_screens_live_counters_show_open_alarms_without_names(county_officer, elder, neighbour_elder):
    from yiyang.care.models import Alarm

    def open_alarm(who, state="new"):
        return Alarm.objects.create(elder=who, region_code=who.region_code, county_code=who.region_code[:6],
                                    kind="sos", source="device", state=state)  # fmt: skip

    open_alarm(elder)
    open_alarm(elder, state="closed")
    open_alarm(neighbour_elder)
    counters = client_for(county_officer).get("/api/v1/analytics/counters?region=411002000000").json()
    assert (counters["alarms_today"], counters["alarms_open"]) == (2, 1)
    assert counters["open_alarms"] == [{"kind": "紧急呼叫", "state": "待响应", "community": "花园社区", "minutes": 0}]
    page = client_for(county_officer).get("/analytics/screen/?region=411002000000").content.decode()
    assert 'id="alarms-open">1<' in page and "月探访率" in page and elder.name not in page
