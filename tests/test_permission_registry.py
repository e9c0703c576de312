"""Each app declares the grants on its own permissions; together they are exactly what one central
table granted before the split (tests/fixtures/grants_before_split.json), and a declaration under the
wrong app label or for an unknown role is refused at start."""

import json
from pathlib import Path

import pytest

from yiyang.core.roles import PermissionDeclarationError, Role, granted_to, grants, register_permissions

SNAPSHOT = json.loads((Path(__file__).parent / "fixtures" / "grants_before_split.json").read_text())


def test_every_role_holds_exactly_the_grants_it_held_before_apps_declared_their_own():
    assert set(SNAPSHOT) == set(Role.values)
    for role in Role.values:
        assert sorted(granted_to(role)) == SNAPSHOT[role], role


def test_platform_admin_may_do_anything_and_an_unknown_role_nothing():
    assert grants(Role.PLATFORM_ADMIN, "elders.view_elder")
    assert grants(Role.PLATFORM_ADMIN, "anything.at_all")
    assert not grants("stranger", "elders.view_elder")
    assert not grants(Role.OFFICER, "elders.view_nothing")


def test_an_app_cannot_declare_a_permission_of_another_app():
    with pytest.raises(PermissionDeclarationError, match="elders.view_elder"):
        register_permissions("facilities", {Role.OFFICER: {"elders.view_elder"}})
    assert not grants(Role.FACILITY_MANAGER, "elders.change_elder")


def test_a_misspelt_permission_name_is_refused():
    with pytest.raises(PermissionDeclarationError):
        register_permissions("elders", {Role.OFFICER: {"elders"}})
    with pytest.raises(PermissionDeclarationError):
        register_permissions("elders", {Role.OFFICER: "elders.view_elder"})
    with pytest.raises(PermissionDeclarationError):
        register_permissions("elders", {}, {"eldres.view_elder": "typo"})


def test_grants_to_an_unknown_role_are_refused():
    with pytest.raises(PermissionDeclarationError, match="ofïcer"):
        register_permissions("elders", {"ofïcer": {"elders.view_elder"}})


def test_a_refused_declaration_leaves_the_app_grants_as_they_were():
    with pytest.raises(PermissionDeclarationError):
        register_permissions("elders", {Role.OFFICER: {"elders.view_elder", "facilities.view_facility"}})
    assert grants(Role.OFFICER, "elders.export_elder")
