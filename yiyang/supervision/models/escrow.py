"""Prepaid fees and their third-party escrow (预收费第三方存管): per facility an escrow account filed
with the bureau, per resident a ledger of immutable entries, alerts to the bureau, and the closure
procedure that refunds every balance (《养老机构预收费管理办法》, docs/standards.md §9)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiyang.core.ledger import ImmutableEntry
from yiyang.core.masking import Kind, Sensitive
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.facilities.models import Facility, Residence

__all__ = [
    "AlertKind",
    "AlertStatus",
    "ClosureStatus",
    "EntryType",
    "EscrowAccount",
    "EscrowAlert",
    "EscrowEntry",
    "FacilityClosure",
    "FeeKind",
]


class EscrowAccount(models.Model):
    """A facility's dedicated escrow account at a commercial bank, as filed with the bureau."""

    facility = models.ForeignKey(Facility, verbose_name="机构", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    bank_name = models.CharField("存管银行", max_length=100)
    account_number = models.CharField("存管账号", max_length=40)
    filing_number = models.CharField("民政备案编号", max_length=50)
    net_fixed_assets = models.PositiveBigIntegerField("固定资产净额（分，不含已抵押资产）")
    risk_reserve = models.PositiveBigIntegerField("风险保证金（分）", default=0)
    monthly_fee = models.PositiveIntegerField("月收费标准（分）")
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")
    sensitive = Sensitive(
        {"account_number": Kind.BANK_ACCOUNT}, "supervision.view_sensitive_escrowaccount", label="完整存管账号"
    )

    class Meta:
        verbose_name = verbose_name_plural = "预收费存管账户"
        constraints = [models.UniqueConstraint(fields=["county_code", "facility"], name="escrow_account_per_facility")]
        indexes = [models.Index(fields=["region_code", "facility"], name="escrow_account_region")]

    def __str__(self):
        return f"{self.bank_name} 存管账户"


class FeeKind(models.TextChoices):
    SERVICE = "service", "养老服务费"
    DEPOSIT = "deposit", "押金"
    MEMBERSHIP = "membership", "会员费"


class EntryType(models.TextChoices):
    RECEIPT = "receipt", "收取"
    DRAWDOWN = "drawdown", "按月划扣"
    REFUND = "refund", "退费"


class EscrowEntry(ImmutableEntry):
    """One immutable entry of a resident's prepaid ledger; balances are sums of entries."""

    account = models.ForeignKey(EscrowAccount, on_delete=models.PROTECT, related_name="entries")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    residence = models.ForeignKey(Residence, verbose_name="入住记录", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    fee_kind = models.CharField("费用类型", max_length=12, choices=FeeKind.choices)
    entry_type = models.CharField("记账类型", max_length=10, choices=EntryType.choices)
    amount = models.BigIntegerField("金额（分）", help_text="收取为正，划扣、退费为负")
    month = models.DateField("划扣月份", null=True, blank=True)
    key = models.CharField("幂等键", max_length=80)
    note = models.CharField("说明", max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("记账时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "预收费流水"
        ordering = ["created_at", "id"]
        constraints = [
            # A key is unique within one facility's account: another facility's key neither clashes
            # with it nor tells anything about that facility's entries.
            models.UniqueConstraint(fields=["county_code", "account", "key"], name="escrow_entry_key"),
            # One service-fee draw-down per resident and month, whatever key a caller chose.
            models.UniqueConstraint(
                fields=["county_code", "residence", "month"],
                condition=Q(entry_type="drawdown"),
                name="escrow_drawdown_once_a_month",
            ),
            models.CheckConstraint(
                condition=Q(entry_type="receipt", amount__gt=0)
                | Q(entry_type__in=["drawdown", "refund"], amount__lt=0),
                name="escrow_entry_sign",
            ),
            models.CheckConstraint(
                condition=~Q(entry_type="drawdown") | Q(fee_kind="service", month__isnull=False),
                name="escrow_drawdown_is_service_fee",
            ),
        ]
        indexes = [
            models.Index(fields=["facility", "residence", "fee_kind"], name="escrow_entry_balance"),
            models.Index(fields=["region_code", "facility"], name="escrow_entry_region"),
        ]

    def __str__(self):
        return f"{self.get_fee_kind_display()} {self.get_entry_type_display()} {self.amount}"


class AlertKind(models.TextChoices):
    OVER_ASSETS = "over_assets", "预收费总额超过固定资产净额"


class AlertStatus(models.TextChoices):
    OPEN = "open", "待处理"
    ACKNOWLEDGED = "acknowledged", "已知悉"


class EscrowAlert(models.Model):
    """A warning to the bureau; the receipt that raised it is recorded all the same."""

    facility = models.ForeignKey(Facility, verbose_name="机构", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    kind = models.CharField("预警类型", max_length=20, choices=AlertKind.choices)
    total_prepaid = models.BigIntegerField("预收费总额（分）")
    net_fixed_assets = models.BigIntegerField("固定资产净额（分）")
    status = models.CharField("状态", max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    raised_at = models.DateTimeField("预警时间", default=timezone.now)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")  # fmt: skip
    acknowledged_at = models.DateTimeField("处理时间", null=True, blank=True)
    note = models.CharField("处理意见", max_length=500, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "预收费预警"
        ordering = ["-raised_at", "-id"]
        constraints = [
            # A facility over the line has one open alert (updated), not one per receipt.
            models.UniqueConstraint(
                fields=["county_code", "facility", "kind"], condition=Q(status="open"), name="escrow_alert_one_open"
            )
        ]

    def __str__(self):
        return self.get_kind_display()


class ClosureStatus(models.TextChoices):
    ANNOUNCED = "announced", "已公告，退费中"
    COMPLETED = "completed", "退费完成"


class FacilityClosure(models.Model):
    """A facility's announced closure (停业) and the refund of every prepaid balance."""

    facility = models.ForeignKey(Facility, verbose_name="机构", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    announced_on = models.DateField("公告日期")
    closing_on = models.DateField("停业日期")
    reason = models.CharField("停业原因", max_length=500)
    status = models.CharField("状态", max_length=12, choices=ClosureStatus.choices, default=ClosureStatus.ANNOUNCED)
    residents_at_announcement = models.PositiveIntegerField("公告时有余额的老人数", default=0)
    prepaid_at_announcement = models.BigIntegerField("公告时预收费余额（分）", default=0)
    announced_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "机构停业退费"
        constraints = [models.UniqueConstraint(fields=["county_code", "facility"], name="facility_closure_once")]

    def __str__(self):
        return f"{self.closing_on} 停业"
