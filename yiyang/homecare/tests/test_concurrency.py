"""Twenty people clicking at once: exactly one wins, and the ledger is debited once (PostgreSQL)."""

import threading

import pytest
from django.db import connection, connections

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict
from yiyang.homecare import services
from yiyang.homecare.models import OrderStatus, VoucherEntry

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def race(n, action):
    """Run `action` in n threads released together; return (wins, refusals, other errors)."""
    barrier = threading.Barrier(n)
    wins, refusals, errors = [], [], []

    def worker():
        try:
            barrier.wait()
            wins.append(action())
        except Conflict:
            refusals.append(1)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return wins, refusals, errors


def test_twenty_dispatchers_assign_the_same_order_once(family, elder, bath, tomorrow, county_officer, provider):
    order = services.book(Actor(user=family), elder.pk, bath.pk, tomorrow)
    wins, refusals, errors = race(
        20, lambda: services.assign_provider(Actor(user=county_officer), order.pk, provider.pk)
    )
    assert not errors and len(wins) == 1 and len(refusals) == 19
    order.refresh_from_db()
    assert order.status == OrderStatus.ASSIGNED


def test_twenty_check_outs_debit_the_vouchers_once(
    family, elder, bath, tomorrow, county_officer, provider, provider_manager, caregiver, caregiver_user
):
    services.grant(Actor(user=county_officer), elder.pk, 5000, "allowance")
    order = services.book(Actor(user=family), elder.pk, bath.pk, tomorrow)
    services.assign_provider(Actor(user=county_officer), order.pk, provider.pk)
    services.respond(Actor(user=provider_manager), order.pk, True)
    services.dispatch(Actor(user=provider_manager), order.pk, caregiver.pk)
    services.check_in(Actor(user=caregiver_user), order.pk, 34.03, 113.85)
    wins, refusals, errors = race(20, lambda: services.check_out(Actor(user=caregiver_user), order.pk))
    assert not errors and len(wins) == 20  # a resent check-out answers with the completed order
    assert VoucherEntry.objects.filter(kind="debit").count() == 1
    assert services.balance(elder.pk) == 0


def test_twenty_parallel_dispatches_of_one_order_make_one_change(
    family, elder, bath, tomorrow, county_officer, provider, provider_manager, caregiver
):
    from yiyang.core.models import AuditEntry

    order = services.book(Actor(user=family), elder.pk, bath.pk, tomorrow)
    services.assign_provider(Actor(user=county_officer), order.pk, provider.pk)
    accepted = services.respond(Actor(user=provider_manager), order.pk, True)

    def audits():
        rows = AuditEntry.objects.filter(object_type="homecare.order", object_id=str(order.pk))
        return rows.filter(changes__has_key="caregiver").count()

    # Without a version: the first sends the caregiver, the others find the order dispatched already.
    wins, refusals, errors = race(20, lambda: services.dispatch(Actor(user=provider_manager), order.pk, caregiver.pk))
    assert not errors and len(wins) == 1 and len(refusals) == 19 and audits() == 1
    # Naming the version they saw: one deliberate re-dispatch wins, the others are stale.
    version = accepted.version + 1
    wins, refusals, errors = race(
        20, lambda: services.dispatch(Actor(user=provider_manager), order.pk, caregiver.pk, version=version)
    )
    assert not errors and len(wins) == 1 and len(refusals) == 19 and audits() == 2
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPATCHED and order.version == version + 1
