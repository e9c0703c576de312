"""Registering, changing, searching and masking elders through the services."""

from datetime import date

import pytest

from conftest import make_id_number
from yiyang.core import masking
from yiyang.core.audit import Actor
from yiyang.core.errors import Conflict, FieldErrors, OutOfScope
from yiyang.core.models import AuditEntry
from yiyang.elders import services
from yiyang.elders.models import Elder, ElderIdentity


def data(**overrides):
    return {"name": "王秀英", "id_number": make_id_number(), "region_code": "411002001001", **overrides}


def test_officer_registers_elder_with_birth_date_and_sex_from_id_number(county_officer):
    number = make_id_number(sex="M")
    elder = services.register_elder(Actor(user=county_officer), data(id_number=number, categories=["dibao", "高龄"]))
    assert elder.birth_date.year == 1945 and elder.sex == "M"
    assert elder.county_code == "411002" and elder.name_initials == "wxy"
    assert services.categories.to_codes(elder.categories) == ["dibao", "advanced_age"]
    assert ElderIdentity.objects.get(id_number=number).elder == elder
    assert AuditEntry.objects.filter(action="create", object_id=str(elder.pk)).exists()


@pytest.mark.parametrize(
    "field, value, reason",
    [
        ("id_number", "41100219450308001", "18 位"),
        ("id_number", "411002194502300011", "不存在"),
        ("id_number", "000000194503080013", "行政区划代码"),
        ("region_code", "411002009999", "不存在"),
        ("region_code", "411002001000", "社区（村）级"),
        ("phone", "12345", "电话号码格式"),
        ("sex", "男", "不符"),
        ("birth_date", "1950-01-01", "不符"),
        ("lat", 51.5, "纬度和经度"),
        ("status", "deceased", None),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(county_officer, field, value, reason):
    with pytest.raises(FieldErrors) as caught:
        services.register_elder(Actor(user=county_officer), data(**{field: value, "sex": "", **({field: value})}))
    key = "status_date" if field == "status" else field
    assert key in caught.value.fields
    if reason:
        assert reason in caught.value.fields[key]
    assert not Elder.objects.exists()


def test_coordinates_outside_china_are_refused(county_officer):
    with pytest.raises(FieldErrors) as caught:
        services.register_elder(Actor(user=county_officer), data(lat=51.5, lng=-0.12))
    assert "不在中国境内" in caught.value.fields["lat"]


def test_gcj02_coordinates_are_stored_as_wgs84(county_officer):
    elder = services.register_elder(Actor(user=county_officer), data(lat=34.03, lng=113.85, coord_system="gcj02"))
    assert elder.lat != 34.03 and abs(elder.lat - 34.03) < 0.01


def test_same_id_number_cannot_be_registered_twice_even_in_another_county(county_officer, neighbour_officer):
    number = make_id_number()
    services.register_elder(Actor(user=county_officer), data(id_number=number))
    with pytest.raises(Conflict) as caught:
        services.register_elder(Actor(user=neighbour_officer), data(id_number=number, region_code="411003100201"))
    assert Elder.objects.count() == 1
    # The answer says that the number is registered and how to transfer, never where.
    assert (
        "迁移" in caught.value.message and "魏都" not in caught.value.message and "411002" not in caught.value.message
    )
    attempt = AuditEntry.objects.get(action="create_refused")
    assert attempt.user == neighbour_officer and attempt.region_code == "411003100201"
    assert number not in attempt.object_repr


def test_officer_cannot_register_elder_in_neighbour_county(county_officer):
    with pytest.raises(OutOfScope):
        services.register_elder(Actor(user=county_officer), data(region_code="411003100201"))
    assert not Elder.objects.exists() and not ElderIdentity.objects.exists()


def test_officer_cannot_move_elder_into_neighbour_county(county_officer, elder):
    with pytest.raises(OutOfScope):
        services.update_elder(Actor(user=county_officer), elder.pk, {"region_code": "411003100201"})
    elder.refresh_from_db()
    assert elder.region_code == "411002001001"


def test_death_needs_a_date_and_is_audited_with_old_and_new_values(county_officer, elder):
    with pytest.raises(FieldErrors) as caught:
        services.update_elder(Actor(user=county_officer), elder.pk, {"status": "deceased"})
    assert "status_date" in caught.value.fields
    services.update_elder(Actor(user=county_officer), elder.pk, {"status": "死亡", "status_date": "2026-01-02"})
    entry = AuditEntry.objects.filter(action="update", object_id=str(elder.pk)).get()
    assert entry.changes["status"] == ["active", "deceased"]


@pytest.mark.parametrize("query", ["张华山", "zhs", "zhanghua", "13800001111", "1380000"])
def test_search_finds_elder_by_name_initials_pinyin_and_phone(elder, query):
    assert list(Elder.objects.filter(services.search_q(query))) == [elder]


def test_search_by_full_id_number(elder):
    assert list(Elder.objects.filter(services.search_q(elder.id_number))) == [elder]
    assert not Elder.objects.filter(services.search_q("lsy")).exists()


def test_filters_by_age_band_category_and_region(make_elder):
    old = make_elder(id_number=make_id_number(birth=date(1935, 1, 1)), categories=["tekun"])
    young = make_elder(id_number=make_id_number(birth=date(1960, 6, 1)))
    qs = Elder.objects.all()
    assert list(services.filter_elders(qs, services.ElderFilter(age_min=80))) == [old]
    assert list(services.filter_elders(qs, services.ElderFilter(age_max=70))) == [young]
    assert list(services.filter_elders(qs, services.ElderFilter(category="tekun"))) == [old]
    assert set(services.filter_elders(qs, services.ElderFilter(region="411002001000"))) == {old, young}
    assert not services.filter_elders(qs, services.ElderFilter(region="411003")).exists()


def test_sensitive_fields_are_masked_and_unmasking_is_audited(county_officer, elder):
    actor = Actor(user=county_officer, ip="10.1.2.3")
    masked = masking.shown(actor, elder, reveal=False)
    assert masked["id_number"] == elder.id_number[:4] + "*************" + elder.id_number[-1:]
    assert masked["phone"] == "138****1111"
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()
    full = masking.shown(actor, elder, reveal=True)
    assert full["id_number"] == elder.id_number
    entry = AuditEntry.objects.get(action="view_sensitive")
    assert entry.ip == "10.1.2.3" and entry.object_id == str(elder.pk)


def test_viewer_role_cannot_unmask(regions, make_user, elder):
    viewer = make_user("viewer", region_code="411002000000")
    assert masking.shown(Actor(user=viewer), elder, reveal=True)["phone"] == "138****1111"


def test_record_page_names_the_community_street_and_county(county_officer, elder):
    from django.test import Client

    client = Client()
    client.force_login(county_officer)
    page = client.get(f"/elders/{elder.pk}/").content.decode()
    assert "花园社区 · 西大街道 · 魏都区" in page


def test_the_edit_page_changes_the_first_contact_and_keeps_the_others(county_officer, make_elder):
    from django.test import Client

    elder = make_elder(phone="13839601234")
    Elder.objects.filter(pk=elder.pk).update(phone_alt="13839605678")
    elder.contacts.create(county_code=elder.county_code, name="张小明", relation="child", phone="13700002222",
                          phone_alt="13700003333", is_guardian=True)  # fmt: skip
    elder.contacts.create(county_code=elder.county_code, name="张小华", relation="child", phone="13700004444")
    client = Client()
    client.force_login(county_officer)
    page = client.get(f"/elders/{elder.pk}/edit/")
    form = {k: v for k, v in page.context["form"].initial.items() if v is not None and k != "categories"}
    assert form["phone_alt"] == "13839605678" and form["contact_phone_alt"] == "13700003333"
    form.update(contact_phone="13700005555", status="active")
    response = client.post(f"/elders/{elder.pk}/edit/", form)
    assert response.status_code == 302, response.content.decode()[-2000:]
    contacts = list(elder.contacts.order_by("pk").values_list("name", "phone", "phone_alt", "is_guardian"))
    assert contacts == [("张小明", "13700005555", "13700003333", True), ("张小华", "13700004444", "", False)]
    elder.refresh_from_db()
    assert elder.phone_alt == "13839605678"
