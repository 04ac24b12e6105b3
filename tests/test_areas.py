import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapmap.areas import OUTSIDE_CODE, aggregate, assign_user_areas, hex_grid, locate_points
from gapmap.config import BNG
from gapmap.demand import COUNT_COLUMNS
from gapmap.errors import GapmapWarning, LevelError
from tests.conftest import make_points


def test_locate_points_inside_edge_and_outside(grid_wards):
    pts = shapely.points([(500, 500), (1000, 500), (2500, 500), (1500, 1500)])
    pos, overlap = locate_points(pts, grid_wards.geometry.values, nearest=False)
    # (1000, 500) is on the SW/SE edge: the first polygon wins, and it is not an overlap.
    assert pos.tolist() == [0, 0, -1, 3]
    assert not overlap.any()
    pos, _ = locate_points(pts, grid_wards.geometry.values, nearest=True)
    assert pos.tolist() == [0, 0, 1, 3]


def test_aggregate_hand_worked(grid_wards):
    xy = np.array([[100, 100], [900, 900], [1500, 500], [1500, 1500]])
    pts = make_points(xy, ["A", "A", "B", "B"])  # each LSOA: 10 people 85+
    codes = assign_user_areas(pts, grid_wards)
    assert codes.tolist() == ["SW", "SW", "SE", "NE"]
    out = aggregate(pts, codes, grid_wards)
    assert out.set_index("area_code").pop_85plus.to_dict() == {"SW": 10, "SE": 5, "NW": 0, "NE": 5}
    assert out.set_index("area_code").n_points.to_dict() == {"SW": 2, "SE": 1, "NW": 0, "NE": 1}
    # NW holds nobody: ratios are missing, not zero or infinite.
    nw = out.set_index("area_code").loc["NW"]
    assert np.isnan(nw.share_65plus) and np.isnan(nw.imd_score)
    assert out.loc[0, "density_per_km2"] == pytest.approx(out.loc[0, "pop_total"] / 1.0)
    assert list(out.index) == list(grid_wards.index)


def test_aggregate_does_not_mutate_inputs(grid_wards):
    pts = make_points(np.array([[100, 100], [1500, 500]]), ["A", "A"])
    before_pts, before_areas = pts.copy(), grid_wards.copy()
    aggregate(pts, assign_user_areas(pts, grid_wards), grid_wards)
    pd.testing.assert_frame_equal(pts, before_pts)
    pd.testing.assert_frame_equal(grid_wards, before_areas)


def test_points_outside_user_areas_get_their_own_row(grid_wards):
    pts = make_points(np.array([[100, 100], [5000, 5000]]), ["A", "A"])
    codes = assign_user_areas(pts, grid_wards)
    assert codes.tolist() == ["SW", OUTSIDE_CODE]
    out = aggregate(pts, codes, grid_wards)
    assert out.pop_total.sum() == pytest.approx(pts.pop_total.sum())
    outside = out[out.area_code == OUTSIDE_CODE]
    assert len(outside) == 1 and outside.geometry.isna().all()


def test_overlapping_user_areas_count_once_and_warn():
    a = shapely.box(0, 0, 1000, 1000)
    b = shapely.box(500, 0, 1500, 1000)
    areas = gpd.GeoDataFrame({"area_code": ["a", "b"], "area_name": ["A", "B"]}, geometry=[a, b], crs=BNG)
    pts = make_points(np.array([[700, 500], [1200, 500]]), ["X", "X"])
    with pytest.warns(GapmapWarning, match="1 postcodes lie in more than one"):
        codes = assign_user_areas(pts, areas)
    assert codes.tolist() == ["a", "b"]


def test_aggregate_rejects_misaligned_or_unknown_codes(grid_wards):
    pts = make_points(np.array([[100, 100]]), ["A"])
    with pytest.raises(ValueError, match="aligned"):
        aggregate(pts, pd.Series(["SW"], index=[99]), grid_wards)
    with pytest.raises(ValueError, match="unknown areas"):
        aggregate(pts, pd.Series(["XX"], index=pts.index), grid_wards)


@pytest.mark.parametrize("size", [500, 1000, 2000])
def test_every_point_lies_in_its_hex(size):
    rng = np.random.default_rng(size)
    xy = rng.uniform([300_000, 100_000], [330_000, 130_000], size=(3000, 2))
    pts = make_points(xy, rng.choice(["A", "B", "C"], size=3000))
    codes, hexes = hex_grid(pts, size)
    poly = hexes.set_index("area_code").geometry.reindex(codes.to_numpy()).to_numpy()
    # Points sit inside (or on the edge of) the hexagon they were binned to.
    assert shapely.dwithin(poly, pts.geometry.to_numpy(), 1e-6).all()
    assert hexes.area_km2.iloc[0] == pytest.approx(hexes.geometry.area.iloc[0] / 1e6)
    assert hexes.geometry.area.iloc[0] == pytest.approx(np.sqrt(3) / 2 * size**2)
    # Neighbouring hexes tile the plane: no two overlap.
    assert hexes.geometry.union_all().area == pytest.approx(hexes.geometry.area.sum())
    assert hexes.area_code.is_unique


def test_hex_names_use_postcode_sectors():
    pts = make_points(np.array([[100.0, 100.0]]), ["A"])
    _, hexes = hex_grid(pts, 1000)
    assert hexes.area_name.iloc[0] == "Hex near " + pts.postcode.iloc[0][:-2].strip()


def test_hex_size_is_checked():
    pts = make_points(np.array([[100.0, 100.0]]), ["A"])
    with pytest.raises(LevelError):
        hex_grid(pts, 10)


boxes = st.tuples(st.floats(0, 9000), st.floats(0, 9000), st.floats(50, 4000), st.floats(50, 4000)).map(
    lambda t: shapely.box(t[0], t[1], t[0] + t[2], t[1] + t[3])
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    polys=st.lists(boxes, min_size=1, max_size=8),
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 300),
    hex_size=st.sampled_from([250, 1000, 3000]),
)
def test_totals_are_conserved_for_random_polygons_and_points(polys, seed, n, hex_size):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 12_000, size=(n, 2)).round()
    lsoas = rng.choice([f"L{i}" for i in range(5)], size=n)
    pts = make_points(xy, lsoas)
    expected = pts[list(COUNT_COLUMNS)].sum()
    areas = gpd.GeoDataFrame(
        {
            "area_code": [f"P{i}" for i in range(len(polys))],
            "area_name": [f"Parish {i}" for i in range(len(polys))],
        },
        geometry=polys,
        crs=BNG,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GapmapWarning)  # random boxes overlap
        codes = assign_user_areas(pts, areas)
    for codes_, polygons in ((codes, areas), hex_grid(pts, hex_size)):
        out = aggregate(pts, codes_, polygons)
        got = out[list(COUNT_COLUMNS)].sum()
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-9)
        assert out.n_points.sum() == n
