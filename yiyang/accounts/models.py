from django.conf import settings
from django.db import models
from django.utils import timezone

from yiyang.core.roles import SCOPE_KIND, Role, ScopeKind


class Membership(models.Model):
    """A role held by a user within one scope: a region, a facility, a provider or an elder.

    The scope object lives in an app above this one, so it is referenced by id (`scope_id`), with
    `region_code` always holding the region the membership belongs to.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    region_code = models.CharField("所属区划代码", max_length=12, blank=True)
    scope_id = models.BigIntegerField("机构/服务商/老人编号", null=True, blank=True)
    scope_label = models.CharField("范围名称", max_length=100, blank=True)
    is_active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region_code", "scope_id"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["role", "scope_id"], name="membership_role_scope")]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.scope_label or self.region_code}"

    @property
    def scope_kind(self) -> str:
        return SCOPE_KIND[self.role]

    def clean(self):
        from django.core.exceptions import ValidationError

        from yiyang.core.regioncodes import InvalidRegionCode, normalize

        kind = self.scope_kind
        if kind == ScopeKind.REGION:
            try:
                self.region_code = normalize(self.region_code)
            except InvalidRegionCode as exc:
                raise ValidationError({"region_code": str(exc)}) from None
        elif kind != ScopeKind.ALL and self.scope_id is None:
            raise ValidationError({"scope_id": "该角色必须指定机构、服务商或老人"})


class ApiToken(models.Model):
    """A revocable bearer token for integrations. Only a hash of the secret is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField("前缀", max_length=12, unique=True)
    key_hash = models.CharField("摘要", max_length=64)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class Preference(models.Model):
    """A user's own display settings, remembered across devices: large-font mode (大字模式)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="preference"
    )
    large_font = models.BooleanField("大字模式", default=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "个人显示设置"

    def __str__(self):
        return f"{self.user} · {'大字' if self.large_font else '标准字号'}"
