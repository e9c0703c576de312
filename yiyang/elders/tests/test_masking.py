"""An elder's sensitive fields through core masking: reveal is checked and audited once, and what a page,
the API or an export shows beside a masked ID number never rebuilds the full number."""

import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from conftest import make_id_number
from yiyang.core import masking
from yiyang.core.audit import Actor
from yiyang.core.idnumber import check_character
from yiyang.core.models import AuditEntry
from yiyang.core.roles import Role


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def candidates(masked_id: str, county: str, birth: str | None, sex: str) -> list[str]:
    """Every valid ID number that agrees with the masked one and with the county, birth date (YYYY-MM-DD)
    or birth year (YYYY) and sex shown beside it: what someone reading the page could narrow it down to."""
    year = int(str(birth)[:4])
    if birth and len(str(birth)) > 4:
        days = [date.fromisoformat(str(birth))]
    else:
        days = [
            date(year, 1, 1) + timedelta(days=n)
            for n in range(366)
            if (date(year, 1, 1) + timedelta(days=n)).year == year
        ]
    found = []
    for day in days:
        for sequence in range(1 if sex == "M" else 0, 1000, 2):
            first17 = f"{county}{day:%Y%m%d}{sequence:03d}"
            full = first17 + check_character(first17)
            if all(m in ("*", c) for m, c in zip(masked_id, full, strict=True)):
                found.append(full)
    return found


def assert_not_rebuilt(elder, masked_id: str, region_code: str, birth, sex: str):
    possible = candidates(masked_id, region_code[:6], birth, sex)
    assert elder.id_number in possible  # the reasoning above matches how the number is built
    assert len(possible) > 10, possible


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
    assert (masked["lat"], masked["lng"], masked["revealed"]) == (None, None, False)  # the community only
    full = client.get(f"/api/v1/elders/{elder.pk}?reveal=true").json()
    assert full["revealed"] and full["id_number"] == elder.id_number and full["contacts"][0]["phone"] == "13700002222"
    assert (full["lat"], full["lng"]) == (34.03671, 113.82611)
    assert AuditEntry.objects.filter(action="view_sensitive").count() == 1


def test_masked_id_and_the_fields_beside_it_do_not_rebuild_the_number(county_officer, make_elder):
    elder = make_elder(address="河南省许昌市魏都区西大街道花园社区3号楼201")
    client = client_for(county_officer)

    detail = client.get(f"/api/v1/elders/{elder.pk}").json()
    assert detail["birth_date"] is None  # the year only, beside a masked ID number
    assert_not_rebuilt(elder, detail["id_number"], detail["region_code"], detail["birth_year"], detail["sex"])
    assert elder.id_number[6:14] not in detail["id_number"] + detail["phone"] + detail["address"]

    listed = client.get("/api/v1/elders/").json()["items"][0]
    assert_not_rebuilt(elder, listed["id_number"], listed["region_code"], listed["birth_year"], listed["sex"])

    page = client.get(f"/elders/{elder.pk}/").content.decode()
    assert elder.id_number not in page and masking.mask_id_number(elder.id_number) in page

    export = client.get("/api/v1/elders/export.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.values)
    row = dict(zip(rows[0], rows[1], strict=True))
    sex = "M" if row["性别"] == "男" else "F"
    assert_not_rebuilt(elder, row["公民身份号码"], row["所属社区代码"], row["出生日期（屏蔽时为出生年份）"], sex)


def _paired_cadre(facility):
    from yiyang.accounts.services import create_user
    from yiyang.supervision.services import pairing

    root = create_user(f"pairing-root-{facility.pk}", "Pass-word-123", is_superuser=True)
    cadre = pairing.register_cadre(Actor(user=root), {"name": "王建国", "post": "区民政局副局长",
                                                      "phone": "13900001234", "region_code": "411002000000"})  # fmt: skip
    pairing.pair(Actor(user=root), cadre.pk, facility.pk, date(2025, 1, 1))
    return cadre


def _cadre_bodies(client, cadre, facility) -> list[str]:
    """Where a cadre's phone is shown: the cadre list and page, the board, and their API answers."""
    urls = ["/supervision/pairing/", f"/supervision/pairing/cadres/{cadre.pk}/", f"/supervision/pairing/board/{facility.pk}/",
            "/api/v1/supervision/pairing/cadres", f"/api/v1/supervision/pairing/cadres/{cadre.pk}",
            f"/api/v1/supervision/pairing/facilities/{facility.pk}/board"]  # fmt: skip
    return [client.get(url).content.decode() for url in urls]


def _bodies(client, elder) -> list[str]:
    """Everything a user can read about the elder: API list, detail and export, the pages, and searches."""
    export = client.get("/api/v1/elders/export.xlsx")
    bodies = [
        client.get("/api/v1/elders/").content.decode(),
        client.get(f"/api/v1/elders/{elder.pk}").content.decode(),
        client.get(f"/api/v1/elders/{elder.pk}?reveal=true").content.decode(),
        client.get("/elders/").content.decode(),
        client.get(f"/elders/{elder.pk}/").content.decode(),
        client.get(f"/elders/{elder.pk}/?reveal=1").content.decode(),
    ]
    if export.status_code == 200:
        rows = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.values
        bodies.append("\n".join(" ".join(str(cell) for cell in row) for row in rows))
    return bodies


@pytest.mark.parametrize("role", [Role.VIEWER, Role.COMMUNITY_WORKER, Role.OFFICER])
def test_no_masked_page_export_or_api_answer_rebuilds_the_id_number_or_the_home(role, make_user, make_elder, facility):
    elder = make_elder(address="河南省许昌市魏都区西大街道花园社区3号楼201", lat=34.036712, lng=113.826114,
                       phone="13912345678", facility_id=facility.pk)  # fmt: skip
    elder.contacts.create(county_code=elder.county_code, name="张小明", relation="child", phone="13700002222")
    cadre = _paired_cadre(facility)
    scope = {Role.FACILITY_MANAGER: {"scope_id": facility.pk, "region_code": facility.region_code}}.get(
        role, {"region_code": "411002000000"}
    )
    user = make_user(role, **scope)
    client = client_for(user)
    reveal_right = masking.may_reveal(user, elder)
    bodies = [b for b in _bodies(client, elder)]
    text = "\n".join(bodies)
    if reveal_right:  # an officer: the masked answers only, the audited reveal is the officer's right
        text = "\n".join(b for b in bodies if elder.id_number not in b)
    text += "\n" + "\n".join(_cadre_bodies(client, cadre, facility))
    assert elder.name in text, role  # the user does read the elder
    # The home's point is not shown at all, not even rounded: the community is.
    for secret in (elder.id_number, elder.id_number[6:14], elder.birth_date.isoformat(), "13912345678",
                   "13700002222", "3号楼", "34.0367", "113.8261", "34.04", "113.83", "13900001234"):  # fmt: skip
        assert secret not in text, (role, secret)
    # What is shown: first 4 + check character, the community, the sex and the birth year at most.
    shown = masking.mask_id_number(elder.id_number)
    assert shown in text
    assert_not_rebuilt(elder, shown, elder.region_code, str(elder.birth_date.year), elder.sex)
    # The search box is no oracle for the hidden digits: a number (or its tail) finds nothing masked.
    tail = [elder.id_number[-4:]] if elder.id_number[-4:].isdigit() else []  # the search takes digits only
    for probe in (elder.id_number, *tail, "1391234"):
        found = client.get(f"/api/v1/elders/?q={probe}").json()["count"]
        assert found == (1 if reveal_right else 0), (role, probe)


def test_a_family_member_reads_nothing_of_another_elder(make_user, make_elder, elder):
    # The other elder's masked number must differ from the family's own elder's (first 4 and the check
    # character), or the family's own page would seem to show it: which numbers the shared counter hands
    # out depends on which tests ran before in the same worker.
    own_mask = masking.mask_id_number(elder.id_number)
    other_number = next(n for n in iter(make_id_number, None) if masking.mask_id_number(n) != own_mask)
    other = make_elder(name="赵桂兰", id_number=other_number, address="河南省许昌市魏都区西大街道花园社区5号楼")
    family = make_user(Role.FAMILY, region_code=elder.region_code, scope_id=elder.pk)
    text = "\n".join(_bodies(client_for(family), other))
    assert other.id_number not in text and masking.mask_id_number(other.id_number) not in text


def test_home_coordinates_appear_nowhere_masked_and_in_full_after_one_audited_reveal(county_officer, make_elder):
    elder = make_elder(lat=34.036712, lng=113.826114)
    client = client_for(county_officer)
    masked_text = "\n".join(
        client.get(url).content.decode()
        for url in (
            "/api/v1/elders/",
            f"/api/v1/elders/{elder.pk}",
            "/elders/",
            f"/elders/{elder.pk}/",
            "/api/v1/elders/?q=张华山",
        )  # fmt: skip
    )
    for value in ("34.036712", "113.826114", "34.04", "113.83", "34.037", "113.826"):
        assert value not in masked_text, value
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()
    full = client.get(f"/api/v1/elders/{elder.pk}?reveal=true").json()
    assert (full["lat"], full["lng"]) == (34.036712, 113.826114)
    assert AuditEntry.objects.filter(action="view_sensitive", object_id=str(elder.pk)).count() == 1


def test_contact_phone_appears_nowhere_masked_and_in_full_after_one_audited_reveal(county_officer, make_elder):
    elder = make_elder()
    elder.contacts.create(county_code=elder.county_code, name="张小明", relation="child", phone="13700002222")
    client = client_for(county_officer)
    masked_text = "\n".join(
        client.get(url).content.decode()
        for url in ("/api/v1/elders/", f"/api/v1/elders/{elder.pk}", "/elders/", f"/elders/{elder.pk}/")
    )
    export = client.get("/api/v1/elders/export.xlsx")
    rows = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.values
    masked_text += "\n".join(" ".join(str(cell) for cell in row) for row in rows)
    assert "13700002222" not in masked_text and "137****2222" in masked_text
    page = client.get(f"/elders/{elder.pk}/?reveal=1").content.decode()
    assert "13700002222" in page
    assert AuditEntry.objects.filter(action="view_sensitive", object_id=str(elder.pk)).count() == 1


def test_second_phones_go_in_through_the_api_and_come_out_masked_like_the_first(county_officer, regions):
    body = {"name": "王桂兰", "id_number": make_id_number(birth=date(1944, 3, 1)),
            "region_code": "411002001001", "phone": "13839601234", "phone_alt": "+86 138-3960-5678",
            "contacts": [{"name": "王小红", "relation": "child", "phone": "13700002222",
                          "phone_alt": "0374 1234567"}]}  # fmt: skip
    client = client_for(county_officer)
    created = client.post("/api/v1/elders/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    elder_id = created.json()["id"]
    masked = client.get(f"/api/v1/elders/{elder_id}").json()
    assert masked["phone_alt"] == "138****5678"
    assert masked["contacts"][0]["phone_alt"] == "0374-***4567"
    full = client.get(f"/api/v1/elders/{elder_id}?reveal=true").json()
    assert full["phone_alt"] == "13839605678" and full["contacts"][0]["phone_alt"] == "0374-1234567"

    bad = client.patch(f"/api/v1/elders/{elder_id}", {"phone_alt": "12345"}, content_type="application/json")
    assert bad.status_code == 422 and "phone_alt" in bad.content.decode()
    patched = client.patch(f"/api/v1/elders/{elder_id}", {"phone_alt": ""}, content_type="application/json")
    assert patched.status_code == 200 and client.get(f"/api/v1/elders/{elder_id}").json()["phone_alt"] == ""
