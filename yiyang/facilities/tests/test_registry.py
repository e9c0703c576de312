"""Registering facilities, their beds and residents."""

import json
from datetime import date

import pytest
from django.test import Client

from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors, OutOfScope
from yiyang.facilities import services
from yiyang.facilities.importers import import_facilities
from yiyang.facilities.models import Facility, FacilityCode


def data(**overrides):
    return {
        "code": "411002-0100", "name": "南关日间照料中心", "facility_type": "day_care", "operation_model": "公建民营",
        "region_code": "411002002001", "address": "南关街道金桥社区", "beds_total": 20, "beds_nursing": 5,
        "services": ["日间照料", "meals"], **overrides,
    }  # fmt: skip


def test_officer_registers_facility_with_labels_or_codes(county_officer):
    facility = services.register_facility(Actor(user=county_officer), data(monthly_fee_min_yuan="1500.50"))
    assert facility.operation_model == "public_private" and facility.services == ["day_care", "meals"]
    assert facility.county_code == "411002" and facility.monthly_fee_min == 150050


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"beds_total": -1}, "beds_total"),
        ({"beds_total": 10, "beds_nursing": 11}, "beds_nursing"),
        ({"beds_total": 10, "beds_occupied": 11}, "beds_occupied"),
        ({"beds_total": 200000}, "beds_total"),
        ({"star_rating": 6}, "star_rating"),
        ({"facility_type": "hotel"}, "facility_type"),
        ({"region_code": "411002"}, "region_code"),
        ({"lat": 10.0, "lng": 10.0}, "lat"),
        ({"services": ["按摩"]}, "services"),
        ({"established_on": "2099-01-01"}, "established_on"),
        ({"monthly_fee_min_yuan": "abc"}, "monthly_fee_min"),
    ],
)
def test_impossible_values_are_refused_naming_the_field(county_officer, overrides, field):
    with pytest.raises(FieldErrors) as caught:
        services.register_facility(Actor(user=county_officer), data(**overrides))
    assert any(key.startswith(field) for key in caught.value.fields), caught.value.fields
    assert not Facility.objects.exists()


def test_duplicate_code_in_the_county_is_refused(county_officer):
    services.register_facility(Actor(user=county_officer), data())
    with pytest.raises(Conflict):
        services.register_facility(Actor(user=county_officer), data(name="另一个"))


def test_officer_cannot_register_or_move_a_facility_into_another_county(county_officer, facility):
    with pytest.raises(OutOfScope):
        services.register_facility(Actor(user=county_officer), data(region_code="411003100201"))
    with pytest.raises(OutOfScope):
        services.update_facility(Actor(user=county_officer), facility.pk, {"region_code": "411003100000"})
    facility.refresh_from_db()
    assert facility.county_code == "411002"


def test_facility_manager_edits_own_facility_but_not_its_region(facility_manager, facility):
    services.update_facility(Actor(user=facility_manager), facility.pk, {"opening_hours": "全天", "beds_total": 120})
    for change in ({"region_code": "411002002001"}, {"star_rating": 5}, {"code": "X-1"}):
        with pytest.raises(FieldErrors) as caught:
            services.update_facility(Actor(user=facility_manager), facility.pk, change)
        assert "民政部门" in next(iter(caught.value.fields.values()))
    facility.refresh_from_db()
    assert (facility.region_code, facility.star_rating, facility.beds_total) == ("411002001001", 0, 120)


def test_admission_and_discharge_keep_bed_counts_and_elder_link(county_officer, facility, elder):
    residence = services.admit(Actor(user=county_officer), facility.pk, elder.pk, date(2026, 1, 2), "A-101")
    facility.refresh_from_db()
    elder.refresh_from_db()
    assert facility.beds_occupied == 11 and elder.facility_id == facility.pk
    with pytest.raises(Conflict):
        services.admit(Actor(user=county_officer), facility.pk, elder.pk, date(2026, 1, 3))
    services.discharge(Actor(user=county_officer), residence.pk, date(2026, 3, 1))
    facility.refresh_from_db()
    elder.refresh_from_db()
    assert facility.beds_occupied == 10 and elder.facility_id is None
    with pytest.raises(Conflict):
        services.discharge(Actor(user=county_officer), residence.pk, date(2026, 3, 2))


def test_full_facility_refuses_admission(county_officer, facility, elder):
    Facility.objects.filter(pk=facility.pk).update(beds_occupied=100)
    with pytest.raises(Conflict, match="床位已满"):
        services.admit(Actor(user=county_officer), facility.pk, elder.pk, date(2026, 1, 2))


def test_api_create_and_filter(county_officer, facility, neighbour_facility):
    client = Client()
    client.force_login(county_officer)
    response = client.post("/api/v1/facilities/", json.dumps(data()), content_type="application/json")
    assert response.status_code == 201, response.content
    listed = client.get("/api/v1/facilities/?facility_type=day_care").json()
    assert [f["name"] for f in listed["items"]] == ["南关日间照料中心"]
    bad = client.post("/api/v1/facilities/", json.dumps(data(code="x", beds_total=-5)), content_type="application/json")
    assert bad.status_code == 422 and "beds_total" in bad.json()["fields"]
    assert client.get("/api/v1/facilities/?facility_type=hotel").status_code == 422


def test_page_form_creates_facility(county_officer):
    client = Client()
    client.force_login(county_officer)
    form = {**data(operation_model="public_private"), "services": ["day_care"], "status": "operating"}
    form.update(beds_occupied=0, star_rating=0)
    response = client.post("/facilities/new/", form)
    assert response.status_code == 302
    assert Facility.objects.get().name == "南关日间照料中心"


def test_officer_admits_and_discharges_through_the_pages(county_officer, facility, elder, neighbour_elder):
    client = Client()
    client.force_login(county_officer)
    response = client.post(
        f"/facilities/{facility.pk}/admit/", {"id_number": neighbour_elder.id_number, "admitted_on": "2026-01-02"}
    )
    assert "没有找到" in response.content.decode()  # an elder of another county stays invisible
    response = client.post(
        f"/facilities/{facility.pk}/admit/", {"id_number": elder.id_number, "admitted_on": "2026-01-02"}
    )
    assert response.status_code == 302
    residence = facility.residences.get()
    assert "张华山" in client.get(f"/facilities/{facility.pk}/").content.decode()
    assert client.post(f"/facilities/residents/{residence.pk}/discharge/").status_code == 302
    residence.refresh_from_db()
    assert residence.left_on is not None


def test_a_facility_manager_admits_a_newcomer_by_the_id_card_through_the_page(facility_manager, facility, elder):
    from conftest import make_id_number
    from yiyang.elders.models import Elder

    client = Client()
    client.force_login(facility_manager)
    page = f"/facilities/{facility.pk}/admit/"
    # The register's elder is not yet the facility's: the name on the card is asked for, then checked.
    asked = client.post(page, {"id_number": elder.id_number, "admitted_on": "2026-01-02"}).content.decode()
    assert "没有找到" in asked and "身份证上的姓名" in asked
    wrong = client.post(page, {"id_number": elder.id_number, "name": "张华", "admitted_on": "2026-01-02"})
    assert "姓名不符" in wrong.content.decode() and not facility.residences.exists()
    done = client.post(page, {"id_number": elder.id_number, "name": "张华山", "admitted_on": "2026-01-02"})
    assert done.status_code == 302 and facility.residences.get().elder_id == elder.pk
    # A person on no register is registered by the same rules and admitted.
    number = make_id_number("411002001001", date(1940, 2, 3), "M")
    done = client.post(page, {"id_number": number, "name": "王德福", "admitted_on": "2026-01-03", "bed_number": "2-01"})
    assert done.status_code == 302
    newcomer = Elder.objects.get(id_number=number)
    assert (
        newcomer.facility_id == facility.pk and facility.residences.filter(elder=newcomer, bed_number="2-01").exists()
    )
    assert "王德福" in client.get(f"/facilities/{facility.pk}/").content.decode()


def test_neighbour_officer_cannot_admit_or_discharge(county_officer, neighbour_officer, facility, elder):
    residence = services.admit(Actor(user=county_officer), facility.pk, elder.pk, date(2026, 1, 2))
    client = Client()
    client.force_login(neighbour_officer)
    assert client.get(f"/facilities/{facility.pk}/admit/").status_code == 404
    assert client.post(f"/facilities/residents/{residence.pk}/discharge/").status_code == 404
    residence.refresh_from_db()
    assert residence.left_on is None


def test_a_facility_code_names_one_facility_across_counties(county_officer, neighbour_officer):
    """A neighbour county may not register, rename to, or import a code that another county's facility
    holds; the refusal does not say where the code is used."""
    mine = services.register_facility(Actor(user=county_officer), data())
    theirs = data(region_code="411003100201", address="灵井镇霍庄村")
    with pytest.raises(Conflict) as caught:
        services.register_facility(Actor(user=neighbour_officer), theirs)
    assert "魏都" not in caught.value.message and "411002" not in caught.value.message
    other = services.register_facility(Actor(user=neighbour_officer), {**theirs, "code": "411003-0001"})
    with pytest.raises(Conflict):
        services.update_facility(Actor(user=neighbour_officer), other.pk, {"code": mine.code})
    result = import_facilities(Actor(user=neighbour_officer), [(2, {**theirs, "code": mine.code, "name": "霍庄"})])
    assert result.created == 0 and result.errors[0].reason == services.CODE_TAKEN
    assert list(Facility.objects.filter(code=mine.code)) == [mine]
    # Changing one's own code frees the old one for others.
    services.update_facility(Actor(user=county_officer), mine.pk, {"code": "411002-0200"})
    assert services.register_facility(Actor(user=neighbour_officer), {**theirs, "code": "411002-0100"}).pk
    assert FacilityCode.objects.get(code="411002-0200").facility_id == mine.pk
