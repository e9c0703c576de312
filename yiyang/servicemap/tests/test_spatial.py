import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiyang.core.coords import InvalidCoordinates, distance_m
from yiyang.servicemap.spatial import (
    EARTH_RADIUS_M,
    CoverageResult,
    GridIndex,
    Point,
    affected,
    coverage,
    walking_minutes,
)

# Henan, and a box around 50°N (Heilongjiang / Hulunbuir) where a degree of longitude is only ~72 km.
HENAN = ((31.4, 36.4), (110.3, 116.6))
NORTH = ((48.0, 53.0), (119.0, 127.0))
CELL_SIZES = [100.0, 1000.0, 5000.0, 40_000.0]


def brute_force(points, lat, lng):
    """Every point with its distance, nearest first, ties by key: what the index must reproduce."""
    return sorted(((p, distance_m(lat, lng, p.lat, p.lng)) for p in points), key=lambda item: (item[1], item[0].key))


def coordinates(region):
    (lat_lo, lat_hi), (lng_lo, lng_hi) = region
    anywhere = st.tuples(st.floats(lat_lo, lat_hi), st.floats(lng_lo, lng_hi))
    # A 1/8-degree lattice is exact in binary, so two lattice points mirrored east-west of a lattice
    # query are at exactly the same distance: this is how the tests get real ties.
    lattice = st.tuples(
        st.integers(math.ceil(lat_lo * 8), math.floor(lat_hi * 8)).map(lambda i: i / 8),
        st.integers(math.ceil(lng_lo * 8), math.floor(lng_hi * 8)).map(lambda i: i / 8),
    )
    return st.one_of(anywhere, lattice)


@st.composite
def layouts(draw, max_points=40):
    coord = coordinates(draw(st.sampled_from([HENAN, NORTH])))
    coords = draw(st.lists(coord, max_size=max_points))
    # Duplicates: the same place under another key (two facilities in one building).
    duplicates = draw(st.lists(st.sampled_from(coords), max_size=8)) if coords else []
    points = [Point(key, lat, lng) for key, (lat, lng) in enumerate(coords + duplicates)]
    return points, draw(coord), draw(st.sampled_from(CELL_SIZES))


@st.composite
def radii(draw, points, query):
    """A random radius, or exactly the distance to one of the points (the boundary must be included)."""
    if points and draw(st.booleans()):
        p = draw(st.sampled_from(points))
        return distance_m(query[0], query[1], p.lat, p.lng)
    return draw(st.floats(0, 300_000))


# --- distances ---------------------------------------------------------------------------------


def test_tiananmen_to_peoples_square():
    assert distance_m(39.9087, 116.3975, 31.2304, 121.4737) == pytest.approx(1_067_000, rel=0.005)


def test_one_degree_of_latitude():
    assert distance_m(34.0, 113.0, 35.0, 113.0) == pytest.approx(111_200, abs=100)


def test_earth_radius_matches_distance_m():
    # The index derives its search extents from EARTH_RADIUS_M; it must be the sphere distance_m uses.
    assert distance_m(30.0, 113.0, 31.0, 113.0) == pytest.approx(EARTH_RADIUS_M * math.radians(1), rel=1e-12)


# --- within / nearest against brute force --------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_within_equals_brute_force(data):
    points, (lat, lng), cell_m = data.draw(layouts())
    radius = data.draw(radii(points, (lat, lng)))
    index = GridIndex(points, cell_m=cell_m)
    expected = [item for item in brute_force(points, lat, lng) if item[1] <= radius]
    assert index.within(lat, lng, radius) == expected


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_nearest_equals_brute_force(data):
    points, (lat, lng), cell_m = data.draw(layouts())
    k = data.draw(st.integers(1, 8))
    max_m = data.draw(st.one_of(st.none(), radii(points, (lat, lng))))
    index = GridIndex(points, cell_m=cell_m)
    expected = [item for item in brute_force(points, lat, lng) if max_m is None or item[1] <= max_m][:k]
    assert index.nearest(lat, lng, k=k, max_m=max_m) == expected


def test_far_nearest_across_provinces():
    # One point in Henan, queried from Heilongjiang with tiny cells: the search must keep expanding.
    index = GridIndex([Point("zz", 34.75, 113.62)], cell_m=100)
    [(point, dist)] = index.nearest(47.35, 123.92)
    assert point.key == "zz"
    assert dist == pytest.approx(distance_m(47.35, 123.92, 34.75, 113.62))
    assert index.nearest(47.35, 123.92, max_m=1_000_000) == []
    assert GridIndex([]).nearest(34.0, 113.0, k=3) == []


def test_widest_point_of_a_large_circle_at_high_latitude():
    # At 50°N the circle's easternmost point lies poleward of its centre, about 1.2 km farther east than
    # radius / cos(lat) suggests for a 500 km radius. With 200 m cells a naive extent misses it.
    lat0, lng0, radius = 50.0, 120.0, 500_000.0
    angle = radius / EARTH_RADIUS_M
    tangent_lat = math.degrees(math.asin(math.sin(math.radians(lat0)) / math.cos(angle)))
    tangent_dlng = math.degrees(math.asin(math.sin(angle) / math.cos(math.radians(lat0))))
    naive_dlng = math.degrees(angle / math.cos(math.radians(lat0)))
    edge = Point("edge", tangent_lat, lng0 + tangent_dlng * (1 - 1e-7))
    assert distance_m(lat0, lng0, edge.lat, edge.lng) <= radius
    assert edge.lng - lng0 > naive_dlng + 0.01  # really outside the naive extent, by several cells
    index = GridIndex([edge], cell_m=200)
    assert [p.key for p, _ in index.within(lat0, lng0, radius)] == ["edge"]
    assert [p.key for p, _ in index.nearest(lat0, lng0, max_m=radius)] == ["edge"]


def test_k_nearest_order_with_ties_and_mixed_keys():
    # East-west mirror images on the 1/8-degree lattice are exact ties; ints sort before strs.
    points = [
        Point("b", 34.0, 113.125),
        Point("a", 34.0, 112.875),
        Point(5, 34.0, 113.125),
        Point("far", 34.0, 113.5),
        Point("mid", 34.0, 113.25),
        Point("here", 34.0, 113.0),
    ]
    index = GridIndex(points, cell_m=500)
    result = index.nearest(34.0, 113.0, k=5)
    assert [p.key for p, _ in result] == ["here", 5, "a", "b", "mid"]
    assert result[0][1] == 0.0
    assert result[1][1] == result[2][1] == result[3][1] < result[4][1]
    assert [p.key for p, _ in index.within(34.0, 113.0, 12_000)] == ["here", 5, "a", "b"]


# --- add / remove -----------------------------------------------------------------------------


def test_add_remove_and_move():
    index = GridIndex([Point(1, 34.0, 113.0)])
    index.add(Point(2, 34.01, 113.0))
    assert len(index) == 2
    assert [p.key for p, _ in index.nearest(34.01, 113.0)] == [2]
    index.add(Point(2, 35.0, 113.0))  # same key: the point moves
    assert len(index) == 2
    assert [p.key for p, _ in index.nearest(34.01, 113.0)] == [1]
    index.remove(1)
    assert len(index) == 1 and 1 not in index
    assert index.within(34.0, 113.0, 10_000) == []
    with pytest.raises(KeyError):
        index.remove(1)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("add"), st.integers(0, 12), coordinates(HENAN)),
            st.tuples(st.just("remove"), st.integers(0, 12)),
        ),
        max_size=40,
    ),
    coordinates(HENAN),
    st.sampled_from(CELL_SIZES),
)
def test_add_and_remove_match_a_plain_dict(ops, query, cell_m):
    index, model = GridIndex([], cell_m=cell_m), {}
    for op in ops:
        if op[0] == "add":
            point = Point(op[1], *op[2])
            index.add(point)
            model[point.key] = point
        elif op[1] in model:
            index.remove(op[1])
            del model[op[1]]
        else:
            with pytest.raises(KeyError):
                index.remove(op[1])
        assert len(index) == len(model)
        expected = brute_force(model.values(), *query)
        assert index.within(*query, 100_000) == [item for item in expected if item[1] <= 100_000]
        assert index.nearest(*query, k=3) == expected[:3]


# --- validation ---------------------------------------------------------------------------------


def test_points_and_queries_must_be_in_china():
    with pytest.raises(InvalidCoordinates):
        Point(1, 48.85, 2.35)  # Paris
    index = GridIndex([Point(1, 34.0, 113.0)])
    with pytest.raises(InvalidCoordinates):
        index.within(float("nan"), 113.0, 1000)
    with pytest.raises(ValueError):
        index.within(34.0, 113.0, -1)
    with pytest.raises(ValueError):
        index.nearest(34.0, 113.0, k=0)
    with pytest.raises(ValueError):
        GridIndex([], cell_m=0)


# --- coverage -----------------------------------------------------------------------------------

# Everything on the meridian 113°E in Henan, so distances are 111.2 km per degree of latitude.
FACILITIES = [Point("F1", 34.0, 113.0), Point("F2", 34.1, 113.0)]
COMMUNITIES = [
    Point("urban", 34.008, 113.0),  # 890 m from F1
    Point("rural", 34.085, 113.0),  # 1668 m from F2: covered only with the rural radius
    Point("gap", 34.03, 113.0),  # 3336 m from F1
    Point("remote", 34.8, 113.0),  # 77.8 km from F2
]
RADIUS = {"urban": 1000.0, "rural": 2000.0, "gap": 1000.0, "remote": 2000.0}


def radius_for(community):
    return RADIUS[community.key]


def test_coverage_of_a_known_layout():
    result = coverage(COMMUNITIES, GridIndex(FACILITIES), radius_for)
    assert set(result) == {"urban", "rural", "gap", "remote"}
    assert result["urban"].covered and result["urban"].nearest_key == "F1"
    assert result["urban"].nearest_m == pytest.approx(889.6, abs=0.5)
    assert result["rural"].covered and result["rural"].nearest_key == "F2"
    assert result["rural"].nearest_m == pytest.approx(1667.9, abs=0.5)
    assert not result["gap"].covered and result["gap"].nearest_key == "F1"
    assert result["gap"].nearest_m == pytest.approx(3335.9, abs=0.5)
    assert result["remote"] == CoverageResult("remote", False, None, None)


def test_coverage_with_one_radius_for_all():
    result = coverage(COMMUNITIES, GridIndex(FACILITIES), lambda c: 1000.0)
    assert [key for key, r in result.items() if r.covered] == ["urban"]


def test_coverage_radius_and_nearest_limit_are_independent():
    # A nearest limit below the radius hides the facility but not the coverage ...
    result = coverage(COMMUNITIES, GridIndex(FACILITIES), radius_for, nearest_within_m=500)
    assert result["urban"] == CoverageResult("urban", True, None, None)
    # ... and a radius beyond the nearest limit still finds facilities past that limit.
    result = coverage(COMMUNITIES, GridIndex(FACILITIES), lambda c: 100_000.0, nearest_within_m=50_000)
    assert result["remote"] == CoverageResult("remote", True, None, None)
    assert coverage(COMMUNITIES, GridIndex([]), radius_for)["urban"] == CoverageResult("urban", False, None, None)


def test_affected_by_a_new_facility():
    communities = GridIndex(COMMUNITIES)
    assert [p.key for p in affected(communities, 34.02, 113.0, 2000)] == ["gap", "urban"]
    assert affected(communities, 36.0, 113.0, 2000) == []


@settings(max_examples=100, deadline=None)
@given(
    st.lists(coordinates(HENAN), max_size=30),
    st.lists(coordinates(HENAN), min_size=1, max_size=30),
    coordinates(HENAN),
    st.sampled_from([1000.0, 20_000.0, 80_000.0]),
)
def test_only_affected_communities_change(facility_coords, community_coords, new_site, nearest_within_m):
    # Adding a facility, then removing it again, changes no community outside affected(...).
    communities = [Point(key, lat, lng) for key, (lat, lng) in enumerate(community_coords)]
    facilities = GridIndex([Point(key, lat, lng) for key, (lat, lng) in enumerate(facility_coords)])
    radius_of = {c.key: (1000.0, 5000.0, 30_000.0)[c.key % 3] for c in communities}

    def radius(c):
        return radius_of[c.key]

    before = coverage(communities, facilities, radius, nearest_within_m=nearest_within_m)
    facilities.add(Point("new", *new_site))
    after = coverage(communities, facilities, radius, nearest_within_m=nearest_within_m)
    reach = max(max(radius_of.values()), nearest_within_m)
    candidates = {p.key for p in affected(GridIndex(communities), *new_site, reach)}
    assert {key for key in before if before[key] != after[key]} <= candidates
    facilities.remove("new")
    assert coverage(communities, facilities, radius, nearest_within_m=nearest_within_m) == before


# --- walking time -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("distance", "minutes"),
    [(0, 0), (1, 1), (60, 1), (61, 2), (900, 15), (901, 16), (1000, 17)],
)
def test_walking_minutes_at_elderly_pace(distance, minutes):
    assert walking_minutes(distance) == minutes


def test_walking_minutes_other_pace_and_bad_input():
    assert walking_minutes(1000, speed_m_per_min=80) == 13
    with pytest.raises(ValueError):
        walking_minutes(-1)
    with pytest.raises(ValueError):
        walking_minutes(100, speed_m_per_min=0)
