"""The subsidy review opens on the latest month that has claims, not on an empty one; `?waiting=` lists
the claims waiting for the user's own step, of every month."""

from datetime import date

import pytest
from django.test import Client

from yiyang.supervision.models import SubsidyClaim, SubsidyRateTable

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def claim(facility, month, status="calculated"):
    table, _ = SubsidyRateTable.objects.get_or_create(
        region_code="411002000000", county_code="411002", name="运营补贴",
        defaults={"valid_from": date(2026, 1, 1), "level_rates": {}},
    )  # fmt: skip
    return SubsidyClaim.objects.create(facility=facility, region_code=facility.region_code, county_code="411002",
                                       month=month, rate_table=table, status=status, residents=2, amount=1000,
                                       run_id="t")  # fmt: skip


def test_opens_on_the_latest_month_with_claims(county_officer, facility, neighbour_facility):
    claim(facility, date(2026, 7, 1))
    claim(facility, date(2026, 9, 1))
    claim(neighbour_facility, date(2026, 11, 1))  # another county's later month is not this officer's
    response = client_for(county_officer).get("/supervision/subsidies/")
    assert response.context["month"] == date(2026, 9, 1)
    assert response.context["page"].paginator.count == 1
    assert "2026年9月" in response.content.decode()
    # A month asked for is shown even when empty.
    response = client_for(county_officer).get("/supervision/subsidies/?month=2026-10")
    assert response.context["month"] == date(2026, 10, 1) and response.context["page"].paginator.count == 0


def test_without_claims_it_opens_on_this_month(county_officer, regions):
    from django.utils import timezone

    response = client_for(county_officer).get("/supervision/subsidies/")
    assert response.context["month"] == timezone.localdate().replace(day=1)


def test_waiting_lists_every_month_for_the_users_step(county_officer, city_officer, facility, facility_manager):
    claim(facility, date(2026, 7, 1), "submitted")
    claim(facility, date(2026, 8, 1), "submitted")
    claim(facility, date(2026, 9, 1), "county_approved")
    claim(facility, date(2026, 10, 1), "calculated")
    county = client_for(county_officer).get("/supervision/subsidies/?waiting=county_approve")
    assert county.context["page"].paginator.count == 2 and "全部月份" in county.content.decode()
    assert (
        client_for(county_officer).get("/api/v1/supervision/subsidy-claims?waiting=county_approve").json()["count"] == 2
    )
    # The city does not do the county's step.
    assert client_for(city_officer).get("/supervision/subsidies/?waiting=county_approve").context[
        "page"].paginator.count == 0  # fmt: skip
    assert client_for(city_officer).get("/supervision/subsidies/?waiting=city_approve").context[
        "page"].paginator.count == 1  # fmt: skip
    assert client_for(facility_manager).get("/supervision/subsidies/?waiting=submit").context[
        "page"].paginator.count == 1  # fmt: skip
    assert client_for(county_officer).get("/api/v1/supervision/subsidy-claims?waiting=nope").status_code == 422


def test_outsiders_see_none_of_the_waiting_claims(neighbour_officer, other_facility_manager, facility):
    claim(facility, date(2026, 7, 1), "submitted")
    claim(facility, date(2026, 8, 1), "calculated")
    assert client_for(neighbour_officer).get("/supervision/subsidies/?waiting=county_approve").context[
        "page"].paginator.count == 0  # fmt: skip
    assert client_for(other_facility_manager).get("/supervision/subsidies/?waiting=submit").context[
        "page"].paginator.count == 0  # fmt: skip
    assert client_for(neighbour_officer).get("/api/v1/supervision/subsidy-claims?waiting=county_approve").json()[
        "count"] == 0  # fmt: skip
