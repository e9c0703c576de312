"""Who may open a page: every page view declares it, and pages deny by default.

A page view carries exactly one of three declarations:

    @requires("elders.view_elder")                    signed in and holding the permission (or any one of
    @requires("a.view_x", "a.confirm_y")              several); anonymous users go to the login page,
                                                      others without it get 403
    @requires("a.view_x", hidden=True)                as above, but 404 instead of 403 without the right: for
                                                      pages of one row (a printed document), whose existence
                                                      must not show to roles that never see such rows
    @login_only                                       any signed-in user; the rows are limited by scoping
    @public                                           anyone, signed in or not (the public map, login)

A view that declares nothing is caught by the test that walks every URL pattern
(tests/test_views_declare_access.py), so a forgotten check fails the build instead of opening a page.
The declaration only decides whether the page opens; which rows it shows or changes is still decided
by core.scoping, and finer actions inside a page (a form only some may submit) by the services.
The navigation menu reads the same declaration (`access_of`, `Access.allows`), so it never links to a
page the user cannot open.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .scoping import has_permission

ACCESS_ATTRIBUTE = "access"


@dataclass(frozen=True)
class Access:
    """What a page asks of its user: a sign-in (`login`) and, if any are named, one of `permissions`."""

    login: bool = True
    permissions: tuple[str, ...] = ()

    def allows(self, user) -> bool:
        if not self.login:
            return True
        if user is None or not user.is_authenticated:
            return False
        return not self.permissions or any(has_permission(user, p) for p in self.permissions)


def _declare(view: Callable, access: Access) -> Callable:
    # functools.wraps copies __dict__, so decorators applied on top (require_POST, ...) keep the mark.
    setattr(view, ACCESS_ATTRIBUTE, access)
    return view


def requires(permission: str, *alternatives: str, hidden: bool = False) -> Callable[[Callable], Callable]:
    """Page view decorator: sign-in required, then `permission` or any one of `alternatives`, else 403
    (404 with `hidden`, as for a row outside the user's scope)."""
    access = Access(permissions=(permission, *alternatives))

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not access.allows(request.user):
                raise Http404 if hidden else PermissionDenied
            return view(request, *args, **kwargs)

        return _declare(login_required(checked), access)

    return decorator


def login_only(view: Callable) -> Callable:
    """Page view decorator: any signed-in user may open the page; scoping limits what it shows."""
    return _declare(login_required(view), Access())


def public(view: Callable) -> Callable:
    """Mark a page view as open to everyone, signed in or not; nothing is checked."""
    return _declare(view, Access(login=False))


def access_of(view: Callable) -> Access | None:
    """The declaration of a view (looking through decorators that keep __wrapped__), or None."""
    while view is not None:
        access = getattr(view, ACCESS_ATTRIBUTE, None)
        if access is not None:
            return access
        view = getattr(view, "__wrapped__", None)
    return None
