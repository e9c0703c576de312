"""Linking, rotating and stopping apps: every change checked against the officer's scope and audited."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from yiyang.accounts.models import Membership
from yiyang.core import audit
from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors
from yiyang.core.models import AuditAction
from yiyang.core.regioncodes import region_range_q
from yiyang.core.roles import Role
from yiyang.core.scoping import ensure_visible, get_for_action
from yiyang.facilities.models import Facility
from yiyang.regions.services import requested_region

from . import keys
from .models import READABLE, WRITABLE, AppKind, ExchangeApp

ROTATION_GRACE = timedelta(hours=24)
MAX_RATE = 6000
MAX_WINDOW = 3600


@dataclass
class AppInput:
    name: str
    kind: str
    region: str
    facility_code: str = ""
    read_resources: tuple = ()
    write_resources: tuple = ()
    rate_per_minute: int = 120
    window_seconds: int = 300


def _clean(actor: Actor, data: AppInput) -> dict:
    errors = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = "必填"
    if data.kind not in AppKind.values:
        errors["kind"] = "请选择系统类型"
    unknown_read = set(data.read_resources) - set(READABLE)
    unknown_write = set(data.write_resources) - set(WRITABLE)
    if unknown_read:
        errors["read_resources"] = f"不是可读的数据：{'、'.join(sorted(unknown_read))}"
    if unknown_write:
        errors["write_resources"] = f"不是可写的数据：{'、'.join(sorted(unknown_write))}"
    if "sync" in data.write_resources and data.kind != AppKind.PLATFORM:
        errors["write_resources"] = "同步推送只能授予其他颐养平台"
    if not 1 <= data.rate_per_minute <= MAX_RATE:
        errors["rate_per_minute"] = f"应为 1 到 {MAX_RATE}"
    if not 30 <= data.window_seconds <= MAX_WINDOW:
        errors["window_seconds"] = f"应为 30 到 {MAX_WINDOW} 秒"
    # 404 outside the officer's scope, as for any region a request names.
    region = requested_region(actor.user, data.region, default=None, action="exchange.add_exchangeapp")
    facility = None
    if code := (data.facility_code or "").strip():
        facility = (
            Facility.objects.visible_to(actor.user, "view")
            .filter(region_range_q("region_code", region), code=code)
            .first()
        )
        if facility is None:
            errors["facility_code"] = "在该区划内没有找到这个机构编码"
    if errors:
        raise FieldErrors(errors)
    return {
        "name": name[:100],
        "kind": data.kind,
        "region_code": facility.region_code if facility else region,
        "county_code": (facility.region_code if facility else region)[:6],
        "facility": facility,
        "read_resources": sorted(set(data.read_resources)),
        "write_resources": sorted(set(data.write_resources)),
        "rate_per_minute": data.rate_per_minute,
        "window_seconds": data.window_seconds,
    }


def _membership(values: dict) -> dict:
    facility = values["facility"]
    if facility is not None:
        return {"role": Role.FACILITY_MANAGER, "region_code": facility.region_code, "scope_id": facility.pk,
                "scope_label": facility.name}  # fmt: skip
    # A region app that writes acts as the region's officer; one that only reads, as its viewer.
    role = Role.OFFICER if values["write_resources"] else Role.VIEWER
    return {"role": role, "region_code": values["region_code"], "scope_label": values["name"]}


@transaction.atomic
def register_app(actor: Actor, data: AppInput) -> tuple[ExchangeApp, str]:
    """Link a system; the secret is returned once and never stored (keys.py)."""
    values = _clean(actor, data)
    key_id = keys.new_key_id()
    user = get_user_model()(username=f"app-{key_id}", first_name=f"互联应用：{values['name']}"[:150])
    user.set_unusable_password()  # the account only acts for signed requests; it can never sign in
    user.save()
    membership = Membership(user=user, **_membership(values))
    membership.full_clean(exclude=["user"])
    membership.save()
    app = ExchangeApp.objects.create(
        **values, key_id=key_id, secret_salt=keys.new_salt(), user=user, created_by=actor.db_user
    )
    ensure_visible(actor.user, app, "add")
    audit.record(actor, AuditAction.CREATE, app, changes=audit.diff({}, _shown(app)))
    return app, keys.secret_for(app.key_id, app.secret_salt)


def _shown(app: ExchangeApp) -> dict:
    return {"name": app.name, "kind": app.kind, "region_code": app.region_code,
            "facility": app.facility.code if app.facility else "", "read_resources": app.read_resources,
            "write_resources": app.write_resources, "rate_per_minute": app.rate_per_minute}  # fmt: skip


@transaction.atomic
def rotate_secret(actor: Actor, app_id: int) -> tuple[ExchangeApp, str]:
    """A new secret; the old one keeps working for ROTATION_GRACE so the system can switch over."""
    app = get_for_action(ExchangeApp.objects, actor.user, "exchange.change_exchangeapp", lock=True, pk=app_id)
    if app.revoked_at is not None:
        raise FieldErrors({"app": "该应用已停用，不能更换密钥"})
    now = timezone.now()
    app.previous_salt, app.secret_salt = app.secret_salt, keys.new_salt()
    app.previous_valid_until, app.rotated_at = now + ROTATION_GRACE, now
    app.save(update_fields=["previous_salt", "secret_salt", "previous_valid_until", "rotated_at"])
    audit.record(actor, AuditAction.UPDATE, app, changes={"secret": ["旧密钥 24 小时内仍有效", "已更换"]})
    return app, keys.secret_for(app.key_id, app.secret_salt)


@transaction.atomic
def revoke_app(actor: Actor, app_id: int, reason: str) -> ExchangeApp:
    """Stop an app at once: both secrets stop working and its account loses its membership."""
    app = get_for_action(ExchangeApp.objects, actor.user, "exchange.change_exchangeapp", lock=True, pk=app_id)
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors({"reason": "请填写停用原因"})
    if app.revoked_at is None:
        app.revoked_at, app.revoked_reason = timezone.now(), reason[:200]
        app.previous_salt, app.previous_valid_until = "", None
        app.save(update_fields=["revoked_at", "revoked_reason", "previous_salt", "previous_valid_until"])
        Membership.objects.filter(user=app.user).update(is_active=False)
        get_user_model().objects.filter(pk=app.user_id).update(is_active=False)
        audit.record(actor, AuditAction.UPDATE, app, changes={"revoked_at": [None, app.revoked_at.isoformat()],
                                                              "revoked_reason": ["", app.revoked_reason]})  # fmt: skip
    return app
