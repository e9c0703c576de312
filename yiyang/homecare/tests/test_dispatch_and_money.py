"""Automatic dispatch, escalation, monthly allowances, settlement statements and statistics."""

import io
from datetime import date, timedelta

import pytest
from django.http import Http404
from django.utils import timezone
from openpyxl import load_workbook

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict
from yiyang.elders.models import Elder
from yiyang.homecare import services
from yiyang.homecare.models import Order, OrderStatus, VoucherEntry
from yiyang.providers.models import Staff


def a(user):
    return Actor(user=user)


@pytest.fixture
def placed(elder, family, bath, tomorrow):
    Elder.objects.filter(pk=elder.pk).update(lat=34.03, lng=113.85)
    return services.book(a(family), elder.pk, bath.pk, tomorrow)


def test_auto_dispatch_proposes_the_nearest_free_qualified_caregiver(placed, provider, caregiver, county_officer,
                                                                       provider_manager):  # fmt: skip
    near = Staff.objects.create(provider=provider, region_code=provider.region_code, role="carer", county_code="411002", name="近", phone="1", skill_level=4,
                                    lat=34.031, lng=113.85)  # fmt: skip
    Staff.objects.create(provider=provider, region_code=provider.region_code, role="carer", county_code="411002", name="无证", phone="2", skill_level=None,
                             lat=34.0301, lng=113.85)  # fmt: skip
    Staff.objects.filter(pk=caregiver.pk).update(lat=34.2, lng=113.85)
    order = services.auto_dispatch(a(county_officer), placed.pk)
    assert (order.status, order.provider_id, order.caregiver_id) == (OrderStatus.ASSIGNED, provider.pk, near.pk)
    order = services.respond(a(provider_manager), placed.pk, accept=True)
    assert order.status == OrderStatus.DISPATCHED and order.caregiver_id == near.pk


def test_busy_caregivers_are_skipped_and_nobody_free_is_an_error(placed, elder, family, bath, caregiver,
                                                                 county_officer, provider_manager, tomorrow):  # fmt: skip
    services.auto_dispatch(a(county_officer), placed.pk)
    clash = services.book(a(family), elder.pk, bath.pk, tomorrow + timedelta(minutes=30))
    with pytest.raises(Conflict, match="手动派单"):
        services.auto_dispatch(a(county_officer), clash.pk)
    later = services.book(a(family), elder.pk, bath.pk, tomorrow + timedelta(hours=2))
    assert services.auto_dispatch(a(county_officer), later.pk).caregiver_id == caregiver.pk


def test_unanswered_orders_expire_and_escalate(placed, provider, county_officer):
    services.assign_provider(a(county_officer), placed.pk, provider.pk)
    assert services.expire_unaccepted(timezone.now() + timedelta(minutes=10)) == 0
    assert services.expire_unaccepted(timezone.now() + timedelta(minutes=31)) == 1
    placed.refresh_from_db()
    assert placed.status == OrderStatus.EXPIRED and placed.escalated
    services.assign_provider(a(county_officer), placed.pk, provider.pk)  # back on the board, reassigned
    placed.refresh_from_db()
    assert not placed.escalated


def test_monthly_allowance_is_granted_once_per_elder_and_month(make_elder):
    tekun = make_elder(categories=["tekun"])
    old = make_elder(categories=["advanced_age", "tekun"])
    make_elder()  # no category: no allowance
    rules = [services.Allowance("tekun", 20000), services.Allowance("advanced_age", 10000)]
    assert services.grant_monthly(date(2026, 11, 1), rules) == 2
    assert services.grant_monthly(date(2026, 11, 1), rules) == 0
    assert services.balance(tekun.pk) == 20000 and services.balance(old.pk) == 20000
    assert VoucherEntry.objects.count() == 2


def test_settlement_lists_completed_orders_and_totals(placed, county_officer, provider, provider_manager, caregiver,
                                                      caregiver_user, neighbour_officer):  # fmt: skip
    services.assign_provider(a(county_officer), placed.pk, provider.pk)
    services.respond(a(provider_manager), placed.pk, True)
    services.dispatch(a(provider_manager), placed.pk, caregiver.pk)
    services.check_in(a(caregiver_user), placed.pk, 34.03, 113.85)
    services.check_out(a(caregiver_user), placed.pk)
    month = timezone.localdate().replace(day=1)
    sheet = load_workbook(services.settlement(a(provider_manager), provider.pk, month)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == placed.pk and rows[-1][0] == "合计" and rows[-1][6] == 80.0
    with pytest.raises(Http404):
        services.settlement(a(neighbour_officer), provider.pk, month)


def test_statistics_count_completion_and_satisfaction(placed, elder, family, bath, tomorrow, county_officer, provider,
                                                       provider_manager, caregiver, caregiver_user):  # fmt: skip
    services.assign_provider(a(county_officer), placed.pk, provider.pk)
    services.respond(a(provider_manager), placed.pk, True)
    services.dispatch(a(provider_manager), placed.pk, caregiver.pk)
    services.check_in(a(caregiver_user), placed.pk, 34.03, 113.85)
    services.check_out(a(caregiver_user), placed.pk)
    services.rate(a(family), placed.pk, 5)
    other = services.book(a(family), elder.pk, bath.pk, tomorrow + timedelta(days=1))
    services.cancel(a(family), other.pk)
    services.book(a(family), elder.pk, bath.pk, tomorrow + timedelta(days=2))
    stats = services.statistics(county_officer, "411002000000")
    assert (stats["total"], stats["completed"], stats["cancelled"]) == (3, 1, 1)
    assert stats["completion_rate"] == 50.0 and stats["satisfaction_rate"] == 100.0
    assert stats["response_minutes"] is not None
    assert services.statistics(county_officer, "411003000000")["total"] == 0
    assert Order.objects.count() == 3


def test_commands_grant_allowances_and_expire_orders(make_elder, placed, provider, county_officer):
    from django.core.management import call_command

    tekun = make_elder(categories=["tekun"])
    call_command("grant_allowances", "--allowance", "tekun=300", stdout=io.StringIO())
    call_command("grant_allowances", "--allowance", "tekun=300", stdout=io.StringIO())
    assert services.balance(tekun.pk) == 30000
    services.assign_provider(a(county_officer), placed.pk, provider.pk)
    Order.objects.filter(pk=placed.pk).update(assigned_at=timezone.now() - timedelta(hours=1))
    call_command("expire_orders", stdout=io.StringIO())
    placed.refresh_from_db()
    assert placed.escalated
