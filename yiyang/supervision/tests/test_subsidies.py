"""Operation subsidies: the monthly calculation against a hand computation, reruns and concurrent runs
that add nothing, the review chain by level, a single payment, and scope."""

import json
import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.elders.models import Elder
from yiyang.facilities.models import Residence
from yiyang.supervision.models import ClaimStatus, SubsidyClaim, SubsidyLine, SubsidyPayment, SubsidyStep
from yiyang.supervision.services import subsidies

MONTH = date(2026, 10, 1)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def rates(county_officer):
    return subsidies.save_rate_table(Actor(user=county_officer), {
        "region_code": "411002", "name": "魏都区养老机构运营补贴", "document": "魏民〔2026〕1号",
        "valid_from": date(2026, 1, 1), "facility_types": ["institution"],
        "level_rates": {"0": 5000, "1": 10000, "2": 15000, "3": 20000, "4": 30000}, "unassessed_rate": 3000,
        "nursing_level": 3, "nursing_extra": 5000, "construction_per_bed": 0, "min_days": 15,
    })  # fmt: skip


def resident(make_elder, facility, *, level, due=date(2027, 6, 1), admitted=date(2025, 1, 1), left=None, **fields):
    elder = make_elder(**fields)
    # As facilities.services.admit does: a current resident belongs to the facility's scope.
    Elder.objects.filter(pk=elder.pk).update(capability_level=level, assessment_due=due,
                                             facility_id=None if left else facility.pk)  # fmt: skip
    Residence.objects.create(facility=facility, elder=elder, region_code=facility.region_code,
                             county_code=facility.county_code, admitted_on=admitted, left_on=left)  # fmt: skip
    return elder


@pytest.fixture
def residents(make_elder, facility):
    """Five people of the facility in October 2026, each testing one rule."""
    return {
        "severe": resident(make_elder, facility, level=3, name="甲"),  # 200 + nursing extra 50
        "total": resident(make_elder, facility, level=4, name="乙"),  # 300 + nursing extra 50
        "expired": resident(make_elder, facility, level=4, due=date(2026, 9, 30), name="丙"),  # unassessed: 30
        "late": resident(make_elder, facility, level=1, admitted=date(2026, 10, 17), name="丁"),  # 15 days: 100
        "short": resident(make_elder, facility, level=2, admitted=date(2026, 10, 18), name="戊"),  # 14 days: nothing
        "gone": resident(make_elder, facility, level=2, admitted=date(2025, 1, 1), left=date(2026, 9, 30), name="己"),
    }


def test_the_calculation_matches_a_hand_computation(county_officer, facility, rates, residents):
    result = subsidies.calculate_month(Actor(user=county_officer), "411002", MONTH)
    assert (result.created, result.skipped) == (1, 0)
    claim = SubsidyClaim.objects.get()
    expected_operation = 20000 + 30000 + 3000 + 10000
    expected_nursing = 2 * 5000  # two residents at level 3 or above with a valid assessment; 60 nursing beds
    assert claim.amount == result.amount == expected_operation + expected_nursing
    assert claim.residents == 4
    lines = {line.elder_id: line for line in SubsidyLine.objects.filter(kind="operation")}
    assert set(lines) == {residents[k].pk for k in ("severe", "total", "expired", "late")}
    assert lines[residents["expired"].pk].capability_level is None
    assert lines[residents["late"].pk].days == 15
    assert SubsidyLine.objects.get(kind="nursing").quantity == 2


def test_nursing_extra_is_capped_by_the_nursing_beds(county_officer, facility, rates, residents):
    facility.beds_nursing = 1
    facility.save()
    subsidies.calculate_month(Actor(user=county_officer), "411002", MONTH)
    assert SubsidyLine.objects.get(kind="nursing").amount == 5000


def test_a_rerun_adds_nothing(county_officer, facility, rates, residents):
    first = subsidies.calculate_month(Actor(user=county_officer), "411002", MONTH)
    again = subsidies.calculate_month(Actor(user=county_officer), "411002000000", MONTH)
    assert (again.created, again.skipped, again.amount) == (0, 1, 0)
    assert SubsidyClaim.objects.get().amount == first.amount
    assert SubsidyLine.objects.filter(kind="operation").count() == 4
    assert SubsidyStep.objects.count() == 1


def test_construction_subsidy_pays_each_new_bed_once(county_officer, facility, residents):
    subsidies.save_rate_table(Actor(user=county_officer), {
        "region_code": "411002001000", "name": "街道新增床位补贴", "valid_from": date(2026, 1, 1),
        "facility_types": ["institution"], "level_rates": dict.fromkeys("01234", 0), "construction_per_bed": 100000,
    })  # fmt: skip
    subsidies.calculate_month(Actor(user=county_officer), "411002", date(2026, 9, 1))
    facility.beds_total = 120  # 20 beds built since
    facility.save()
    subsidies.calculate_month(Actor(user=county_officer), "411002", MONTH)
    paid = list(
        SubsidyLine.objects.filter(kind="construction").order_by("claim__month").values_list("quantity", flat=True)
    )
    assert paid == [100, 20]


def test_facilities_outside_the_table_or_without_a_table_get_no_claim(
    county_officer, rates, neighbour_facility, regions
):
    from yiyang.facilities.models import Facility

    Facility.objects.create(code="411002-0002", name="花园日间照料中心", facility_type="day_care",
                            operation_model="public", region_code="411002001002", county_code="411002", address="-")  # fmt: skip
    result = subsidies.calculate_month(Actor(user=county_officer), "411002", MONTH)
    assert result.created == 0 and not SubsidyClaim.objects.exists()


def test_a_future_month_and_a_bad_region_are_refused(county_officer, rates):
    with pytest.raises(FieldErrors) as exc:
        subsidies.calculate_month(Actor(user=county_officer), "411002", date.today() + timedelta(days=40))
    assert "month" in exc.value.fields
    with pytest.raises(FieldErrors) as exc:
        subsidies.calculate_month(Actor(user=county_officer), "4110x", MONTH)
    assert "region_code" in exc.value.fields


def test_an_officer_calculates_only_inside_their_county(neighbour_officer, facility, rates, residents):
    result = subsidies.calculate_month(Actor(user=neighbour_officer), "411002", MONTH)
    assert result.created == 0 and not SubsidyClaim.objects.exists()


@pytest.mark.parametrize(
    "field, value, reason",
    [("level_rates", {"0": 1}, "0 至 4"), ("level_rates", dict.fromkeys("01234", -1), "整数"),
     ("facility_types", ["school"], "机构类型"), ("region_code", "4x", None)],
)  # fmt: skip
def test_bad_rate_tables_are_refused(county_officer, field, value, reason):
    data = {"region_code": "411002", "name": "表", "valid_from": MONTH, "facility_types": ["institution"],
            "level_rates": dict.fromkeys("01234", 100), field: value}  # fmt: skip
    with pytest.raises(FieldErrors) as exc:
        subsidies.save_rate_table(Actor(user=county_officer), data)
    if reason:
        assert reason in exc.value.fields[field]


# --- The review chain ----------------------------------------------------------------------------


@pytest.fixture
def claim(county_officer, facility, rates, residents):
    subsidies.calculate_month(Actor(user=county_officer), "411002", MONTH)
    return SubsidyClaim.objects.get()


def test_the_review_chain_pays_once(claim, facility_manager, county_officer, city_officer):
    subsidies.take_step(Actor(user=facility_manager), claim.pk, "submit")
    subsidies.take_step(Actor(user=county_officer), claim.pk, "county_approve", "材料齐全")
    with pytest.raises(PermissionDenied):  # a county officer cannot approve for the city
        subsidies.take_step(Actor(user=county_officer), claim.pk, "city_approve")
    subsidies.take_step(Actor(user=city_officer), claim.pk, "city_approve")
    subsidies.take_step(Actor(user=city_officer), claim.pk, "pay")
    with pytest.raises(Conflict):
        subsidies.take_step(Actor(user=city_officer), claim.pk, "pay")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert list(SubsidyPayment.objects.values_list("amount", flat=True)) == [claim.amount]
    assert [s.action for s in claim.steps.all()] == ["calculated", "submit", "county_approve", "city_approve", "pay"]
    with pytest.raises(Conflict):
        subsidies.recalculate(Actor(user=county_officer), claim.pk)


def test_steps_lock_the_claim_row_only(claim, facility_manager, locked_queries):
    from .conftest import assert_locks_only_own_rows

    subsidies.take_step(Actor(user=facility_manager), claim.pk, "submit")
    assert any(joins for _, _, joins in locked_queries)  # the claim is read with its facility
    assert_locks_only_own_rows(locked_queries)


def test_a_return_needs_a_reason_and_allows_recalculation(
    claim, facility_manager, county_officer, make_elder, facility
):
    subsidies.take_step(Actor(user=facility_manager), claim.pk, "submit")
    with pytest.raises(FieldErrors):
        subsidies.take_step(Actor(user=county_officer), claim.pk, "county_return")
    subsidies.take_step(Actor(user=county_officer), claim.pk, "county_return", "漏报一名新入住老人")
    resident(make_elder, facility, level=2, name="庚")
    claim = subsidies.recalculate(Actor(user=county_officer), claim.pk)
    assert claim.residents == 5 and claim.status == ClaimStatus.CALCULATED


def test_the_facility_cannot_approve_and_a_step_out_of_order_is_refused(claim, facility_manager, county_officer):
    with pytest.raises(PermissionDenied):
        subsidies.take_step(Actor(user=facility_manager), claim.pk, "county_approve")
    with pytest.raises(Conflict):
        subsidies.take_step(Actor(user=county_officer), claim.pk, "county_approve")  # not submitted yet


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_concurrent_calculations_and_payments_never_double(regions, make_user, make_elder, facility):
    from yiyang.core.roles import Role

    officer = make_user(Role.OFFICER, region_code="411002000000")
    city = make_user(Role.OFFICER, region_code="411000000000")
    subsidies.save_rate_table(Actor(user=officer), {
        "region_code": "411002", "name": "表", "valid_from": date(2026, 1, 1), "facility_types": ["institution"],
        "level_rates": dict.fromkeys("01234", 10000)})  # fmt: skip
    for n in range(5):
        resident(make_elder, facility, level=2, name=f"住{n}")
    barrier = threading.Barrier(10)
    errors = []

    def run(work):
        try:
            barrier.wait()
            work()
        except Exception as exc:  # noqa: BLE001 - the losers' refusals are the point
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(lambda: subsidies.calculate_month(Actor(user=officer), "411002",
                                                                                     MONTH),)) for _ in range(10)]  # fmt: skip
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert SubsidyClaim.objects.count() == 1
    assert SubsidyLine.objects.count() == 5
    claim = SubsidyClaim.objects.get()
    SubsidyClaim.objects.filter(pk=claim.pk).update(status=ClaimStatus.CITY_APPROVED)
    barrier = threading.Barrier(10)
    threads = [threading.Thread(target=run, args=(lambda: subsidies.take_step(Actor(user=city), claim.pk, "pay"),))
               for _ in range(10)]  # fmt: skip
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert SubsidyPayment.objects.count() == 1
    assert sum(isinstance(e, Conflict) for e in errors) == 9


# --- Pages, API and scope ------------------------------------------------------------------------


def test_the_claim_page_hides_names_of_residents_outside_the_users_scope(claim, facility_manager, residents):
    Elder.objects.filter(pk=residents["severe"].pk).update(facility_id=None)  # e.g. registered elsewhere
    detail = client_for(facility_manager).get(f"/supervision/subsidies/{claim.pk}/").content.decode()
    assert "乙" in detail and ">甲<" not in detail


def test_pages_calculate_and_walk_the_chain(county_officer, facility_manager, facility, rates, residents):
    officer = client_for(county_officer)
    response = officer.post("/supervision/subsidies/", {"region": "411002000000", "month": "2026-10"})
    assert response.status_code == 302
    claim = SubsidyClaim.objects.get()
    page = officer.get("/supervision/subsidies/?region=411002000000&month=2026-10").content.decode()
    assert "花园康养中心" in page and "730.00" in page
    detail = client_for(facility_manager).get(f"/supervision/subsidies/{claim.pk}/").content.decode()
    assert "甲" in detail and "机构申报" in detail
    client_for(facility_manager).post(f"/supervision/subsidies/{claim.pk}/step/", {"step": "submit"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_api_calculates_lists_and_steps(county_officer, facility_manager, facility, rates, residents):
    officer = client_for(county_officer)
    body = json.dumps({"region_code": "411002", "month": "2026-10-05"})
    assert officer.post("/api/v1/supervision/subsidy-claims/calculate", body, content_type="application/json").json() == {
        "created": 1, "skipped": 0, "amount": 73000}  # fmt: skip
    claim_id = officer.get("/api/v1/supervision/subsidy-claims?month=2026-10-01").json()["items"][0]["id"]
    detail = client_for(facility_manager).get(f"/api/v1/supervision/subsidy-claims/{claim_id}").json()
    assert len(detail["lines"]) == 5 and detail["steps"][0]["action"] == "calculated"
    response = client_for(facility_manager).post(f"/api/v1/supervision/subsidy-claims/{claim_id}/steps",
                                                 json.dumps({"step": "submit"}), content_type="application/json")  # fmt: skip
    assert response.json()["status"] == "submitted"


ROUTES = [
    ("get", "/supervision/subsidies/{claim}/"),
    ("post", "/supervision/subsidies/{claim}/step/"),
    ("get", "/api/v1/supervision/subsidy-claims/{claim}"),
    ("post", "/api/v1/supervision/subsidy-claims/{claim}/steps"),
    ("post", "/api/v1/supervision/subsidy-claims/{claim}/recalculate"),
]


@pytest.mark.parametrize("method, route", ROUTES)
@pytest.mark.parametrize("who", ["neighbour_officer", "other_city_officer", "other_facility_manager", None])
def test_outsiders_can_neither_read_nor_change(request, claim, method, route, who):
    user = request.getfixturevalue(who) if who else None
    url = route.format(claim=claim.pk)
    client = client_for(user)
    if method == "get":
        response = client.get(url)
    elif url.startswith("/api/"):
        response = client.post(url, json.dumps({"step": "submit"}), content_type="application/json")
    else:
        response = client.post(url, {"step": "submit"})
    if user is None:
        assert response.status_code in (401, 302)
    else:
        assert response.status_code == 404, (who, url, response.status_code)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CALCULATED and claim.steps.count() == 1


@pytest.mark.parametrize("who", ["neighbour_officer", "other_facility_manager"])
def test_lists_hold_nothing_of_another_county(request, claim, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get("/api/v1/supervision/subsidy-claims").json()["count"] == 0
    assert "花园康养中心" not in client.get("/supervision/subsidies/?month=2026-10").content.decode()
