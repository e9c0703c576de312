"""Authenticating an app's request: its key, the signature, the window, the nonce and its rate.

Headers: `X-Yiyang-App` (the key id), `X-Yiyang-Timestamp` (unix seconds), `X-Yiyang-Nonce` (8–64
characters, new for every request) and `X-Yiyang-Signature`, the hex HMAC-SHA256 with the app's secret
over `METHOD \\n PATH?QUERY \\n TIMESTAMP \\n NONCE \\n hex(SHA-256(body))` (core/signing.py). Refusals
answer 401 with the code `signature`, `timestamp` or `nonce`, 403 `scope` for a right the app does not
hold, 429 `rate_limited`; each is counted on the app and listed on its status page.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from ninja.security import APIKeyHeader

from yiyang.core import signing
from yiyang.core.errors import DomainError

from .keys import secret_for
from .models import AppError, AppNonce, ExchangeApp, RateWindow

KEEP_ERRORS = 200  # per app, for the status page


class Refused(DomainError):
    status = 401


class OutOfRights(DomainError):
    status = 403
    code = "scope"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


MESSAGES = {
    "missing": ("signature", "缺少签名：需要 X-Yiyang-App、X-Yiyang-Timestamp、X-Yiyang-Nonce 和 X-Yiyang-Signature"),
    "signature": ("signature", "签名错误"),
    "timestamp": ("timestamp", "时间戳超出 {window} 秒的有效期（请校准时钟，使用 Unix 秒）"),
    "nonce": ("nonce", "随机串应为 8 到 64 个字符"),
}
COUNTERS = {"signature": "refused_signature", "timestamp": "refused_timestamp", "nonce": "refused_nonce",
            "scope": "refused_scope", "rate_limited": "refused_rate"}  # fmt: skip


def note_error(app: ExchangeApp, code: str, message: str, target: str = "") -> None:
    """Count a refusal on the app and keep it for its status page (outside any request transaction)."""
    counter = COUNTERS.get(code)
    if counter:
        ExchangeApp.objects.filter(pk=app.pk).update(**{counter: F(counter) + 1})
    AppError.objects.create(app=app, code=code, message=message[:300], target=target[:300])


def _refuse(app: ExchangeApp, error: DomainError, target: str):
    note_error(app, error.code, error.message, target)
    raise error


def secrets_of(app: ExchangeApp, now) -> list[str]:
    found = [secret_for(app.key_id, app.secret_salt)]
    if app.previous_salt and app.previous_valid_until and app.previous_valid_until > now:
        found.append(secret_for(app.key_id, app.previous_salt))
    return found


def verify(app: ExchangeApp, method: str, target: str, headers, body: bytes, now=None) -> None:
    """Check key state, signature and window; raise `Refused` with the reason's code."""
    now = now or timezone.now()
    try:
        signing.check(
            secrets_of(app, now), method, target, headers.get("X-Yiyang-Timestamp", ""),
            headers.get("X-Yiyang-Nonce", ""), headers.get("X-Yiyang-Signature", ""), body,
            window_seconds=app.window_seconds, hash_body=True, now=now.timestamp(),
        )  # fmt: skip
    except signing.Refusal as refusal:
        code, text = MESSAGES[refusal.reason]
        _refuse(app, Refused(text.format(window=app.window_seconds), code=code), target)


def _count_request(app: ExchangeApp, now) -> int:
    minute = now.replace(second=0, microsecond=0)
    window = RateWindow.objects.filter(app=app, minute=minute)
    if not window.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                RateWindow.objects.create(app=app, minute=minute, count=1)
        except IntegrityError:  # a concurrent request of the same app opened the minute first
            window.update(count=F("count") + 1)
    return window.values_list("count", flat=True).first() or 0


def authenticate(request, now=None) -> ExchangeApp:
    now = now or timezone.now()
    target = request.get_full_path()
    key_id = request.headers.get("X-Yiyang-App", "")
    app = ExchangeApp.objects.select_related("user", "facility").filter(key_id=key_id).first() if key_id else None
    if app is None:
        code, text = MESSAGES["missing"] if not key_id else ("signature", "应用编号不存在")
        raise Refused(text, code=code)
    if app.revoked_at is not None:
        _refuse(app, Refused("该应用已停用", code="signature"), target)
    verify(app, request.method, target, request.headers, request.body, now)
    if _count_request(app, now) > app.rate_per_minute:
        _refuse(app, RateLimited(f"请求过于频繁：每分钟最多 {app.rate_per_minute} 次"), target)
    try:
        signing.claim_nonce(AppNonce, app=app, nonce=request.headers["X-Yiyang-Nonce"])
    except signing.Replayed:
        _refuse(app, Refused("随机串已使用过（重放的请求）", code="nonce"), target)
    ExchangeApp.objects.filter(pk=app.pk).update(last_contact_at=now, requests_ok=F("requests_ok") + 1)
    return app


def require_right(app: ExchangeApp, resource: str, *, write: bool, target: str = "") -> None:
    granted = app.write_resources if write else app.read_resources
    if resource not in granted:
        kind = "写入" if write else "读取"
        _refuse(app, OutOfRights(f"该应用没有{kind}「{resource}」的权限", {"resource": resource}), target)


class SignedApp(APIKeyHeader):
    """Ninja's authentication for the exchange routes: the request's app, or a refusal in JSON."""

    param_name = "X-Yiyang-App"

    def __call__(self, request):
        app = authenticate(request)
        request.exchange_app = app
        return app

    def authenticate(self, request, key):  # required by the base class; __call__ does the work
        return None


def prune(now=None) -> tuple[int, int]:
    """Forget nonces past every window (the timestamp check refuses their requests anyway), old rate
    windows and all but the newest errors of each app."""
    now = now or timezone.now()
    nonces = AppNonce.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()[0]
    windows = RateWindow.objects.filter(minute__lt=now - timedelta(hours=1)).delete()[0]
    for app_id in AppError.objects.values_list("app_id", flat=True).distinct():
        keep = AppError.objects.filter(app_id=app_id).order_by("-at", "-id").values_list("id", flat=True)[KEEP_ERRORS:]
        AppError.objects.filter(pk__in=list(keep)).delete()
    return nonces, windows
