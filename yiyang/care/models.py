"""Emergency help (应急救援): the devices in elders' homes, their vendors' clouds, the events those
clouds post, the alarms opened from them or from a hotline call, each alarm's immutable timeline, the
escalation policies per region and the notifications sent.

Every row that belongs to an elder carries the elder's home community (`region_code`) and county, so
that an operator, a responder and a family see the same alarm through the one scoping mechanism.
"""

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiyang.core.ledger import DecisionStep, ImmutableEntry
from yiyang.core.masking import Kind, Sensitive
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.elders.models import Elder
from yiyang.providers.models import Staff


class DeviceKind(models.TextChoices):
    SOS_BUTTON = "sos_button", "一键呼叫按钮"
    PULL_CORD = "pull_cord", "拉绳报警器"
    WATCH = "watch", "智能手表"
    RADAR = "radar", "跌倒/存在雷达"
    SMOKE = "smoke", "烟雾报警器"
    GAS = "gas", "燃气报警器"
    WATER_LEAK = "water_leak", "水浸报警器"
    WATER_METER = "water_meter", "智能水表"
    DOOR = "door", "门磁"
    MOTION = "motion", "红外人体感应"
    MATTRESS = "mattress", "智能床垫"


class AdapterKind(models.TextChoices):
    GENERIC = "generic", "通用签名 JSON（HMAC-SHA256）"
    WATCH_CLOUD = "watch_cloud", "手表云平台（IMEI + flag，MD5 时间窗签名）"


class Vendor(models.Model):
    """A device vendor's cloud that posts events to the platform, with its own secret and window.

    The secret is kept in the clear because the platform must compute the same signature; it is never
    shown on a page or in an answer."""

    code = models.SlugField("接入编码", max_length=40, unique=True, help_text="出现在推送地址中")
    name = models.CharField("厂商名称", max_length=100)
    region_code = models.CharField("签约区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6, blank=True)
    adapter = models.CharField("报文格式", max_length=16, choices=AdapterKind.choices, default=AdapterKind.GENERIC)
    secret_id = models.CharField("密钥编号", max_length=64, blank=True, help_text="手表云平台的 secretId")
    secret = models.CharField("签名密钥", max_length=128)
    window_seconds = models.PositiveIntegerField("签名有效期（秒）", default=300)
    merge_seconds = models.PositiveIntegerField("重复呼叫合并窗口（秒）", default=600)
    late_seconds = models.PositiveIntegerField(
        "迟到判定（秒）", default=600, help_text="发生早于接收超过该值即为迟到事件"
    )
    is_active = models.BooleanField("启用", default=True)
    refused_signature = models.PositiveIntegerField("签名错误次数", default=0)
    refused_stale = models.PositiveIntegerField("时间戳过期次数", default=0)
    refused_replay = models.PositiveIntegerField("重放次数", default=0)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "设备厂商平台"
        ordering = ["code"]

    def __str__(self):
        return self.name


class VendorNonce(models.Model):
    """A nonce a vendor has used; a second request with it inside the window is a replay."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor", "nonce"], name="care_nonce_once")]

    def __str__(self):
        return self.nonce


class DeviceStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    OFFLINE = "offline", "离线"
    FAULT = "fault", "故障"
    RETIRED = "retired", "已拆除"


class Device(models.Model):
    """A device installed in an elder's home, known to its vendor by `external_id` (IMEI, serial, or
    account + zone)."""

    vendor = models.ForeignKey(Vendor, verbose_name="厂商平台", on_delete=models.PROTECT, related_name="devices")
    external_id = models.CharField("设备编号", max_length=64, help_text="IMEI、序列号或账号+防区")
    kind = models.CharField("设备类型", max_length=16, choices=DeviceKind.choices)
    elder = models.ForeignKey(Elder, verbose_name="老人", on_delete=models.PROTECT, related_name="devices")
    region_code = models.CharField("老人所属社区代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    installed_where = models.CharField("安装位置", max_length=100, blank=True)
    installed_on = models.DateField("安装日期", null=True, blank=True)
    heartbeat_seconds = models.PositiveIntegerField("心跳周期（秒）", default=3600)
    last_heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    last_event_at = models.DateTimeField("最近信号", null=True, blank=True)
    battery = models.PositiveSmallIntegerField(
        "电量（%）", null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    status = models.CharField("状态", max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.ACTIVE)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", elder="elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "报警设备"
        ordering = ["elder", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "external_id"], name="care_device_external_id"),
        ]
        indexes = [
            models.Index(fields=["region_code", "status"], name="care_device_region_status"),
            models.Index(fields=["status", "last_heartbeat_at"], name="care_device_heartbeat"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.external_id}"

    LOW_BATTERY = 20
    # A device whose alarms ended as false this often within the window needs a look (a button pressed by
    # a cat, a radar aimed at a curtain): a maintenance ticket, and a mark on the operator's card.
    FALSE_ALARM_LIMIT = 3
    FALSE_ALARM_WINDOW = timedelta(days=30)

    def heartbeat_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        seen = self.last_heartbeat_at or self.last_event_at
        return seen is None or (now - seen).total_seconds() > 2 * self.heartbeat_seconds

    @property
    def battery_low(self) -> bool:
        return self.battery is not None and self.battery < self.LOW_BATTERY


class EventKind(models.TextChoices):
    SOS = "sos", "紧急呼叫"
    FALL = "fall", "跌倒"
    SMOKE = "smoke", "烟雾"
    GAS = "gas", "燃气泄漏"
    WATER_LEAK = "water_leak", "水浸"
    HEALTH = "health", "体征异常"
    INACTIVITY = "inactivity", "长时间无活动"
    WRIST_OFF = "wrist_off", "手表脱落"
    HEARTBEAT = "heartbeat", "心跳"
    TEST = "test", "测试信号"
    POSITION = "position", "位置"
    LOW_BATTERY = "low_battery", "电量低"
    READING = "reading", "读数"
    DOOR = "door", "开关门"
    MOTION = "motion", "有人活动"


# Events that open (or join) an alarm; the rest only update the device.
ALARM_EVENTS = frozenset({EventKind.SOS, EventKind.FALL, EventKind.SMOKE, EventKind.GAS, EventKind.WATER_LEAK,
                          EventKind.HEALTH, EventKind.INACTIVITY})  # fmt: skip


class BindingState(models.TextChoices):
    BOUND = "bound", "已关联设备"
    WAITING = "waiting", "待绑定"
    RESOLVED = "resolved", "已处理"


class DeviceEvent(models.Model):
    """One event a vendor cloud posted, stored once per vendor event id; an event of an unknown device
    waits in the binding queue (`binding = waiting`) with the vendor's region as its scope."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="events")
    vendor_event_id = models.CharField("厂商事件编号", max_length=80)
    external_id = models.CharField("设备编号", max_length=64)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    region_code = models.CharField("区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    kind = models.CharField("事件类型", max_length=16, choices=EventKind.choices)
    occurred_at = models.DateTimeField("发生时间")
    received_at = models.DateTimeField("接收时间", default=timezone.now)
    late = models.BooleanField("迟到事件", default=False)
    binding = models.CharField("绑定", max_length=10, choices=BindingState.choices, default=BindingState.BOUND)
    alarm = models.ForeignKey("Alarm", null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    payload = models.JSONField("原始报文", default=dict)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "设备事件"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "vendor_event_id"], name="care_event_once"),
        ]
        indexes = [
            models.Index(fields=["region_code", "binding"], name="care_event_region_binding"),
            models.Index(fields=["device", "occurred_at"], name="care_event_device_time"),
        ]

    def __str__(self):
        return f"{self.vendor_id}:{self.vendor_event_id}"


class AlarmKind(models.TextChoices):
    SOS = "sos", "紧急呼叫"
    FALL = "fall", "跌倒"
    SMOKE = "smoke", "烟雾"
    GAS = "gas", "燃气泄漏"
    WATER_LEAK = "water_leak", "水浸"
    HEALTH = "health", "体征异常"
    INACTIVITY = "inactivity", "长时间无活动"
    HOTLINE = "hotline", "热线求助"


# Fire and gas go straight to dispatch and 119, without calling the elder back first.
NO_CALL_BACK = {AlarmKind.SMOKE: "119", AlarmKind.GAS: "119"}


class AlarmSource(models.TextChoices):
    DEVICE = "device", "设备报警"
    HOTLINE = "hotline", "12349 热线"
    MANUAL = "manual", "人工登记"
    VISIT = "visit", "探访发现"


class AlarmState(models.TextChoices):
    NEW = "new", "待响应"
    ACKNOWLEDGED = "acknowledged", "已接警"
    VERIFYING = "verifying", "核实中"
    DISPATCHED = "dispatched", "已派人"
    ON_SCENE = "on_scene", "已到场"
    RESOLVED = "resolved", "已处置"
    CLOSED = "closed", "已结案"
    FALSE_ALARM = "false_alarm", "误报"
    TEST = "test", "测试"
    DUPLICATE = "duplicate", "重复报警"
    DEVICE_FAULT = "device_fault", "设备故障"


OPEN_STATES = (AlarmState.NEW, AlarmState.ACKNOWLEDGED, AlarmState.VERIFYING, AlarmState.DISPATCHED,
               AlarmState.ON_SCENE)  # fmt: skip
ENDED_STATES = (AlarmState.CLOSED, AlarmState.FALSE_ALARM, AlarmState.TEST, AlarmState.DUPLICATE,
                AlarmState.DEVICE_FAULT)  # fmt: skip


class Offer(models.TextChoices):
    NONE = "", "未派人"
    OFFERED = "offered", "待响应人员接受"
    ACCEPTED = "accepted", "已接受"
    DECLINED = "declined", "已拒绝"


class Outcome(models.TextChoices):
    REAL = "real", "真实紧急情况"
    ASSISTED = "assisted", "已协助处理"
    FALSE_ALARM = "false_alarm", "误报"
    TEST = "test", "测试"
    DUPLICATE = "duplicate", "重复报警"
    DEVICE_FAULT = "device_fault", "设备故障"


class Alarm(models.Model):
    """One incident: opened by a device event, a hotline call or an operator, and followed to its end."""

    elder = models.ForeignKey(Elder, verbose_name="老人", on_delete=models.PROTECT, related_name="alarms")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="alarms")
    region_code = models.CharField("老人所属社区代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    kind = models.CharField("报警类型", max_length=16, choices=AlarmKind.choices)
    source = models.CharField("来源", max_length=10, choices=AlarmSource.choices)
    state = models.CharField("状态", max_length=16, choices=AlarmState.choices, default=AlarmState.NEW)
    # Raised by one on every transition (core.workflow): a click names the version it acted on.
    version = models.PositiveIntegerField("版本", default=0)
    opened_at = models.DateTimeField("报警时间", default=timezone.now, db_index=True)
    state_since = models.DateTimeField("进入当前状态时间", default=timezone.now)
    last_signal_at = models.DateTimeField("最近一次呼叫", null=True, blank=True)
    presses = models.PositiveIntegerField("呼叫次数", default=1)
    caller_number = models.CharField("来电号码", max_length=20, blank=True)
    summary = models.CharField("情况说明", max_length=500, blank=True)
    acknowledged_at = models.DateTimeField("接警时间", null=True, blank=True)
    acknowledged_by = models.CharField("接警坐席", max_length=150, blank=True)
    responder = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="alarms")
    offer = models.CharField("派人状态", max_length=10, choices=Offer.choices, default=Offer.NONE, blank=True)
    declined = models.JSONField("已拒绝的响应人员", default=list, blank=True)
    dispatched_at = models.DateTimeField("派人时间", null=True, blank=True)
    distance_m = models.PositiveIntegerField("派人距离（米）", null=True, blank=True)
    arrived_at = models.DateTimeField("到场时间", null=True, blank=True)
    arrival_distance_m = models.PositiveIntegerField("到场位置距住址（米）", null=True, blank=True)
    resolved_at = models.DateTimeField("处置时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    outcome = models.CharField("处置结果", max_length=16, choices=Outcome.choices, blank=True)
    emergency_numbers = models.JSONField("已呼叫的急救号码", default=list, blank=True)
    escalation_level = models.PositiveSmallIntegerField("升级级别", default=0)
    next_escalation_at = models.DateTimeField("下次升级时间", null=True, blank=True)
    # Raised on every change of the row, transitions or not (a repeated press, a call logged): the
    # consoles' cursor is built from the (id, seq) pairs of the rows they show.
    seq = models.PositiveBigIntegerField("变更次数", default=0)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", caregiver="responder_id", elder="elder_id")
    sensitive = Sensitive({"caller_number": Kind.PHONE}, "care.view_sensitive_alarm", label="报警来电号码")

    class Meta:
        verbose_name = verbose_name_plural = "报警"
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["region_code", "state"], name="care_alarm_region_state"),
            models.Index(fields=["next_escalation_at"], name="care_alarm_next_escalation"),
            models.Index(fields=["elder", "kind", "state"], name="care_alarm_elder_kind"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class CallOutcome(models.TextChoices):
    ANSWERED_OK = "answered_ok", "接通，老人平安"
    ANSWERED_HELP = "answered_help", "接通，需要救助"
    NO_ANSWER = "no_answer", "无人接听"
    BUSY = "busy", "占线"
    UNREACHABLE = "unreachable", "无法接通"
    WRONG_NUMBER = "wrong_number", "号码错误"


class AlarmStep(DecisionStep):
    """One immutable entry of an alarm's timeline: a transition, a call and its outcome, a
    notification, a dispatch, an escalation or a note; who, when and what. An escalation step carries
    its key (alarm + policy step), so that a timer fires once, whatever restarts happen."""

    alarm = models.ForeignKey(Alarm, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField("环节", max_length=20)
    from_status = models.CharField("原状态", max_length=16, blank=True)
    to_status = models.CharField("新状态", max_length=16, blank=True)
    called = models.CharField("呼叫对象", max_length=100, blank=True)
    call_outcome = models.CharField("通话结果", max_length=16, choices=CallOutcome.choices, blank=True)
    key = models.CharField("幂等键", max_length=80, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="alarm__region_code", caregiver="alarm__responder_id", elder="alarm__elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "报警处置记录"
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "key"], condition=~Q(key=""), name="care_step_key"),
        ]

    def __str__(self):
        return f"{self.alarm_id} {self.action}"

    @property
    def from_label(self) -> str:
        return AlarmState(self.from_status).label if self.from_status in AlarmState.values else ""

    @property
    def to_label(self) -> str:
        return AlarmState(self.to_status).label if self.to_status in AlarmState.values else ""


class EscalationAction(models.TextChoices):
    NOTIFY = "notify", "通知"
    ESCALATE = "escalate", "升级到上级"
    DISPATCH = "dispatch", "自动派人"
    CALL_EMERGENCY = "call_emergency", "呼叫急救号码"


class NotifyWhom(models.TextChoices):
    FAMILY = "family", "家属（紧急联系人）"
    OPERATORS = "operators", "值班坐席"
    SUPERVISOR = "supervisor", "值班主管（民政干部）"
    RESPONDER = "responder", "响应人员"


class EscalationPolicy(models.Model):
    """One step of a region's escalation: after `after_seconds` in `state`, do `action`. An empty
    `alarm_kind` applies to every kind; a region's own steps for a state replace its parent's."""

    region_code = models.CharField("适用区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6, blank=True)
    alarm_kind = models.CharField("报警类型", max_length=16, choices=AlarmKind.choices, blank=True)
    state = models.CharField("所处状态", max_length=16, choices=AlarmState.choices)
    after_seconds = models.PositiveIntegerField("停留时长（秒）")
    action = models.CharField("动作", max_length=16, choices=EscalationAction.choices)
    notify = models.CharField("通知对象", max_length=12, choices=NotifyWhom.choices, blank=True)
    level = models.PositiveSmallIntegerField("升级到第几级", null=True, blank=True)
    emergency_number = models.CharField("急救号码", max_length=5, blank=True,
                                        choices=[("120", "120"), ("110", "110"), ("119", "119")])  # fmt: skip
    is_active = models.BooleanField("启用", default=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "升级策略"
        ordering = ["region_code", "state", "after_seconds", "id"]

    def __str__(self):
        return f"{self.get_state_display()} {self.after_seconds} 秒后{self.get_action_display()}"


class InactivitySignal(models.TextChoices):
    MOTION = "motion", "无人活动（红外、雷达、床垫）"
    DOOR = "door", "门未开启（门磁）"
    WATER = "water", "用水过少（智能水表）"


# The device kinds whose events feed each signal, and the event kinds that count as activity.
SIGNAL_DEVICES = {
    InactivitySignal.MOTION: (DeviceKind.MOTION, DeviceKind.RADAR, DeviceKind.MATTRESS),
    InactivitySignal.DOOR: (DeviceKind.DOOR,),
    InactivitySignal.WATER: (DeviceKind.WATER_METER,),
}
SIGNAL_EVENTS = {
    InactivitySignal.MOTION: (EventKind.MOTION,),
    InactivitySignal.DOOR: (EventKind.DOOR,),
    InactivitySignal.WATER: (EventKind.READING,),
}


class InactivityRule(models.Model):
    """An alarm from silence: no motion for `hours`, the door not opened, or less than `min_litres` of water
    used in `hours`, checked only between `day_start` and `day_end` (the night is quiet). A rule of a region
    applies to its elders unless a deeper region has one for the same signal; an elder's own rule (`elder`)
    replaces the region's."""

    region_code = models.CharField("适用区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6, blank=True)
    elder = models.ForeignKey(Elder, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                              verbose_name="仅适用于老人")  # fmt: skip
    signal = models.CharField("信号", max_length=10, choices=InactivitySignal.choices)
    hours = models.PositiveSmallIntegerField("时长（小时）", validators=[MinValueValidator(1), MaxValueValidator(72)])
    min_litres = models.FloatField("最少用水量（升）", null=True, blank=True)
    day_start = models.TimeField("每日检查开始")
    day_end = models.TimeField("每日检查结束")
    is_active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("修改时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "无活动报警规则"
        ordering = ["region_code", "signal", "id"]
        constraints = [
            models.UniqueConstraint(fields=["region_code", "signal"], condition=Q(elder__isnull=True),
                                    name="care_inactivity_region_signal"),
            models.UniqueConstraint(fields=["elder", "signal"], condition=Q(elder__isnull=False),
                                    name="care_inactivity_elder_signal"),
        ]  # fmt: skip

    def __str__(self):
        return f"{self.get_signal_display()} {self.hours} 小时"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class Notification(models.Model):
    """One attempt to tell someone about an alarm, with the backend's answer."""

    alarm = models.ForeignKey(Alarm, on_delete=models.PROTECT, related_name="notifications")
    region_code = models.CharField("区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    channel = models.CharField("渠道", max_length=12)
    recipient = models.CharField("接收人", max_length=100)
    address = models.CharField("号码或账号", max_length=64, blank=True)
    message = models.CharField("内容", max_length=500)
    status = models.CharField("结果", max_length=10, choices=NotificationStatus.choices,
                              default=NotificationStatus.PENDING)  # fmt: skip
    error = models.CharField("失败原因", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    attempted_at = models.DateTimeField("发送时间", null=True, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")
    sensitive = Sensitive({"address": Kind.PHONE}, "care.view_sensitive_alarm", label="通知号码")

    class Meta:
        verbose_name = verbose_name_plural = "通知记录"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.alarm_id} → {self.recipient}"


class MaintenanceTicket(ImmutableEntry):
    """A device that needs a visit (heartbeat overdue, battery low): a maintenance matter, never an alarm.
    One open ticket per device and reason (`key`)."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="tickets")
    region_code = models.CharField("区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    reason = models.CharField(
        "原因", max_length=16, choices=[("offline", "心跳超时"), ("battery", "电量低"), ("false_alarms", "误报频繁")]
    )
    key = models.CharField("幂等键", max_length=80)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", elder="device__elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "设备维护工单"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["county_code", "key"], name="care_ticket_key")]

    def __str__(self):
        return f"{self.device_id} {self.reason}"


class HotlineCall(models.Model):
    """A call to the hotline as the telephony system reports it: the caller's number, the operator's
    seat it rang, and the elder found by that number (their own phone or an emergency contact's)."""

    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    caller_number = models.CharField("来电号码", max_length=20)
    elder = models.ForeignKey(Elder, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    external_id = models.CharField("话务系统呼叫编号", max_length=64, blank=True)
    received_at = models.DateTimeField("来电时间", default=timezone.now)
    alarm = models.ForeignKey(Alarm, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")
    sensitive = Sensitive({"caller_number": Kind.PHONE}, "care.view_sensitive_alarm", label="热线来电号码")

    class Meta:
        verbose_name = verbose_name_plural = "热线来电"
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"来电 {self.pk}"
