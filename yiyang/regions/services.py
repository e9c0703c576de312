"""Region operations: loading the real divisions, importing streets and communities, population figures."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.db import transaction
from django.http import Http404

from yiyang.core import audit
from yiyang.core.api import region_code_param
from yiyang.core.audit import Actor, AuditAction
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import InvalidRegionCode, Level, contains, level_of, normalize, parent_of
from yiyang.core.scoping import (
    ensure_visible,
    get_visible_or_404,
    home_region,
    is_platform_admin,
    memberships_of,
    region_predicate,
)

from . import divisions
from .models import Region, UrbanRural

POPULATION_FIELDS = ("population_total", "population_60", "population_65", "population_80")


def load_divisions(province_prefixes: set[str] | None = None) -> int:
    """Insert or refresh province, city and county divisions from the data package. Returns the count."""
    rows = [
        Region(code=d.code, name=d.name, level=int(d.level), parent_code=parent_of(d.code), lat=d.lat, lng=d.lng)
        for d in divisions.load(province_prefixes)
    ]
    Region.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "level", "parent_code", "lat", "lng"],
    )
    return len(rows)


@dataclass
class RowError:
    row: int
    column: str
    reason: str


def import_subdivisions(rows: list[dict], *, actor: Actor) -> tuple[int, list[RowError]]:
    """Save streets and communities given as {"code", "name", "urban_rural"?, "lat"?, "lng"?} rows.

    Each row is checked: a valid 12-digit code of street or community level whose parent exists
    (already, or earlier in the same file). Valid rows are saved (re-importing updates them); invalid
    rows are reported with their row number (1 = first data row) and saved nowhere. Rows outside the
    actor's scope are refused.
    """
    in_scope = region_predicate(actor.user, Region, "import")
    known = set(Region.objects.filter(level__lte=Level.STREET).values_list("code", flat=True))
    good: list[Region] = []
    errors: list[RowError] = []
    for number, row in enumerate(rows, start=1):
        try:
            code = normalize(str(row.get("code") or "").strip())
            level = level_of(code)
        except InvalidRegionCode as exc:
            errors.append(RowError(number, "code", str(exc)))
            continue
        if level not in (Level.STREET, Level.COMMUNITY):
            errors.append(RowError(number, "code", "只能导入街道（乡镇）或社区（村）级区划"))
            continue
        name = str(row.get("name") or "").strip()
        if not name:
            errors.append(RowError(number, "name", "名称不能为空"))
            continue
        if not in_scope(code):
            errors.append(RowError(number, "code", "不在您的管辖范围内"))
            continue
        if parent_of(code) not in known:
            errors.append(RowError(number, "code", f"上级区划 {parent_of(code)} 不存在"))
            continue
        urban_rural = str(row.get("urban_rural") or "").strip()
        if urban_rural and urban_rural not in UrbanRural.values:
            errors.append(RowError(number, "urban_rural", f"城乡分类代码 {urban_rural} 无效"))
            continue
        known.add(code)
        good.append(
            Region(code=code, name=name[:64], level=int(level), parent_code=parent_of(code), urban_rural=urban_rural)
        )
    with transaction.atomic():
        Region.objects.bulk_create(
            good,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "parent_code", "urban_rural"],
        )
        audit.record(
            actor,
            AuditAction.IMPORT,
            object_type="regions.region",
            object_repr=f"导入街道和社区 {len(good)} 个，错误 {len(errors)} 行",
            changes={"saved": len(good), "errors": len(errors)},
        )
    return len(good), errors


def validate_population(values: dict) -> dict[str, str]:
    errors = {}
    for name in POPULATION_FIELDS:
        value = values.get(name)
        if value is not None and (not isinstance(value, int) or value < 0):
            errors[name] = "应为不小于 0 的整数"
    if errors:
        return errors
    total, p60, p65, p80 = (values.get(n) for n in POPULATION_FIELDS)
    if total is not None and p60 is not None and p60 > total:
        errors["population_60"] = "60岁及以上人口不能超过总人口"
    if p60 is not None and p65 is not None and p65 > p60:
        errors["population_65"] = "65岁及以上人口不能超过60岁及以上人口"
    if p65 is not None and p80 is not None and p80 > p65:
        errors["population_80"] = "80岁及以上人口不能超过65岁及以上人口"
    return errors


@transaction.atomic
def update_population(actor: Actor, code: str, values: dict) -> Region:
    region = get_visible_or_404(Region.objects.select_for_update(), actor.user, "change", code=code)
    merged = {name: values.get(name, getattr(region, name)) for name in POPULATION_FIELDS}
    if errors := validate_population(merged):
        raise FieldErrors(errors)
    before = {name: getattr(region, name) for name in POPULATION_FIELDS}
    for name, value in merged.items():
        setattr(region, name, value)
    region.save(update_fields=list(POPULATION_FIELDS))
    ensure_visible(actor.user, region, "change")
    audit.record(actor, AuditAction.UPDATE, region, changes=audit.diff(before, merged))
    return region


def path_to(code: str) -> list[Region]:
    """The region and its ancestors, province first (for breadcrumbs)."""
    from yiyang.core.regioncodes import ancestors

    codes = [*ancestors(code), code]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


# --- Demo generation ---------------------------------------------------------------------------

STREET_NAMES = "东城 西城 南关 北关 新华 人民 解放 建设 文化 和平 胜利 光明 幸福 长青 兴华 育才 朝阳 滨河".split()
TOWN_NAMES = "城关 柳林 石桥 白庙 王集 李庄 张湾 高村 马头 黄岗 杨店 陈楼 刘寨 赵营 孙庄 周集".split()
COMMUNITY_NAMES = "花园 春晖 金桥 翠苑 锦绣 康乐 东苑 西苑 南苑 北苑 文昌 福寿 安康 和谐 同心 振兴".split()
VILLAGE_NAMES = "前 后 东 西 南 北 大 小 上 下 新 老 中 河 岗 桥".split()


def generate_subdivisions(county_codes: list[str], streets: int, communities: int, seed: int = 7) -> int:
    """Create `streets` street/town blocks per county and `communities` communities/villages per street.

    Codes follow the statistical ranges (街道 001-099, 镇 100-199; 居委会 001-199, 村委会 200-399) so that
    the urban/rural class is believable. Returns the number of regions created.
    """
    rng = random.Random(seed)
    counties = Region.objects.filter(code__in=county_codes).order_by("code")
    rows: list[Region] = []
    for county in counties:
        head = county.code[:6]
        for s in range(streets):
            is_street = s < max(1, streets // 2)
            street_no = s + 1 if is_street else 100 + s
            street_code = f"{head}{street_no:03d}000"
            street_name = (STREET_NAMES if is_street else TOWN_NAMES)[s % 16] + ("街道" if is_street else "镇")
            lat0 = (county.lat or 34.0) + rng.uniform(-0.12, 0.12)
            lng0 = (county.lng or 113.6) + rng.uniform(-0.12, 0.12)
            rows.append(
                Region(
                    code=street_code, name=street_name, level=Level.STREET, parent_code=county.code, lat=lat0, lng=lng0
                )
            )
            for c in range(communities):
                if is_street:
                    code, name, cls = (
                        f"{head}{street_no:03d}{c + 1:03d}",
                        COMMUNITY_NAMES[c % 16] + "社区",
                        UrbanRural.MAIN_URBAN,
                    )
                else:
                    code, name, cls = (
                        f"{head}{street_no:03d}{200 + c:03d}",
                        VILLAGE_NAMES[c % 16] + TOWN_NAMES[(s + c) % 16][:1] + "村",
                        UrbanRural.VILLAGE,
                    )
                rows.append(
                    Region(
                        code=code,
                        name=name,
                        level=Level.COMMUNITY,
                        parent_code=street_code,
                        urban_rural=cls,
                        lat=round(lat0 + rng.uniform(-0.03, 0.03), 6),
                        lng=round(lng0 + rng.uniform(-0.03, 0.03), 6),
                    )
                )
    Region.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def default_region(user) -> str:
    """The region a user's pages and lists open on when none is asked for: their own region, or for a
    platform-wide user the first province on record ('' when no region is loaded)."""
    if code := home_region(user):
        return code
    first = Region.objects.filter(level=1).order_by("code").values_list("code", flat=True).first()
    return first or ""


def requested_region(
    user,
    raw: str | None,
    *,
    field: str = "region",
    default: Callable[[object], str | None] | None = default_region,
    page: bool = False,
    narrows: bool = False,
    action: str = "view",
) -> str:
    """The 12-digit code of the region a request asks for (`raw`: a query, form or body value), checked
    against the user's scope. Pages, the API, exports and tasks all ask this one function.

    - `raw` blank: `default(user)` (the user's own region, see `default_region`); with no default, or when
      it gives nothing, a 422 naming `field` ("请指定区划代码");
    - a malformed code: a 422 naming `field`, with the reason;
    - a region the user may not `action` (view, or change for a recomputation): 404, so that its existence
      does not leak.

    `page=True` answers 404 for a blank or malformed code too: a page has no form to show the reason on,
    the code came from a link. `narrows=True` is for callers whose rows are scoped already and for whom the
    region only narrows them (lists and ledgers that facility managers and families read too, though they
    see no region as such): the region must lie within the region of one of the user's memberships, else
    404 as well, so that a list never answers "none here" for a region the user has no business in.
    """
    raw = (raw or "").strip() or (default(user) if default else "") or ""
    try:
        if not raw:
            raise FieldErrors({field: "请指定区划代码"})
        code = region_code_param(raw, field)
    except FieldErrors:
        if page:
            raise Http404 from None
        raise
    if narrows:
        if not _within_memberships(user, code):
            raise Http404
    else:
        get_visible_or_404(Region.objects, user, action, code=code)
    return code


def _within_memberships(user, code: str) -> bool:
    """Whether `code` lies within the region one of the user's memberships belongs to (every membership
    records one, a facility's or an elder's included)."""
    if is_platform_admin(user):
        return True
    return any(m.region_code and contains(m.region_code, code) for m in memberships_of(user))


@lru_cache(maxsize=4096)
def is_current_address_code(code6: str) -> bool:
    """Whether a 6-digit address code is a province, city or county of the registry (for ID numbers
    with a code newer than the published timeline). Asked only for codes the timeline lacks."""
    return len(code6) == 6 and Region.objects.filter(code=code6 + "000000", level__lte=Level.COUNTY).exists()
