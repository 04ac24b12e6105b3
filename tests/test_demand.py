import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gapmap.config import BNG
from gapmap.demand import BANDS, COUNT_COLUMNS, band_column, fallback_points, share_population
from tests.conftest import make_lsoa_table


def test_counts_are_shared_equally_within_each_lsoa():
    raw = pd.DataFrame({"easting": [0, 10, 20, 500], "northing": [0, 0, 0, 0], "lsoa_code": ["A", "A", "A", "B"]})
    lsoa = make_lsoa_table(["A", "B"])  # 10 people 85+, 60 aged 75+ in each
    pts = share_population(raw, lsoa)
    assert pts.pop_85plus.tolist() == pytest.approx([10 / 3, 10 / 3, 10 / 3, 10])
    assert pts.pop_75plus.tolist() == pytest.approx([20, 20, 20, 60])
    assert pts.pop_65plus.iloc[3] == 150
    # Every additive column sums back to the LSOA value.
    sums = pts.groupby("lsoa_code")[list(COUNT_COLUMNS)].sum()
    assert sums.loc["A", "pop_total"] == pytest.approx(lsoa.set_index("lsoa_code").loc["A", "pop_total"])
    assert pts.crs == BNG
    assert pts.geometry.x.tolist() == [0, 10, 20, 500]


def test_input_is_not_mutated_and_index_is_kept():
    raw = pd.DataFrame({"easting": [1, 2], "northing": [3, 4], "lsoa_code": ["A", "A"]}, index=[7, 9])
    before = raw.copy()
    pts = share_population(raw, make_lsoa_table(["A"]))
    pd.testing.assert_frame_equal(raw, before)
    assert list(pts.index) == [7, 9]


def test_point_in_unknown_lsoa_raises():
    raw = pd.DataFrame({"easting": [1], "northing": [3], "lsoa_code": ["Z"]})
    with pytest.raises(ValueError, match="Z"):
        share_population(raw, make_lsoa_table(["A"]))


def test_band_columns():
    assert band_column("85plus") == "pop_85plus"
    assert set(BANDS) == {"65plus", "75plus", "85plus"}
    with pytest.raises(ValueError, match="unknown age band"):
        band_column("90plus")


def test_fallback_point_lies_inside_lsoa_without_postcode():
    # A U-shaped LSOA: its centroid falls outside it, a representative point does not.
    u = shapely.Polygon([(0, 0), (300, 0), (300, 300), (200, 300), (200, 100), (100, 100), (100, 300), (0, 300)])
    lsoa = gpd.GeoDataFrame({"area_code": ["U", "V"]}, geometry=[u, shapely.box(400, 0, 500, 100)], crs=BNG)
    assert not u.contains(u.centroid)
    extra = fallback_points(lsoa, pd.Index(["V"]))
    assert extra.lsoa_code.tolist() == ["U"]
    assert u.contains(extra.geometry.iloc[0])
    assert np.issubdtype(extra.easting.dtype, np.integer)
