"""Prepaid-fee escrow: every rule of a receipt, draw-downs, refunds, the asset alert, closure, and
the scope of every endpoint and page."""

import threading
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Sum
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors
from yiyang.core.models import AuditEntry
from yiyang.facilities.models import Facility
from yiyang.supervision.models import (
    AlertStatus,
    ClosureStatus,
    EntryType,
    EscrowAlert,
    EscrowEntry,
    FacilityClosure,
    FeeKind,
)
from yiyang.supervision.services import escrow as services

from .conftest import MONTHLY_FEE, assert_locks_only_own_rows, assert_refused_to, call, client_for

THIS_MONTH = timezone.localdate().replace(day=1)


def receive(user, residence, kind, amount, key=None):
    key = key or f"k-{kind}-{amount}-{EscrowEntry.objects.count()}"
    return services.receive(Actor(user=user), residence.pk, kind, amount, key)


def refused_field(excinfo) -> str:
    return next(iter(excinfo.value.fields))


# --- Rules of a receipt ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["public", "public_private", "built_with_housing"])
def test_public_facilities_may_not_take_membership_fees(facility, facility_manager, resident, model):
    Facility.objects.filter(pk=facility.pk).update(operation_model=model)
    with pytest.raises(FieldErrors) as excinfo:
        receive(facility_manager, resident, FeeKind.MEMBERSHIP, 100)
    assert refused_field(excinfo) == "fee_kind" and "不得收取会员费" in excinfo.value.message
    assert not EscrowEntry.objects.exists()


def test_a_private_facility_may_take_membership_fees(facility_manager, resident):
    assert receive(facility_manager, resident, FeeKind.MEMBERSHIP, 100)["written"]


def test_membership_refusal_answers_422_naming_the_field(facility, facility_manager, resident):
    Facility.objects.filter(pk=facility.pk).update(operation_model="public")
    response = call(client_for(facility_manager), "post", "/api/v1/supervision/escrow/receipts",
                    {"residence_id": resident.pk, "fee_kind": "membership", "amount": 100, "key": "m1"})  # fmt: skip
    assert response.status_code == 422
    assert "fee_kind" in response.json()["fields"] and "会员费" in response.json()["fields"]["fee_kind"]


@pytest.mark.parametrize("kind", [FeeKind.SERVICE, FeeKind.DEPOSIT, FeeKind.MEMBERSHIP])
def test_caps_allow_twelve_months_exactly_and_refuse_one_fen_more(facility_manager, make_resident, account, kind):
    at_cap, above = make_resident("甲"), make_resident("乙")
    assert receive(facility_manager, at_cap, kind, 12 * MONTHLY_FEE)["written"]
    with pytest.raises(FieldErrors) as excinfo:
        receive(facility_manager, above, kind, 12 * MONTHLY_FEE + 1)
    assert refused_field(excinfo) == "amount"
    assert services.balance(above.pk, kind) == 0


def test_caps_count_what_is_already_held(facility_manager, resident):
    receive(facility_manager, resident, FeeKind.SERVICE, 6 * MONTHLY_FEE)
    receive(facility_manager, resident, FeeKind.SERVICE, 6 * MONTHLY_FEE)
    with pytest.raises(FieldErrors, match="不得超过 12 个月"):
        receive(facility_manager, resident, FeeKind.SERVICE, 1)
    # The other kinds have caps of their own.
    assert receive(facility_manager, resident, FeeKind.DEPOSIT, MONTHLY_FEE)["written"]


def test_caps_are_configuration(settings, facility_manager, resident):
    settings.ESCROW_MEMBERSHIP_MAX_MONTHS = 2
    with pytest.raises(FieldErrors):
        receive(facility_manager, resident, FeeKind.MEMBERSHIP, 2 * MONTHLY_FEE + 1)
    assert receive(facility_manager, resident, FeeKind.MEMBERSHIP, 2 * MONTHLY_FEE)["written"]


def test_environment_overrides_the_setting(monkeypatch, settings, facility_manager, resident):
    settings.ESCROW_DEPOSIT_MAX_MONTHS = 12
    monkeypatch.setenv("ESCROW_DEPOSIT_MAX_MONTHS", "1")
    with pytest.raises(FieldErrors):
        receive(facility_manager, resident, FeeKind.DEPOSIT, MONTHLY_FEE + 1)


@pytest.mark.parametrize("amount", [0, -5])
def test_non_positive_amounts_are_refused(facility_manager, resident, amount):
    with pytest.raises(FieldErrors) as excinfo:
        receive(facility_manager, resident, FeeKind.SERVICE, amount)
    assert refused_field(excinfo) == "amount"


def test_a_resent_receipt_records_nothing(facility_manager, resident):
    first = receive(facility_manager, resident, FeeKind.DEPOSIT, 5000, key="same")
    again = receive(facility_manager, resident, FeeKind.DEPOSIT, 5000, key="same")
    assert first["written"] and not again["written"] and again["entry"].pk == first["entry"].pk
    assert services.balance(resident.pk, FeeKind.DEPOSIT) == 5000


def test_total_above_net_fixed_assets_raises_one_alert_and_keeps_the_receipt(
    account, facility_manager, make_resident, county_officer
):
    account.net_fixed_assets = 4 * MONTHLY_FEE
    account.save()
    first, second = make_resident("甲"), make_resident("乙")
    assert receive(facility_manager, first, FeeKind.SERVICE, 4 * MONTHLY_FEE)["alert"] is None  # at the line: fine
    result = receive(facility_manager, second, FeeKind.DEPOSIT, 1)
    assert result["written"] and result["alert"] is not None
    assert services.facility_total(account.facility_id) == 4 * MONTHLY_FEE + 1
    receive(facility_manager, second, FeeKind.DEPOSIT, 100)
    alert = EscrowAlert.objects.get()
    assert alert.status == AlertStatus.OPEN and alert.total_prepaid == 4 * MONTHLY_FEE + 101
    # The officer sees it on the overview and acknowledges it; the facility may not.
    page = client_for(county_officer).get("/supervision/escrow/?region=411002000000").content.decode()
    assert "花园康养中心" in page and "预收费总额超过固定资产净额" in page
    url = f"/api/v1/supervision/escrow/alerts/{alert.pk}/acknowledge"
    assert call(client_for(facility_manager), "post", url, {"note": "x"}).status_code == 403
    response = call(client_for(county_officer), "post", url, {"note": "已约谈"})
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    assert call(client_for(county_officer), "post", url, {"note": "again"}).status_code == 409


def test_receipts_for_a_resident_who_left_are_refused(resident, facility_manager, county_officer):
    from yiyang.facilities import services as facilities

    facilities.discharge(Actor(user=county_officer), resident.pk, timezone.localdate())
    with pytest.raises(FieldErrors) as excinfo:
        receive(facility_manager, resident, FeeKind.SERVICE, 100)
    assert refused_field(excinfo) == "residence_id"


# --- Balances, draw-downs, refunds ----------------------------------------------------------------


def test_balance_is_the_sum_of_the_entries(facility_manager, resident):
    actor = Actor(user=facility_manager)
    receive(facility_manager, resident, FeeKind.SERVICE, 3 * MONTHLY_FEE)
    receive(facility_manager, resident, FeeKind.DEPOSIT, 2 * MONTHLY_FEE)
    services.draw_down(actor, resident.pk, THIS_MONTH)
    services.refund(actor, resident.pk, FeeKind.DEPOSIT, 50_000, "r1")
    found = services.balances([resident.pk])[resident.pk]
    assert found[FeeKind.SERVICE] == 2 * MONTHLY_FEE
    assert found[FeeKind.DEPOSIT] == 2 * MONTHLY_FEE - 50_000
    for kind, value in found.items():
        ledger = EscrowEntry.objects.filter(residence=resident, fee_kind=kind).aggregate(s=Sum("amount"))["s"] or 0
        assert value == ledger
    assert services.facility_total(resident.facility_id) == sum(found.values())


def test_entries_can_be_neither_changed_nor_deleted(facility_manager, resident):
    entry = receive(facility_manager, resident, FeeKind.SERVICE, 100)["entry"]
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_a_draw_down_beyond_the_balance_is_refused(facility_manager, resident):
    receive(facility_manager, resident, FeeKind.SERVICE, MONTHLY_FEE - 1)
    with pytest.raises(FieldErrors) as excinfo:
        services.draw_down(Actor(user=facility_manager), resident.pk, THIS_MONTH)
    assert refused_field(excinfo) == "amount"
    assert services.balance(resident.pk, FeeKind.SERVICE) == MONTHLY_FEE - 1


def test_a_refund_beyond_the_balance_is_refused(facility_manager, resident):
    receive(facility_manager, resident, FeeKind.DEPOSIT, 1000)
    with pytest.raises(FieldErrors) as excinfo:
        services.refund(Actor(user=facility_manager), resident.pk, FeeKind.DEPOSIT, 1001, "r")
    assert refused_field(excinfo) == "amount"
    assert services.refund(Actor(user=facility_manager), resident.pk, FeeKind.DEPOSIT, 1000, "r")
    assert services.balance(resident.pk, FeeKind.DEPOSIT) == 0


def test_draw_down_of_future_months_is_refused(facility_manager, resident):
    receive(facility_manager, resident, FeeKind.SERVICE, 2 * MONTHLY_FEE)
    with pytest.raises(FieldErrors) as excinfo:
        services.draw_month(Actor(user=facility_manager), resident.facility_id, THIS_MONTH + timedelta(days=40))
    assert refused_field(excinfo) == "month"


def test_monthly_draw_down_debits_each_resident_once_and_a_rerun_adds_nothing(facility_manager, make_resident, account):
    actor = Actor(user=facility_manager)
    full, short, empty = make_resident("甲"), make_resident("乙"), make_resident("丙")
    receive(facility_manager, full, FeeKind.SERVICE, 3 * MONTHLY_FEE)
    receive(facility_manager, short, FeeKind.SERVICE, 1000)
    result = services.draw_month(actor, account.facility_id, THIS_MONTH)
    assert result == {"written": 2, "amount": MONTHLY_FEE + 1000, "already": 0, "no_balance": 1}
    count = EscrowEntry.objects.count()
    again = services.draw_month(actor, account.facility_id, THIS_MONTH)
    assert again["written"] == 0 and again["already"] == 2 and EscrowEntry.objects.count() == count
    assert not services.draw_down(actor, full.pk, THIS_MONTH)  # one resident, same month: nothing more
    assert services.balance(full.pk, FeeKind.SERVICE) == 2 * MONTHLY_FEE
    assert services.balance(short.pk, FeeKind.SERVICE) == 0 and services.balance(empty.pk, FeeKind.SERVICE) == 0
    assert EscrowEntry.objects.filter(entry_type=EntryType.DRAWDOWN, month=THIS_MONTH).count() == 2


def test_the_database_refuses_a_second_draw_down_of_a_month_whatever_the_key(facility_manager, resident, account):
    receive(facility_manager, resident, FeeKind.SERVICE, 3 * MONTHLY_FEE)
    services.draw_down(Actor(user=facility_manager), resident.pk, THIS_MONTH)
    with pytest.raises(IntegrityError), transaction.atomic():
        EscrowEntry.objects.create(
            account=account, facility_id=account.facility_id, residence=resident, region_code=account.region_code,
            county_code=account.county_code, fee_kind=FeeKind.SERVICE, entry_type=EntryType.DRAWDOWN,
            amount=-1, month=THIS_MONTH, key="another-key",
        )  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_simultaneous_draw_downs_of_the_same_month_post_once(facility_manager, resident):
    receive(facility_manager, resident, FeeKind.SERVICE, 3 * MONTHLY_FEE)
    barrier, outcomes = threading.Barrier(10), []

    def worker():
        try:
            barrier.wait()
            outcomes.append(services.draw_down(Actor(user=facility_manager), resident.pk, THIS_MONTH))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, outcomes)) == sorted(["True"] + ["False"] * 9)
    assert services.balance(resident.pk, FeeKind.SERVICE) == 2 * MONTHLY_FEE


def test_leaving_refunds_every_balance(facility_manager, county_officer, resident):
    from yiyang.facilities import services as facilities

    actor = Actor(user=facility_manager)
    receive(facility_manager, resident, FeeKind.SERVICE, 2 * MONTHLY_FEE)
    receive(facility_manager, resident, FeeKind.DEPOSIT, MONTHLY_FEE)
    receive(facility_manager, resident, FeeKind.MEMBERSHIP, 7)
    with pytest.raises(FieldErrors) as excinfo:
        services.refund_on_leave(actor, resident.pk)
    assert refused_field(excinfo) == "residence_id"
    facilities.discharge(Actor(user=county_officer), resident.pk, timezone.localdate())
    assert services.refund_on_leave(actor, resident.pk) == 3 * MONTHLY_FEE + 7
    assert set(services.balances([resident.pk])[resident.pk].values()) == {0}
    assert services.refund_on_leave(actor, resident.pk) == 0


# --- Closure ----------------------------------------------------------------------------------------


def test_closure_needs_thirty_days_notice(facility, facility_manager, account):
    actor, today = Actor(user=facility_manager), timezone.localdate()
    with pytest.raises(FieldErrors) as excinfo:
        services.announce_closure(actor, facility.pk, today + timedelta(days=29), "场地到期")
    assert refused_field(excinfo) == "closing_on" and not FacilityClosure.objects.exists()
    closure = services.announce_closure(actor, facility.pk, today + timedelta(days=30), "场地到期")
    assert closure.status == ClosureStatus.ANNOUNCED
    with pytest.raises(Conflict):
        services.announce_closure(actor, facility.pk, today + timedelta(days=60), "再次")


def test_closure_refunds_every_balance_and_the_bureau_sees_the_progress(
    facility, facility_manager, county_officer, make_resident, account
):
    actor = Actor(user=facility_manager)
    residents = [make_resident(name) for name in ("甲", "乙", "丙")]
    for number, residence in enumerate(residents, start=1):
        receive(facility_manager, residence, FeeKind.SERVICE, number * MONTHLY_FEE)
        receive(facility_manager, residence, FeeKind.DEPOSIT, number * 1000)
    services.announce_closure(actor, facility.pk, timezone.localdate() + timedelta(days=45), "停业整顿")
    with pytest.raises(Conflict):
        receive(facility_manager, residents[0], FeeKind.SERVICE, 1)
    url = f"/api/v1/supervision/escrow/facilities/{facility.pk}/closure"
    before = client_for(county_officer).get(url).json()
    assert before["residents_total"] == 3 and before["residents_remaining"] == 3 and before["percent"] == 0
    refunded = services.refund_for_closure(actor, facility.pk)
    assert refunded == 6 * MONTHLY_FEE + 6000
    assert services.facility_total(facility.pk) == 0
    for residence in residents:
        assert set(services.balances([residence.pk])[residence.pk].values()) == {0}
    after = client_for(county_officer).get(url).json()
    assert after["status"] == "completed" and after["residents_remaining"] == 0 and after["percent"] == 100
    assert after["amount_refunded"] == refunded
    assert services.refund_for_closure(actor, facility.pk) == 0


# --- Masking ------------------------------------------------------------------------------------------


def test_account_number_is_masked_and_revealed_only_with_the_right_and_audited(account, county_officer, viewer):
    url = f"/api/v1/supervision/escrow/facilities/{account.facility_id}"
    assert client_for(county_officer).get(url).json()["account"]["account_number"] == "***************5678"
    assert client_for(viewer).get(url + "?reveal=true").json()["account"]["account_number"] == "***************5678"
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()
    assert (
        client_for(county_officer).get(url + "?reveal=true").json()["account"]["account_number"]
        == "6216610100012345678"
    )
    assert AuditEntry.objects.filter(action="view_sensitive", object_type="supervision.escrowaccount").count() == 1


def test_account_input_errors_name_the_field(facility, facility_manager):
    response = call(client_for(facility_manager), "put", f"/api/v1/supervision/escrow/facilities/{facility.pk}/account",
                    {"bank_name": "", "account_number": "12ab", "filing_number": "F1", "net_fixed_assets": -1,
                     "monthly_fee": 0})  # fmt: skip
    assert response.status_code == 422
    assert {"bank_name", "account_number", "net_fixed_assets", "monthly_fee"} <= set(response.json()["fields"])


# --- Scope: every endpoint and page ----------------------------------------------------------------

ROUTES = [
    ("get", "/api/v1/supervision/escrow/facilities/{facility}", None),
    ("put", "/api/v1/supervision/escrow/facilities/{facility}/account",
     {"bank_name": "改", "account_number": "1234567890", "filing_number": "F", "net_fixed_assets": 1,
      "monthly_fee": 1}),
    ("post", "/api/v1/supervision/escrow/receipts",
     {"residence_id": "{residence}", "fee_kind": "deposit", "amount": 100, "key": "outsider"}),
    ("post", "/api/v1/supervision/escrow/facilities/{facility}/drawdowns", {"month": "{month}"}),
    ("post", "/api/v1/supervision/escrow/residences/{residence}/drawdowns", {"month": "{month}"}),
    ("get", "/api/v1/supervision/escrow/residences/{residence}/entries", None),
    ("post", "/api/v1/supervision/escrow/residences/{residence}/refunds",
     {"fee_kind": "deposit", "amount": 100, "key": "outsider"}),
    ("post", "/api/v1/supervision/escrow/residences/{residence}/leave-refund", None),
    ("post", "/api/v1/supervision/escrow/alerts/{alert}/acknowledge", {"note": "x"}),
    ("post", "/api/v1/supervision/escrow/facilities/{facility}/closure", {"closing_on": "{closing}", "reason": "x"}),
    ("get", "/api/v1/supervision/escrow/facilities/{facility}/closure", None),
    ("post", "/api/v1/supervision/escrow/facilities/{facility}/closure/refunds", None),
    ("get", "/supervision/escrow/facilities/{facility}/", None),
    ("get", "/supervision/escrow/facilities/{facility}/?reveal=1", None),
    ("post", "/supervision/escrow/facilities/{facility}/",
     {"action": "receipt", "residence": "{residence}", "fee_kind": "deposit", "amount": "1.00", "key": "page"}),
    ("post", "/supervision/escrow/facilities/{facility}/", {"action": "draw", "month": "{month}"}),
    ("post", "/supervision/escrow/facilities/{facility}/",
     {"action": "closure", "closing_on": "{closing}", "reason": "x"}),
    ("get", "/supervision/escrow/residences/{residence}/", None),
    ("post", "/supervision/escrow/residences/{residence}/",
     {"action": "refund", "fee_kind": "deposit", "amount": "1.00", "key": "page-refund"}),
    ("post", "/supervision/escrow/alerts/{alert}/acknowledge/", {"note": "x"}),
]  # fmt: skip


@pytest.fixture
def escrow_rows(account, resident, facility_manager):
    """A resident with a deposit and an open alert (net fixed assets set low)."""
    account.net_fixed_assets = 100
    account.save()
    receive(facility_manager, resident, FeeKind.DEPOSIT, 5000, key="seed")
    receive(facility_manager, resident, FeeKind.SERVICE, MONTHLY_FEE, key="seed-service")
    return {"alert": EscrowAlert.objects.get(), "resident": resident, "account": account}


def _fill(value, rows):
    values = {"{facility}": rows["account"].facility_id, "{residence}": rows["resident"].pk,
              "{alert}": rows["alert"].pk, "{month}": THIS_MONTH.isoformat(),
              "{closing}": (timezone.localdate() + timedelta(days=40)).isoformat()}  # fmt: skip
    if isinstance(value, dict):
        return {k: _fill(v, rows) for k, v in value.items()}
    if isinstance(value, str):
        for token, replacement in values.items():
            if value == token:
                return replacement
            value = value.replace(token, str(replacement))
    return value


def _snapshot():
    return (EscrowEntry.objects.count(), EscrowAlert.objects.filter(status="open").count(),
            FacilityClosure.objects.count(), AuditEntry.objects.filter(action="view_sensitive").count())  # fmt: skip


@pytest.mark.parametrize("method, route, body", ROUTES)
@pytest.mark.parametrize("who", ["neighbour_officer", "other_facility_manager", None])
def test_outsiders_can_neither_read_nor_change(request, escrow_rows, method, route, body, who):
    user = request.getfixturevalue(who) if who else None
    before = _snapshot()
    url = _fill(route, escrow_rows)
    response = call(client_for(user), method, url, _fill(body, escrow_rows))
    assert_refused_to(user, response, url)
    assert _snapshot() == before


RIGHTFUL = {"acknowledge": "county_officer", "closure": "facility_manager"}


@pytest.mark.parametrize("method, route, body", ROUTES)
def test_the_rightful_user_succeeds(request, escrow_rows, facility, method, route, body):
    reads_or_bureau = method == "get" or "acknowledge" in route
    user = request.getfixturevalue("county_officer" if reads_or_bureau else "facility_manager")
    if route.endswith("/closure") and method == "get" or "closure/refunds" in route:
        services.announce_closure(Actor(user=request.getfixturevalue("facility_manager")), facility.pk,
                                  timezone.localdate() + timedelta(days=31), "到期")  # fmt: skip
    if "leave-refund" in route:
        from yiyang.facilities import services as facilities

        facilities.discharge(Actor(user=request.getfixturevalue("county_officer")), escrow_rows["resident"].pk,
                             timezone.localdate())  # fmt: skip
    url = _fill(route, escrow_rows)
    response = call(client_for(user), method, url, _fill(body, escrow_rows))
    assert response.status_code in (200, 201, 302), (url, response.status_code, response.content[:400])
    if response.status_code == 302:
        assert "/accounts/login/" not in response["Location"]


def test_the_facility_manager_reads_and_posts_through_the_page(escrow_rows, facility_manager):
    url = f"/supervision/escrow/facilities/{escrow_rows['account'].facility_id}/"
    client = client_for(facility_manager)
    page = client.get(url).content.decode()
    assert "张华山" in page and "***************5678" in page and "收取预收费" in page
    response = client.post(url, {"action": "receipt", "residence": escrow_rows["resident"].pk, "fee_kind": "deposit",
                                 "amount": "12.34", "key": "page-1"})  # fmt: skip
    assert response.status_code == 302
    assert services.balance(escrow_rows["resident"].pk, FeeKind.DEPOSIT) == 5000 + 1234
    response = client.post(url, {"action": "receipt", "residence": escrow_rows["resident"].pk, "fee_kind": "deposit",
                                 "amount": "999999", "key": "page-2"})  # fmt: skip
    assert response.status_code == 200 and "押金不得超过月收费标准的 12 倍" in response.content.decode()


def test_the_bureau_overview_shows_only_its_region(escrow_rows, neighbour_facility, other_facility_manager,
                                                    county_officer, neighbour_officer):  # fmt: skip
    services.save_account(Actor(user=other_facility_manager), neighbour_facility.pk,
                          {"bank_name": "建设银行", "account_number": "62270000111122223333", "filing_number": "建安1",
                           "net_fixed_assets": 10**9, "monthly_fee": 100_000})  # fmt: skip
    rows = client_for(county_officer).get("/api/v1/supervision/escrow/overview").json()["items"]
    assert [r["facility_name"] for r in rows] == ["花园康养中心"]
    assert rows[0]["total_prepaid"] == 5000 + MONTHLY_FEE and rows[0]["over"] and rows[0]["open_alerts"] == 1
    assert [
        r["facility_name"]
        for r in client_for(neighbour_officer).get("/api/v1/supervision/escrow/overview").json()["items"]
    ] == ["灵井敬老院"]
    assert client_for(neighbour_officer).get("/api/v1/supervision/escrow/alerts").json()["count"] == 0
    page = client_for(neighbour_officer).get("/supervision/escrow/").content.decode()
    assert "灵井敬老院" in page and "花园康养中心" not in page


def test_a_viewer_reads_but_cannot_post(escrow_rows, viewer):
    url = f"/api/v1/supervision/escrow/facilities/{escrow_rows['account'].facility_id}/drawdowns"
    assert client_for(viewer).get(url.removesuffix("/drawdowns")).status_code == 200
    assert call(client_for(viewer), "post", url, {"month": THIS_MONTH.isoformat()}).status_code == 403


def test_the_facility_manager_is_sent_to_its_own_page(escrow_rows, facility_manager):
    response = client_for(facility_manager).get("/supervision/escrow/")
    assert response.status_code == 302 and response["Location"].endswith(
        f"/supervision/escrow/facilities/{escrow_rows['account'].facility_id}/"
    )


def test_dates_used_in_routes_are_valid():
    assert THIS_MONTH <= date.today().replace(day=1) + timedelta(days=1)


def test_the_demo_builds_believable_supervision_data(db):

    from django.core.management import call_command

    from yiyang.supervision.models import Cadre, Complaint, EscrowAccount

    call_command("demo", elderly=300, streets=2, communities=2, stdout=open("/dev/null", "w"))
    assert EscrowAccount.objects.exists() and Cadre.objects.exists() and Complaint.objects.exists()
    for facility_id in EscrowEntry.objects.values_list("facility_id", flat=True).distinct():
        assert services.facility_total(facility_id) >= 0
    assert not EscrowEntry.objects.filter(fee_kind="membership", facility__operation_model__in=[
        "public", "public_private", "built_with_housing"]).exists()  # fmt: skip


# --- Review fixes ---------------------------------------------------------------------------------


FULL_NUMBER = "6216610100012345678"


def test_the_account_form_never_carries_the_full_number_and_a_blank_keeps_it(account, facility, facility_manager):
    url = f"/supervision/escrow/facilities/{facility.pk}/"
    client = client_for(facility_manager)
    page = client.get(url).content.decode()
    assert 'id="account-form"' in page and FULL_NUMBER not in page and "***************5678" in page
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()
    response = client.post(url, {"action": "account", "bank_name": "中国银行许昌分行", "account_number": "",
                                 "filing_number": "许民预备2025009", "net_fixed_assets": "500000.00",
                                 "risk_reserve": "20000.00", "monthly_fee": "3000.00"})  # fmt: skip
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.account_number, account.filing_number) == (FULL_NUMBER, "许民预备2025009")
    # Typing a number still changes it; the audit log keeps it masked.
    client.post(url, {"action": "account", "bank_name": "中国银行许昌分行", "account_number": "6216000011112222",
                      "filing_number": "许民预备2025009", "net_fixed_assets": "500000.00", "risk_reserve": "0",
                      "monthly_fee": "3000.00"})  # fmt: skip
    account.refresh_from_db()
    assert account.account_number == "6216000011112222"
    assert "6216000011112222" not in str(AuditEntry.objects.filter(action="update").values_list("changes", flat=True))


def test_opening_an_account_still_needs_the_number(facility, facility_manager):
    with pytest.raises(FieldErrors) as excinfo:
        services.save_account(Actor(user=facility_manager), facility.pk, {
            "bank_name": "中国银行", "account_number": "", "filing_number": "F1", "net_fixed_assets": 1,
            "monthly_fee": 1})  # fmt: skip
    assert set(excinfo.value.fields) == {"account_number"}


def _facility_with_resident(officer, manager_of, code, name, elder_region, elder):
    """Another facility with an escrow account of its own and one resident; returns (manager, residence)."""
    from yiyang.facilities import services as facilities

    other = Facility.objects.create(code=code, name=name, facility_type="institution", operation_model="private",
                                    region_code=elder_region, county_code=elder_region[:6], address="—",
                                    beds_total=20)  # fmt: skip
    manager = manager_of(other)
    services.save_account(Actor(user=manager), other.pk, {
        "bank_name": "建设银行", "account_number": "62270000111122223333", "filing_number": code,
        "net_fixed_assets": 10**9, "monthly_fee": MONTHLY_FEE})  # fmt: skip
    return manager, facilities.admit(Actor(user=officer), other.pk, elder.pk,
                                     timezone.localdate() - timedelta(days=30), bed_number="201")  # fmt: skip


@pytest.fixture
def neighbour_resident(neighbour_officer, make_user, make_elder):
    """A resident of a facility of the neighbouring county."""

    def manager_of(f):
        return make_user("facility_manager", region_code=f.region_code, scope_id=f.pk)

    return _facility_with_resident(neighbour_officer, manager_of, "411003-0009", "建安康养院", "411003100201",
                                   make_elder("411003100201", name="李秀英"))[1]  # fmt: skip


@pytest.fixture
def same_county_other(county_officer, make_user, make_elder):
    """Another facility of the same county (魏都区): its manager and one of its residents."""

    def manager_of(f):
        return make_user("facility_manager", region_code=f.region_code, scope_id=f.pk)

    return _facility_with_resident(county_officer, manager_of, "411002-0009", "春晖颐养院", "411002001002",
                                   make_elder("411002001002", name="陈桂兰"))  # fmt: skip


def test_a_key_another_facility_used_neither_clashes_nor_leaks(facility_manager, resident, same_county_other):
    other_manager, other_resident = same_county_other
    assert receive(other_manager, other_resident, FeeKind.DEPOSIT, 7000, key="2025-001")["written"]
    response = call(client_for(facility_manager), "post", "/api/v1/supervision/escrow/receipts",
                    {"residence_id": resident.pk, "fee_kind": "deposit", "amount": 5000, "key": "2025-001"})  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["written"] and response.json()["entry"]["amount"] == 5000
    assert services.balance(resident.pk, FeeKind.DEPOSIT) == 5000
    assert services.balance(other_resident.pk, FeeKind.DEPOSIT) == 7000
    # Within one facility a key stays a key: a resend writes nothing.
    assert not receive(facility_manager, resident, FeeKind.DEPOSIT, 5000, key="2025-001")["written"]


def test_the_database_keeps_keys_unique_per_account(account, facility_manager, resident):
    receive(facility_manager, resident, FeeKind.DEPOSIT, 100, key="dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        EscrowEntry.objects.create(
            account=account, facility_id=account.facility_id, residence=resident, region_code=account.region_code,
            county_code=account.county_code, fee_kind=FeeKind.DEPOSIT, entry_type=EntryType.RECEIPT, amount=1,
            key="receipt-dup",
        )  # fmt: skip


def test_a_refund_key_another_facility_used_still_refunds(facility_manager, resident, same_county_other):
    other_manager, other_resident = same_county_other
    receive(other_manager, other_resident, FeeKind.DEPOSIT, 7000)
    receive(facility_manager, resident, FeeKind.DEPOSIT, 5000)
    assert services.refund(Actor(user=other_manager), other_resident.pk, FeeKind.DEPOSIT, 100, "r-1")
    assert services.refund(Actor(user=facility_manager), resident.pk, FeeKind.DEPOSIT, 300, "r-1")
    assert services.balance(resident.pk, FeeKind.DEPOSIT) == 4700
    assert not services.refund(Actor(user=facility_manager), resident.pk, FeeKind.DEPOSIT, 300, "r-1")
    assert services.balance(resident.pk, FeeKind.DEPOSIT) == 4700


def test_a_refund_key_of_another_resident_is_a_conflict(facility_manager, make_resident, account):
    first, second = make_resident("甲"), make_resident("乙")
    for who in (first, second):
        receive(facility_manager, who, FeeKind.DEPOSIT, 5000)
    services.refund(Actor(user=facility_manager), first.pk, FeeKind.DEPOSIT, 100, "same")
    with pytest.raises(Conflict) as excinfo:
        services.refund(Actor(user=facility_manager), second.pk, FeeKind.DEPOSIT, 100, "same")
    assert "key" in excinfo.value.fields
    assert services.balance(second.pk, FeeKind.DEPOSIT) == 5000


def test_the_refund_page_says_when_nothing_was_written(facility_manager, resident):
    receive(facility_manager, resident, FeeKind.DEPOSIT, 5000)
    url = f"/supervision/escrow/residences/{resident.pk}/"
    body = {"action": "refund", "fee_kind": "deposit", "amount": "10.00", "key": "page-refund-1"}
    first = client_for(facility_manager).post(url, body, follow=True).content.decode()
    again = client_for(facility_manager).post(url, body, follow=True).content.decode()
    assert "退费已记账" in first
    assert "退费已记账" not in again and "未记账" in again
    assert services.balance(resident.pk, FeeKind.DEPOSIT) == 4000


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/x", "/\\evil.example", "///evil.example",
                                    "javascript:alert(1)"])  # fmt: skip
def test_acknowledging_never_redirects_off_site(escrow_rows, county_officer, target):
    response = client_for(county_officer).post(
        f"/supervision/escrow/alerts/{escrow_rows['alert'].pk}/acknowledge/", {"note": "知悉", "next": target}
    )
    assert response.status_code == 302 and response["Location"] == "/supervision/escrow/"


def test_acknowledging_returns_to_the_page_it_came_from(escrow_rows, county_officer):
    response = client_for(county_officer).post(
        f"/supervision/escrow/alerts/{escrow_rows['alert'].pk}/acknowledge/",
        {"note": "知悉", "next": "/supervision/escrow/?region=411002000000"},
    )
    assert response["Location"] == "/supervision/escrow/?region=411002000000"


def test_money_is_formatted_exactly_by_the_one_formatter():
    from yiyang.core.templatetags import money

    assert services.yuan is money.yuan
    # A float has 53 bits: this many fen would come out as ...456.75 or ...456.80 through one.
    assert services.yuan(123_456_789_012_345_678) == "1,234,567,890,123,456.78"
    assert services.yuan(-5) == "-0.05"


def test_messages_carry_exact_amounts(facility_manager, resident):
    receive(facility_manager, resident, FeeKind.DEPOSIT, 5000)
    with pytest.raises(FieldErrors) as excinfo:
        services.refund(Actor(user=facility_manager), resident.pk, FeeKind.DEPOSIT, 5001, "too-much")
    assert "50.01 元" in excinfo.value.message and "50.00 元" in excinfo.value.message


def test_the_overview_is_paginated_and_sums_only_the_page_shown(regions, county_officer, monkeypatch):
    from yiyang.supervision.models import EscrowAccount

    facilities = Facility.objects.bulk_create([
        Facility(code=f"411002-{n:04d}", name=f"康养中心{n:02d}", facility_type="institution",
                 operation_model="private", region_code="411002001001", county_code="411002", address="西大街",
                 beds_total=10)
        for n in range(51)
    ])  # fmt: skip
    EscrowAccount.objects.bulk_create([
        EscrowAccount(facility=f, region_code=f.region_code, county_code=f.county_code, bank_name="银行",
                      account_number="62160000111122223333", filing_number="F", net_fixed_assets=10**6,
                      monthly_fee=MONTHLY_FEE)
        for f in facilities
    ])  # fmt: skip
    shown = []
    original = services.overview_rows
    monkeypatch.setattr(services, "overview_rows", lambda user, accounts: shown.append(len(accounts)) or original(
        user, accounts))  # fmt: skip
    client = client_for(county_officer)
    first = client.get("/supervision/escrow/?region=411002000000")
    assert first.status_code == 200 and len(first.context["rows"]) == 50 and shown == [50]
    assert "第 1 / 2 页，共 51 条" in first.content.decode()
    assert len(client.get("/supervision/escrow/?region=411002000000&page=2").context["rows"]) == 1
    body = client.get("/api/v1/supervision/escrow/overview?region=411002000000&page_size=20").json()
    assert body["count"] == 51 and len(body["items"]) == 20 and shown[-1] == 20


def test_the_overview_puts_facilities_with_open_alerts_first(escrow_rows, neighbour_resident, city_officer):
    items = client_for(city_officer).get("/api/v1/supervision/escrow/overview?region=411000000000").json()["items"]
    assert [(r["facility_name"], r["open_alerts"]) for r in items] == [("花园康养中心", 1), ("建安康养院", 0)]


def test_postings_lock_only_the_rows_they_mean_to(escrow_rows, county_officer, facility_manager, locked_queries):
    receive(facility_manager, escrow_rows["resident"], FeeKind.DEPOSIT, 100)
    services.refund(Actor(user=facility_manager), escrow_rows["resident"].pk, FeeKind.DEPOSIT, 100, "lock")
    services.acknowledge_alert(Actor(user=county_officer), escrow_rows["alert"].pk)
    assert_locks_only_own_rows(locked_queries)


def test_the_demo_follows_the_rules_of_the_services(db):
    from django.core.management import call_command

    from yiyang.supervision.models import Complaint, ComplaintStatus, ComplaintStep
    from yiyang.supervision.services import complaints

    call_command("demo", elderly=300, streets=2, communities=2, stdout=open("/dev/null", "w"))
    now = timezone.now()
    by_status = {}
    for complaint in Complaint.objects.all():
        by_status.setdefault(complaint.status, []).append(complaint)
        steps = list(ComplaintStep.objects.filter(complaint=complaint).order_by("at", "id"))
        assert steps[-1].to_status == complaint.status and all(step.at <= now for step in steps)
        if complaint.status == ComplaintStatus.CLOSED:
            assert complaint.closed_at == steps[-1].at
        else:
            assert complaint.closed_at is None
        if complaint.status == ComplaintStatus.REOPENED:
            assert complaint.deadline == complaints.reply_deadline(timezone.localdate(steps[-1].at))
        else:
            assert complaint.deadline == complaints.reply_deadline(complaint.received_on)
        if complaint.status in (ComplaintStatus.REPLIED, ComplaintStatus.CLOSED, ComplaintStatus.REOPENED):
            assert complaint.reply
    assert {ComplaintStatus.CLOSED, ComplaintStatus.REOPENED} <= set(by_status)


# --- The declared workflows: illegal steps refused, buttons from the workflow ----------------------


def test_an_acknowledged_alert_cannot_be_acknowledged_again(escrow_rows, county_officer):
    officer = Actor(user=county_officer)
    alert = services.acknowledge_alert(officer, escrow_rows["alert"].pk, "已约谈")
    with pytest.raises(Conflict) as refused:
        services.acknowledge_alert(officer, alert.pk, "再次知悉")
    assert (refused.value.message, refused.value.code) == ("该预警已处理", "invalid_transition")
    alert.refresh_from_db()
    assert (alert.status, alert.note) == (AlertStatus.ACKNOWLEDGED, "已约谈")


def test_the_overview_offers_acknowledging_only_to_who_may(escrow_rows, county_officer, viewer):
    action = f"/supervision/escrow/alerts/{escrow_rows['alert'].pk}/acknowledge/"
    officer_page = client_for(county_officer).get("/supervision/escrow/?region=411002000000").content.decode()
    assert action in officer_page and ">知悉</button>" in officer_page
    viewer_page = client_for(viewer).get("/supervision/escrow/?region=411002000000").content.decode()
    assert "预收费总额超过固定资产净额" in viewer_page and action not in viewer_page


def test_a_completed_closure_cannot_complete_again(facility, facility_manager, resident, account):
    from yiyang.supervision.workflows import CLOSURE

    actor = Actor(user=facility_manager)
    receive(facility_manager, resident, FeeKind.DEPOSIT, 1000)
    services.announce_closure(actor, facility.pk, timezone.localdate() + timedelta(days=45), "停业整顿")
    services.refund_for_closure(actor, facility.pk)
    closure = FacilityClosure.objects.get(facility=facility)
    completed_at = closure.completed_at
    assert closure.status == ClosureStatus.COMPLETED and completed_at is not None
    with transaction.atomic(), pytest.raises(Conflict) as refused:
        CLOSURE.move(actor, closure, "complete", authorised=True)
    assert (refused.value.message, refused.value.code) == ("停业退费已完成", "invalid_transition")
    services.refund_for_closure(actor, facility.pk)
    closure.refresh_from_db()
    assert (closure.status, closure.completed_at) == (ClosureStatus.COMPLETED, completed_at)
