"""First come, first served under load: no interleaving of approvals commits more than the budget."""

import threading

import pytest
from django.db import connection, connections

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict
from yiyang.elders import categories
from yiyang.renovation import services
from yiyang.renovation.models import Budget, BudgetEntry, FundSource, Status

from .conftest import CAP, orgs_data


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_twenty_concurrent_approvals_against_a_budget_for_ten_commit_exactly_ten(
    officer, make_elder, policy, orgs, root
):
    services.save_budget(root, "411002000000", 2026, FundSource.PROVINCE, 10 * CAP)
    applications = []
    for n in range(20):
        elder = make_elder(name=f"老人{n}", categories=categories.to_bits(["tekun"]),
                           address=f"西大街道花园社区 {n + 1} 号楼 101")  # fmt: skip
        application = services.apply(officer, {"elder_id": elder.pk})
        services.take_step(officer, application.pk, "street_approve")
        applications.append(application)
    barrier = threading.Barrier(20)
    approved, refused, errors = [], [], []

    def approve(pk):
        try:
            barrier.wait()
            approved.append(services.take_step(Actor(user=officer.user), pk, "county_approve", orgs_data(orgs)).pk)
        except Conflict as exc:
            refused.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(a.pk,)) for a in applications]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(approved) == 10 and refused == ["budget_exhausted"] * 10
    budget = Budget.objects.get()
    assert services.committed(budget) == 10 * CAP == budget.amount
    # The queue is auditable: one numbered entry per approval, numbers 1..10 without gaps.
    assert sorted(BudgetEntry.objects.values_list("seq", flat=True)) == list(range(1, 11))
    assert set(BudgetEntry.objects.values_list("application_id", flat=True)) == set(approved)
    waiting = {a.pk for a in applications} - set(approved)
    assert (
        set(type(applications[0]).objects.filter(status=Status.STREET_APPROVED).values_list("pk", flat=True)) == waiting
    )
