"""Home and community care: the service menu, orders, voucher ledgers, meals and the time bank.
Providers and their caregivers are kept in the providers registry."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiyang.core.ledger import ImmutableEntry
from yiyang.core.owned import RegionOwned
from yiyang.core.photos import PhotoPath
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.providers.models import Provider, Staff


class Unit(models.TextChoices):
    VISIT = "visit", "次"
    HOUR = "hour", "小时"
    MEAL = "meal", "餐"
    ITEM = "item", "项"


class ServiceCategory(models.TextChoices):
    """GB/T 43153-2023 categories of home-visit care."""

    DAILY_LIVING = "daily_living", "生活照料"
    BASIC_CARE = "basic_care", "基础照护"
    HEALTH = "health", "健康管理"
    VISITING = "visiting", "探访关爱"
    EMOTIONAL = "emotional", "精神慰藉"
    ERRANDS = "errands", "委托代办"
    OTHER = "other", "其他"


class ServiceItem(models.Model):
    """One entry of a region's service menu (菜单式). It applies to every community under the region."""

    region_code = models.CharField("适用区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    code = models.CharField("项目编码", max_length=20)
    name = models.CharField("服务项目", max_length=50)
    category = models.CharField("类别", max_length=20, choices=ServiceCategory.choices)
    unit = models.CharField("计价单位", max_length=10, choices=Unit.choices)
    price = models.PositiveIntegerField("单价（分）")
    duration_minutes = models.PositiveIntegerField("标准时长（分钟）", default=60)
    min_minutes = models.PositiveIntegerField("最短服务时长（分钟）", default=0)
    required_skill = models.PositiveSmallIntegerField(
        "要求护理员等级",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="养老护理员一级（高级技师）至五级（初级工）；空 = 不限",
    )
    subsidies = models.JSONField(
        "政府补贴比例", default=dict, blank=True, help_text='{老人类别代码: 补贴百分比}，如 {"tekun": 100}'
    )
    is_active = models.BooleanField("在售", default=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "服务项目"
        constraints = [models.UniqueConstraint(fields=["county_code", "region_code", "code"], name="service_item_code")]

    def __str__(self):
        return self.name


class OrderStatus(models.TextChoices):
    CREATED = "created", "待派单"
    ASSIGNED = "assigned", "已派给服务商"
    ACCEPTED = "accepted", "服务商已接单"
    DISPATCHED = "dispatched", "已派给服务人员"
    IN_SERVICE = "in_service", "服务中"
    COMPLETED = "completed", "已完成"
    RATED = "rated", "已评价"
    CANCELLED = "cancelled", "已取消"
    DECLINED = "declined", "服务商已拒单"
    EXPIRED = "expired", "超时未接单"
    DISPUTED = "disputed", "投诉处理中"
    RESOLVED = "resolved", "投诉已处理"


class Order(models.Model):
    """A booked service (订单式) for one elder, from booking to rating."""

    elder_id = models.BigIntegerField("老人", db_index=True)
    region_code = models.CharField("老人所属社区代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    item = models.ForeignKey(ServiceItem, verbose_name="服务项目", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveSmallIntegerField("数量", default=1)
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    caregiver = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField("状态", max_length=12, choices=OrderStatus.choices, default=OrderStatus.CREATED)
    # Raised by one on every transition (core.workflow): a dispatch names the version it replaces.
    version = models.PositiveIntegerField("版本", default=0)
    slot_start = models.DateTimeField("预约时间")
    address = models.CharField("服务地址", max_length=200)
    lat = models.FloatField("纬度", null=True, blank=True)
    lng = models.FloatField("经度", null=True, blank=True)
    notes = models.CharField("备注", max_length=500, blank=True)
    price = models.PositiveIntegerField("总价（分）")
    subsidy = models.PositiveIntegerField("政府补贴（分）")
    voucher = models.PositiveIntegerField("服务券抵扣（分）")
    self_pay = models.PositiveIntegerField("自付（分）")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("下单时间", default=timezone.now)
    assigned_at = models.DateTimeField("派单时间", null=True, blank=True)
    accepted_at = models.DateTimeField("接单时间", null=True, blank=True)
    dispatched_at = models.DateTimeField("派人时间", null=True, blank=True)
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    check_in_distance_m = models.PositiveIntegerField("签到距离（米）", null=True, blank=True)
    checked_out_at = models.DateTimeField("签退时间", null=True, blank=True)
    service_record = models.TextField("服务记录", blank=True)
    flags = models.JSONField("异常标记", default=list, blank=True)
    escalated = models.BooleanField("超时升级", default=False)
    complaint = models.CharField("投诉内容", max_length=500, blank=True)
    resolution = models.CharField("处理结果", max_length=500, blank=True)
    rating = models.PositiveSmallIntegerField("评分", null=True, blank=True)
    rating_comment = models.CharField("评价", max_length=500, blank=True)
    confirmed_at = models.DateTimeField("老人或家属确认时间", null=True, blank=True)
    confirmed_by = models.CharField(
        "确认方式",
        max_length=10,
        blank=True,
        choices=[("family", "家属在手机上确认"), ("on_site", "老人或家属当面确认")],
    )

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", provider="provider_id", caregiver="caregiver_id", elder="elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "服务订单"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["region_code", "status"], name="order_region_status"),
            models.Index(fields=["provider", "status"], name="order_provider_status"),
            models.Index(fields=["caregiver", "slot_start"], name="order_caregiver_slot"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.item_id} {self.get_status_display()}"


class OrderPhoto(models.Model):
    """A photo of the service record taken by the caregiver on check-out; served only through a
    scoped view (it may show the elder's home)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="photos")
    county_code = models.CharField("县（区）代码", max_length=6)
    extension = models.CharField(max_length=5)
    file = models.FileField("照片", upload_to=PhotoPath("homecare"))
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="order__region_code", provider="order__provider_id", caregiver="order__caregiver_id",
                      elder="order__elder_id")  # fmt: skip

    class Meta:
        verbose_name = verbose_name_plural = "服务照片"
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"订单 {self.order_id} 照片"


class EntryKind(models.TextChoices):
    GRANT = "grant", "发放"
    DEBIT = "debit", "抵扣"
    REFUND = "refund", "退回"


class VoucherEntry(ImmutableEntry):
    """One immutable entry of an elder's service-voucher ledger; the balance is the sum of entries."""

    elder_id = models.BigIntegerField("老人", db_index=True)
    region_code = models.CharField("老人所属社区代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    kind = models.CharField("类型", max_length=10, choices=EntryKind.choices)
    amount = models.IntegerField("金额（分）", help_text="发放、退回为正，抵扣为负")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    key = models.CharField("幂等键", max_length=80)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("记账时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", elder="elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "服务券流水"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "key"], name="voucher_entry_key"),
            models.CheckConstraint(
                condition=(Q(kind="debit", amount__lt=0) | Q(kind__in=["grant", "refund"], amount__gt=0)),
                name="voucher_entry_sign",
            ),
        ]

    def __str__(self):
        return f"{self.elder_id} {self.get_kind_display()} {self.amount}"


class Meal(models.TextChoices):
    BREAKFAST = "breakfast", "早餐"
    LUNCH = "lunch", "午餐"
    DINNER = "dinner", "晚餐"


class MealMode(models.TextChoices):
    DINE_IN = "dine_in", "堂食"
    PICK_UP = "pick_up", "自取"
    DELIVERY = "delivery", "送餐上门"


class MealMenu(models.Model):
    """What a canteen (长者饭堂/助餐点) serves at one meal of one day, and its price."""

    facility_id = models.BigIntegerField("助餐点", db_index=True)
    region_code = models.CharField("助餐点所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    day = models.DateField("日期")
    meal = models.CharField("餐次", max_length=10, choices=Meal.choices)
    dishes = models.CharField("菜品", max_length=300)
    price = models.PositiveIntegerField("价格（分）")

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "助餐菜单"
        constraints = [
            models.UniqueConstraint(fields=["county_code", "facility_id", "day", "meal"], name="meal_menu_day")
        ]

    def __str__(self):
        return f"{self.day} {self.get_meal_display()} {self.dishes}"


class MealSubsidyRule(RegionOwned):
    """Per-meal subsidy for a category of elders in a region, with a cap of subsidised meals a day."""

    region_label = "适用区划代码"
    category = models.CharField("老人类别", max_length=20)
    amount = models.PositiveIntegerField("每餐补贴（分）")
    daily_cap = models.PositiveSmallIntegerField("每日补贴餐数上限", default=2)

    class Meta:
        verbose_name = verbose_name_plural = "助餐补贴规则"
        constraints = [
            models.UniqueConstraint(fields=["county_code", "region_code", "category"], name="meal_subsidy_rule")
        ]

    def __str__(self):
        return f"{self.region_code} {self.category} {self.amount}"


class MealRecord(models.Model):
    """One meal served to one elder; one record per elder, day and meal (a resend changes nothing)."""

    elder_id = models.BigIntegerField("老人", db_index=True)
    region_code = models.CharField("老人所属社区代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    facility_id = models.BigIntegerField("助餐点", db_index=True)
    day = models.DateField("日期")
    meal = models.CharField("餐次", max_length=10, choices=Meal.choices)
    mode = models.CharField("方式", max_length=10, choices=MealMode.choices)
    price = models.PositiveIntegerField("价格（分）")
    subsidy = models.PositiveIntegerField("补贴（分）")
    self_pay = models.PositiveIntegerField("自付（分）")
    recorded_at = models.DateTimeField("记录时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id", elder="elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "助餐记录"
        constraints = [
            models.UniqueConstraint(fields=["county_code", "elder_id", "day", "meal"], name="meal_record_once")
        ]
        indexes = [models.Index(fields=["facility_id", "day"], name="meal_record_facility_day")]

    def __str__(self):
        return f"{self.elder_id} {self.day} {self.get_meal_display()}"


class Volunteer(models.Model):
    """A time-bank volunteer (often a younger elder), registered in a community."""

    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("电话", max_length=20)
    region_code = models.CharField("所属社区代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    elder_id = models.BigIntegerField("本人老人档案", null=True, blank=True)
    joined_on = models.DateField("加入日期", default=timezone.localdate)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "时间银行志愿者"

    def __str__(self):
        return self.name


class VolunteerService(models.Model):
    """Hours a volunteer reports; they are credited once the served person or the organiser confirms."""

    class State(models.TextChoices):
        PENDING = "pending", "待确认"
        CONFIRMED = "confirmed", "已确认"
        REJECTED = "rejected", "未通过"

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="services")
    region_code = models.CharField("所属社区代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    served_elder_id = models.BigIntegerField("服务对象", null=True, blank=True)
    day = models.DateField("服务日期")
    hours = models.DecimalField("时长（小时）", max_digits=4, decimal_places=1)
    description = models.CharField("服务内容", max_length=300)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PENDING)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")  # fmt: skip

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", elder="served_elder_id")

    class Meta:
        verbose_name = verbose_name_plural = "志愿服务记录"

    def __str__(self):
        return f"{self.volunteer_id} {self.day} {self.hours}h"


class TimeEntry(ImmutableEntry):
    """One immutable entry of a volunteer's hour ledger; the balance is the sum of entries."""

    class Kind(models.TextChoices):
        EARN = "earn", "服务存入"
        REDEEM = "redeem", "兑换服务"
        TRANSFER_OUT = "transfer_out", "转出"
        TRANSFER_IN = "transfer_in", "转入"

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="entries")
    region_code = models.CharField("所属社区代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    kind = models.CharField("类型", max_length=15, choices=Kind.choices)
    hours = models.DecimalField("时长（小时）", max_digits=6, decimal_places=1)
    key = models.CharField("幂等键", max_length=80)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("记账时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "时间银行流水"
        constraints = [models.UniqueConstraint(fields=["county_code", "key"], name="time_entry_key")]

    def __str__(self):
        return f"{self.volunteer_id} {self.get_kind_display()} {self.hours}"
