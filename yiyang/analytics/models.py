from django.conf import settings
from django.db import models
from django.utils import timezone

from yiyang.core.owned import RegionOwned
from yiyang.core.scoping import ScopedManager, ScopeSpec


class Direction(models.TextChoices):
    AT_LEAST = "gte", "不低于"
    AT_MOST = "lte", "不高于"


class Target(RegionOwned):
    """A target (目标考核) for one indicator, region and year."""

    region_label = "区划代码"
    year = models.PositiveSmallIntegerField("年度")
    indicator = models.CharField("指标", max_length=40)
    value = models.DecimalField("目标值", max_digits=12, decimal_places=2)
    direction = models.CharField("方向", max_length=3, choices=Direction.choices, default=Direction.AT_LEAST)
    note = models.CharField("说明", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "目标"
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "region_code", "year", "indicator"], name="target_region_year_indicator"
            )
        ]

    def __str__(self):
        return f"{self.region_code} {self.year} {self.indicator} {self.get_direction_display()} {self.value}"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    DONE = "done", "已生成"
    FAILED = "failed", "失败"


class MonthlyReport(models.Model):
    """A monthly report of one region, built in the background as an .xlsx file."""

    region_code = models.CharField("区划代码", max_length=12)
    month = models.DateField("月份", help_text="该月第一天")
    status = models.CharField("状态", max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    file = models.CharField("文件", max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField("申请时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "月度报告"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.region_code} {self.month:%Y-%m} {self.get_status_display()}"


class IndicatorSnapshot(models.Model):
    """The value of every indicator of a region at the end of a month, for month-on-month change."""

    region_code = models.CharField("区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    month = models.DateField("月份")
    values = models.JSONField("指标值")
    taken_at = models.DateTimeField("记录时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "指标月度快照"
        constraints = [
            models.UniqueConstraint(fields=["county_code", "region_code", "month"], name="snapshot_region_month")
        ]

    def __str__(self):
        return f"{self.region_code} {self.month:%Y-%m}"
