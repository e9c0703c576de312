"""Reporting periods: the county opens and submits, the city approves and locks, reopening needs a reason;
illegal and stale steps are refused; a locked month refuses linked systems' writes dated in it."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.exchange import periods
from yiyang.exchange.models import PeriodStatus, PeriodStep

from .helpers import signed_post

COUNTY = "411002000000"


@pytest.fixture
def period(county_officer):
    return periods.open_period(Actor(user=county_officer), COUNTY, "2026-01")


def _steps(period):
    return list(PeriodStep.objects.filter(period=period).values_list("action", "from_status", "to_status"))


def test_the_county_submits_the_city_approves_and_locks(period, county_officer, city_officer):
    county, city = Actor(user=county_officer), Actor(user=city_officer)
    assert periods.open_period(county, COUNTY, "2026-01-20") == period  # opening again finds the same one
    periods.move(county, period.pk, "submit")
    with pytest.raises(PermissionDenied):  # the county cannot approve its own data
        periods.move(county, period.pk, "approve")
    periods.move(city, period.pk, "approve")
    locked = periods.move(city, period.pk, "lock")
    assert locked.status == PeriodStatus.LOCKED
    assert _steps(period) == [("submit", "open", "submitted"), ("approve", "submitted", "approved"),
                              ("lock", "approved", "locked")]  # fmt: skip


def test_illegal_and_stale_steps_are_refused(period, county_officer, city_officer):
    city = Actor(user=city_officer)
    with pytest.raises(Conflict):
        periods.move(city, period.pk, "lock")  # not approved yet
    periods.move(Actor(user=county_officer), period.pk, "submit", expected_version=0)
    with pytest.raises(Conflict):
        periods.move(city, period.pk, "approve", expected_version=0)  # the submission moved it on
    with pytest.raises(FieldErrors):
        periods.move(city, period.pk, "send_back")  # a reason is required
    assert _steps(period) == [("submit", "open", "submitted")]


def test_reopening_needs_a_reason_and_is_kept_in_the_history(period, county_officer, city_officer):
    county, city = Actor(user=county_officer), Actor(user=city_officer)
    periods.move(county, period.pk, "submit")
    periods.move(city, period.pk, "approve")
    periods.move(city, period.pk, "lock")
    with pytest.raises(FieldErrors):
        periods.move(city, period.pk, "reopen", "  ")
    assert periods.move(city, period.pk, "reopen", "补报 1 月离院记录").status == PeriodStatus.OPEN
    assert PeriodStep.objects.filter(period=period, action="reopen").get().note == "补报 1 月离院记录"


def test_a_neighbour_officer_gets_404(period, neighbour_officer):
    with pytest.raises(Http404):
        periods.move(Actor(user=neighbour_officer), period.pk, "submit")
    with pytest.raises(Http404):
        periods.open_period(Actor(user=neighbour_officer), COUNTY, "2026-02")
    client = Client()
    client.force_login(neighbour_officer)
    assert client.post(f"/exchange/periods/{period.pk}/submit/").status_code == 404
    assert client.get(f"/exchange/periods/?region={COUNTY}").status_code == 404


def test_a_locked_month_refuses_admissions_dated_in_it(period, county_officer, city_officer, region_app, elder,
                                                        facility):  # fmt: skip
    app, secret = region_app
    county, city = Actor(user=county_officer), Actor(user=city_officer)
    for step, actor in (("submit", county), ("approve", city), ("lock", city)):
        periods.move(actor, period.pk, step)
    record = {"external_id": "R-1", "version": 1, "facility": facility.code, "id_number": elder.id_number,
              "admitted_on": date(2026, 1, 15).isoformat()}  # fmt: skip
    refused = signed_post(app, secret, "/api/v1/exchange/residences", {"records": [record]})
    assert refused.status_code == 409 and refused.json()["results"][0]["code"] == "period_locked"
    accepted = signed_post(app, secret, "/api/v1/exchange/residences",
                           {"records": [{**record, "admitted_on": "2026-02-01"}]})  # fmt: skip
    assert accepted.status_code == 200, accepted.content


def test_the_periods_page_offers_the_steps_each_officer_may_take(period, county_officer, city_officer):
    client = Client()
    client.force_login(county_officer)
    page = client.get(f"/exchange/periods/?region={COUNTY}").content.decode()
    base = f"/exchange/periods/{period.pk}/"
    assert f"{base}submit/" in page and f"{base}approve/" not in page
    client.post(f"/exchange/periods/{period.pk}/submit/", {"version": "0"})
    client.force_login(city_officer)
    page = client.get(f"/exchange/periods/?region={COUNTY}").content.decode()
    assert f"{base}approve/" in page and f"{base}send_back/" in page and f"{base}submit/" not in page


def test_a_locked_month_also_locks_the_registry_pages_and_services(period, county_officer, city_officer, elder,
                                                                   facility):  # fmt: skip
    from conftest import full_scores
    from yiyang.elders import services as elder_services
    from yiyang.facilities import services as facility_services

    county, city = Actor(user=county_officer), Actor(user=city_officer)
    for step, actor in (("submit", county), ("approve", city), ("lock", city)):
        periods.move(actor, period.pk, step)
    client = Client()
    client.force_login(county_officer)
    page = client.post(f"/facilities/{facility.pk}/admit/", {"id_number": elder.id_number, "admitted_on": "2026-01-15"})
    assert "2026-01 的报送期已锁定" in page.content.decode() and not facility.residences.exists()
    assessment = {"assessed_on": date(2026, 1, 20), "reason": "first", "assessor_1": "王敏", "assessor_2": "李强",
                  "scores": full_scores()}  # fmt: skip
    with pytest.raises(Conflict) as refused:
        elder_services.record_assessment(county, elder.pk, assessment)
    assert refused.value.code == "period_locked"
    # A month not locked is open; so is a locked month reopened by the city.
    assert facility_services.admit(county, facility.pk, elder.pk, date(2026, 2, 3)).pk
    periods.move(city, period.pk, "reopen", "更正一名老人的评估日期")
    assert elder_services.record_assessment(county, elder.pk, assessment).total == 90
