"""The 15-minute service circle: coverage of communities, nearest facilities, what-if planning,
supply and demand. Distances are straight-line (haversine) on WGS-84 coordinates.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from yiyang.core import coords
from yiyang.core.errors import FieldErrors
from yiyang.core.regioncodes import PREFIX_LENGTH, Level, county_of, level_of, region_range_q
from yiyang.elders.models import Elder, Status
from yiyang.facilities.models import Facility, FacilityStatus, FacilityType
from yiyang.regions.models import Region, UrbanRural

from .models import Area, CommunityCoverage, CoverageRule
from .spatial import GridIndex, Point, affected, coverage, walking_minutes

DEFAULT_RADIUS = {Area.URBAN: 1000, Area.RURAL: 2000}
MAX_NEARBY_RADIUS_M = 50_000
MAX_NEARBY_RESULTS = 100


# --- Rules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    radius_m: int
    facility_types: frozenset[str]  # empty = every type

    def counts(self, facility_type: str) -> bool:
        return not self.facility_types or facility_type in self.facility_types


class RuleBook:
    """The coverage rules, resolved per community: the rule of the nearest enclosing region wins."""

    def __init__(self, rules):
        self.by_region = {(r.region_code, r.area): Rule(r.radius_m, frozenset(r.facility_types)) for r in rules}

    @classmethod
    def load(cls) -> "RuleBook":
        return cls(CoverageRule.objects.all())

    def for_community(self, code: str, area: str) -> Rule:
        for level in (Level.COMMUNITY, Level.STREET, Level.COUNTY, Level.CITY, Level.PROVINCE):
            key = (code[: PREFIX_LENGTH[level]].ljust(12, "0"), area)
            if key in self.by_region:
                return self.by_region[key]
        return self.by_region.get(("", area)) or Rule(DEFAULT_RADIUS[area], frozenset())

    @property
    def max_radius(self) -> int:
        return max([r.radius_m for r in self.by_region.values()] + list(DEFAULT_RADIUS.values()))


def area_of(urban_rural: str) -> str:
    return Area.URBAN if UrbanRural.is_urban(urban_rural) or not urban_rural else Area.RURAL


# --- Computing coverage ------------------------------------------------------------------------


@dataclass(frozen=True)
class Community:
    code: str
    area: str
    point: Point


def communities_under(code: str | None) -> list[Community]:
    queryset = Region.objects.filter(level=Level.COMMUNITY, lat__isnull=False, lng__isnull=False)
    if code:
        queryset = queryset.filter(region_range_q("code", code))
    return [
        Community(c, area_of(ur), Point(c, lat, lng))
        for c, ur, lat, lng in queryset.values_list("code", "urban_rural", "lat", "lng").iterator(chunk_size=5000)
    ]


def facility_rows() -> list[tuple[int, str, float, float]]:
    """(id, type, lat, lng) of every operating facility with coordinates."""
    rows = Facility.objects.filter(status=FacilityStatus.OPERATING, lat__isnull=False, lng__isnull=False)
    return list(rows.values_list("id", "facility_type", "lat", "lng").iterator(chunk_size=5000))


def _evaluate(communities: list[Community], facilities, rules: RuleBook) -> list[CommunityCoverage]:
    """Coverage of each community by the nearest facility of a type its rule counts."""
    by_rule: dict[Rule, list[Community]] = defaultdict(list)
    for community in communities:
        by_rule[rules.for_community(community.code, community.area)].append(community)
    now = timezone.now()
    rows = []
    for rule, group in by_rule.items():
        index = GridIndex(Point(pk, lat, lng) for pk, kind, lat, lng in facilities if rule.counts(kind))
        results = coverage([c.point for c in group], index, lambda _p, r=rule.radius_m: r)
        for community in group:
            result = results[community.code]
            rows.append(
                CommunityCoverage(
                    community_code=community.code,
                    county_code=county_of(community.code),
                    area=community.area,
                    covered=result.covered,
                    radius_m=rule.radius_m,
                    nearest_facility_id=result.nearest_key,
                    nearest_m=round(result.nearest_m) if result.nearest_m is not None else None,
                    computed_at=now,
                )
            )
    return rows


@transaction.atomic
def recompute(code: str | None = None) -> int:
    """Recompute coverage of every community under region `code` (None = everywhere)."""
    communities = communities_under(code)
    rows = _evaluate(communities, facility_rows(), RuleBook.load())
    stale = CommunityCoverage.objects.all()
    if code:
        stale = stale.filter(region_range_q("community_code", code))
    stale.delete()
    CommunityCoverage.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def recompute_near(places: list[tuple[float, float]]) -> int:
    """Recompute only the communities a change at these places can reach (at most the largest radius
    away, plus the distance to which the nearest facility is reported)."""
    rules = RuleBook.load()
    index = GridIndex(c.point for c in communities_under(None))
    codes: set[str] = set()
    for lat, lng in places:
        codes.update(p.key for p in affected(index, lat, lng, rules.max_radius))
    if not codes:
        return 0
    communities = [c for c in communities_under(None) if c.code in codes]
    rows = _evaluate(communities, facility_rows(), rules)
    with transaction.atomic():
        for start in range(0, len(rows), 500):
            chunk = [r.community_code for r in rows[start : start + 500]]
            CommunityCoverage.objects.filter(community_code__in=chunk).delete()
        CommunityCoverage.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


# --- Reading coverage --------------------------------------------------------------------------


@dataclass
class Rate:
    code: str
    name: str
    urban_total: int = 0
    urban_covered: int = 0
    rural_total: int = 0
    rural_covered: int = 0

    @property
    def total(self) -> int:
        return self.urban_total + self.rural_total

    @property
    def covered(self) -> int:
        return self.urban_covered + self.rural_covered

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def rate(self) -> float | None:
        return self._share(self.covered, self.total)

    @property
    def urban_rate(self) -> float | None:
        return self._share(self.urban_covered, self.urban_total)

    @property
    def rural_rate(self) -> float | None:
        return self._share(self.rural_covered, self.rural_total)

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "total": self.total,
            "covered": self.covered,
            "rate": self.rate,
            "urban_total": self.urban_total,
            "urban_covered": self.urban_covered,
            "urban_rate": self.urban_rate,
            "rural_total": self.rural_total,
            "rural_covered": self.rural_covered,
            "rural_rate": self.rural_rate,
        }


def rates(user, code: str) -> tuple[Rate, list[Rate]]:
    """Coverage of region `code` and of each of its children, within the user's scope."""
    from django.db.models.functions import Substr

    level = level_of(code)
    width = PREFIX_LENGTH[Level(min(level + 1, Level.COMMUNITY))]
    rows = (
        CommunityCoverage.objects.visible_to(user, "view")
        .filter(region_range_q("community_code", code))
        .annotate(child=Substr("community_code", 1, width))
        .values("child", "area")
        .annotate(total=Count("community_code"), covered=Count("community_code", filter=Q(covered=True)))
    )
    names = dict(Region.objects.filter(parent_code=code).values_list("code", "name"))
    children: dict[str, Rate] = {}
    whole = Rate(code, Region.objects.filter(code=code).values_list("name", flat=True).first() or code)
    for row in rows:
        child_code = row["child"].ljust(12, "0")
        child = children.setdefault(child_code, Rate(child_code, names.get(child_code, child_code)))
        for rate in (child, whole):
            if row["area"] == Area.URBAN:
                rate.urban_total += row["total"]
                rate.urban_covered += row["covered"]
            else:
                rate.rural_total += row["total"]
                rate.rural_covered += row["covered"]
    return whole, sorted(children.values(), key=lambda r: r.code)


def computed_at(code: str):
    """When the coverage under `code` was last computed (the oldest community's time)."""
    from django.db.models import Min

    return CommunityCoverage.objects.filter(region_range_q("community_code", code)).aggregate(at=Min("computed_at"))[
        "at"
    ]


def uncovered(user, code: str, limit: int = 500) -> list[dict]:
    """Uncovered communities under `code` with their nearest facility and its distance."""
    rows = list(
        CommunityCoverage.objects.visible_to(user, "view")
        .filter(region_range_q("community_code", code), covered=False)
        .order_by("community_code")[:limit]
    )
    names = dict(Region.objects.filter(code__in=[r.community_code for r in rows]).values_list("code", "name"))
    facilities = dict(
        Facility.objects.filter(pk__in=[r.nearest_facility_id for r in rows if r.nearest_facility_id]).values_list(
            "id", "name"
        )
    )
    return [
        {
            "community_code": r.community_code,
            "community": names.get(r.community_code, ""),
            "area": r.area,
            "radius_m": r.radius_m,
            "nearest_facility_id": r.nearest_facility_id,
            "nearest_facility": facilities.get(r.nearest_facility_id, ""),
            "nearest_m": r.nearest_m,
        }
        for r in rows
    ]


def what_if(user, code: str, lat: float, lng: float, facility_type: str) -> dict:
    """Coverage of region `code` if a facility of `facility_type` were opened at (lat, lng).

    Only the communities the new facility can reach are recomputed; the rest keep their stored state.
    """
    try:
        coords.validate_in_china(lat, lng)
    except coords.InvalidCoordinates as exc:
        raise FieldErrors({"lat": str(exc)}) from None
    if facility_type not in FacilityType.values:
        raise FieldErrors({"facility_type": f"未知的设施类型：{facility_type}"})
    before, _ = rates(user, code)
    rules = RuleBook.load()
    scoped = set(
        CommunityCoverage.objects.visible_to(user, "view")
        .filter(region_range_q("community_code", code), covered=False)
        .values_list("community_code", flat=True)
    )
    candidates = [
        c
        for c in communities_under(code)
        if c.code in scoped and coords.distance_m(lat, lng, c.point.lat, c.point.lng) <= rules.max_radius
    ]
    newly = []
    for community in candidates:
        rule = rules.for_community(community.code, community.area)
        distance = coords.distance_m(lat, lng, community.point.lat, community.point.lng)
        if rule.counts(facility_type) and distance <= rule.radius_m:
            newly.append({"community_code": community.code, "area": community.area, "distance_m": round(distance)})
    after = Rate(before.code, before.name, before.urban_total, before.urban_covered, before.rural_total,
                 before.rural_covered)  # fmt: skip
    for item in newly:
        if item["area"] == Area.URBAN:
            after.urban_covered += 1
        else:
            after.rural_covered += 1
    names = dict(Region.objects.filter(code__in=[n["community_code"] for n in newly]).values_list("code", "name"))
    for item in newly:
        item["community"] = names.get(item["community_code"], "")
    return {"before": before.as_dict(), "after": after.as_dict(), "newly_covered": newly}


# --- Public map --------------------------------------------------------------------------------


def public_facilities():
    """What the public may see: operating facilities that chose to publish, never any resident."""
    return Facility.objects.filter(is_published=True, status=FacilityStatus.OPERATING)


@dataclass(frozen=True)
class PublicFilter:
    q: str = ""
    facility_type: str = ""
    service: str = ""
    star_min: int | None = None
    has_vacancy: bool = False
    fee_max_yuan: int | None = None
    operation_model: str = ""
    region: str = ""


def filter_public(queryset, f: PublicFilter):
    from yiyang.facilities.models import OperationModel, Service

    errors = {}
    if f.facility_type and f.facility_type not in FacilityType.values:
        errors["facility_type"] = f"未知的设施类型：{f.facility_type}"
    if f.service and f.service not in Service.values:
        errors["service"] = f"未知的服务项目：{f.service}"
    if f.operation_model and f.operation_model not in OperationModel.values:
        errors["operation_model"] = f"未知的运营模式：{f.operation_model}"
    if errors:
        raise FieldErrors(errors)
    if f.q:
        text = f.q.strip()
        region_codes = list(Region.objects.filter(name__contains=text).values_list("code", flat=True)[:20])
        match = Q(name__contains=text) | Q(address__contains=text)
        for code in region_codes:
            match |= region_range_q("region_code", code)
        queryset = queryset.filter(match)
    if f.facility_type:
        queryset = queryset.filter(facility_type=f.facility_type)
    if f.operation_model:
        queryset = queryset.filter(operation_model=f.operation_model)
    if f.service:
        queryset = (
            queryset.filter(services__contains=f.service)
            if _json_contains()
            else queryset.filter(services__icontains=f'"{f.service}"')
        )
    if f.star_min:
        queryset = queryset.filter(star_rating__gte=f.star_min)
    if f.has_vacancy:
        queryset = queryset.filter(beds_occupied__lt=F("beds_total"))
    if f.fee_max_yuan is not None:
        queryset = queryset.filter(Q(monthly_fee_min__isnull=True) | Q(monthly_fee_min__lte=f.fee_max_yuan * 100))
    if f.region:
        queryset = queryset.filter(region_range_q("region_code", f.region))
    return queryset


def _json_contains() -> bool:
    from django.db import connection

    return connection.features.supports_json_field_contains


def nearby(lat: float, lng: float, radius_m: float, *, facility_type: str = "", queryset=None, limit: int = 20):
    """Published facilities within `radius_m` of (lat, lng), nearest first, with walking minutes.

    A bounding box on the (lat, lng) index narrows the candidates in the database; exact distances
    are then computed for those few rows.
    """
    errors = {}
    try:
        coords.validate_in_china(lat, lng)
    except coords.InvalidCoordinates as exc:
        errors["lat"] = str(exc)
    if not 0 < radius_m <= MAX_NEARBY_RADIUS_M:
        errors["radius"] = f"半径应在 1 到 {MAX_NEARBY_RADIUS_M} 米之间"
    if facility_type and facility_type not in FacilityType.values:
        errors["type"] = f"未知的设施类型：{facility_type}"
    if errors:
        raise FieldErrors(errors)
    import math

    dlat = radius_m / 111_320
    dlng = radius_m / (111_320 * max(math.cos(math.radians(abs(lat) + dlat)), 0.01))
    rows = (queryset if queryset is not None else public_facilities()).filter(
        lat__gte=lat - dlat, lat__lte=lat + dlat, lng__gte=lng - dlng, lng__lte=lng + dlng
    )
    if facility_type:
        rows = rows.filter(facility_type=facility_type)
    found = []
    for facility in rows:
        distance = coords.distance_m(lat, lng, facility.lat, facility.lng)
        if distance <= radius_m:
            found.append((distance, facility.pk, facility))
    found.sort(key=lambda item: (item[0], item[1]))
    return [(f, round(d), walking_minutes(d)) for d, _, f in found[: min(limit, MAX_NEARBY_RESULTS)]]


# --- Supply and demand -------------------------------------------------------------------------


def supply_and_demand(user, code: str) -> list[dict]:
    """Per child region: published vacancies (supply) and elders assessed moderately to totally
    disabled who live at home in a community outside the service circle (unmet demand)."""
    from django.db.models.functions import Substr

    level = level_of(code)
    width = PREFIX_LENGTH[Level(min(level + 1, Level.COMMUNITY))]
    vacancies = (
        Facility.objects.visible_to(user, "view")
        .filter(region_range_q("region_code", code), is_published=True, status=FacilityStatus.OPERATING)
        .annotate(child=Substr("region_code", 1, width))
        .values("child")
        .annotate(vacant=Sum(F("beds_total") - F("beds_occupied")))
    )
    uncovered_codes = CommunityCoverage.objects.filter(region_range_q("community_code", code), covered=False)
    demand = (
        Elder.objects.visible_to(user, "view")
        .filter(region_range_q("region_code", code), status=Status.ACTIVE, capability_level__gte=2)
        .filter(facility_id__isnull=True, region_code__in=uncovered_codes.values("community_code"))
        .annotate(child=Substr("region_code", 1, width))
        .values("child")
        .annotate(n=Count("region_code"))
    )
    names = dict(Region.objects.filter(parent_code=code).values_list("code", "name"))
    table: dict[str, dict] = {}
    for row in vacancies:
        key = row["child"].ljust(12, "0")
        table.setdefault(key, {"code": key, "name": names.get(key, key), "vacant_beds": 0, "unmet_demand": 0})
        table[key]["vacant_beds"] = row["vacant"] or 0
    for row in demand:
        key = row["child"].ljust(12, "0")
        table.setdefault(key, {"code": key, "name": names.get(key, key), "vacant_beds": 0, "unmet_demand": 0})
        table[key]["unmet_demand"] = row["n"]
    return sorted(table.values(), key=lambda r: r["code"])


def seed_default_rules() -> None:
    """The platform defaults, written once so that officers see and can override them."""
    for area, radius in DEFAULT_RADIUS.items():
        CoverageRule.objects.get_or_create(region_code="", area=area, defaults={"radius_m": radius})
