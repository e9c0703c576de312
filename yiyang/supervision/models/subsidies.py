"""Operation subsidies (运营补贴) of care facilities: per-region rate tables, monthly claims computed
from the residents on record with their lines as evidence, review steps, and the payment ledger."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from yiyang.core.ledger import DecisionStep, ImmutableEntry
from yiyang.core.scoping import ScopedManager, ScopeSpec
from yiyang.facilities.models import Facility

__all__ = ["ClaimStatus", "LineKind", "SubsidyClaim", "SubsidyLine", "SubsidyPayment", "SubsidyRateTable",
           "SubsidyStep"]  # fmt: skip


class SubsidyRateTable(models.Model):
    """A region's subsidy rates, valid from a month on. The nearest table above a facility applies.

    `level_rates` maps a GB/T 42195 capability level ("0".."4") to fen per resident per month;
    `unassessed_rate` applies to a resident without a valid assessment in that month.
    """

    region_code = models.CharField("适用区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    name = models.CharField("政策名称", max_length=100)
    document = models.CharField("政策文件", max_length=100, blank=True, help_text="文号及版本")
    valid_from = models.DateField("起始月份")
    valid_until = models.DateField("截止月份", null=True, blank=True)
    facility_types = models.JSONField("适用机构类型", default=list)
    level_rates = models.JSONField("按能力等级每人每月（分）")
    unassessed_rate = models.PositiveIntegerField("未评估或评估过期每人每月（分）", default=0)
    nursing_level = models.PositiveSmallIntegerField("护理型床位补贴的最低能力等级", default=2)
    nursing_extra = models.PositiveIntegerField("护理型床位每人每月加补（分）", default=0)
    construction_per_bed = models.PositiveIntegerField("新增床位一次性建设补贴（分/张）", default=0)
    min_days = models.PositiveSmallIntegerField("当月在住满多少天计补", default=15)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "运营补贴标准"
        ordering = ["region_code", "-valid_from"]

    def __str__(self):
        return f"{self.name}（{self.valid_from:%Y-%m} 起）"

    def rate_for(self, level: int | None) -> int:
        return self.unassessed_rate if level is None else int(self.level_rates.get(str(level), 0))


class ClaimStatus(models.TextChoices):
    CALCULATED = "calculated", "已测算"
    SUBMITTED = "submitted", "机构已申报"
    COUNTY_APPROVED = "county_approved", "县级已审核"
    CITY_APPROVED = "city_approved", "市级已审批"
    PAID = "paid", "已拨付"


class SubsidyClaim(models.Model):
    """One facility's subsidy for one month. One claim per facility and month: a rerun adds nothing."""

    facility = models.ForeignKey(Facility, verbose_name="机构", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    month = models.DateField("补贴月份")
    rate_table = models.ForeignKey(SubsidyRateTable, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.CALCULATED)
    residents = models.PositiveIntegerField("计补人数")
    amount = models.PositiveBigIntegerField("补贴金额（分）")
    run_id = models.CharField("测算批次", max_length=32)
    calculated_at = models.DateTimeField("测算时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "运营补贴申报"
        ordering = ["-month", "region_code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "facility", "month"], name="subsidy_claim_once_a_month")
        ]
        indexes = [
            models.Index(fields=["month", "region_code"], name="subsidy_claim_month_region"),
            models.Index(fields=["run_id"], name="subsidy_claim_run"),
        ]

    def __str__(self):
        return f"{self.facility_id} {self.month:%Y-%m}"


class LineKind(models.TextChoices):
    OPERATION = "operation", "运营补贴"
    NURSING = "nursing", "护理型床位加补"
    CONSTRUCTION = "construction", "新增床位建设补贴"


class SubsidyLine(models.Model):
    """The evidence of a claim: one line per resident (with the level it was paid at), plus the
    nursing-bed and construction lines."""

    # No database constraint: a province month writes half a million lines, and PostgreSQL's deferred
    # check of each one at commit took longer than writing them. Lines are only ever written in the
    # transaction that writes their claim, and claims are never deleted.
    claim = models.ForeignKey(SubsidyClaim, on_delete=models.PROTECT, related_name="lines", db_constraint=False)
    county_code = models.CharField("县（区）代码", max_length=6)
    kind = models.CharField("类型", max_length=12, choices=LineKind.choices)
    elder_id = models.BigIntegerField("老人", null=True, blank=True)
    capability_level = models.SmallIntegerField("能力等级", null=True, blank=True, help_text="空 = 未评估或已过期")
    days = models.PositiveSmallIntegerField("当月在住天数", default=0)
    quantity = models.PositiveIntegerField("数量", default=1)
    amount = models.PositiveIntegerField("金额（分）")

    objects = ScopedManager()
    scope = ScopeSpec(region="claim__region_code", facility="claim__facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "补贴明细"
        ordering = ["claim", "kind", "elder_id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class SubsidyStep(DecisionStep):
    """Who moved a claim, when and why: calculated, submitted, approved, returned, paid."""

    claim = models.ForeignKey(SubsidyClaim, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField("环节", max_length=20)

    objects = ScopedManager()
    scope = ScopeSpec(region="claim__region_code", facility="claim__facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "补贴办理记录"
        ordering = ["at", "id"]


class SubsidyPayment(ImmutableEntry):
    """A disbursement. The key (facility and month) makes a second payment of the same claim impossible."""

    claim = models.ForeignKey(SubsidyClaim, on_delete=models.PROTECT, related_name="payments")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("机构所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    amount = models.PositiveBigIntegerField("拨付金额（分）")
    idempotency_key = models.CharField(max_length=80)
    paid_at = models.DateTimeField("拨付时间", default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", facility="facility_id")

    class Meta:
        verbose_name = verbose_name_plural = "补贴拨付流水"
        constraints = [models.UniqueConstraint(fields=["county_code", "idempotency_key"], name="subsidy_payment_once")]

    def __str__(self):
        return f"{self.idempotency_key} {self.amount}"
