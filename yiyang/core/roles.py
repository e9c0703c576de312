"""Roles, what kind of scope each is bound to, and the registry of what each may do.

Core holds only the mechanism. Each app declares the grants on its own permissions in its
`permissions.py`, as data read at start (`discover_permissions`, called from core's `AppConfig.ready()`):

    GRANTS = {Role.OFFICER: {"elders.view_elder", ...}, Role.VIEWER: {...}}   # role -> permissions
    PERMISSIONS = {"elders.export_elder": "导出老年人名册"}                     # optional descriptions

Permission names follow Django's "<app_label>.<action>_<model_name>"; an app may only declare
permissions under its own label, and only for known roles, so a typo fails at start instead of
silently granting nothing. Deny by default: a role that is not granted a permission cannot do the
action anywhere, and the scoping mechanism (core.scoping) then limits the granted ones to the rows
inside the membership's scope. The platform administrator holds "*" (everything).
"""

from collections.abc import Iterable, Mapping
from importlib import import_module

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.module_loading import module_has_submodule

ALL_PERMISSIONS = "*"


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", "平台管理员"
    OFFICER = "officer", "民政干部"
    VIEWER = "viewer", "民政查看员"
    FACILITY_MANAGER = "facility_manager", "机构管理员"
    PROVIDER_MANAGER = "provider_manager", "服务商管理员"
    CAREGIVER = "caregiver", "服务人员"
    COMMUNITY_WORKER = "community_worker", "网格员/助老员"
    CADRE = "cadre", "包联干部"
    FAMILY = "family", "老人或家属"
    AUDITOR = "auditor", "审计员"
    OPERATOR = "operator", "应急呼叫坐席"


class ScopeKind(models.TextChoices):
    ALL = "all", "全平台"
    REGION = "region", "行政区划"
    FACILITY = "facility", "养老服务机构"
    PROVIDER = "provider", "服务商"
    CAREGIVER = "caregiver", "服务人员本人"
    ELDER = "elder", "老年人本人"


SCOPE_KIND = {
    Role.PLATFORM_ADMIN: ScopeKind.ALL,
    Role.OFFICER: ScopeKind.REGION,
    Role.VIEWER: ScopeKind.REGION,
    Role.COMMUNITY_WORKER: ScopeKind.REGION,
    Role.CADRE: ScopeKind.REGION,
    Role.AUDITOR: ScopeKind.REGION,
    Role.OPERATOR: ScopeKind.REGION,
    Role.FACILITY_MANAGER: ScopeKind.FACILITY,
    Role.PROVIDER_MANAGER: ScopeKind.PROVIDER,
    Role.CAREGIVER: ScopeKind.CAREGIVER,
    Role.FAMILY: ScopeKind.ELDER,
}


class PermissionDeclarationError(ImproperlyConfigured):
    """An app declared a permission outside its label, for an unknown role, or in the wrong shape."""


# app label -> role -> permissions; kept per app so that registering an app again replaces its grants.
_registry: dict[str, dict[str, frozenset[str]]] = {}
_descriptions: dict[str, str] = {}
# role -> every permission it holds across apps, rebuilt on each registration (reads are hot).
_by_role: dict[str, frozenset[str]] = {Role.PLATFORM_ADMIN: frozenset({ALL_PERMISSIONS})}


def _check_name(app_label: str, permission: str) -> None:
    label, _, codename = permission.partition(".")
    if label != app_label or not codename or codename != codename.lower() or " " in codename:
        raise PermissionDeclarationError(
            f"App '{app_label}' declares permission '{permission}': it must be named '{app_label}.<action>_<model>'"
        )


def register_permissions(
    app_label: str,
    grants: Mapping[str, Iterable[str]],
    descriptions: Mapping[str, str] | None = None,
) -> None:
    """Record what each role may do with the permissions of `app_label` (replacing earlier ones)."""
    declared: dict[str, frozenset[str]] = {}
    for role, permissions in grants.items():
        if role not in Role.values:
            raise PermissionDeclarationError(f"App '{app_label}' grants permissions to unknown role '{role}'")
        if isinstance(permissions, str):
            raise PermissionDeclarationError(f"App '{app_label}' grants a string to '{role}', not a set")
        permissions = frozenset(permissions)
        for permission in permissions:
            _check_name(app_label, permission)
        declared[str(role)] = permissions
    for permission in descriptions or {}:
        _check_name(app_label, permission)
    _registry[app_label] = declared
    _descriptions.update(descriptions or {})
    _rebuild()


def _rebuild() -> None:
    by_role: dict[str, set[str]] = {Role.PLATFORM_ADMIN: {ALL_PERMISSIONS}}
    for declared in _registry.values():
        for role, permissions in declared.items():
            by_role.setdefault(role, set()).update(permissions)
    _by_role.clear()
    _by_role.update({role: frozenset(permissions) for role, permissions in by_role.items()})


def discover_permissions() -> None:
    """Import every installed app's `permissions` module and register its GRANTS (and PERMISSIONS)."""
    project = __name__.partition(".")[0]
    for app_config in apps.get_app_configs():
        # Third-party apps keep their own permission schemes; only the platform's apps declare grants here.
        if not app_config.name.startswith(f"{project}."):
            continue
        if not module_has_submodule(app_config.module, "permissions"):
            continue
        module = import_module(f"{app_config.name}.permissions")
        if not hasattr(module, "GRANTS"):
            raise PermissionDeclarationError(f"{module.__name__} declares no GRANTS")
        register_permissions(app_config.label, module.GRANTS, getattr(module, "PERMISSIONS", None))


def granted_to(role: str) -> frozenset[str]:
    """Every permission `role` holds, across all apps ("*" for the platform administrator)."""
    return _by_role.get(role, frozenset())


def permission_descriptions() -> dict[str, str]:
    """The descriptions apps gave their permissions, for pages and documents that list them."""
    return dict(_descriptions)


def grants(role: str, permission: str) -> bool:
    granted = _by_role.get(role, frozenset())
    return ALL_PERMISSIONS in granted or permission in granted
