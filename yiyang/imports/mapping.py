"""Column mappings: a header that no synonym knows, mapped by a clerk to a column (or ignored) once per region,
then used for that region's later files of the same kind. Synonyms always win: a mapping never changes what a
known header means."""

from dataclasses import replace

from django.db import transaction
from django.utils import timezone

from yiyang.core.errors import FieldErrors
from yiyang.core.tabular import Column, normalise_header
from yiyang.core.tabular.table import column_lookup

from .kinds import ImportKind
from .models import ColumnMapping

IGNORE = ""  # the field of an ignored header


def saved(region_code: str, kind: ImportKind) -> dict[str, str]:
    """{header as written: field} of the region's mappings for this kind."""
    return dict(
        ColumnMapping.objects.filter(region_code=region_code, kind=kind.key)
        .values_list("shown", "field")
        .order_by("id")
    )


def columns_for(kind: ImportKind, mapping: dict[str, str]) -> tuple[list[Column], set[str]]:
    """The columns to read a file with under `mapping`, and the normalised headers it ignores."""
    base = kind.read_columns
    known = column_lookup(base)
    fields = {c.key for c in base}
    extra: dict[str, list[str]] = {}
    ignored: set[str] = set()
    for header, field in mapping.items():
        norm = normalise_header(header)
        if not norm or norm in known:
            continue
        if field == IGNORE:
            ignored.add(norm)
        elif field in fields:
            extra.setdefault(field, []).append(header)
    columns = [replace(c, aliases=(*c.aliases, *extra[c.key])) if c.key in extra else c for c in base]
    return columns, ignored


def clean(kind: ImportKind, mapping) -> dict[str, str]:
    """A mapping as a clerk or a machine sends it, checked: {header: field key or '' (ignore)}."""
    if not isinstance(mapping, dict):
        raise FieldErrors({"mapping": "应为对象：{表头: 对应列的字段名，或空字符串表示忽略}"})
    fields = {c.key: c.header for c in kind.columns}
    errors, out, taken = {}, {}, {}
    for header, field in mapping.items():
        if not isinstance(header, str) or not isinstance(field, str) or not normalise_header(header):
            errors["mapping"] = "表头和对应列都应为文字，表头不能为空"
            continue
        try:
            header.encode("utf-8")
        except UnicodeEncodeError:
            errors["mapping"] = "表头中含有无法识别的字符"
            continue
        header = header.strip()[:100]
        if field not in fields and field != IGNORE:
            errors[f"mapping.{header}"] = f"未知的对应列：{field}（可选：{'、'.join(fields)}，或空字符串表示忽略）"
            continue
        if field and field in taken:
            errors[f"mapping.{header}"] = f"“{taken[field]}”和“{header}”都对应到了“{fields[field]}”，请只保留一个"
            continue
        if field:
            taken[field] = header
        out[header] = field
    if errors:
        raise FieldErrors(errors)
    return out


@transaction.atomic
def save(user, kind: ImportKind, region_code: str, mapping: dict[str, str]) -> None:
    """Keep a checked mapping for the region's later files (a header mapped again replaces its old mapping)."""
    now = timezone.now()
    for header, field in mapping.items():
        ColumnMapping.objects.update_or_create(
            region_code=region_code,
            kind=kind.key,
            header=normalise_header(header),
            defaults={"shown": header, "field": field, "updated_by": user, "updated_at": now},
        )
