"""The national run: per-council tasks, local processes and a Dask cluster give the same tables."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gapmap.analysis import AnalysisRequest, analyse
from gapmap.config import BNG
from gapmap.export import gaps_table
from gapmap.national import council_codes, council_gaps, providers_near, run_dask
from gapmap.population import load_council

CITY, SCILLY = "E09000001", "E06000053"  # the two smallest upper-tier councils
REQUEST = AnalysisRequest(band="65plus", radius_km=2.0, level="ward")


def _providers(points: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    n = len(points)
    return gpd.GeoDataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "name": [f"P{i}" for i in range(n)],
            "kind": "micro_enterprise",
            "capacity": 10.0,
            "start_date": pd.NaT,
            "end_date": pd.NaT,
        },
        geometry=gpd.points_from_xy(*zip(*points, strict=True)),
        crs=BNG,
    )


@pytest.fixture(scope="module")
def providers() -> gpd.GeoDataFrame:
    city = load_council(CITY).outline()
    scilly = load_council(SCILLY).outline()
    inside = shapely.get_coordinates(city.representative_point())[0]
    # One provider 1 km east of the City's eastern edge (outside it, within the 2 km radius),
    # one far away in Leeds that serves neither council, one on St Mary's.
    minx, miny, maxx, maxy = city.bounds
    east = (maxx + 1000.0, (miny + maxy) / 2)
    mary = shapely.get_coordinates(scilly.representative_point())[0]
    return _providers([tuple(inside), east, (430000.0, 433000.0), tuple(mary)])


def test_council_list_is_the_upper_tier():
    codes = council_codes()
    assert CITY in codes and SCILLY in codes and len(codes) == len(set(codes))
    assert set(council_codes(tier="all")) > set(codes)


def test_a_provider_over_the_border_counts_and_a_far_one_does_not(providers):
    table = council_gaps(CITY, providers, REQUEST)
    assert set(table.council_code) == {CITY}
    # The City is about 3 km across: with 2 km reach both nearby providers serve some wards,
    # so some ward has two providers within reach; Leeds (and Scilly) are never in reach.
    assert table.providers_within.max() > 1.0
    assert table.providers_within.max() <= 2.0
    # Without the provider over the border no ward has more than one within reach.
    alone = council_gaps(CITY, providers.iloc[[0]], REQUEST)
    assert alone.providers_within.max() <= 1.0


def test_a_task_equals_the_single_council_analysis(providers):
    data = load_council(SCILLY)
    direct = gaps_table(analyse(data, providers.iloc[[3]], REQUEST).areas)
    task = council_gaps(SCILLY, providers, REQUEST)
    assert task.area_code.tolist() == direct.area_code.tolist()
    np.testing.assert_allclose(task.gap_score.to_numpy(float), direct.gap_score.to_numpy(float))
    assert task.council_name.iat[0] == "Isles of Scilly"


@pytest.mark.slow
def test_dask_local_cluster_runs_the_same_tasks(providers):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        both = run_dask([SCILLY, CITY], providers, REQUEST, client=client)
    # One table, councils in the order asked, each equal to its own task.
    assert both.council_code.drop_duplicates().tolist() == [SCILLY, CITY]
    for code in (SCILLY, CITY):
        alone = council_gaps(code, providers, REQUEST)
        mine = both[both.council_code == code]
        assert mine.area_code.tolist() == alone.area_code.tolist()
        np.testing.assert_allclose(mine.unmet_need.to_numpy(float), alone.unmet_need.to_numpy(float))


@pytest.mark.slow
def test_local_processes_give_one_table_in_council_order(providers):
    from gapmap.national import run_local

    said: list[str] = []
    both = run_local([CITY, SCILLY], providers, REQUEST, workers=2, progress=said.append)
    assert both.council_code.drop_duplicates().tolist() == [CITY, SCILLY]
    assert sorted(s.split()[-1] for s in said) == sorted([CITY, SCILLY]) and said[-1].startswith("2/2")
    scilly = both[both.council_code == SCILLY]
    np.testing.assert_allclose(
        scilly.gap_score.to_numpy(float), council_gaps(SCILLY, providers, REQUEST).gap_score.to_numpy(float)
    )


def test_providers_near_the_wards_are_those_near_the_outline():
    """The task keeps providers within the radius of any ward: the same set as of the union."""
    data = load_council("E06000066")
    rng = np.random.default_rng(7)
    x0, y0, x1, y1 = data.boundaries["wards"].total_bounds
    xy = rng.uniform([x0 - 8000, y0 - 8000], [x1 + 8000, y1 + 8000], size=(3000, 2))
    prov = _providers([tuple(p) for p in xy])
    outline = data.outline()
    for radius in (500.0, 5000.0):
        expected = prov.index[prov.geometry.dwithin(outline, radius)]
        near = providers_near(prov, data.boundaries["wards"].geometry.values, radius)
        assert 0 < len(near) < len(prov)
        assert near.index.tolist() == expected.tolist()
    assert providers_near(prov.iloc[:0], data.boundaries["wards"].geometry.values, 500.0).empty


def test_largest_councils_go_first_and_none_is_lost():
    from gapmap.config import DataPaths
    from gapmap.national import largest_first

    codes = [SCILLY, "E10000016", CITY, "E06000066"]  # Kent is the most populous upper-tier council
    ordered = largest_first(codes, DataPaths())
    assert ordered[0] == "E10000016"
    assert sorted(ordered) == sorted(codes)
    assert ordered.index("E06000066") < ordered.index(CITY)
    assert largest_first(["unknown", SCILLY], DataPaths()) == [SCILLY, "unknown"]


def test_a_task_reads_only_the_boundaries_its_level_needs():
    from gapmap.errors import LevelError
    from gapmap.population import boundary_layers

    data = load_council(SCILLY, layers=boundary_layers("lsoa"))
    assert set(data.boundaries) == {"wards", "lsoa"}
    full = load_council(SCILLY)
    pd.testing.assert_frame_equal(data.boundaries["lsoa"], full.boundaries["lsoa"])
    assert set(load_council(SCILLY, layers=()).boundaries) == {"wards"}
    with pytest.raises(LevelError):
        load_council(SCILLY, layers=("parishes",))
