"""What an upper platform publishes down to a lower one (decision 0023): the service menus, inspection
checklists and targets of the regions above the lower platform's region, as versioned sets.

A set is every row of one kind that the upper platform holds for those regions (the city's own and the
province's). Its version is the digest of its content, so the lower platform asks with the versions it has
and gets only the sets that changed. A set is applied whole or not at all (one transaction; every row
checked by the model's own validation first): rows are matched by their natural key, updated or added, and
rows of those regions that the set no longer holds are switched off (or removed where the kind has no
switch). The lower platform's own rows (the county's menu) are never touched.
"""

import hashlib
import json
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from yiyang.core import audit
from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors
from yiyang.core.models import AuditAction
from yiyang.core.regioncodes import ancestors
from yiyang.core.scoping import SYSTEM_READER


@dataclass(frozen=True)
class MetaSet:
    name: str
    label: str
    model: str
    key: tuple[str, ...]  # with region_code, names one row for good
    fields: tuple[str, ...]  # what the set carries besides the key

    @property
    def model_class(self):
        return apps.get_model(self.model)


SETS = {
    s.name: s
    for s in (
        MetaSet("service_items", "服务菜单", "homecare.ServiceItem", ("code",),
                ("name", "category", "unit", "price", "duration_minutes", "min_minutes", "required_skill", "subsidies",
                 "is_active")),
        MetaSet("checklists", "检查表", "supervision.Checklist", ("name", "version"), ("items", "is_active")),
        MetaSet("targets", "目标考核", "analytics.Target", ("year", "indicator"), ("value", "direction", "note")),
    )
}  # fmt: skip


def _digest(rows: list[dict]) -> str:
    text = json.dumps(rows, sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def published(region_code: str, have: dict[str, str]) -> list[dict]:
    """The sets for a lower platform of `region_code` whose version differs from what it `have`s."""
    above = ancestors(region_code)
    answer = []
    for meta in SETS.values():
        columns = ("region_code", *meta.key, *meta.fields)
        rows = list(
            meta.model_class.objects.visible_to(SYSTEM_READER, "view")
            .filter(region_code__in=above)
            .order_by("region_code", *meta.key)
            .values(*columns)
        )
        rows = json.loads(json.dumps(rows, cls=DjangoJSONEncoder))  # dates and decimals as JSON sends them
        version = _digest(rows)
        if have.get(meta.name) != version:
            answer.append({"name": meta.name, "version": version, "regions": above, "rows": rows})
    return answer


@transaction.atomic
def apply_set(actor: Actor, lower_region: str, published_set: dict) -> dict:
    """Apply one published set whole, or raise FieldErrors naming the first bad row and field."""
    if not isinstance(published_set, dict) or not isinstance(published_set.get("rows", []), list):
        raise FieldErrors({"rows": "数据集格式有误"})
    meta = SETS.get(published_set.get("name"))
    if meta is None:
        raise FieldErrors({"name": f"未知的数据集：{published_set.get('name')}"})
    model = meta.model_class
    above = set(ancestors(lower_region))
    stored = {
        tuple(getattr(row, k) for k in ("region_code", *meta.key)): row
        for row in model.objects.visible_to(SYSTEM_READER, "view").filter(region_code__in=above)
    }
    kept, added, changed = set(), 0, 0
    for index, values in enumerate(published_set.get("rows") or []):
        region = str(values.get("region_code") or "") if isinstance(values, dict) else ""
        if region not in above:
            raise FieldErrors({f"rows.{index}.region_code": f"不是本平台上级区划的数据：{region}"})
        key = (region, *(model._meta.get_field(k).to_python(values.get(k)) for k in meta.key))
        row = stored.get(key) or model(region_code=region, county_code=region[:6])
        before = {f: getattr(row, f) for f in meta.fields} if row.pk else None
        if not isinstance(values, dict):
            raise FieldErrors({f"rows.{index}": "应为一条记录"})
        try:
            for name in (*meta.key, *meta.fields):
                if name in values:
                    # As the model holds it (a decimal, not its text), so an unchanged row compares equal.
                    setattr(row, name, model._meta.get_field(name).to_python(values[name]))
            if key in kept:
                raise ValidationError({meta.key[0]: ["同一数据集中重复"]})
            row.full_clean(validate_unique=False)
        except ValidationError as error:
            fields = {f"rows.{index}.{k}": "；".join(v) for k, v in error.message_dict.items()}
            raise FieldErrors(fields) from None
        if before is None:
            added += 1
            row.save()
        elif before != {f: getattr(row, f) for f in meta.fields}:
            changed += 1
            row.save()
        kept.add(key)
    gone = [row for key, row in stored.items() if key not in kept]
    if gone and any(f.name == "is_active" for f in model._meta.fields):
        switched = model.objects.filter(pk__in=[r.pk for r in gone if r.is_active]).update(is_active=False)
    else:
        switched = model.objects.filter(pk__in=[r.pk for r in gone]).delete()[0] if gone else 0
    counts = {"added": added, "changed": changed, "removed": switched}
    if any(counts.values()):
        audit.record(
            actor, AuditAction.UPDATE, object_type=model._meta.label_lower,
            object_repr=f"上级平台下发「{meta.label}」第 {published_set.get('version', '')} 版",
            changes={k: [None, v] for k, v in counts.items()}, region_code=lower_region,
        )  # fmt: skip
    return counts
