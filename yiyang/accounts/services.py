"""Account operations: demo/real user creation with memberships, API tokens."""

import hashlib
import hmac
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import DomainError

from .models import ApiToken, Membership, Preference

TOKEN_PREFIX = "yy"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_token(actor: Actor, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """Create a token for the acting user; the plain key is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写令牌用途", {"name": "必填"})
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor.user, name=name[:100], prefix=prefix, key_hash=_hash(secret), expires_at=expires_at
    )
    audit.record(actor, AuditAction.TOKEN_CREATE, token, object_repr=str(token))
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


@transaction.atomic
def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(user=actor.user, pk=token_id).first()
    if token is None:
        from django.http import Http404

        raise Http404
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, AuditAction.TOKEN_REVOKE, token, object_repr=str(token))
    return token


def user_for_token(raw: str):
    """The active user a presented key belongs to, or None."""
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.key_hash, _hash(parts[2])):
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def create_user(username: str, password: str, *, name: str = "", memberships: list[dict] = (), is_superuser=False):
    """Create a user with memberships ({"role", "region_code", "scope_id", "scope_label"})."""
    User = get_user_model()
    user = User(username=username, first_name=name, is_superuser=is_superuser, is_staff=is_superuser)
    user.set_password(password)
    user.save()
    for spec in memberships:
        membership = Membership(user=user, **spec)
        membership.full_clean(exclude=["user"])
        membership.save()
    return user


# --- Display preferences ---------------------------------------------------------------------------

LARGE_FONT_COOKIE = "yiyang_large_font"


SESSION_KEY_LARGE_FONT = "large_font"


def large_font(request) -> bool:
    """Whether pages are drawn in large-font mode: the signed-in user's own setting, else this browser's
    cookie (the setting chosen before signing in). The user's setting is read once per session and kept
    in it, so pages cost no query for it."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        session = request.session
        if SESSION_KEY_LARGE_FONT not in session:
            stored = Preference.objects.filter(user=user).values_list("large_font", flat=True).first()
            if stored is None:  # no setting of their own yet: what they chose on this device
                stored = request.COOKIES.get(LARGE_FONT_COOKIE) == "1"
            session[SESSION_KEY_LARGE_FONT] = stored
        return session[SESSION_KEY_LARGE_FONT]
    return request.COOKIES.get(LARGE_FONT_COOKIE) == "1"


def set_large_font(request, on: bool) -> None:
    """Remember the signed-in user's choice (their own row only) and in this session."""
    Preference.objects.update_or_create(user=request.user, defaults={"large_font": on})
    request.session[SESSION_KEY_LARGE_FONT] = on
