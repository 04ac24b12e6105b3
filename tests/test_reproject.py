"""The fixed BNG <-> WGS84 pipeline gives what GeoPandas' ``to_crs`` gives."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gapmap.config import BNG, WGS84
from gapmap.errors import CrsError
from gapmap.reproject import reproject, transformer


@pytest.fixture(scope="module")
def wards():
    from gapmap.population import load_council

    return load_council("E06000066").boundaries["wards"]


def test_polygons_match_to_crs_and_input_is_untouched(wards):
    before = wards.copy()
    ours = reproject(wards, WGS84)
    theirs = wards.to_crs(WGS84)
    assert ours.crs.equals(theirs.crs)
    assert list(ours.columns) == list(wards.columns)
    np.testing.assert_allclose(ours.get_coordinates().to_numpy(), theirs.get_coordinates().to_numpy(), atol=1e-9)
    assert before.geom_equals_exact(wards, tolerance=0).all() and wards.crs.equals(BNG)


def test_points_both_ways_and_series():
    rng = np.random.default_rng(4)
    pts = gpd.GeoSeries.from_xy(rng.uniform(90_000, 650_000, 500), rng.uniform(10_000, 650_000, 500), crs=BNG)
    wgs = reproject(pts, WGS84)
    assert isinstance(wgs, gpd.GeoSeries) and wgs.index.equals(pts.index)
    theirs = pts.to_crs(WGS84).get_coordinates().to_numpy()
    np.testing.assert_allclose(wgs.get_coordinates().to_numpy(), theirs, atol=1e-9)
    back = reproject(wgs, BNG)
    np.testing.assert_allclose(back.get_coordinates().to_numpy(), pts.get_coordinates().to_numpy(), atol=0.01)
    x, y = transformer(WGS84, BNG).transform(-2.0, 51.0)
    ref = gpd.GeoSeries.from_xy([-2.0], [51.0], crs=WGS84).to_crs(BNG).iloc[0]
    assert abs(x - ref.x) < 1e-6 and abs(y - ref.y) < 1e-6


def test_other_crs_falls_back_and_same_crs_copies():
    pts = gpd.GeoSeries.from_xy([400_000.0], [200_000.0], crs=BNG)
    merc = reproject(pts, "EPSG:3857")
    assert merc.iloc[0].equals_exact(pts.to_crs("EPSG:3857").iloc[0], 1e-6)
    same = reproject(pts, BNG)
    assert same is not pts and same.iloc[0].equals(pts.iloc[0])


def test_no_crs_is_a_clear_error():
    with pytest.raises(CrsError):
        reproject(gpd.GeoSeries([shapely.Point(0, 0)]), WGS84)
