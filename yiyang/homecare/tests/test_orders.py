"""Ordering, the state machine, the voucher ledger and who may do what."""

import json
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.http import Http404
from django.test import Client
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.elders.models import Elder
from yiyang.homecare import services
from yiyang.homecare.models import Order, OrderStatus, VoucherEntry


def a(user):
    return Actor(user=user)


@pytest.fixture
def booked(family, elder, bath, tomorrow, county_officer):
    Elder.objects.filter(pk=elder.pk).update(lat=34.03, lng=113.85)
    services.grant(a(county_officer), elder.pk, 5000, "2026-11-allowance", "11月服务券")
    return services.book(a(family), elder.pk, bath.pk, tomorrow)


def run_to_completion(order, county_officer, provider, provider_manager, caregiver, caregiver_user):
    services.assign_provider(a(county_officer), order.pk, provider.pk)
    services.respond(a(provider_manager), order.pk, accept=True)
    services.dispatch(a(provider_manager), order.pk, caregiver.pk)
    services.check_in(a(caregiver_user), order.pk, 34.03, 113.85)
    return services.check_out(a(caregiver_user), order.pk, "协助洗浴，检查皮肤")


def test_price_split_uses_the_best_subsidy_and_the_voucher_balance(booked, elder):
    assert (booked.price, booked.subsidy, booked.voucher, booked.self_pay) == (8000, 0, 5000, 3000)
    Elder.objects.filter(pk=elder.pk).update(categories=2)  # 低保: 50 %
    elder.refresh_from_db()
    quote = services.quote(elder, booked.item)
    assert quote == {"price": 8000, "subsidy": 4000, "voucher": 4000, "self_pay": 0}


def test_the_whole_journey_debits_the_vouchers_exactly_once(
    booked, elder, county_officer, provider, provider_manager, caregiver, caregiver_user, family
):
    done = run_to_completion(booked, county_officer, provider, provider_manager, caregiver, caregiver_user)
    assert done.status == OrderStatus.COMPLETED and done.check_in_distance_m == 0
    again = services.check_out(a(caregiver_user), booked.pk)  # resent from a phone
    assert again.status == OrderStatus.COMPLETED
    assert services.balance(elder.pk) == 0
    assert VoucherEntry.objects.filter(kind="debit").count() == 1
    services.rate(a(family), booked.pk, 5, "很满意")
    with pytest.raises(Conflict):
        services.rate(a(family), booked.pk, 4)


@pytest.mark.parametrize("step", ["respond", "dispatch", "check_in", "check_out", "rate"])
def test_transitions_out_of_order_are_refused(booked, step, provider_manager, caregiver, caregiver_user, family):
    calls = {
        "respond": lambda: services.respond(a(provider_manager), booked.pk, True),
        "dispatch": lambda: services.dispatch(a(provider_manager), booked.pk, caregiver.pk),
        "check_in": lambda: services.check_in(a(caregiver_user), booked.pk, 34.03, 113.85),
        "check_out": lambda: services.check_out(a(caregiver_user), booked.pk),
        "rate": lambda: services.rate(a(family), booked.pk, 5),
    }
    with pytest.raises((Conflict, Http404)):
        calls[step]()
    booked.refresh_from_db()
    assert booked.status == OrderStatus.CREATED


def test_cancelled_order_cannot_be_assigned(booked, family, county_officer, provider):
    services.cancel(a(family), booked.pk, "临时有事")
    with pytest.raises(Conflict):
        services.assign_provider(a(county_officer), booked.pk, provider.pk)


def test_bad_bookings_are_refused_naming_the_field(family, elder, bath, county_officer, other_provider):
    with pytest.raises(FieldErrors) as caught:
        services.book(a(family), elder.pk, bath.pk, timezone.now() - timedelta(hours=1), quantity=50)
    assert {"slot_start", "quantity"} <= set(caught.value.fields)
    order = services.book(a(family), elder.pk, bath.pk, timezone.now() + timedelta(days=1))
    with pytest.raises(FieldErrors, match="服务商"):
        services.assign_provider(a(county_officer), order.pk, other_provider.pk)


def test_unqualified_caregiver_is_refused(booked, county_officer, provider, provider_manager, caregiver):
    caregiver.skill_level = 5
    caregiver.save()
    services.assign_provider(a(county_officer), booked.pk, provider.pk)
    services.respond(a(provider_manager), booked.pk, True)
    with pytest.raises(FieldErrors, match="4级"):
        services.dispatch(a(provider_manager), booked.pk, caregiver.pk)


def test_far_check_in_is_accepted_but_flagged(
    booked, county_officer, provider, provider_manager, caregiver, caregiver_user
):
    Order.objects.filter(pk=booked.pk).update(lat=34.03, lng=113.85)
    services.assign_provider(a(county_officer), booked.pk, provider.pk)
    services.respond(a(provider_manager), booked.pk, True)
    services.dispatch(a(provider_manager), booked.pk, caregiver.pk)
    order = services.check_in(a(caregiver_user), booked.pk, 34.075, 113.85)
    assert order.status == OrderStatus.IN_SERVICE and order.check_in_distance_m > 4900
    assert "签到位置" in order.flags[0]


def test_balance_shrinking_after_booking_moves_the_rest_to_self_pay(
    booked, elder, county_officer, provider, provider_manager, caregiver, caregiver_user, tomorrow, family, bath
):
    second = services.book(a(family), elder.pk, bath.pk, tomorrow)  # also planned 5,000 of vouchers
    run_to_completion(second, county_officer, provider, provider_manager, caregiver, caregiver_user)
    done = run_to_completion(booked, county_officer, provider, provider_manager, caregiver, caregiver_user)
    assert (done.voucher, done.self_pay) == (0, 8000)
    assert services.balance(elder.pk) == 0


def test_upheld_dispute_refunds_exactly_once(
    booked, elder, county_officer, provider, provider_manager, caregiver, caregiver_user, family
):
    run_to_completion(booked, county_officer, provider, provider_manager, caregiver, caregiver_user)
    services.complain(a(family), booked.pk, "服务未完成")
    with pytest.raises(Conflict):
        services.complain(a(family), booked.pk, "再次投诉")
    with pytest.raises(Http404):
        services.resolve_complaint(a(family), booked.pk, True, "家属不能自己裁定")
    services.resolve_complaint(a(county_officer), booked.pk, True, "核实属实，退回服务券")
    with pytest.raises(Conflict):
        services.resolve_complaint(a(county_officer), booked.pk, True, "重复处理")
    assert services.balance(elder.pk) == 5000
    assert VoucherEntry.objects.aggregate(s=Sum("amount"))["s"] == services.balance(elder.pk)


def test_grant_is_idempotent_and_ledger_is_append_only(elder, county_officer):
    assert services.grant(a(county_officer), elder.pk, 1000, "k1")
    assert not services.grant(a(county_officer), elder.pk, 1000, "k1")
    assert services.balance(elder.pk) == 1000
    entry = VoucherEntry.objects.get()
    with pytest.raises(PermissionError):
        entry.save()


def test_each_party_sees_only_its_own_orders(
    booked,
    provider_manager,
    caregiver_user,
    family,
    neighbour_officer,
    other_provider,
    make_user,
    county_officer,
    provider,
):
    from yiyang.core.roles import Role

    other_manager = make_user(Role.PROVIDER_MANAGER, region_code="411003100000", scope_id=other_provider.pk)
    url = f"/api/v1/homecare/orders/{booked.pk}"

    def status(user, method="get", path="", body=None):
        client = Client()
        client.force_login(user)
        if method == "get":
            return client.get(url + path).status_code
        return client.post(url + path, json.dumps(body or {}), content_type="application/json").status_code

    assert status(family) == 200 and status(county_officer) == 200
    assert status(provider_manager) == 404  # not yet assigned to it
    assert status(neighbour_officer) == 404 and status(other_manager) == 404 and status(caregiver_user) == 404
    assert status(neighbour_officer, "post", "/assign", {"provider_id": provider.pk}) == 404
    services.assign_provider(a(county_officer), booked.pk, provider.pk)
    assert status(provider_manager) == 200 and status(other_manager) == 404
    assert status(other_manager, "post", "/respond", {"accept": True}) == 404
    assert status(caregiver_user, "post", "/check-in", {"lat": 34.03, "lng": 113.85}) == 404
    booked.refresh_from_db()
    assert booked.status == OrderStatus.ASSIGNED


def test_booking_through_the_api_with_a_quote_first(family, elder, bath, county_officer):
    services.grant(a(county_officer), elder.pk, 3000, "k")
    client = Client()
    client.force_login(family)
    menu = client.get(f"/api/v1/homecare/elders/{elder.pk}/menu").json()
    assert [i["name"] for i in menu["items"]] == ["助浴"] and menu["voucher_balance"] == 3000
    quote = client.get(f"/api/v1/homecare/elders/{elder.pk}/quote?item_id={bath.pk}").json()
    assert quote == {"price": 8000, "subsidy": 0, "voucher": 3000, "self_pay": 5000}
    slot = (timezone.now() + timedelta(days=2)).isoformat()
    response = client.post("/api/v1/homecare/orders", json.dumps({"elder_id": elder.pk, "item_id": bath.pk,
                           "slot_start": slot}), content_type="application/json")  # fmt: skip
    assert response.status_code == 201 and response.json()["self_pay"] == 5000
    bad = client.post("/api/v1/homecare/orders", json.dumps({"elder_id": elder.pk, "item_id": bath.pk,
                      "slot_start": "2020-01-01T08:00:00+08:00"}), content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and "slot_start" in bad.json()["fields"]


@pytest.mark.parametrize(
    "path",
    ["/homecare/orders/{order}/", "/homecare/stats/?region=411002000000", "/homecare/book/{elder}/",
     "/homecare/providers/{provider}/settlement.xlsx"],
)  # fmt: skip
def test_neighbour_officer_gets_404_on_every_page(booked, elder, provider, neighbour_officer, path):
    client = Client()
    client.force_login(neighbour_officer)
    assert client.get(path.format(order=booked.pk, elder=elder.pk, provider=provider.pk)).status_code == 404
    response = client.post(f"/homecare/orders/{booked.pk}/cancel/", {"reason": "x"})
    booked.refresh_from_db()
    assert booked.status == OrderStatus.CREATED and response.status_code == 404


def test_caregiver_sees_only_own_orders_on_the_day_page(
    booked, county_officer, provider, provider_manager, caregiver, caregiver_user, make_user
):
    from yiyang.core.roles import Role
    from yiyang.providers.models import Staff

    other = Staff.objects.create(
        provider=provider,
        region_code=provider.region_code,
        role="carer",
        county_code="411002",
        name="别人",
        phone="1",
        skill_level=3,
    )
    other_user = make_user(Role.CAREGIVER, region_code="411002000000", scope_id=other.pk)
    services.assign_provider(a(county_officer), booked.pk, provider.pk)
    services.respond(a(provider_manager), booked.pk, True)
    services.dispatch(a(provider_manager), booked.pk, caregiver.pk)
    mine, theirs = Client(), Client()
    mine.force_login(caregiver_user)
    theirs.force_login(other_user)
    assert "助浴" in mine.get("/homecare/today/").content.decode()
    assert "助浴" not in theirs.get("/homecare/today/").content.decode()
    assert theirs.get(f"/homecare/orders/{booked.pk}/").status_code == 404


def test_booking_page_books_only_what_was_quoted(family, elder, bath, county_officer):
    from yiyang.homecare.models import ServiceItem

    other = ServiceItem.objects.create(region_code="411002000000", county_code="411002", code="clean", name="助洁",
                                       category="daily_living", unit="hour", price=4000)  # fmt: skip
    client = Client()
    client.force_login(family)
    slot = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    form = {"item": bath.pk, "slot_start": slot, "quantity": 1}
    quoted = client.post(f"/homecare/book/{elder.pk}/", form)
    assert "80 元" in quoted.content.decode() and not Order.objects.exists()
    changed = client.post(f"/homecare/book/{elder.pk}/", {**form, "item": other.pk, "confirm": f"{bath.pk}:1"})
    assert "40 元" in changed.content.decode() and not Order.objects.exists()
    booked = client.post(f"/homecare/book/{elder.pk}/", {**form, "item": other.pk, "confirm": f"{other.pk}:1"})
    assert booked.status_code == 302 and Order.objects.get().item == other
