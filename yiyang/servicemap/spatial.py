"""In-memory spatial index and 15-minute service-circle coverage for WGS-84 points in China.

Points are bucketed in a latitude/longitude grid whose cells are roughly `cell_m` metres on a side.
Searches compute the exact latitude and longitude extent of the search circle on the sphere used by
`coords.distance_m`, visit every cell that overlaps that extent and then filter the candidates by
their haversine distance, so `within` and `nearest` return exactly what a brute-force scan would.

All points and query centres must lie in China's bounding box (`coords.validate_in_china`). That
keeps the geometry simple: no poles and no antimeridian inside the data, so longitudes never wrap.
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from yiyang.core.coords import CHINA_LAT, CHINA_LNG, distance_m, validate_in_china

# Must equal the radius inside coords.distance_m: the search extents below are derived from it.
EARTH_RADIUS_M = 6371008.8
# Only used to size the cells; exactness never depends on it.
METRES_PER_DEGREE_LAT = 111_320.0
# Search circles are widened by this angle (about 6 mm) so that floating-point rounding in
# distance_m can never put a point "inside" the circle but outside the cells we visit.
_ANGLE_PAD_RAD = 1e-9
# Elderly walking pace: about 1 m/s, see walking_minutes.
ELDERLY_WALK_M_PER_MIN = 60.0


@dataclass(frozen=True)
class Point:
    key: int | str
    lat: float
    lng: float

    def __post_init__(self):
        validate_in_china(self.lat, self.lng)


def _order(item: tuple[Point, float]) -> tuple:
    """Sort by distance, then key; int keys before str keys so mixed keys never compare int < str."""
    point, dist = item
    return (dist, isinstance(point.key, str), point.key)


class GridIndex:
    """Points bucketed in a lat/lng grid of roughly `cell_m` metres.

    A cell is a row (a band of latitude `cell_m` tall) and a column inside that row. The column width
    in degrees of longitude depends on the row: a degree of longitude is cos(lat) times shorter than
    a degree of latitude, so each row uses the cosine at its own centre and cells stay roughly square
    from Hainan (18°N) to Heilongjiang (53°N).
    """

    def __init__(self, points: Iterable[Point] = (), cell_m: float = 1000.0):
        if not (math.isfinite(cell_m) and cell_m > 0):
            raise ValueError("网格边长必须是正数")
        self.cell_m = cell_m
        self._lat_step = cell_m / METRES_PER_DEGREE_LAT
        self._points: dict[int | str, Point] = {}
        self._cells: dict[tuple[int, int], dict[int | str, Point]] = {}
        for point in points:
            self.add(point)

    def __len__(self) -> int:
        return len(self._points)

    def __contains__(self, key) -> bool:
        return key in self._points

    def _row(self, lat: float) -> int:
        return math.floor(lat / self._lat_step)

    def _lng_step(self, row: int) -> float:
        centre_lat = (row + 0.5) * self._lat_step
        return self.cell_m / (METRES_PER_DEGREE_LAT * math.cos(math.radians(centre_lat)))

    def _cell(self, point: Point) -> tuple[int, int]:
        row = self._row(point.lat)
        return row, math.floor(point.lng / self._lng_step(row))

    def add(self, point: Point) -> None:
        """Add a point; a point with the same key is replaced (that is how a point moves)."""
        if point.key in self._points:
            self.remove(point.key)
        self._points[point.key] = point
        self._cells.setdefault(self._cell(point), {})[point.key] = point

    def remove(self, key) -> None:
        """Remove the point with this key; KeyError if there is none."""
        point = self._points.pop(key)
        cell = self._cell(point)
        bucket = self._cells[cell]
        del bucket[key]
        if not bucket:
            # Drop empty cells so large searches that scan the occupied cells stay proportional to the data.
            del self._cells[cell]

    def _candidate_buckets(self, lat: float, lng: float, radius_m: float) -> list[dict[int | str, Point]]:
        """The buckets of every cell that overlaps the circle of `radius_m` around (lat, lng)."""
        angle = radius_m / EARTH_RADIUS_M + _ANGLE_PAD_RAD
        # Along a meridian the great-circle distance is exactly R * delta-latitude.
        lat_lo, lat_hi = lat - math.degrees(angle), lat + math.degrees(angle)
        if lat_hi >= 90 or lat_lo <= -90:
            # The circle contains a pole, so it reaches every longitude.
            lng_lo, lng_hi = CHINA_LNG
        else:
            # The widest point of a spherical circle is where a meridian touches it:
            # sin(delta-lng) = sin(angle) / cos(lat). Using angle / cos(lat) instead would be too narrow
            # for large circles at high latitude, which is exactly where cells are narrowest.
            ratio = math.sin(angle) / math.cos(math.radians(lat))
            half_width = 180.0 if ratio >= 1 else math.degrees(math.asin(ratio))
            lng_lo, lng_hi = lng - half_width, lng + half_width
        # Every stored point lies in China's box, so clipping to it loses nothing and keeps the
        # ranges finite (and free of any longitude wrap-around).
        lat_lo, lat_hi = max(lat_lo, CHINA_LAT[0]), min(lat_hi, CHINA_LAT[1])
        lng_lo, lng_hi = max(lng_lo, CHINA_LNG[0]), min(lng_hi, CHINA_LNG[1])

        spans = {}
        cell_count = 0
        for row in range(self._row(lat_lo), self._row(lat_hi) + 1):
            step = self._lng_step(row)
            spans[row] = (math.floor(lng_lo / step), math.floor(lng_hi / step))
            cell_count += spans[row][1] - spans[row][0] + 1

        if cell_count > len(self._cells):
            # A huge circle: walking the occupied cells is cheaper than probing mostly empty ones.
            buckets = []
            for (row, col), bucket in self._cells.items():
                span = spans.get(row)
                if span is not None and span[0] <= col <= span[1]:
                    buckets.append(bucket)
            return buckets
        buckets = []
        for row, (col_lo, col_hi) in spans.items():
            for col in range(col_lo, col_hi + 1):
                bucket = self._cells.get((row, col))
                if bucket is not None:
                    buckets.append(bucket)
        return buckets

    def _collect(self, lat: float, lng: float, radius_m: float) -> list[tuple[Point, float]]:
        found = []
        for bucket in self._candidate_buckets(lat, lng, radius_m):
            for point in bucket.values():
                dist = distance_m(lat, lng, point.lat, point.lng)
                if dist <= radius_m:
                    found.append((point, dist))
        return found

    def within(self, lat: float, lng: float, radius_m: float) -> list[tuple[Point, float]]:
        """All points at most `radius_m` metres from (lat, lng), nearest first, ties by key."""
        validate_in_china(lat, lng)
        if not (math.isfinite(radius_m) and radius_m >= 0):
            raise ValueError("搜索半径必须是非负数")
        return sorted(self._collect(lat, lng, radius_m), key=_order)

    def nearest(self, lat: float, lng: float, *, k: int = 1, max_m: float | None = None) -> list[tuple[Point, float]]:
        """The `k` points nearest to (lat, lng), at most `max_m` metres away, nearest first, ties by key.

        Expanding search: look within one cell size, then keep doubling the radius. Once a circle holds
        at least k points the answer is exact, because every point outside it is farther than all of them.
        """
        validate_in_china(lat, lng)
        if k < 1:
            raise ValueError("k 必须是正整数")
        if max_m is not None and not (math.isfinite(max_m) and max_m >= 0):
            raise ValueError("最大距离必须是非负数")
        # Half the Earth's circumference: no two points are farther apart than this.
        limit = math.pi * EARTH_RADIUS_M if max_m is None else min(max_m, math.pi * EARTH_RADIUS_M)
        radius = min(self.cell_m, limit)
        while True:
            found = self._collect(lat, lng, radius)
            if len(found) >= k or len(found) == len(self) or radius >= limit:
                break
            radius = min(radius * 2, limit)
        found.sort(key=_order)
        return found[:k]


@dataclass(frozen=True)
class CoverageResult:
    key: int | str
    covered: bool
    nearest_key: int | str | None
    nearest_m: float | None


def coverage(
    communities: Iterable[Point],
    facilities: GridIndex,
    radius_for: Callable[[Point], float],
    *,
    nearest_within_m: float = 50_000,
) -> dict[int | str, CoverageResult]:
    """Which communities have a facility within their service radius (straight-line distance).

    `radius_for(community)` gives the radius, e.g. 1000 m in a city and more in the countryside.
    `nearest_key`/`nearest_m` name the nearest facility if it is within `nearest_within_m`, else None.
    """
    results = {}
    for community in communities:
        radius = radius_for(community)
        # One search answers both questions: the nearest facility decides coverage, and it is also the
        # one to report. Search far enough for whichever of the two distances is larger.
        hits = facilities.nearest(community.lat, community.lng, k=1, max_m=max(radius, nearest_within_m))
        covered = bool(hits) and hits[0][1] <= radius
        if hits and hits[0][1] <= nearest_within_m:
            nearest_key, nearest_m = hits[0][0].key, hits[0][1]
        else:
            nearest_key, nearest_m = None, None
        results[community.key] = CoverageResult(community.key, covered, nearest_key, nearest_m)
    return results


def affected(communities: GridIndex, lat: float, lng: float, max_radius_m: float) -> list[Point]:
    """Communities whose result a facility added at or removed from (lat, lng) could change.

    Pass the largest radius in use: the largest service radius, or `nearest_within_m` if the nearest
    facility shown for each community must also stay current. Nearest first.
    """
    return [point for point, _ in communities.within(lat, lng, max_radius_m)]


def walking_minutes(distance_m: float, speed_m_per_min: float = ELDERLY_WALK_M_PER_MIN) -> int:
    """Minutes to walk `distance_m`, rounded up.

    The default pace is 60 m/min (1 m/s): older pedestrians walk at about 1.0-1.2 m/s against
    1.3-1.4 m/s for younger adults, and the 15-minute life circle of GB 50180-2018 is drawn at a
    walking distance of 800-1000 m, i.e. roughly this pace. Straight-line distances understate real
    routes, so callers should treat the result as a lower bound.
    """
    if not (math.isfinite(distance_m) and distance_m >= 0):
        raise ValueError("距离必须是非负数")
    if not (math.isfinite(speed_m_per_min) and speed_m_per_min > 0):
        raise ValueError("步行速度必须是正数")
    return math.ceil(distance_m / speed_m_per_min)
