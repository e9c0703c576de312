"""The one scoping mechanism (DESIGN.md §4): which rows a user may see or change.

Every model that belongs to a region, facility, provider or person declares a `ScopeSpec` naming the
fields that tie a row to each kind of scope, and uses `ScopedQuerySet` as its manager. Reading goes
through `Model.objects.visible_to(user, action)`: the pages, the API, the admin, exports, search and
tasks all call it. A user's memberships (role + scope) grant actions through core.roles; a role that
is not granted the action, or a scope kind the model does not declare, contributes no rows. A model may
also name the account a row belongs to (`ScopeSpec.person`): the memberships of the roles that act on
their own work only (OWN_ROWS_ROLES, the paired cadre) then reach just that account's rows.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404

from .errors import OutOfScope
from .regioncodes import prefix, region_range_q
from .roles import SCOPE_KIND, Role, ScopeKind, grants


@dataclass(frozen=True)
class ScopeSpec:
    """Lookup paths from a model to the scopes a membership can hold; None = not reachable that way."""

    region: str | None = None
    facility: str | None = None
    provider: str | None = None
    caregiver: str | None = None
    elder: str | None = None
    # The path to the one user account a row belongs to (a cadre's own record, pairings and visits).
    # Where it is declared, a membership of a role in OWN_ROWS_ROLES reaches only the rows of its own user.
    person: str | None = None

    def path_for(self, kind: str) -> str | None:
        return getattr(self, kind, None)


# Roles whose memberships act on their own rows only, on models that declare `ScopeSpec.person`: a paired
# cadre holds a region membership to read the facilities there, but sees and records only their own work.
OWN_ROWS_ROLES = frozenset({Role.CADRE})


def permission_name(model: type[models.Model], action: str) -> str:
    """'view' on Elder -> 'elders.view_elder'; an action naming a full permission ('elders.add_assessment')
    is used as it is, for rights on a model's rows that are granted under another model's name."""
    if "." in action:
        return action
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


@dataclass(frozen=True)
class _SystemReader:
    """The reader of scheduled platform-wide work (monthly snapshots): sees every row, can never log in."""

    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = True
    username: str = "系统任务"


SYSTEM_READER = _SystemReader()


def memberships_of(user) -> list:
    """Active memberships of a user, loaded once per user object (i.e. once per request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_yiyang_memberships", None)
    if cached is None:
        cached = list(user.memberships.filter(is_active=True))
        user._yiyang_memberships = cached
    return cached


def is_platform_admin(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or any(m.role == Role.PLATFORM_ADMIN for m in memberships_of(user))


def has_permission(user, permission: str) -> bool:
    """Whether any membership of the user grants `permission` somewhere."""
    return is_platform_admin(user) or any(grants(m.role, permission) for m in memberships_of(user))


def scope_condition(user, model: type[models.Model], action: str) -> Q | None:
    """The filter selecting the rows of `model` that `user` may `action`; None means every row.

    Returns Q(pk__in=[]) (matches nothing) when nothing is granted.
    """
    if is_platform_admin(user):
        return None
    spec: ScopeSpec = model.scope
    permission = permission_name(model, action)
    condition = Q(pk__in=[])
    for membership in memberships_of(user):
        if not grants(membership.role, permission):
            continue
        kind = SCOPE_KIND[membership.role]
        path = spec.path_for(kind)
        if path is None:
            continue
        if kind == ScopeKind.REGION:
            reach = region_range_q(path, membership.region_code)
        elif membership.scope_id is not None:
            reach = Q(**{path: membership.scope_id})
        else:
            continue
        if membership.role in OWN_ROWS_ROLES and spec.person is not None:
            reach &= Q(**{spec.person: user.pk})
        condition |= reach
    return condition


def _spans_relation(model: type[models.Model]) -> bool:
    # `person` is left out: it follows foreign keys forward to one account, which cannot repeat a row.
    spec = model.scope
    paths = (spec.region, spec.facility, spec.provider, spec.caregiver, spec.elder)
    return any(path and "__" in path for path in paths)


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view"):
        """Rows of this queryset that `user` may `action` (view, change, export, ...)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        condition = scope_condition(user, self.model, action)
        if condition is None:
            return self.all()
        if not _spans_relation(self.model):
            return self.filter(condition)
        if self.query.select_for_update:
            # A join can repeat a row, but PostgreSQL refuses FOR UPDATE with DISTINCT: a locked read
            # keeps its own rows plain and takes the condition through a subquery of ids.
            return self.filter(pk__in=self.model._base_manager.filter(condition).values("pk"))
        return self.filter(condition).distinct()


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def get_visible_or_404(queryset, user, action: str = "view", **lookup):
    """Fetch one row the user may `action`; rows outside the scope answer 404 so existence does not leak."""
    try:
        return queryset.visible_to(user, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError):
        # A malformed or out-of-range id cannot name a row: the same answer as a row out of scope.
        raise Http404 from None


def may(user, obj: models.Model, action: str) -> bool:
    """Whether the user may `action` this saved row (a page deciding which buttons to show)."""
    return type(obj)._default_manager.visible_to(user, action).filter(pk=obj.pk).exists()


def get_for_action(queryset, user, action: str, *, lock: bool = False, **lookup):
    """Fetch one row to act on: 404 when the user may not even see it (its existence does not leak),
    403 when they may see it but not `action` it. `lock` takes a lock on this row only, not on the rows
    a select_related joins, for a state transition checked inside the caller's transaction."""
    rows = queryset.select_for_update(of=("self",)) if lock else queryset
    obj = get_visible_or_404(rows, user, "view", **lookup)
    if not may(user, obj, action):
        raise PermissionDenied
    return obj


def ensure_visible(user, obj: models.Model, action: str = "change") -> None:
    """Re-check a saved row against the user's scope; call inside the write's transaction so that a
    write moving the row out of scope (e.g. into another county) is rolled back."""
    manager = type(obj)._default_manager
    if not manager.visible_to(user, action).filter(pk=obj.pk).exists():
        raise OutOfScope("该操作会使记录超出您的管辖范围，已撤销", {"region_code": "超出您的管辖范围"})


def region_predicate(user, model: type[models.Model], action: str):
    """A function telling whether a region code lies in the user's scope for `action` on `model`.

    The same rules as `scope_condition`, evaluated in memory, for importers that check each incoming
    row before it exists in the database. Only region scopes can grant rows that do not exist yet.
    """
    if is_platform_admin(user):
        return lambda code: True
    permission = permission_name(model, action)
    if model.scope.region is None:
        return lambda code: False
    prefixes = tuple(
        prefix(m.region_code)
        for m in memberships_of(user)
        if grants(m.role, permission) and SCOPE_KIND[m.role] == ScopeKind.REGION and m.region_code
    )
    return lambda code: bool(prefixes) and code.startswith(prefixes)


def home_region(user) -> str:
    """The region a user's pages open on when none is asked for: the first region of their memberships
    ('' when they hold none, e.g. a platform administrator)."""
    return min((m.region_code for m in memberships_of(user) if m.region_code), default="")
