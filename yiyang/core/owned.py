"""A base for rows owned by a region, so that a new model declares its owner once.

    class Canteen(RegionOwned):
        region_label = "助餐点所属区划代码"      # optional: the verbose name of region_code
        name = models.CharField("名称", max_length=50)

        class Meta(RegionOwned.Meta):
            verbose_name = "助餐点"

gives the model:
- `region_code`: the 12-digit code of the lowest region the row belongs to (DESIGN.md §3);
- `county_code`: its 6-digit county, filled from `region_code` on save when left empty, so that every
  scoped table carries the key it may one day be distributed by (DESIGN.md §7); bulk_create and raw
  inserts skip save(), so writers of those set it themselves with `regioncodes.county_of`;
- `objects = ScopedManager()` and `scope = ScopeSpec(region="region_code")`: rows are read through
  `Model.objects.visible_to(user, action)` (core.scoping). A model also reachable by facility,
  provider or person declares its own `scope = ScopeSpec(region="region_code", facility=...)`.

The fields come first in the model's field order, as they do in the models written before this base;
`region_label` and `county_label` rename them per model without touching the database.
"""

from django.db import models
from django.db.models.signals import class_prepared
from django.dispatch import receiver

from .regioncodes import county_of
from .scoping import ScopedManager, ScopeSpec


class RegionOwned(models.Model):
    region_code = models.CharField("所属区划代码", max_length=12)
    county_code = models.CharField("县（区）代码", max_length=6)

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code")

    region_label: str | None = None
    county_label: str | None = None

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.region_code and not self.county_code:
            self.county_code = county_of(self.region_code)
        super().save(*args, **kwargs)


@receiver(class_prepared)
def _apply_labels(sender, **kwargs):
    # Each concrete model holds its own copy of the inherited fields, so renaming one touches no other.
    if not issubclass(sender, RegionOwned) or sender._meta.abstract:
        return
    for field_name, label in (("region_code", sender.region_label), ("county_code", sender.county_label)):
        if label:
            field = sender._meta.get_field(field_name)
            # Django keeps the declared name apart for migrations (Field.deconstruct reads _verbose_name).
            field.verbose_name = field._verbose_name = label
