"""Boundary polygons of the children of a province or city, as GeoJSON for choropleth maps."""

from functools import lru_cache

from shapely.geometry import mapping

from yiyang.core.regioncodes import Level, level_of
from yiyang.regions import divisions
from yiyang.regions.models import Region

# About 1 km at these latitudes: enough for a county-level choropleth and ~20x smaller than the source.
SIMPLIFY_DEGREES = 0.01


@lru_cache(maxsize=64)
def _simplified(level_file: str, code6: str):
    geometry = divisions.boundaries(level_file).get(code6)
    return None if geometry is None else mapping(geometry.simplify(SIMPLIFY_DEGREES, preserve_topology=True))


def children_geojson(code: str, properties: dict[str, dict]) -> dict:
    """A FeatureCollection of the children of province/city `code`; `properties` adds data per child."""
    level_file = "city.geojson" if level_of(code) == Level.PROVINCE else "district.geojson"
    features = []
    for child in Region.objects.filter(parent_code=code).order_by("code"):
        geometry = _simplified(level_file, child.code[:6])
        if geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"code": child.code, "name": child.name, **properties.get(child.code, {})},
            }
        )
    return {"type": "FeatureCollection", "features": features}
