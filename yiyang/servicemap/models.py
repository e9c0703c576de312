from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from yiyang.core.scoping import ScopedManager, ScopeSpec


class Area(models.TextChoices):
    URBAN = "urban", "城市社区"
    RURAL = "rural", "农村"


class CoverageRule(models.Model):
    """How far a qualifying facility may be for a community to count as inside the 15-minute circle.

    A rule applies to every community under `region_code`; the most specific rule wins. The platform
    default (no region) is 1,000 m straight-line for urban communities, a common reading of a
    15-minute walk at an elderly pace; rural communities default to 2,000 m.
    """

    region_code = models.CharField("适用区划代码", max_length=12, blank=True, help_text="空 = 全平台默认")
    area = models.CharField("城乡", max_length=5, choices=Area.choices)
    radius_m = models.PositiveIntegerField(
        "服务半径（米）", validators=[MinValueValidator(100), MaxValueValidator(20_000)]
    )
    facility_types = models.JSONField("计入的设施类型", default=list, help_text="空 = 所有类型")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    class Meta:
        verbose_name = verbose_name_plural = "服务圈覆盖规则"
        constraints = [models.UniqueConstraint(fields=["region_code", "area"], name="coverage_rule_region_area")]

    def __str__(self):
        return f"{self.region_code or '默认'} {self.get_area_display()} {self.radius_m} 米"


class CommunityCoverage(models.Model):
    """Whether one community lies inside the 15-minute service circle, as last computed."""

    community_code = models.CharField("社区（村）代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)
    area = models.CharField("城乡", max_length=5, choices=Area.choices)
    covered = models.BooleanField("已覆盖")
    radius_m = models.PositiveIntegerField("服务半径（米）")
    nearest_facility_id = models.BigIntegerField("最近设施", null=True, blank=True)
    nearest_m = models.PositiveIntegerField("最近距离（米）", null=True, blank=True)
    computed_at = models.DateTimeField("计算时间", default=timezone.now)

    objects = ScopedManager()
    scope = ScopeSpec(region="community_code")

    class Meta:
        verbose_name = verbose_name_plural = "社区服务圈覆盖"
        constraints = [
            models.UniqueConstraint(fields=["county_code", "community_code"], name="coverage_county_community")
        ]
        indexes = [models.Index(fields=["community_code"], name="coverage_community")]

    def __str__(self):
        return f"{self.community_code} {'已覆盖' if self.covered else '未覆盖'}"
