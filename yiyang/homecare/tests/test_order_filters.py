"""The order list's `waiting` and `day` filters (page and API) count only the rows of the user's scope
and step: outsiders get none."""

import pytest
from django.test import Client
from django.utils import timezone

from yiyang.core.roles import Role
from yiyang.homecare.models import Order, OrderStatus

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def order(elder, bath, status, **fields):
    return Order.objects.create(elder_id=elder.pk, region_code=elder.region_code, county_code=elder.county_code,
                                item=bath, status=status, slot_start=timezone.localtime().replace(hour=12, minute=0),
                                address="西大街 3 号", price=8000, subsidy=0, voucher=0, self_pay=8000, **fields)  # fmt: skip


def counts(user, query):
    client = client_for(user)
    page = client.get(f"/homecare/orders/?{query}").context["page"].paginator.count
    api = client.get(f"/api/v1/homecare/orders?{query}").json()["count"]
    return page, api


def test_outsiders_get_none(elder, neighbour_elder, bath, provider, other_provider, make_user, county_officer,
                            neighbour_officer, provider_manager, family):  # fmt: skip
    order(elder, bath, OrderStatus.CREATED)
    order(elder, bath, OrderStatus.ASSIGNED, provider=provider)
    order(elder, bath, OrderStatus.COMPLETED, provider=provider)
    other_manager = make_user(Role.PROVIDER_MANAGER, region_code=other_provider.region_code, scope_id=other_provider.pk)
    other_family = make_user(Role.FAMILY, region_code=neighbour_elder.region_code, scope_id=neighbour_elder.pk)
    assert counts(county_officer, "waiting=assign") == (1, 1)
    assert counts(neighbour_officer, "waiting=assign") == (0, 0)
    assert counts(provider_manager, "waiting=accept") == (1, 1)
    assert counts(other_manager, "waiting=accept") == (0, 0)
    assert counts(provider_manager, "waiting=assign") == (0, 0)  # not the provider's step
    assert counts(family, "waiting=confirm") == (1, 1)
    assert counts(other_family, "waiting=confirm") == (0, 0)
    assert counts(provider_manager, "day=" + timezone.localdate().isoformat())[1] == 2
    assert counts(other_manager, "day=" + timezone.localdate().isoformat())[1] == 0
