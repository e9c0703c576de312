import pytest
from django.contrib.auth.models import AnonymousUser

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.models import AuditEntry
from yiyang.core.roles import Role
from yiyang.regions.models import Region


def test_county_officer_sees_own_county_subtree_only(county_officer):
    codes = set(Region.objects.visible_to(county_officer, "view").values_list("code", flat=True))
    assert "411002001001" in codes
    assert "411003000000" not in codes
    assert "411000000000" not in codes


def test_city_officer_sees_both_counties(city_officer):
    visible = Region.objects.visible_to(city_officer, "view")
    assert visible.filter(code="411003100201").exists()
    assert not visible.filter(code="410105000000").exists()


def test_role_without_the_permission_sees_nothing(regions, make_user):
    cadre = make_user(Role.CADRE, region_code="411002000000")
    assert Region.objects.visible_to(cadre, "view").exists()
    assert not Region.objects.visible_to(cadre, "change").exists()


def test_anonymous_and_inactive_users_see_nothing(county_officer):
    assert not Region.objects.visible_to(AnonymousUser(), "view").exists()
    county_officer.is_active = False
    assert not Region.objects.visible_to(county_officer, "view").exists()


def test_audit_entries_cannot_be_changed_or_deleted(county_officer):
    entry = audit.record(Actor(user=county_officer, ip="10.0.0.1"), AuditAction.EXPORT, object_type="elders.elder")
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(username="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).username == "weidu-officer"
