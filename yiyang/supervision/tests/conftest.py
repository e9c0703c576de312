"""Fixtures of the supervision tests: an escrow account with a resident, cadres, complaints."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.core.roles import Role

MONTHLY_FEE = 300_000  # 3,000.00 yuan


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def call(client: Client, method: str, url: str, body=None, files=None):
    """A JSON call for the API, a form post (or a GET) for the pages."""
    if url.startswith("/api/"):
        if files is not None:
            return client.post(url, files)
        if body is None:
            return getattr(client, method)(url)
        return getattr(client, method)(url, json.dumps(body), content_type="application/json")
    return client.post(url, {**(body or {}), **(files or {})}) if method == "post" else client.get(url)


def assert_refused_to(user, response, url):
    if user is None:
        assert response.status_code in (401, 302), (url, response.status_code)
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == 404, (url, response.status_code, response.content[:300])


@pytest.fixture
def viewer(make_user, regions):
    return make_user(Role.VIEWER, region_code="411002000000")


@pytest.fixture
def account(facility, facility_manager):
    from yiyang.supervision.services import escrow

    return escrow.save_account(
        Actor(user=facility_manager),
        facility.pk,
        {"bank_name": "中国银行许昌分行", "account_number": "6216610100012345678", "filing_number": "许民预备2025001",
         "net_fixed_assets": 50_000_000, "risk_reserve": 2_000_000, "monthly_fee": MONTHLY_FEE},
    )  # fmt: skip


@pytest.fixture
def make_resident(facility, county_officer, make_elder):
    from yiyang.facilities import services

    def _make(name="张华山", at=None):
        elder = make_elder(name=name)
        admitted = timezone.localdate() - timedelta(days=90)
        return services.admit(Actor(user=county_officer), (at or facility).pk, elder.pk, admitted, bed_number="101")

    return _make


@pytest.fixture
def resident(make_resident, account):
    return make_resident()
