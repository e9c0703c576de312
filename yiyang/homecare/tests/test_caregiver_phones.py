"""Caregiver phones are masked like staff phones in supervision, revealed on request (audited)."""

import json

from django.test import Client

from yiyang.core.models import AuditEntry
from yiyang.core.roles import Role


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_caregiver_phones_are_masked_in_the_list_and_on_the_provider_page(provider, caregiver, provider_manager,
                                                                          county_officer):  # fmt: skip
    for user in (provider_manager, county_officer):
        listed = client_for(user).get(f"/api/v1/homecare/providers/{provider.pk}/caregivers").json()
        assert [(c["phone"], c["phone_revealed"]) for c in listed] == [("139****1111", False)]
        page = client_for(user).get(f"/homecare/providers/{provider.pk}/").content.decode()
        assert "13900001111" not in page and "139****1111" in page
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()


def test_provider_manager_reveals_a_caregiver_phone_with_one_audit_entry(caregiver, provider_manager):
    url = f"/api/v1/homecare/caregivers/{caregiver.pk}"
    assert client_for(provider_manager).get(url).json()["phone"] == "139****1111"
    revealed = client_for(provider_manager).get(url + "?reveal=true").json()
    assert (revealed["phone"], revealed["phone_revealed"]) == ("13900001111", True)
    entry = AuditEntry.objects.get(action="view_sensitive")
    assert entry.object_id == str(caregiver.pk) and entry.changes == {"fields": ["phone"]}


def test_caregiver_reveals_their_own_phone_only(caregiver, caregiver_user, provider):
    from yiyang.providers.models import Staff

    colleague = Staff.objects.create(provider=provider, region_code=provider.region_code, county_code="411002",
                                     role="carer", name="孙护理", phone="13900003333")  # fmt: skip
    client = client_for(caregiver_user)
    assert client.get(f"/api/v1/homecare/caregivers/{caregiver.pk}?reveal=true").json()["phone"] == "13900001111"
    assert client.get(f"/api/v1/homecare/caregivers/{colleague.pk}?reveal=true").status_code == 404


def test_outsiders_get_404_and_nothing_is_audited(caregiver, neighbour_officer, other_provider, make_user):
    other_manager = make_user(Role.PROVIDER_MANAGER, region_code=other_provider.region_code, scope_id=other_provider.pk)
    for user in (neighbour_officer, other_manager):
        assert client_for(user).get(f"/api/v1/homecare/caregivers/{caregiver.pk}?reveal=true").status_code == 404
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()


def test_sending_back_the_masked_phone_keeps_the_stored_number(caregiver, provider_manager):
    body = json.dumps({"name": "刘护理", "phone": "139****1111", "skill_level": 4})
    response = client_for(provider_manager).put(f"/api/v1/homecare/caregivers/{caregiver.pk}", body,
                                                content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and response.json()["phone"] == "139****1111"
    caregiver.refresh_from_db()
    assert (caregiver.phone, caregiver.skill_level) == ("13900001111", 4)
