"""Shared fixtures: tiny hand-made geometries and the shipped Somerset data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gapmap.config import BNG
from gapmap.demand import FIVE_YEAR_BANDS, share_population
from gapmap.population import CouncilData, load_council

SOMERSET = {"pop_total": 571_589, "pop_65plus": 141_899, "pop_75plus": 67_156, "pop_85plus": 19_414}


def make_lsoa_table(codes: list[str], rng: np.random.Generator | None = None) -> pd.DataFrame:
    """A Census-like table for hand-made LSOAs (random counts when rng is given)."""
    n = len(codes)
    counts = (
        rng.integers(0, 400, size=(n, 7))
        if rng is not None
        else np.tile(np.array([1000, 60, 50, 40, 30, 20, 10]), (n, 1))
    )
    table = pd.DataFrame(counts, columns=["pop_total", "pop_60_64", *FIVE_YEAR_BANDS])
    table["pop_total"] = table.sum(axis=1) + 500
    table.insert(0, "lsoa_code", codes)
    table["disabled_share"] = 0.2
    table["idaopi_numerator"] = 12.0
    table["imd_score"] = np.linspace(10, 40, n)
    table["imd_decile"] = np.arange(n) % 10 + 1
    table["ruc"] = np.where(np.arange(n) % 2 == 0, "Rural", "Urban")
    return table


def make_points(xy: np.ndarray, lsoa_codes: list[str] | np.ndarray) -> gpd.GeoDataFrame:
    """Demand points at ``xy`` (metres) in the given LSOAs, with shared counts."""
    raw = pd.DataFrame(
        {
            "easting": xy[:, 0],
            "northing": xy[:, 1],
            "lsoa_code": np.asarray(lsoa_codes),
            "postcode": [f"TA{i % 9 + 1} {i % 7}AB" for i in range(len(xy))],
        }
    )
    return share_population(raw, make_lsoa_table(sorted(set(raw.lsoa_code))))


@pytest.fixture
def grid_wards() -> gpd.GeoDataFrame:
    """Four 1 km square wards in a 2×2 block."""
    boxes = [shapely.box(x, y, x + 1000, y + 1000) for y in (0, 1000) for x in (0, 1000)]
    return gpd.GeoDataFrame(
        {
            "area_code": ["SW", "SE", "NW", "NE"],
            "area_name": ["South West", "South East", "North West", "North East"],
        },
        geometry=boxes,
        crs=BNG,
    )


@pytest.fixture(scope="session")
def somerset() -> CouncilData:
    """Somerset (E06000066) from the shipped data."""
    return load_council("E06000066")


@pytest.fixture(params=["gpkg", "postgres"])
def any_registry(request, tmp_path):
    """An empty registry of each backend (PostgreSQL skipped without GAPMAP_TEST_POSTGRES)."""
    from tests.registry_backends import make_registry

    with make_registry(request.param, tmp_path) as reg:
        yield reg


def pytest_collection_modifyitems(config, items):
    """Slow tests (every council, the full data build) run in CI or with GAPMAP_SLOW=1 only.

    The default local run stays within about three minutes; CI (which sets ``CI``) runs all.
    """
    import os

    if os.environ.get("CI") or os.environ.get("GAPMAP_SLOW") == "1" or config.getoption("-m"):
        return
    skip = pytest.mark.skip(reason="slow: set GAPMAP_SLOW=1 (CI runs it)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def viewer_home(tmp_path, monkeypatch):
    """The signed-in-roles home of tests/test_app_roles.py (distinctive records, one user per role)."""
    from tests.test_app_roles import home

    return home.__wrapped__(tmp_path, monkeypatch)
