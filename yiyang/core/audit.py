"""Writing the audit log. Services call `record`; nothing in the application edits or deletes entries."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .models import AuditAction, AuditEntry, Interface


@dataclass(frozen=True)
class Actor:
    """Who acts, from which address and through which interface: passed to every service function."""

    user: object
    ip: str | None = None
    interface: str = Interface.WEB
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_request(cls, request, interface: str = Interface.WEB) -> "Actor":
        return cls(user=request.user, ip=client_ip(request), interface=interface)

    @classmethod
    def system(cls, user=None, interface: str = Interface.TASK) -> "Actor":
        return cls(user=user, ip=None, interface=interface)

    @property
    def db_user(self):
        """The acting user as a row to point a foreign key at; None for scheduled work and anonymous calls."""
        return self.user if getattr(self.user, "is_authenticated", False) and getattr(self.user, "pk", None) else None

    @property
    def name(self) -> str:
        """Who acted, as the history shows it."""
        return getattr(self.db_user, "username", "") or "系统"


def client_ip(request) -> str | None:
    """The peer address; a deployment behind a proxy sets REMOTE_ADDR through its server config."""
    return request.META.get("REMOTE_ADDR") or None


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for every field whose value changed."""
    return {
        name: [_plain(before.get(name)), _plain(after.get(name))]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def record(
    actor: Actor,
    action: str,
    obj=None,
    *,
    changes: dict | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    region_code: str = "",
) -> AuditEntry:
    user = actor.db_user
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        region_code = region_code or getattr(obj, "region_code", "") or ""
    return AuditEntry.objects.create(
        user=user,
        username=getattr(user, "username", "") if user else actor.extra.get("username", ""),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        region_code=region_code,
        changes=changes or {},
        ip=actor.ip,
        interface=actor.interface,
    )


__all__ = ["Actor", "AuditAction", "Interface", "diff", "record"]
