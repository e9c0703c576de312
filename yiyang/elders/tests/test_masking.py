"""An elder's sensitive fields through core masking: reveal is checked and audited once, and what a page,
the API or an export shows beside a masked ID number never rebuilds the full number."""

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from yiyang.core import masking
from yiyang.core.audit import Actor
from yiyang.core.idnumber import check_character
from yiyang.core.models import AuditEntry
from yiyang.core.roles import Role


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def candidates(masked_id: str, county: str, birth: str, sex: str) -> list[str]:
    """Every valid ID number that agrees with the masked one and with the county, birth date (YYYYMMDD)
    and sex shown beside it: what someone reading the page could narrow the number down to."""
    found = []
    for sequence in range(1000):
        if (sequence % 2 == 1) != (sex == "M"):
            continue
        first17 = f"{county}{birth}{sequence:03d}"
        full = first17 + check_character(first17)
        if len(full) == len(masked_id) and all(m in ("*", c) for m, c in zip(masked_id, full, strict=True)):
            found.append(full)
    return found


def assert_not_rebuilt(elder, masked_id: str, region_code: str, birth: str, sex: str):
    possible = candidates(masked_id, region_code[:6], birth.replace("-", ""), sex)
    assert elder.id_number in possible  # the reasoning above matches how the number is built
    assert len(possible) >= 10, possible


def test_reveal_returns_the_full_value_and_writes_exactly_one_audit_entry(county_officer, elder):
    actor = Actor(user=county_officer, ip="10.1.2.3")
    assert masking.reveal(actor, elder, "id_number") == elder.id_number
    entry = AuditEntry.objects.get(action="view_sensitive")
    assert (entry.action, entry.object_id, entry.changes) == (
        "view_sensitive",
        str(elder.pk),
        {"fields": ["id_number"]},
    )
    assert entry.ip == "10.1.2.3" and entry.user == county_officer


def test_reveal_is_refused_with_404_outside_the_scope_and_403_without_the_right(regions, make_user, elder,
                                                                                neighbour_officer):  # fmt: skip
    with pytest.raises(Http404):
        masking.reveal(Actor(user=neighbour_officer), elder, "phone")
    viewer = make_user(Role.VIEWER, region_code="411002000000")
    with pytest.raises(PermissionDenied):
        masking.reveal(Actor(user=viewer), elder, "phone")
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()


def test_neighbour_county_officer_gets_404_when_asking_for_the_full_record(neighbour_officer, elder):
    assert client_for(neighbour_officer).get(f"/api/v1/elders/{elder.pk}?reveal=true").status_code == 404
    assert client_for(neighbour_officer).get(f"/elders/{elder.pk}/?reveal=1").status_code == 404
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()


def test_revealed_record_in_the_api_is_one_audit_entry_and_includes_the_contacts(county_officer, make_elder):
    elder = make_elder(health_notes="高血压", lat=34.03671, lng=113.82611)
    elder.contacts.create(county_code=elder.county_code, name="张小明", relation="child", phone="13700002222")
    client = client_for(county_officer)
    masked = client.get(f"/api/v1/elders/{elder.pk}").json()
    assert masked["contacts"][0]["phone"] == "137****2222" and masked["health_notes"] == "****"
    assert (masked["lat"], masked["lng"], masked["revealed"]) == (34.04, 113.83, False)
    full = client.get(f"/api/v1/elders/{elder.pk}?reveal=true").json()
    assert full["revealed"] and full["id_number"] == elder.id_number and full["contacts"][0]["phone"] == "13700002222"
    assert AuditEntry.objects.filter(action="view_sensitive").count() == 1


def test_masked_id_and_the_fields_beside_it_do_not_rebuild_the_number(county_officer, make_elder):
    elder = make_elder(address="河南省许昌市魏都区西大街道花园社区3号楼201")
    client = client_for(county_officer)

    detail = client.get(f"/api/v1/elders/{elder.pk}").json()
    assert_not_rebuilt(elder, detail["id_number"], detail["region_code"], detail["birth_date"], detail["sex"])
    assert elder.id_number[6:14] not in detail["id_number"] + detail["phone"] + detail["address"]

    listed = client.get("/api/v1/elders/").json()["items"][0]
    assert_not_rebuilt(elder, listed["id_number"], listed["region_code"], listed["birth_date"], listed["sex"])

    page = client.get(f"/elders/{elder.pk}/").content.decode()
    assert elder.id_number not in page and masking.mask_id_number(elder.id_number) in page

    export = client.get("/api/v1/elders/export.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.values)
    row = dict(zip(rows[0], rows[1], strict=True))
    sex = "M" if row["性别"] == "男" else "F"
    assert_not_rebuilt(elder, row["公民身份号码"], row["所属社区代码"], row["出生日期"], sex)
