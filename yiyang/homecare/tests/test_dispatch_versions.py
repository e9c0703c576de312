"""One dispatch wins: a repeat of the same step answers 409 unless it names the order's current version
(issue 13, an outside security test found 20 parallel dispatches all answered success). The threaded
race is in test_concurrency.py (PostgreSQL); here the same clicks arrive one after another."""

import json

import pytest
from django.test import Client

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict
from yiyang.core.models import AuditEntry
from yiyang.homecare import services
from yiyang.homecare.models import Order, OrderStatus
from yiyang.providers.models import Staff


@pytest.fixture
def accepted(family, elder, bath, tomorrow, county_officer, provider, provider_manager):
    order = services.book(Actor(user=family), elder.pk, bath.pk, tomorrow)
    services.assign_provider(Actor(user=county_officer), order.pk, provider.pk)
    return services.respond(Actor(user=provider_manager), order.pk, True)


@pytest.fixture
def second_caregiver(provider):
    return Staff.objects.create(provider=provider, region_code=provider.region_code, role="carer", county_code="411002", name="陈护理", phone="13900002222",
                                    skill_level=3)  # fmt: skip


def dispatch_audits(order) -> int:
    return AuditEntry.objects.filter(
        object_type="homecare.order", object_id=str(order.pk), changes__has_key="caregiver"
    ).count()


def post(user, url, body):
    client = Client()
    client.force_login(user)
    return client.post(url, json.dumps(body), content_type="application/json")


def test_every_transition_raises_the_order_version(accepted, provider_manager, caregiver):
    assert accepted.version == 2  # assign, accept
    order = services.dispatch(Actor(user=provider_manager), accepted.pk, caregiver.pk)
    assert order.version == 3 and Order.objects.get(pk=order.pk).version == 3


def test_twenty_dispatches_in_a_row_make_one_change_and_one_audit_entry(accepted, provider_manager, caregiver):
    url = f"/api/v1/homecare/orders/{accepted.pk}/dispatch"
    answers = [post(provider_manager, url, {"caregiver_id": caregiver.pk}).status_code for _ in range(20)]
    assert answers == [200] + [409] * 19
    assert dispatch_audits(accepted) == 1
    order = Order.objects.get(pk=accepted.pk)
    assert order.status == OrderStatus.DISPATCHED and order.version == 3


def test_twenty_dispatches_naming_the_same_version_make_one_change(accepted, provider_manager, caregiver):
    url = f"/api/v1/homecare/orders/{accepted.pk}/dispatch"
    body = {"caregiver_id": caregiver.pk, "version": accepted.version}
    answers = [post(provider_manager, url, body) for _ in range(20)]
    assert [r.status_code for r in answers] == [200] + [409] * 19
    assert answers[1].json()["fields"] == {"version": 3} and "版本" in answers[1].json()["message"]
    assert dispatch_audits(accepted) == 1


def test_a_deliberate_re_dispatch_names_the_current_version(accepted, provider_manager, caregiver, second_caregiver):
    first = services.dispatch(Actor(user=provider_manager), accepted.pk, caregiver.pk)
    with pytest.raises(Conflict) as refused:
        services.dispatch(Actor(user=provider_manager), accepted.pk, second_caregiver.pk)
    assert refused.value.fields == {"version": first.version}
    with pytest.raises(Conflict):
        services.dispatch(Actor(user=provider_manager), accepted.pk, second_caregiver.pk, version=first.version - 1)
    again = services.dispatch(Actor(user=provider_manager), accepted.pk, second_caregiver.pk, version=first.version)
    assert again.caregiver_id == second_caregiver.pk and again.version == first.version + 1
    assert dispatch_audits(accepted) == 2


def test_an_assign_naming_a_stale_version_is_a_conflict(family, elder, bath, tomorrow, county_officer, provider):
    order = services.book(Actor(user=family), elder.pk, bath.pk, tomorrow)
    url = f"/api/v1/homecare/orders/{order.pk}/assign"
    assert post(county_officer, url, {"provider_id": provider.pk, "version": order.version + 1}).status_code == 409
    response = post(county_officer, url, {"provider_id": provider.pk, "version": order.version})
    assert response.status_code == 200 and response.json()["version"] == order.version + 1
    assert post(county_officer, url, {"provider_id": provider.pk}).status_code == 409


def test_the_dispatch_form_sends_the_version_it_was_drawn_at(accepted, provider_manager, caregiver, second_caregiver):
    client = Client()
    client.force_login(provider_manager)
    page = client.get(f"/homecare/orders/{accepted.pk}/").content.decode()
    assert f'name="version" value="{accepted.version}"' in page
    url = f"/homecare/orders/{accepted.pk}/dispatch/"
    client.post(url, {"caregiver_id": caregiver.pk, "version": accepted.version})
    client.post(url, {"caregiver_id": second_caregiver.pk, "version": accepted.version})  # the same form again
    order = Order.objects.get(pk=accepted.pk)
    assert order.caregiver_id == caregiver.pk and dispatch_audits(accepted) == 1
