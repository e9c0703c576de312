"""Fixtures of the supervision tests: a checklist, an inspection and its hazard; staff of the 魏都区
facility and of the neighbour's; a facility old enough to be rated; an escrow account with a resident."""

import json
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.sql.compiler import SQLCompiler
from django.test import Client
from django.utils import timezone

from yiyang.core.audit import Actor
from yiyang.core.roles import Role
from yiyang.supervision.services import inspections

MONTHLY_FEE = 300_000  # 3,000.00 yuan

# The smallest valid PNG: a 1×1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4c80000000049454e44ae426082"
)


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def checklist(county_officer):
    items = [("fire", "疏散通道畅通"), ("food", "食品留样48小时"), ("video", "监控全覆盖")]
    return inspections.save_checklist(Actor(user=county_officer), "411002000000", "安全检查表", items)


@pytest.fixture
def inspection(county_officer, facility, checklist):
    return inspections.plan_inspection(
        Actor(user=county_officer), facility.pk, checklist.pk, "unannounced", date.today(), "王科长、李干事"
    )


@pytest.fixture
def hazard(county_officer, inspection):
    """The fire item failed: one open hazard on the ledger."""
    results = {"fire-01": "fail", "food-02": "pass", "video-03": "na"}
    findings = {"fire-01": inspections.Finding("二楼疏散通道堆放杂物", "major", "张院长")}
    inspections.record_results(Actor(user=county_officer), inspection.pk, results, findings)
    return inspection.hazards.get()


@pytest.fixture
def officer_actor(county_officer):
    return Actor(user=county_officer)


@pytest.fixture
def carer(county_officer, facility):
    from yiyang.supervision.services import workforce

    return workforce.add_staff(
        Actor(user=county_officer),
        {"facility_id": facility.pk, "name": "刘桂兰", "role": "carer", "phone": "13912345678",
         "hired_on": date(2022, 3, 1)},
    )  # fmt: skip


@pytest.fixture
def neighbour_carer(neighbour_officer, neighbour_facility):
    from yiyang.supervision.services import workforce

    return workforce.add_staff(
        Actor(user=neighbour_officer),
        {"facility_id": neighbour_facility.pk, "name": "霍秀英", "role": "carer", "hired_on": date(2021, 5, 1)},
    )


@pytest.fixture
def rateable(facility):
    """The 魏都区 facility, operating for three years."""
    facility.established_on = timezone.localdate() - timedelta(days=3 * 366)
    facility.save(update_fields=["established_on"])
    return facility


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


@pytest.fixture
def locked_queries(monkeypatch):
    """Every SELECT ... FOR UPDATE compiled during the test, as (model, `of`, whether it joins other
    tables). The SQL is compiled whatever the database, so the lock's reach is checked on SQLite too."""
    seen = []
    original = SQLCompiler.as_sql

    def as_sql(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if self.query.select_for_update:
            seen.append((self.query.model, tuple(self.query.select_for_update_of), " JOIN " in result[0]))
        return result

    monkeypatch.setattr(SQLCompiler, "as_sql", as_sql)
    return seen


def assert_locks_only_own_rows(locked_queries):
    """A locked query that joins other tables names `of=("self",)`: on PostgreSQL a plain FOR UPDATE
    also locks every joined row."""
    assert locked_queries, "no row was locked"
    for model, of, joins in locked_queries:
        assert not joins or of == ("self",), (model, of)
