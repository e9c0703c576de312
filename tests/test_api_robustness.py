"""Inputs an API fuzzer (schemathesis) found to crash the server; each now gets a clear 4xx or an empty page."""

import json

import pytest
from django.test import Client

from yiyang.facilities.models import Facility


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_far_out_page_numbers_return_an_empty_page(county_officer, elder):
    client = client_for(county_officer)
    for url in ("/api/v1/elders/", "/api/v1/facilities/", "/api/v1/homecare/orders"):
        response = client.get(f"{url}?page=12568310279673202935970398208&page_size=-35")
        assert response.status_code in (200, 422), url
        if response.status_code == 200:
            assert response.json()["items"] == []


def test_blank_category_in_a_patch_is_refused_naming_the_field(county_officer, elder):
    response = client_for(county_officer).patch(
        f"/api/v1/elders/{elder.pk}", json.dumps({"categories": [""]}), content_type="application/json"
    )
    assert response.status_code == 422 and "categories" in response.json()["fields"]


def test_admission_to_a_facility_without_beds_is_refused(county_officer, facility, elder):
    Facility.objects.filter(pk=facility.pk).update(beds_total=0, beds_nursing=0, beds_occupied=0)
    response = client_for(county_officer).post(
        f"/api/v1/facilities/{facility.pk}/residents",
        json.dumps({"elder_id": elder.pk, "admitted_on": "2026-01-01"}),
        content_type="application/json",
    )
    assert response.status_code == 409 and "没有登记床位" in response.json()["message"]


def test_nul_characters_are_refused_naming_the_field(county_officer):
    """PostgreSQL can neither store nor compare NUL: such input gets a 422 (a 400 on pages), never a 500."""
    from django.test import Client

    client = Client()
    client.force_login(county_officer)
    response = client.get("/api/v1/supervision/inspections?status=%00x")
    assert response.status_code == 422 and response.json()["fields"] == {"status": "不能包含空字符"}
    response = client.post("/api/v1/supervision/checklists", '{"region_code": "411002", "name": "a\\u0000", "items": []}',
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 422 and response.json()["fields"] == {"name": "不能包含空字符"}
    assert client.get("/elders/?q=%00").status_code == 400
    assert client.get("/api/v1/supervision/inspections?status=planned").status_code == 200


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ('{"name": "\\ud800", "items": []}', "name", "含有无效的字符编码（孤立的代理字符）"),
        ('{"items": [{"text": "ok"}, {"text": "x\\udfff"}]}', "items.1.text", "含有无效的字符编码（孤立的代理字符）"),
        ('{"hours": NaN}', "hours", "数值不能为 NaN 或 Infinity"),
        ('{"amount": {"value": -Infinity}}', "amount.value", "数值不能为 NaN 或 Infinity"),
    ],
)
def test_json_that_is_not_text_or_not_a_number_is_refused_naming_the_field(county_officer, body, field, reason):
    """Lone surrogates cannot be stored and NaN slips past every range check: one check for every JSON
    body answers 422 with the field, before any endpoint sees it."""
    from django.test import Client

    client = Client()
    client.force_login(county_officer)
    for path in (
        "/api/v1/supervision/complaints",
        "/api/v1/homecare/volunteers/1/transfer",
        "/api/v1/supervision/ratings",
    ):
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 422, path
        assert response.json()["fields"] == {field: reason}, path
