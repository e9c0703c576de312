"""Linked systems, their keys, the change feed and the records they write (docs/exchange.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiyang.core.ledger import DecisionStep
from yiyang.core.scoping import ScopedManager, ScopeSpec


class AppKind(models.TextChoices):
    PLATFORM = "platform", "其他颐养平台（县、市、省）"
    FACILITY_SOFTWARE = "facility", "养老机构管理软件"
    VENDOR = "vendor", "服务商或设备厂商系统"
    NATIONAL = "national", "全国养老服务信息系统或省级平台"


# What an app may read from the feed and write through the upsert endpoints.
READABLE = {
    "elders": "老年人",
    "assessments": "能力评估",
    "facilities": "养老机构",
    "residences": "入住与离开",
    "staff": "从业人员",
    "orders": "服务订单",
    "hazards": "安全隐患",
    "visits": "探访记录",
    "alarms": "报警",
}
WRITABLE = {
    "residences": "入住与离开",
    "beds": "床位数",
    "staff": "机构从业人员",
    # A lower Yiyang platform pushing all its changes (full values): only for an app of kind `platform`.
    "sync": "下级颐养平台同步推送（含完整身份证号等）",
}


class ExchangeApp(models.Model):
    """An external system linked to the platform, with its scope, rights, key and limits.

    The app acts through its own account (`user`), which holds one membership with the app's scope, so
    that every read and write goes through the one scoping mechanism and every change is audited under
    the app's name. The account cannot sign in (no usable password). The signing secret is never stored:
    it is derived from the platform's exchange key and `secret_salt` (decision 0020).
    """

    name = models.CharField("系统名称", max_length=100)
    kind = models.CharField("系统类型", max_length=20, choices=AppKind.choices)
    region_code = models.CharField("所属区划代码", max_length=12)
    county_code = models.CharField("所属县（区）代码", max_length=6)
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name="限定机构",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    read_resources = models.JSONField("可读数据", default=list, blank=True)
    write_resources = models.JSONField("可写数据", default=list, blank=True)
    key_id = models.CharField("应用编号", max_length=40, unique=True)
    secret_salt = models.CharField(max_length=64)
    # The secret before the last rotation stays valid until this time, so a client can switch over.
    previous_salt = models.CharField(max_length=64, blank=True)
    previous_valid_until = models.DateTimeField(null=True, blank=True)
    rotated_at = models.DateTimeField("最近更换密钥", null=True, blank=True)
    rate_per_minute = models.PositiveIntegerField("每分钟请求上限", default=120)
    window_seconds = models.PositiveIntegerField("签名有效期（秒）", default=300)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exchange_app")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)
    revoked_reason = models.CharField("停用原因", max_length=200, blank=True)
    last_contact_at = models.DateTimeField("最近联系", null=True, blank=True)
    requests_ok = models.PositiveIntegerField("成功请求", default=0)
    refused_signature = models.PositiveIntegerField("签名错误", default=0)
    refused_timestamp = models.PositiveIntegerField("时间戳过期", default=0)
    refused_nonce = models.PositiveIntegerField("随机串重放", default=0)
    refused_scope = models.PositiveIntegerField("超出权限", default=0)
    refused_rate = models.PositiveIntegerField("超出频率", default=0)
    records_written = models.PositiveIntegerField("写入记录", default=0)
    records_refused = models.PositiveIntegerField("拒收记录", default=0)
    changes_read = models.PositiveIntegerField("读取变更", default=0)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "互联应用"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["region_code"], name="exchange_app_region")]

    def __str__(self):
        return f"{self.name}（{self.key_id}）"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AppNonce(models.Model):
    """A nonce an app has used; a second request with it is a replay. Pruned once past every window."""

    app = models.ForeignKey(ExchangeApp, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "nonce"], name="exchange_nonce_once")]

    def __str__(self):
        return self.nonce


class RateWindow(models.Model):
    """Requests of one app in one minute: a fixed window counted in the database, so that every worker
    process of the platform counts against the same limit."""

    app = models.ForeignKey(ExchangeApp, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "minute"], name="exchange_rate_once")]

    def __str__(self):
        return f"{self.app_id} {self.minute:%H:%M} {self.count}"


class AppError(models.Model):
    """A refused request or record of an app, for its status page (the newest are kept)."""

    app = models.ForeignKey(ExchangeApp, on_delete=models.CASCADE, related_name="errors")
    at = models.DateTimeField(default=timezone.now)
    code = models.CharField(max_length=40)
    message = models.CharField(max_length=300)
    target = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["app", "-at"], name="exchange_error_app_at")]

    def __str__(self):
        return f"{self.code}: {self.message}"


class ChangeOp(models.TextChoices):
    UPSERT = "upsert", "新增或修改"
    DELETE = "delete", "删除"
    EXIT = "exit", "退出（离开、注销）"


class Change(models.Model):
    """One change of a shared row, in the order the database numbered it (the feed's cursor is the id).

    Written in the same transaction as the change itself (yiyang/exchange/feed.py), so a change row
    exists exactly when the change is committed; `region_code` and `facility_id` are the row's at the
    time of the change and scope the feed."""

    id = models.BigAutoField(primary_key=True)
    resource = models.CharField(max_length=20)
    object_id = models.CharField(max_length=40)
    op = models.CharField(max_length=10, choices=ChangeOp.choices)
    region_code = models.CharField(max_length=12)
    county_code = models.CharField(max_length=6)
    facility_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        indexes = [
            models.Index(fields=["region_code", "id"], name="exchange_change_region"),
            models.Index(fields=["facility_id", "id"], name="exchange_change_facility", condition=Q(facility_id__isnull=False)),
        ]  # fmt: skip

    def __str__(self):
        return f"#{self.id} {self.resource} {self.object_id} {self.op}"


class ExternalRecord(models.Model):
    """A record an app wrote, under its own id: the version it last wrote and the platform row it became."""

    app = models.ForeignKey(ExchangeApp, on_delete=models.PROTECT, related_name="records")
    county_code = models.CharField(max_length=6)
    resource = models.CharField(max_length=20)
    external_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    object_id = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "app", "resource", "external_id"], name="exchange_record_once"
            ),
        ]

    def __str__(self):
        return f"{self.resource} {self.external_id} v{self.version}"


class PeriodStatus(models.TextChoices):
    OPEN = "open", "填报中"
    SUBMITTED = "submitted", "已上报"
    APPROVED = "approved", "已审核"
    LOCKED = "locked", "已锁定"


class ReportingPeriod(models.Model):
    """A county's data for one month, submitted upwards, approved by the city and locked (DHIS2's data
    approval): once locked, linked systems can no longer write admissions or discharges dated in it."""

    region_code = models.CharField("区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    month = models.DateField("月份")
    status = models.CharField("状态", max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    version = models.PositiveIntegerField("版本", default=0)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "报送期"
        ordering = ["-month", "region_code"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "region_code", "month"], name="exchange_period_once")
        ]

    def __str__(self):
        return f"{self.region_code} {self.month:%Y-%m}"


class PeriodStep(DecisionStep):
    """One immutable step of a period's history: who submitted, approved, locked or reopened it, and why."""

    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField("环节", max_length=20)
    from_status = models.CharField("原状态", max_length=10, blank=True)
    to_status = models.CharField("新状态", max_length=10, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.period} {self.action}"


# --- Platform to platform: a lower platform pushes its changes to an upper one (docs/exchange.md) ----------


class Peer(models.Model):
    """An upper platform (the city's, the province's) that this platform pushes its region's changes to.

    The upper platform registers this one as a linked app with the right `sync` and hands over a key id and
    secret; the platform administrator enters them here. The secret must be kept to sign each push, so it is stored
    encrypted with a key derived from the platform's settings (peers.py), never shown again."""

    name = models.CharField("上级平台名称", max_length=100)
    region_code = models.CharField("推送的区划", max_length=12)
    county_code = models.CharField("所属县（区）代码", max_length=6)
    base_url = models.URLField("上级平台地址", max_length=200)
    key_id = models.CharField("应用编号", max_length=40)
    secret_encrypted = models.TextField()
    resources = models.JSONField("推送的数据", default=list)
    is_active = models.BooleanField("推送中", default=True)
    # When a signed `GET /me` last showed the upper platform knows this key with the right `sync` for the
    # region (peers.verify); nothing is pushed while it is empty.
    verified_at = models.DateTimeField("连接验证时间", null=True, blank=True)
    verified_as = models.CharField("上级平台登记的名称", max_length=100, blank=True)
    # The last change id the upper platform has confirmed; pushing resumes after it.
    cursor = models.BigIntegerField("已确认的变更序号", default=0)
    pushed_total = models.PositiveBigIntegerField("已推送变更", default=0)
    failures = models.PositiveIntegerField("连续失败次数", default=0)
    last_attempt_at = models.DateTimeField("最近尝试", null=True, blank=True)
    last_success_at = models.DateTimeField("最近成功", null=True, blank=True)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    # The versions of the upper platform's published sets applied here (metadata.py), and when last asked.
    metadata_versions = models.JSONField("已应用的下发数据版本", default=dict, blank=True)
    metadata_checked_at = models.DateTimeField("最近检查下发数据", null=True, blank=True)
    metadata_error = models.CharField("下发数据错误", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "上级平台"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name


class SyncState(models.Model):
    """What a lower platform (a linked app with the right `sync`) has pushed here: changes are applied in
    their sender's order and `applied_seq` moves in the same transaction, so a push repeated after a lost
    answer or a crash is skipped, never applied twice."""

    app = models.OneToOneField(ExchangeApp, on_delete=models.CASCADE, related_name="sync_state")
    applied_seq = models.BigIntegerField("已应用到的序号", default=0)
    applied_total = models.PositiveBigIntegerField("已应用变更", default=0)
    parked_total = models.PositiveBigIntegerField("待人工处理", default=0)
    # As the sender last reported them: its newest change and how many it still had to send.
    sender_head = models.BigIntegerField("下级最新序号", default=0)
    sender_pending = models.PositiveBigIntegerField("下级待推送", default=0)
    oldest_pending_at = models.DateTimeField("最早待推送变更时间", null=True, blank=True)
    last_applied_at = models.DateTimeField("最近应用", null=True, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="app__region_code")

    def __str__(self):
        return f"{self.app_id} @{self.applied_seq}"


class ConflictStatus(models.TextChoices):
    OPEN = "open", "待处理"
    RESOLVED = "resolved", "已处理"
    DISMISSED = "dismissed", "已忽略"


class SyncConflict(models.Model):
    """A pushed change the platform would not apply on its own (the same ID number registered in two
    counties, a row whose elder is itself waiting): kept with the row's latest pushed state until a person
    retries or dismisses it. Later changes of the same row update it instead of being applied out of order."""

    app = models.ForeignKey(ExchangeApp, on_delete=models.PROTECT, related_name="conflicts")
    region_code = models.CharField("区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    resource = models.CharField("数据", max_length=20)
    object_id = models.CharField("下级记录编号", max_length=40)
    seq = models.BigIntegerField("变更序号")
    op = models.CharField(max_length=10, choices=ChangeOp.choices)
    data = models.JSONField(null=True)
    code = models.CharField("原因代码", max_length=40)
    message = models.CharField("原因", max_length=300)
    status = models.CharField("状态", max_length=10, choices=ConflictStatus.choices, default=ConflictStatus.OPEN)
    created_at = models.DateTimeField("发现时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    note = models.CharField("处理说明", max_length=200, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "同步冲突"
        ordering = ["status", "seq", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["app", "resource", "object_id"], condition=Q(status="open"), name="exchange_conflict_open_once"
            )
        ]

    def __str__(self):
        return f"{self.resource} {self.object_id}: {self.code}"
