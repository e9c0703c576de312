from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from yiyang.core import audit
from yiyang.core.audit import Actor, AuditAction, client_ip


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record(
        Actor(user=user, ip=client_ip(request)),
        AuditAction.LOGIN,
        object_type="auth.user",
        object_id=str(user.pk),
        object_repr=user.username,
    )


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(
            Actor(user=user, ip=client_ip(request)),
            AuditAction.LOGOUT,
            object_type="auth.user",
            object_id=str(user.pk),
            object_repr=user.username,
        )


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    actor = Actor(user=None, ip=client_ip(request) if request else None, extra={"username": username})
    audit.record(actor, AuditAction.LOGIN_FAILED, object_type="auth.user", object_repr=username)
