"""Travel time on real roads (issue #20): synthetic OpenStreetMap extracts written in the tests.

Coordinates are British National Grid metres near Rutland (480 000, 300 000), written to the
extract as WGS84 the way a real one holds them. Expected minutes are worked out by hand:
a residential street is 30 km/h, so 1 km takes 2 minutes; "30 mph" is 48.28032 km/h, so
1 km takes 60 / 48.28032 = 1.242742 minutes.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gapmap.costs import euclidean_costs, nearest_cost
from gapmap.errors import CostError, RoadCoverageError, RoadFileError
from gapmap.roads import (
    MPH,
    ByRoad,
    RoadNetwork,
    RoadSettings,
    build_network,
    join,
    nearest_minutes,
    network_for,
    off_network,
    parse_maxspeed,
    road_costs,
    stored_networks,
)
from tests.osm_synth import grid, write_extract

X0, Y0 = 480_000.0, 300_000.0
KM_30MPH = 60 / (30 * MPH)  # minutes per km at 30 mph = 1.242742
RES = 2.0  # minutes per km on a residential street (30 km/h)
TOL = 1e-3  # minutes; the WGS84 round trip moves a node by under a millimetre


def pts(*xy: tuple[float, float]) -> gpd.GeoDataFrame:
    arr = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(arr[:, 0], arr[:, 1]), crs=27700)


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Geometry:
    """A council outline: the box, 10 m wider all round (nodes move by a millimetre through WGS84)."""
    return shapely.box(x0 - 10, y0 - 10, x1 + 10, y1 + 10)


def node(c: float, r: float) -> tuple[float, float]:
    """The point ``c`` km east and ``r`` km north of the origin."""
    return (X0 + c * 1000.0, Y0 + r * 1000.0)


# --------------------------------------------------------------------------- a grid with one-way streets


@pytest.fixture(scope="module")
def one_way_grid(tmp_path_factory) -> RoadNetwork:
    """3×3 nodes 1 km apart: ids ``r*3 + c + 1`` at ``node(c, r)``.

    The bottom row (1-2-3) is a primary road signed 30 mph; the middle column (2-5-8) is
    one way, northwards; every other street is residential, both ways.
    """
    nodes = {r * 3 + c + 1: node(c, r) for r in range(3) for c in range(3)}
    res = {"highway": "residential"}
    ways = [
        ([1, 2, 3], {"highway": "primary", "maxspeed": "30 mph"}),
        ([4, 5, 6], res),
        ([7, 8, 9], res),
        ([1, 4, 7], res),
        ([2, 5, 8], {"highway": "residential", "oneway": "yes"}),
        ([3, 6, 9], res),
        ([1, 5], {"highway": "footway"}),  # a footpath: not drivable, never a shortcut
    ]
    path = write_extract(tmp_path_factory.mktemp("grid") / "grid.osm.pbf", nodes, ways)
    return build_network(path, "TEST", box(*node(0, 0), *node(2, 2)), settings=RoadSettings(buffer_km=1))


def test_grid_minutes_by_hand(one_way_grid):
    net = one_way_grid
    assert (net.n_nodes, net.n_edges) == (9, 22)  # 12 streets both ways, less 2 one-way halves
    provider = pts(node(1, 0))  # at node 2, bottom middle
    people = pts(node(1, 2), node(1, 1), node(0, 0), node(2, 0))  # nodes 8, 5, 1, 3
    table = road_costs(net, people, provider, max_minutes=60)
    got = dict(zip(table.origin, table.cost, strict=True))
    # 8 -> 2: the middle column runs north only, so round by 7, 4, 1: 3 × 2 min + 1 km at 30 mph.
    assert got[0] == pytest.approx(3 * RES + KM_30MPH, abs=TOL)  # 7.242742
    # 5 -> 2: via 4 and 1 (or 6 and 3): 2 × 2 min + 1.242742.
    assert got[1] == pytest.approx(2 * RES + KM_30MPH, abs=TOL)  # 5.242742
    assert got[2] == pytest.approx(KM_30MPH, abs=TOL)  # 1 -> 2 along the primary
    assert got[3] == pytest.approx(KM_30MPH, abs=TOL)
    # The other way, 2 -> 8 goes straight up the one-way street: 2 km residential = 4 min.
    back = road_costs(net, pts(node(1, 0)), pts(node(1, 2)), max_minutes=60)
    assert back.cost.iloc[0] == pytest.approx(2 * RES, abs=TOL)


def test_grid_catchment_cut_and_nearest_rows(one_way_grid):
    provider = pts(node(1, 0))
    people = pts(node(1, 2), node(1, 1), node(0, 0))
    cut = road_costs(one_way_grid, people, provider, max_minutes=6, nearest=False)
    assert cut.origin.tolist() == [1, 2]  # 7.24 min is beyond 6
    with_nearest = road_costs(one_way_grid, people, provider, max_minutes=6)
    assert with_nearest.origin.tolist() == [0, 1, 2]  # the far one keeps its nearest provider
    assert with_nearest.cost.iloc[0] == pytest.approx(7.242742, abs=TOL)


def test_slowdown_and_offroad_leg(tmp_path):
    nodes = {1: node(0, 0), 2: node(1, 0)}
    path = write_extract(tmp_path / "two.osm.pbf", nodes, [([1, 2], {"highway": "residential"})])
    slow = build_network(path, "T", box(*node(0, 0), *node(1, 0)), settings=RoadSettings(slowdown=1.5, buffer_km=1))
    # 1 km residential = 2 min, × 1.5 = 3 min.
    assert road_costs(slow, pts(node(0, 0)), pts(node(1, 0)), max_minutes=10).cost.iloc[0] == pytest.approx(3, abs=TOL)
    fast = build_network(path, "T", box(*node(0, 0), *node(1, 0)), settings=RoadSettings(buffer_km=1))
    # A person 300 m west of node 1: 300 m off road at 15 km/h (250 m/min) = 1.2 min, then 2 min.
    person = pts((X0 - 300, Y0))
    table = road_costs(fast, person, pts(node(1, 0)), max_minutes=10, offroad_kmh=15)
    assert table.cost.iloc[0] == pytest.approx(1.2 + 2.0, abs=TOL)
    # Further than the stated distance from any road: flagged, and still joined (never dropped).
    joined = join(fast, np.array([[X0 - 300, Y0]]), max_offroad_m=200)
    assert joined.far.tolist() == [True] and joined.offroad_m[0] == pytest.approx(300, abs=0.01)
    assert off_network(fast, person, max_offroad_m=200).tolist() == [0]
    assert off_network(fast, person, max_offroad_m=500).tolist() == []


def test_roundabout_is_one_way(tmp_path):
    # A square roundabout 1-2-3-4-1, 1 km a side: anticlockwise only.
    nodes = {1: node(0, 0), 2: node(1, 0), 3: node(1, 1), 4: node(0, 1)}
    path = write_extract(
        tmp_path / "rb.osm.pbf", nodes, [([1, 2, 3, 4, 1], {"highway": "residential", "junction": "roundabout"})]
    )
    net = build_network(path, "T", box(*node(0, 0), *node(1, 1)), settings=RoadSettings(buffer_km=1))
    assert net.n_edges == 4
    a, b = pts(node(0, 0)), pts(node(1, 0))
    assert road_costs(net, a, b, max_minutes=60).cost.iloc[0] == pytest.approx(2, abs=TOL)  # with the flow
    assert road_costs(net, b, a, max_minutes=60).cost.iloc[0] == pytest.approx(6, abs=TOL)  # all the way round


def test_bends_are_merged_keeping_a_node_every_240_m(tmp_path):
    # A road 2 km east with a node every 100 m (bends, as real extracts have), crossed at the
    # 1 km mark (node 11) by a road 1 km north (to node 30).
    nodes = {k + 1: (X0 + 100.0 * k, Y0) for k in range(21)} | {30: node(1, 1)}
    ways = [(list(range(1, 22)), {"highway": "residential"}), ([11, 30], {"highway": "residential"})]
    path = write_extract(tmp_path / "bends.osm.pbf", nodes, ways)
    outline = box(*node(0, 0), *node(2, 1))

    def net(keep):
        return build_network(path, "T", outline, settings=RoadSettings(buffer_km=1, keep_every_m=keep))

    every, merged, spaced = net(0), net(math.inf), net(240)
    assert every.n_nodes == 22 and merged.n_nodes == 4  # ends, the junction and the far end of the side road
    # Spaced: a node where the distance from each junction passes 240, 480, 720 m: 300, 500 and
    # 800 m along each half (nodes are 100 m apart), so 4 + 6 = 10 nodes, 9 edges both ways.
    assert (spaced.n_nodes, spaced.n_edges) == (10, 18)
    start, end = pts(node(0, 0)), pts(node(2, 0))
    for n in (every, merged, spaced):  # 2 km of 30 km/h street = 4 minutes whatever is merged
        assert road_costs(n, start, end, max_minutes=10).cost.iloc[0] == pytest.approx(4.0, abs=TOL)
    # A person 50 m off the road at 450 m joins the kept node at 500 m (70.7 m away: 0.283 min
    # at 15 km/h), then 1.5 km of street (3 min) to the end.
    person = pts((X0 + 450, Y0 + 50))
    got = road_costs(spaced, person, end, max_minutes=10).cost.iloc[0]
    assert got == pytest.approx(math.hypot(50, 50) / 250 + 3.0, abs=TOL)


# --------------------------------------------------------------------------- a river crossed by one bridge


@pytest.fixture(scope="module")
def river(tmp_path_factory) -> RoadNetwork:
    """Two banks 1 km apart (a river between), each a 4 km street; one bridge at the east end.

    South bank: nodes 1..5 at node(0..4, 0); north bank: 11..15 at node(0..4, 1); bridge 5-15.
    Also a road on its own (21-22, dropped: not connected) and a one-way spur 3 -> 30 into a
    dead end (dropped: no way back, so not strongly connected).
    """
    nodes = {k + 1: node(k, 0) for k in range(5)} | {k + 11: node(k, 1) for k in range(5)}
    nodes |= {21: node(0, 3), 22: node(1, 3), 30: node(2, -0.5)}
    res = {"highway": "residential"}
    ways = [
        ([1, 2, 3, 4, 5], res),
        ([11, 12, 13, 14, 15], res),
        ([5, 15], {"highway": "residential", "bridge": "yes"}),
        ([1, 11], {"highway": "footway", "bridge": "yes"}),  # a footbridge: not for cars
        ([21, 22], res),
        ([3, 30], {"highway": "service", "oneway": "yes"}),
    ]
    path = write_extract(tmp_path_factory.mktemp("river") / "river.osm.pbf", nodes, ways)
    return build_network(path, "TEST", box(*node(0, 0), *node(4, 1)), settings=RoadSettings(buffer_km=5))


def test_river_one_bridge(river):
    assert river.n_nodes == 10 and river.info["nodes_dropped_disconnected"] == 3
    person, provider = pts(node(0, 0)), pts(node(0, 1))
    # Straight across: 1 km. By road: 4 km east, over the bridge (1 km), 4 km back west = 9 km
    # of 30 km/h street = 18 minutes.
    assert euclidean_costs(person, provider, max_km=5).cost.iloc[0] == pytest.approx(1.0)
    assert road_costs(river, person, provider, max_minutes=30).cost.iloc[0] == pytest.approx(18.0, abs=TOL)
    # Within 15 minutes by road there is nobody across the river (only the nearest row is kept).
    assert road_costs(river, person, provider, max_minutes=15, nearest=False).empty
    # Beside the bridge, the far bank is 2 minutes away.
    assert road_costs(river, pts(node(4, 0)), pts(node(4, 1)), max_minutes=5).cost.iloc[0] == pytest.approx(2, abs=TOL)


# --------------------------------------------------------------------------- maxspeed


@pytest.mark.parametrize(
    ("tag", "highway", "kmh"),
    [
        ("30 mph", "residential", 30 * MPH),
        ("20mph", "residential", 20 * MPH),
        ("50", "primary", 50.0),  # a plain number is km/h in OpenStreetMap
        ("50 km/h", "primary", 50.0),
        ("national", "primary", 60 * MPH),
        ("national", "motorway", 70 * MPH),
        ("GB:nsl_single", "secondary", 60 * MPH),
        ("GB:nsl_dual", "trunk", 70 * MPH),
        ("GB:zone20", "residential", 20 * MPH),
        ("30 mph;40 mph", "primary", 30 * MPH),
        ("walk", "living_street", 6.0),
        ("signals", "primary", None),
        ("none", "motorway", None),
        ("", "primary", None),
        (None, "primary", None),
        ("0", "primary", None),
    ],
)
def test_parse_maxspeed(tag, highway, kmh):
    got = parse_maxspeed(tag, highway)
    assert got == (None if kmh is None else pytest.approx(kmh))


def test_speed_table_is_editable_and_checked(tmp_path):
    nodes = {1: node(0, 0), 2: node(1, 0)}
    path = write_extract(tmp_path / "t.osm.pbf", nodes, [([1, 2], {"highway": "track"})])
    # Tracks are not driven on by default...
    with pytest.raises(RoadCoverageError, match="no drivable roads"):
        build_network(path, "T", box(*node(0, 0), *node(1, 0)))
    # ...but a council can add them to its table: 1 km at 12 km/h = 5 minutes.
    net = build_network(path, "T", box(*node(0, 0), *node(1, 0)), settings=RoadSettings(speeds={"track": 12.0}))
    assert road_costs(net, pts(node(0, 0)), pts(node(1, 0)), max_minutes=10).cost.iloc[0] == pytest.approx(5, abs=TOL)
    with pytest.raises(CostError, match="positive number of km/h"):
        RoadSettings(speeds={"track": -1})
    with pytest.raises(CostError, match="at least 1"):
        RoadSettings(slowdown=0.5)


# --------------------------------------------------------------------------- bad files and coverage


def _grid_file(path, x0=X0, y0=Y0, n=4):
    nodes, ways = grid(x0, y0, n, n, 1000.0)
    return write_extract(path, nodes, ways)


def test_bad_files_name_the_problem(tmp_path):
    outline = box(*node(0, 0), *node(3, 3))
    with pytest.raises(RoadFileError, match="no such road extract"):
        build_network(tmp_path / "missing.osm.pbf", "T", outline)
    good = _grid_file(tmp_path / "good.osm.pbf")
    data = good.read_bytes()
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(RoadFileError, match="truncated"):
        build_network(cut, "T", outline)
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"council,providers\n1,2\n" * 50)
    with pytest.raises(RoadFileError, match="not a readable OpenStreetMap"):
        build_network(junk, "T", outline)
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(RoadFileError, match="empty"):
        build_network(empty, "T", outline)
    with pytest.raises(RoadFileError, match="folder"):
        build_network(tmp_path, "T", outline)


def test_extract_that_does_not_cover_the_council(tmp_path):
    far_away = _grid_file(tmp_path / "elsewhere.osm.pbf", x0=X0 + 100_000)
    with pytest.raises(RoadCoverageError, match="no drivable road within 1 km of council T"):
        build_network(far_away, "T", box(*node(0, 0), *node(3, 3)), settings=RoadSettings(buffer_km=1))
    # Near enough to keep (inside the buffer) but not inside the council itself.
    beside = _grid_file(tmp_path / "beside.osm.pbf", x0=X0 + 5_000)
    with pytest.raises(RoadCoverageError, match="does not cover council T"):
        build_network(beside, "T", box(*node(0, 0), *node(3, 3)), settings=RoadSettings(buffer_km=10))


def test_partial_extract_names_the_areas_left_off(tmp_path):
    west = _grid_file(tmp_path / "west.osm.pbf", n=4)  # roads over node(0..3, 0..3)
    wards = gpd.GeoDataFrame(
        {"area_code": ["W1", "E1"], "area_name": ["Westfield", "Eastbrook"]},
        geometry=[box(*node(-0.5, -0.5), *node(3.5, 3.5)), box(*node(4, 0), *node(8, 3))],
        crs=27700,
    )
    outline = shapely.union_all(wards.geometry.values)
    net = build_network(west, "T", outline, areas=wards, settings=RoadSettings(buffer_km=1))
    assert net.info["left_off"] == ["Eastbrook (E1)"]


# --------------------------------------------------------------------------- built once, loaded fast


def test_store_builds_once_and_loads_fast(tmp_path):
    path = _grid_file(tmp_path / "county.osm.pbf")
    outline = box(*node(0, 0), *node(3, 3))
    steps: list[str] = []
    first = network_for(path, "T", outline, home=tmp_path / "home", progress=lambda s, i, n: steps.append(s))
    assert steps[0] == "reading roads" and steps[-1] == "done"
    stored = list((tmp_path / "home" / "roads").glob("*.npz"))
    assert len(stored) == 1 and stored[0].name.startswith(f"T-{first.source_hash[:16]}-")
    # Moved and renamed: found again by its content, not built again.
    moved = tmp_path / "renamed.osm.pbf"
    path.rename(moved)
    steps.clear()
    t0 = time.perf_counter()
    again = network_for(moved, "T", outline, home=tmp_path / "home", progress=lambda s, i, n: steps.append(s))
    assert time.perf_counter() - t0 < 1.0
    assert steps == []
    for name in ("x", "y", "indptr", "indices", "minutes"):
        np.testing.assert_array_equal(getattr(again, name), getattr(first, name))
    # Other settings are another network.
    network_for(moved, "T", outline, home=tmp_path / "home", settings=RoadSettings(slowdown=1.2))
    assert len(stored_networks(tmp_path / "home")) == 2
    # A corrupted store is a one-line error naming it, not a traceback.
    stored[0].write_bytes(b"garbage")
    with pytest.raises(RoadFileError, match="build it again"):
        RoadNetwork.load(stored[0])


def test_by_road_request_runs_the_gap_engine(one_way_grid):
    """The cost table in minutes goes through the unchanged measures (the seam)."""
    from gapmap.access import point_metrics

    people = pts(node(1, 2), node(1, 1), node(0, 0))
    provider = pts(node(1, 0)).assign(capacity=10.0)
    costs = ByRoad(one_way_grid).costs(people, provider, max_cost=6)
    metrics = point_metrics(costs, pd.Series([1.0, 1.0, 1.0]), provider.capacity, radius=6, sigma=3)
    # Two people within 6 minutes share 10 places; the third (7.24 min away) has none.
    assert metrics.providers_within.tolist() == [0, 1, 1]


# --------------------------------------------------------------------------- property tests


CLASSES = ["primary", "secondary", "residential", "unclassified", "service"]


@st.composite
def networks(draw):
    n = draw(st.integers(3, 9))
    xy = draw(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=n, max_size=n, unique=True))
    edges = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.sampled_from(CLASSES),
                st.sampled_from(["", "yes", "-1", "no"]),
                st.sampled_from([None, "20 mph", "40 mph", "50", "national"]),
            ),
            min_size=n,
            max_size=3 * n,
        )
    )
    points = draw(st.lists(st.tuples(st.floats(-500, 3500), st.floats(-500, 3500)), min_size=1, max_size=5))
    dests = draw(st.lists(st.tuples(st.floats(-500, 3500), st.floats(-500, 3500)), min_size=1, max_size=4))
    limit = draw(st.floats(1.0, 40.0))
    return [(X0 + 100.0 * a, Y0 + 100.0 * b) for a, b in xy], edges, points, dests, limit


def _expected(xy, edges, points, dests, limit):
    """Brute force: networkx Dijkstra on the input roads, nearest node by numpy, 15 km/h off road."""
    g = nx.DiGraph()
    for a, b, hw, ow, ms in edges:
        if a == b:
            continue
        kmh = parse_maxspeed(ms, hw) or RoadSettings().speeds[hw]
        w = max(math.dist(xy[a], xy[b]) / (kmh * 1000 / 60), 1e-6)
        pairs = {"yes": [(a, b)], "-1": [(b, a)]}.get(ow, [(a, b), (b, a)])
        for u, v in pairs:
            if not g.has_edge(u, v) or g[u][v]["w"] > w:
                g.add_edge(u, v, w=w)
    if g.number_of_edges() == 0:
        return None
    comps = sorted(nx.strongly_connected_components(g), key=len, reverse=True)
    if len(comps) > 1 and len(comps[0]) == len(comps[1]):
        return None  # two largest parts of one size: either may be kept
    keep = sorted(comps[0])
    if len(keep) < 2:
        return None
    sub = g.subgraph(keep)
    kxy = np.array([xy[k] for k in keep])

    def snap(p):
        d = np.hypot(kxy[:, 0] - p[0], kxy[:, 1] - p[1])
        order = np.sort(d)
        if len(order) > 1 and order[1] - order[0] < 1e-3:
            return None  # a tie between two nodes: either join is right
        return keep[int(d.argmin())], float(d.min()) / 250.0

    o = [snap((X0 + x, Y0 + y)) for x, y in points]
    d = [snap((X0 + x, Y0 + y)) for x, y in dests]
    if any(s is None for s in o + d):
        return None
    lengths = {t: nx.single_source_dijkstra_path_length(sub.reverse(copy=False), t, weight="w") for t, _ in d}
    full = np.array([[oi[1] + lengths[dj[0]][oi[0]] + dj[1] for dj in d] for oi in o])
    return full


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=networks())
def test_cost_table_equals_plain_dijkstra(case, tmp_path_factory):
    xy, edges, points, dests, limit = case
    full = _expected(xy, edges, points, dests, limit)
    assume(full is not None)
    nodes = {k + 1: p for k, p in enumerate(xy)}
    ways = [
        ([a + 1, b + 1], {"highway": hw, "oneway": ow} | ({"maxspeed": ms} if ms else {})) for a, b, hw, ow, ms in edges
    ]
    ways = [(r, {k: v for k, v in t.items() if v}) for r, t in ways if r[0] != r[1]]
    path = write_extract(tmp_path_factory.mktemp("prop") / "r.osm.pbf", nodes, ways)
    region = box(X0 - 1000, Y0 - 1000, X0 + 4000, Y0 + 4000)
    net = build_network(path, "P", region, settings=RoadSettings(buffer_km=0))
    origins = pts(*[(X0 + x, Y0 + y) for x, y in points])
    providers = pts(*[(X0 + x, Y0 + y) for x, y in dests])
    table = road_costs(net, origins, providers, max_minutes=limit, nearest=False)
    got = np.full(full.shape, np.inf)
    got[table.origin.to_numpy(), table.dest.to_numpy()] = table.cost.to_numpy()
    clear = np.abs(full - limit) > TOL  # pairs right at the limit may fall either side
    expect_in = (full <= limit) & clear
    np.testing.assert_allclose(got[expect_in], full[expect_in], atol=TOL)
    assert np.isinf(got[(full > limit) & clear]).all()
    # Road minutes are never below the straight line at the top speed (road or off-road leg).
    top = max(net.top_speed_kmh, 15.0)
    straight = euclidean_costs(origins, providers, max_km=1e6, nearest=False)
    line = np.full(full.shape, np.inf)
    line[straight.origin, straight.dest] = straight.cost.to_numpy() / top * 60
    reached = np.isfinite(got)
    assert (got[reached] >= line[reached] - TOL).all()
    # The nearest provider read from the table equals the one multi-source min_only search.
    with_nearest = road_costs(net, origins, providers, max_minutes=limit)
    from_table = nearest_cost(with_nearest, origins.index).to_numpy()
    jo = join(net, np.column_stack([origins.geometry.x, origins.geometry.y]))
    jd = join(net, np.column_stack([providers.geometry.x, providers.geometry.y]))
    best, which = nearest_minutes(net, jo, jd)
    np.testing.assert_allclose(from_table, best, atol=1e-9)
    np.testing.assert_allclose(best, full.min(axis=1), atol=TOL)
    assert (which >= 0).all()


# --------------------------------------------------------------------------- command line (a contract)

RUTLAND = "E06000017"


@pytest.fixture(scope="module")
def rutland_files(tmp_path_factory):
    """A 1 km grid of 30 km/h streets over Rutland, the same over its western third, and two providers."""
    folder = tmp_path_factory.mktemp("rutland")
    nodes, ways = grid(478_000, 291_000, 31, 30, 1000.0)
    full = write_extract(folder / "rutland.osm.pbf", nodes, ways)
    nodes, ways = grid(478_000, 291_000, 12, 30, 1000.0)
    west = write_extract(folder / "rutland-west.osm.pbf", nodes, ways)
    providers = folder / "providers.csv"
    providers.write_text(
        "id,name,kind,capacity,start_date,easting,northing\n"
        "P1,Oakham Day Centre,day_centre,30,2020-01-01,486000,308500\n"
        "P2,Sample micro-provider,micro_enterprise,5,2021-01-01,494000,300000\n"
    )
    return full, west, providers


def test_cli_gaps_by_road_writes_nearest_minutes(rutland_files, tmp_path, monkeypatch, capsys):
    from gapmap.cli import main
    from gapmap.population import load_council
    from gapmap.records import load_providers

    full, _, providers = rutland_files
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    out = tmp_path / "gaps.csv"
    args = ["gaps", "--council", RUTLAND, "--providers", str(providers), "--as-at", "2024-06-30"]
    assert main([*args, "--roads", str(full), "--minutes", "15", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "beyond 15 minutes by road" in err and "Traceback" not in err
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert "nearest_minutes" in table.columns and "nearest_km" not in table.columns
    # Worked out again from the library: each postcode's minutes to its nearest provider,
    # population-weighted over the ward; people more than 15 minutes away.
    data = load_council(RUTLAND)
    supply = load_providers(providers, outline=data.outline()).accepted
    net = network_for(full, RUTLAND, data.outline(), home=tmp_path / "home")
    near = nearest_cost(road_costs(net, data.points, supply, max_minutes=15), data.points.index)
    frame = pd.DataFrame({"ward": data.points.ward_code, "w": data.points.pop_65plus, "near": near})
    frame["wn"] = frame.w * frame.near
    per_ward = frame.groupby("ward")[["wn", "w"]].sum()
    expected = (per_ward.wn / per_ward.w).rename("nearest_minutes")
    got = table.set_index("area_code").nearest_minutes
    np.testing.assert_allclose(got.loc[expected.index], expected, rtol=1e-5)
    beyond = frame[frame.near > 15].groupby("ward").w.sum().reindex(got.index, fill_value=0.0)
    np.testing.assert_allclose(table.set_index("area_code").pop_beyond_radius.loc[got.index], beyond, atol=1e-4)
    assert 0 < beyond.sum() < frame.w.sum()
    # The straight line at 5 km gives other figures (the road network is really used).
    km = tmp_path / "km.csv"
    assert main([*args, "--radius-km", "5", "--out", str(km)]) == 0
    assert "nearest_km" in pd.read_csv(km, encoding="utf-8-sig").columns


def test_cli_roads_build_info_and_partial_extract(rutland_files, tmp_path, monkeypatch, capsys):
    from gapmap.cli import main

    full, west, _ = rutland_files
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    assert main(["roads", "info"]) == 0
    assert "no road networks built yet" in capsys.readouterr().err
    assert main(["roads", "build", "--council", RUTLAND, "--pbf", str(full)]) == 0
    assert "Rutland: 930 junctions" in capsys.readouterr().err
    assert main(["roads", "build", "--council", "Rutland", "--pbf", str(west)]) == 0
    err = capsys.readouterr().err
    # The western third leaves the eastern wards off the network, by name.
    assert "areas are off the road network" in err and "Ketton (E05012637)" in err and "Oakham" not in err
    assert main(["roads", "info"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("file\tcouncil") and len(lines) == 3
    assert any("rutland-west.osm.pbf" in line and "Ketton" in line for line in lines)


@pytest.mark.parametrize("case", ["missing", "junk", "truncated", "elsewhere", "minutes-alone", "circuity"])
def test_cli_bad_road_files_exit_2_with_one_line(case, rutland_files, tmp_path, monkeypatch, capsys):
    from gapmap.cli import main

    full, _, providers = rutland_files
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    pbf = tmp_path / f"{case}.osm.pbf"
    expect = {
        "missing": "no such road extract",
        "junk": "not a readable OpenStreetMap",
        "truncated": "truncated",
        "elsewhere": "no drivable road within 15 km of council E06000017",
        "minutes-alone": "--minutes is a time by road",
        "circuity": "with --roads the roads are measured",
    }[case]
    if case == "junk":
        pbf.write_text("id,name\n1,not a map\n" * 20)
    elif case == "truncated":
        pbf.write_bytes(full.read_bytes()[: len(full.read_bytes()) // 2])
    elif case == "elsewhere":
        nodes, ways = grid(300_000, 500_000, 5, 5, 1000.0)
        write_extract(pbf, nodes, ways)
    road = [] if case == "minutes-alone" else ["--roads", str(pbf)]
    if case == "circuity":
        road = ["--roads", str(full), "--circuity", "1.3"]
    code = main(
        ["gaps", "--council", RUTLAND, "--providers", str(providers), *road, "--minutes", "15"]
        + ["--out", str(tmp_path / "g.csv")]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error:") and expect in err[0]
    assert not (tmp_path / "g.csv").exists()
    if case not in ("minutes-alone", "circuity"):
        assert main(["roads", "build", "--council", RUTLAND, "--pbf", str(pbf)]) == 2
        assert expect in capsys.readouterr().err


def _rutland_network(full, home):
    """Rutland and its road network as the CLI stored it (read back through the library)."""
    from gapmap.population import load_council

    data = load_council(RUTLAND)
    net = network_for(full, RUTLAND, data.outline(), home=home)
    return data, net


def test_cli_site_closure_timeline_economy_by_road(rutland_files, tmp_path, monkeypatch, capsys):
    import json

    from gapmap.cli import main
    from gapmap.records import load_providers

    full, _, providers = rutland_files
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    common = ["--council", RUTLAND, "--providers", str(providers), "--roads", str(full), "--minutes", "10"]
    sites = tmp_path / "sites.csv"
    assert main(["site", *common, "--as-at", "2024-06-30", "--new", "2", "--out", str(sites)]) == 0
    err = capsys.readouterr().err
    assert "radius 10 minutes by road" in err
    data, net = _rutland_network(full, tmp_path / "home")
    supply = load_providers(providers, outline=data.outline()).accepted
    demand = data.points.pop_75plus.to_numpy()
    now = road_costs(net, data.points, supply, max_minutes=10, nearest=False)
    within = np.zeros(len(demand), dtype=bool)
    within[now.origin.to_numpy()] = True
    # The first site reaches exactly the people beyond 10 minutes today who are within 10 minutes of it.
    table = pd.read_csv(sites, encoding="utf-8-sig")
    first = pts((table.easting[0], table.northing[0]))
    reach_first = road_costs(net, data.points, first, max_minutes=10, nearest=False).origin.to_numpy()
    newly = np.zeros(len(demand), dtype=bool)
    newly[reach_first] = True
    assert table.people_reached[0] == pytest.approx(demand[newly & ~within].sum(), rel=1e-6)
    assert "minutes" in table.reason[0] and " km" not in table.reason[0]

    # Closing P1: people within 10 minutes of P1 and not of P2 lose their provider within reach.
    summary = tmp_path / "closure.json"
    closure_args = ["closure", *common, "--close", "P1", "--as-at", "2024-06-30"]
    assert main([*closure_args, "--out", str(tmp_path / "c.csv"), "--json", str(summary)]) == 0
    s = json.loads(summary.read_text())
    by_provider = {j: set(now.origin[now.dest == j]) for j in (0, 1)}
    losing = sorted(by_provider[0] - by_provider[1])
    assert s["unit"] == "minutes" and s["radius_km"] == 10
    assert s["people_losing_coverage"] == pytest.approx(demand[losing].sum(), rel=1e-6)
    assert "minutes by road" in capsys.readouterr().err

    # The timeline's last frame (both providers open) counts everyone within 10 minutes of either.
    tl = tmp_path / "tl.csv"
    assert main(["timeline", *common, "--from", "2019-06-01", "--to", "2023-06-01", "--out", str(tl)]) == 0
    frames = pd.read_csv(tl, encoding="utf-8-sig")
    assert frames.people_within_reach.iloc[-1] == pytest.approx(demand[within].sum(), rel=1e-6)
    assert "within 10 minutes by road" in capsys.readouterr().err

    # Economy counts providers, not reach: it accepts the options and says which distance was set.
    eco = tmp_path / "eco.json"
    assert main(["economy", *common, "--out", str(eco)]) == 0
    assert "by road, 10 minutes" in eco.read_text()


@pytest.mark.slow
def test_cli_report_by_road_says_minutes(rutland_files, tmp_path, monkeypatch):
    from pypdf import PdfReader

    from gapmap.cli import main

    full, _, providers = rutland_files
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    out = tmp_path / "r.pdf"
    args = ["report", "--council", RUTLAND, "--providers", str(providers), "--roads", str(full), "--minutes", "20"]
    assert main([*args, "--format", "pdf", "--out", str(out)]) == 0
    text = " ".join(p.extract_text() for p in PdfReader(out).pages).replace("\n", " ")
    assert "support within 20 minutes by road" in text
    assert "within 5 km" not in text


# --------------------------------------------------------------------------- the app


@pytest.mark.slow
def test_app_gaps_page_by_road_says_minutes(tmp_path, monkeypatch):
    """With a stored network the page offers Distance: by road, and then every label is in minutes."""
    from streamlit.testing.v1 import AppTest

    from gapmap.population import load_council

    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    somerset = load_council("E06000066")
    minx, miny, maxx, maxy = somerset.outline().bounds
    nodes, ways = grid(minx - 2000, miny - 2000, 60, 31, 2000.0, {"highway": "secondary"})
    pbf = write_extract(tmp_path / "somerset.osm.pbf", nodes, ways)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    assert any("Distance: straight line" in c.value for c in at.caption)  # no network yet
    network_for(pbf, "E06000066", somerset.outline(), home=tmp_path / "home", settings=RoadSettings(buffer_km=2))
    at.run()
    at.radio(key="gap_distance").set_value("By road").run()
    assert not at.exception
    assert at.slider(key="gap_minutes").label == "Catchment (minutes by road)"
    labels = [m.label for m in at.metric]
    assert "More than 15 minutes by road" in labels
    at.slider(key="gap_minutes").set_value(30).run()
    assert "More than 30 minutes by road" in [m.label for m in at.metric]
    misled = [e for e in at.expander if e.label == "Where the straight line misleads"]
    assert len(misled) == 1 and len(misled[0].dataframe[0].value) == 15
    assert list(misled[0].dataframe[0].value.columns)[:2] == ["area_name", "nearest_km"]
    at.radio(key="gap_distance").set_value("Straight line").run()
    assert "More than 5 km from support" in [m.label for m in at.metric]
    # The planner by road: coverage in minutes, and it says so.
    at.switch_page("pages/plan.py").run()
    at.radio(key="plan_distance").set_value("By road").run()
    assert not at.exception
    assert "within 15 minutes by road of support" in at.success[0].value
    assert any("minutes by road" in e.value for e in at.expander[-1].markdown)
    # The economy page's deck carries the plan by road: its gap views in minutes too, never "15 km".
    import io

    from pptx import Presentation

    at.switch_page("pages/economy.py").run()
    assert not at.exception
    at.button(key="make-pptx-economy").click().run()
    assert not at.exception
    deck = Presentation(io.BytesIO(at.session_state["handout-pptx"][1]))
    text = " ".join(sh.text_frame.text for slide in deck.slides for sh in slide.shapes if sh.has_text_frame) + " ".join(
        slide.notes_slide.notes_text_frame.text for slide in deck.slides
    )
    assert "15 minutes by road" in text and "15 km" not in text


@pytest.mark.slow
@pytest.mark.browser
def test_browser_switches_to_by_road_and_sees_minutes(tmp_path, monkeypatch):
    """In Chromium: Distance 'By road' on the start page turns the catchment and its labels into minutes."""
    import os

    from gapmap.population import load_council

    chromium = os.environ.get("GAPMAP_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists() and not os.environ.get("GAPMAP_REQUIRE_BROWSER"):
        pytest.skip(f"Chromium not found at {chromium}")
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.test_browser import _serve

    somerset = load_council("E06000066")
    minx, miny, maxx, maxy = somerset.outline().bounds
    nodes, ways = grid(minx - 2000, miny - 2000, 60, 31, 2000.0, {"highway": "secondary"})
    pbf = write_extract(tmp_path / "somerset.osm.pbf", nodes, ways)
    # The server's home (tests/test_browser._serve runs it with GAPMAP_HOME=<folder>/home).
    network_for(pbf, "E06000066", somerset.outline(), home=tmp_path / "home", settings=RoadSettings(buffer_km=2))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            for url in _serve(tmp_path):
                page = browser.new_page()
                page.goto(url)
                page.get_by_text("Where care is short — Somerset").wait_for(timeout=90_000)
                page.get_by_text("More than 5 km from support").wait_for(timeout=90_000)
                page.get_by_text("By road", exact=True).click()
                page.get_by_text("More than 15 minutes by road", exact=True).wait_for(timeout=120_000)
                assert page.get_by_text("Catchment (minutes by road)").count() >= 1
                page.close()
        finally:
            browser.close()


# --------------------------------------------------------------------------- both cores


@pytest.fixture(scope="module")
def county_grid(tmp_path_factory):
    """A 40×40 grid 250 m apart with a one-way 40 mph road up the middle; 900 homes, 150 providers."""
    nodes, ways = grid(X0, Y0, 40, 40, 250.0, {"highway": "residential"})
    ways += [([r * 40 + 20 + 1 for r in range(40)], {"highway": "primary", "oneway": "yes", "maxspeed": "40 mph"})]
    path = write_extract(tmp_path_factory.mktemp("county") / "g.osm.pbf", nodes, ways)
    net = build_network(path, "G", box(X0, Y0, X0 + 9750, Y0 + 9750), settings=RoadSettings(buffer_km=0))
    rng = np.random.default_rng(3)
    origins = pts(*(rng.uniform(0, 9750, (900, 2)) + (X0, Y0)))
    providers = pts(*(rng.uniform(0, 9750, (150, 2)) + (X0, Y0)))  # five chunks of sources
    return net, origins, providers


def test_a_second_core_gives_the_same_table_row_for_row(county_grid, monkeypatch):
    """A large job is shared with a helper process; the table equals the one searched here alone."""
    from gapmap import road_search

    net, origins, providers = county_grid
    started = []
    real = road_search._start_helper
    monkeypatch.setattr(road_search, "_start_helper", lambda folder: started.append(folder) or real(folder))
    monkeypatch.setattr(road_search, "HELPER_MIN_SECONDS", 0.0)
    here = road_costs(net, origins, providers, max_minutes=12.0, workers=1)
    assert started == []
    both = road_costs(net, origins, providers, max_minutes=12.0, workers=2)
    assert len(started) == 1
    assert len(here) > 10_000 and here.origin.nunique() == 900
    pd.testing.assert_frame_equal(both, here)


def test_the_helper_process_answers_the_chunks_it_claims(county_grid, tmp_path):
    """``python -m gapmap.road_search FOLDER`` (run as the app runs it) answers every unclaimed chunk."""
    import subprocess

    from gapmap import road_search
    from gapmap.roads import _reversed_with_dests

    net, origins, providers = county_grid
    jo = join(net, np.column_stack([origins.geometry.x, origins.geometry.y]))
    jd = join(net, np.column_stack([providers.geometry.x, providers.geometry.y]))
    graph = _reversed_with_dests(net, jd)
    sources = np.arange(len(providers)) + net.n_nodes
    targets = road_search.Targets(jo.node, jo.minutes, 12.0)
    road_search._write_job(tmp_path, graph, sources, targets)
    assert road_search._claim(tmp_path, 1)  # taken by someone else: the helper must leave it
    subprocess.run(
        road_search._worker_command(tmp_path),
        check=True,
        timeout=120,
        cwd=tmp_path.anchor,
        env=road_search._helper_env(),
    )
    chunks = road_search._chunks(sources)
    assert not (tmp_path / "rows-1.npz").exists()
    for k in (0, 2, 3, 4):
        got = road_search._answered(tmp_path, k)
        want = road_search._chunk(graph, targets, *chunks[k])
        assert got is not None and all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize(
    "command",
    [
        "import sys; sys.exit(3)",  # starts and fails
        # claims every chunk it can, answers none, and dies: the caller must search them itself
        "import os, sys\nfor k in range(1, 5):\n"
        "    try: open(os.path.join(sys.argv[1], f'claim-{k}'), 'x')\n"
        "    except FileExistsError: pass\n"
        "os._exit(1)",
    ],
)
def test_a_helper_that_fails_loses_no_row(county_grid, monkeypatch, command):
    import sys

    from gapmap import road_search

    net, origins, providers = county_grid
    monkeypatch.setattr(road_search, "HELPER_MIN_SECONDS", 0.0)
    monkeypatch.setattr(road_search, "_worker_command", lambda folder: [sys.executable, "-c", command, str(folder)])
    here = road_costs(net, origins, providers, max_minutes=12.0, workers=1)
    pd.testing.assert_frame_equal(road_costs(net, origins, providers, max_minutes=12.0, workers=2), here)


# --------------------------------------------------------------------------- read once, many councils


def test_extract_read_once_serves_each_council(rutland_files, tmp_path):
    """The national path: the extract is read once into arrays; each council's task cuts its network."""
    from dataclasses import replace

    from gapmap.analysis import AnalysisRequest, analyse, build_costs
    from gapmap.national import RoadTask, council_gaps
    from gapmap.population import load_council
    from gapmap.records import load_providers
    from gapmap.roads import RoadExtract, extract_for

    full, _, providers = rutland_files
    home = tmp_path / "home"
    folder = extract_for(full, home=home)
    assert extract_for(full, home=home) == folder  # read once: found again by content
    extract = RoadExtract.load(folder)
    assert isinstance(extract.x, np.memmap) and extract.ways == 61  # 30 rows + 31 columns of streets
    data = load_council(RUTLAND)
    # A council's network cut from the stored extract is the one built from the file directly,
    # and building it no longer reads the file (no reading steps reported).
    steps: list[str] = []
    net = network_for(full, RUTLAND, data.outline(), home=home, progress=lambda s, i, n: steps.append(s))
    assert "reading roads" not in steps and steps[-1] == "done"
    direct = build_network(full, RUTLAND, data.outline())
    np.testing.assert_array_equal(net.indices, direct.indices)
    np.testing.assert_allclose(net.minutes, direct.minutes)
    # The worker's task gives the single-council analysis by road.
    provs = load_providers(providers, outline=data.outline()).accepted
    request = AnalysisRequest(band="75plus", as_at=pd.Timestamp("2024-06-30").date())
    table = council_gaps(RUTLAND, provs, request, roads=RoadTask(extract=str(folder), minutes=20.0))
    by_road = replace(request, roads=ByRoad(net), radius_km=20.0)
    expected = analyse(data, provs, by_road, costs=build_costs(data, provs, max_km=20.0, roads=ByRoad(net))).areas
    got = table.set_index("area_code").nearest_km
    np.testing.assert_allclose(got.loc[expected.area_code], expected.nearest_km, rtol=1e-6)
    np.testing.assert_allclose(table.pop_beyond_radius.sum(), expected.pop_beyond_radius.sum(), rtol=1e-6)


def test_cli_gaps_council_all_by_road_names_councils_the_extract_misses(rutland_files, tmp_path, monkeypatch, capsys):
    from gapmap.cli import main

    full, _, providers = rutland_files
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    args = ["gaps", "--council", "all", "--providers", str(providers), "--roads", str(full), "--minutes", "20"]
    assert main([*args, "--out", str(tmp_path / "england.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    # A Rutland extract cannot serve England: one line, before any council is run.
    assert err[-1].startswith("error: the extract rutland.osm.pbf does not reach ")
    assert "Barking and Dagenham (E09000002)" in err[-1] and "Rutland" not in err[-1]
    assert "read once" in " ".join(err)
    assert not (tmp_path / "england.csv").exists()


def test_straight_line_misleads_ranks_the_far_bank_first(river):
    """Two areas one 1 km from the provider: across the river (18 min by road) and beside the bridge."""
    from gapmap.roads import straight_line_misleads

    provider = pts(node(0, 1))
    people = pts(node(0, 0), node(1, 1))  # across the river; along the north bank
    road = road_costs(river, people, provider, max_minutes=60)
    line = euclidean_costs(people, provider, max_km=60)
    areas = lambda col: pd.DataFrame(  # noqa: E731 - two one-point areas
        {"area_code": ["S", "N"], "area_name": ["South bank", "North bank"], "nearest_km": col}
    )
    table = straight_line_misleads(areas(road.cost.to_numpy()), areas(line.cost.to_numpy()), typical_kmh=30)
    # Both are 1 km away in a straight line (2 minutes at 30 km/h); the south bank takes 18
    # minutes by road (9 times), the north bank 2 (once).
    assert table.area_name.tolist() == ["South bank", "North bank"]
    np.testing.assert_allclose(table.times, [9.0, 1.0], atol=1e-3)
    np.testing.assert_allclose(table.suggested_minutes, [2.0, 2.0])


def test_catchment_hulls_follow_the_roads_not_a_circle(river):
    """Within 5 minutes of a site on the north bank: the north bank only, though the south is 1 km away."""
    from gapmap.roads import catchment_hulls

    people = pts(node(0, 0), node(1, 0), node(0, 1), node(1, 1), node(2, 1))
    site = pts(node(1.1, 1))  # joins node 12, 100 m away (0.4 min at 15 km/h)
    hull = catchment_hulls(ByRoad(river), people, site, max_minutes=5, pad_m=10)
    # North bank people at 0, 1 and 2 km are 2.4, 0.4 and 2.4 minutes away by road; the south
    # bank, about 1 km away in a straight line, is over 12 minutes round by the bridge.
    assert hull.contains(shapely.Point(node(1.5, 1))) and hull.contains(shapely.Point(node(0, 1)))
    assert not hull.intersects(shapely.Point(node(0, 0))) and not hull.intersects(shapely.Point(node(1, 0)))
