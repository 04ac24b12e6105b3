"""Checks on the shipped data against published Census figures."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from gapmap import io
from gapmap.areas import OUTSIDE_CODE
from gapmap.config import DataPaths
from gapmap.population import load_council, population_by_area
from tests.conftest import SOMERSET

PARISHES = Path(__file__).parent / "data" / "parishes_somerset_test.geojson"


@pytest.mark.parametrize(
    ("level", "hex_size"),
    [("ward", 0), ("lsoa", 0), ("msoa", 0), ("hex", 500), ("hex", 1000), ("hex", 2000)],
)
def test_somerset_totals_at_every_level(somerset, level, hex_size):
    areas = population_by_area(somerset, level, hex_size_m=hex_size or 1000)
    for col, expected in SOMERSET.items():
        assert areas[col].sum() == pytest.approx(expected, abs=1e-6), col


def test_somerset_area_counts(somerset):
    assert len(population_by_area(somerset, "ward")) == 55
    assert len(population_by_area(somerset, "lsoa")) == 339
    assert len(somerset.boundaries["wards"]) == 55
    assert somerset.council.name == "Somerset"
    # LSOA level reproduces the Census exactly, area by area.
    lsoa = population_by_area(somerset, "lsoa")
    assert np.allclose(lsoa.pop_85plus, lsoa.pop_85plus.round())
    # Street level: one demand point per live postcode.
    assert somerset.points.postcode.notna().all() and somerset.points.postcode.is_unique


def test_somerset_by_parish_file(somerset):
    parishes = io.read_area_file(PARISHES)
    areas = population_by_area(somerset, "parish", areas=parishes)
    assert areas.area_code.tolist() == ["E04099901", "E04099902", "E04099903", OUTSIDE_CODE]
    for col, expected in SOMERSET.items():
        assert areas[col].sum() == pytest.approx(expected, abs=1e-6)
    # Independently: the points whose coordinates fall in each polygon.
    pts = somerset.points
    for _, parish in parishes.iterrows():
        inside = shapely.contains_xy(parish.geometry, pts.easting, pts.northing)
        row = areas.set_index("area_code").loc[parish.area_code]
        assert row.pop_65plus == pytest.approx(pts.pop_65plus[inside].sum())
        assert row.n_points == inside.sum() > 100


def test_ward_context_is_plausible(somerset):
    wards = population_by_area(somerset, "ward")
    assert wards.imd_decile.between(1, 10).all()
    assert wards.rural_share.between(0, 1).all() and wards.rural_share.max() == 1
    assert wards.disabled_share.between(0.05, 0.4).all()
    assert (wards.density_per_km2 > 0).all()
    assert wards.older_income_deprived.sum() > 0


@pytest.mark.slow
def test_every_council_loads_and_matches_its_lsoa_sums():
    """Every upper-tier council and district loads; totals equal the sums of its LSOAs."""
    paths = DataPaths()
    councils = io.read_councils(paths)
    assert {"E10000008", "E10000016", "E06000066", "E06000034", "E08000025"} <= set(councils.code)
    assert (councils.tier == "upper").sum() == 153
    lsoa = pd.read_parquet(paths.lsoa_table)
    for council in councils.itertuples():
        data = load_council(council.code)
        wards = population_by_area(data, "ward")
        own = lsoa[lsoa["utla_code" if council.tier == "upper" else "lad_code"] == council.code]
        assert wards.pop_total.sum() == pytest.approx(own.pop_total.sum(), abs=1e-6), council.code
        assert wards.pop_85plus.sum() == pytest.approx(own.pop_85plus.sum(), abs=1e-6), council.code
        assert len(wards) == council.n_wards > 0
        assert set(data.points.lsoa_code) == set(own.lsoa_code)


def test_measures_for_the_map(somerset):
    from gapmap.errors import LevelError
    from gapmap.population import measure

    wards = population_by_area(somerset, "ward")
    count = measure(wards, "85plus", "count")
    assert count.sum() == pytest.approx(SOMERSET["pop_85plus"])
    share = measure(wards, "75plus", "share")
    assert share.between(0, 1).all() and share.index.equals(wards.index)
    assert measure(wards, "total", "share").sum() == pytest.approx(1.0)
    density = measure(wards, "65plus", "density")
    assert density.iloc[0] == pytest.approx(wards.pop_65plus.iloc[0] / wards.area_km2.iloc[0])
    with pytest.raises(LevelError):
        measure(wards, "65plus", "ratio")
