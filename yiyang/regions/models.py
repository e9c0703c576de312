from django.core.validators import MinValueValidator
from django.db import models

from yiyang.core.regioncodes import LEVEL_LABELS, Level
from yiyang.core.scoping import ScopedManager, ScopeSpec


class UrbanRural(models.TextChoices):
    """城乡分类代码 (urban-rural class) of a community or village."""

    MAIN_URBAN = "111", "主城区"
    URBAN_FRINGE = "112", "城乡结合区"
    TOWN_CENTRE = "121", "镇中心区"
    TOWN_FRINGE = "122", "镇乡结合区"
    SPECIAL = "123", "特殊区域"
    TOWNSHIP_CENTRE = "210", "乡中心区"
    VILLAGE = "220", "村庄"

    @classmethod
    def is_urban(cls, value: str) -> bool:
        return bool(value) and value.startswith("1")


class Region(models.Model):
    """A node of the region tree, keyed by its 12-digit statistical code (DESIGN.md §3)."""

    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.PositiveSmallIntegerField("层级", choices=[(int(k), v) for k, v in LEVEL_LABELS.items()])
    parent_code = models.CharField("上级区划代码", max_length=12, null=True, blank=True, db_index=True)
    urban_rural = models.CharField("城乡分类", max_length=3, choices=UrbanRural.choices, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    lng = models.FloatField("经度", null=True, blank=True)
    population_total = models.PositiveIntegerField(
        "户籍总人口", null=True, blank=True, validators=[MinValueValidator(0)]
    )
    population_60 = models.PositiveIntegerField("60岁及以上人口", null=True, blank=True)
    population_65 = models.PositiveIntegerField("65岁及以上人口", null=True, blank=True)
    population_80 = models.PositiveIntegerField("80岁及以上人口", null=True, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="code")

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"], name="region_level_code")]

    def __str__(self):
        return self.name

    @property
    def level_enum(self) -> Level:
        return Level(self.level)

    @property
    def aging_rate(self) -> float | None:
        """Share of residents aged 60+ (老龄化率), from the population figures entered for the region."""
        if not self.population_total or self.population_60 is None:
            return None
        return self.population_60 / self.population_total
