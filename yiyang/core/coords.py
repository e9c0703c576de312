"""Coordinates: stored as WGS-84; GCJ-02 (AMap, Tencent) and BD-09 (Baidu) are converted on input."""

import math

from fast_geocn import coord as _convert

WGS84, GCJ02, BD09 = "wgs84", "gcj02", "bd09"
SYSTEMS = (WGS84, GCJ02, BD09)

# A bounding box around China's territory, generous at the edges; finer checks use the boundary polygons.
CHINA_LAT = (3.3, 53.6)
CHINA_LNG = (73.4, 135.1)


class InvalidCoordinates(ValueError):
    pass


def validate_in_china(lat: float, lng: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lng)):
        raise InvalidCoordinates("坐标必须是有限数值")
    if not (CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LNG[0] <= lng <= CHINA_LNG[1]):
        raise InvalidCoordinates(f"坐标 ({lat}, {lng}) 不在中国境内")


def to_wgs84(lat: float, lng: float, system: str = WGS84) -> tuple[float, float]:
    """Convert a (lat, lng) pair from `system` into WGS-84, after checking it lies in China."""
    validate_in_china(lat, lng)
    if system == WGS84:
        return lat, lng
    if system == GCJ02:
        lng2, lat2 = _convert.gcj02_to_wgs84(lng, lat)
    elif system == BD09:
        lng2, lat2 = _convert.bd09_to_wgs84(lng, lat)
    else:
        raise InvalidCoordinates(f"不支持的坐标系：{system}，可选 {', '.join(SYSTEMS)}")
    return round(lat2, 7), round(lng2, 7)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine on a sphere of the mean Earth radius)."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
