import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from gapmap.config import BNG
from gapmap.export import neutralise_formulas, to_csv_bytes
from gapmap.privacy import displace, for_display


@pytest.fixture
def providers():
    return gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "kind": ["micro_enterprise", "micro_enterprise", "day_centre"],
            "easting": [300_000.0, 310_000.0, 320_000.0],
            "northing": [100_000.0] * 3,
        },
        geometry=gpd.points_from_xy([300_000, 310_000, 320_000], [100_000] * 3),
        crs=BNG,
    )


def test_micro_providers_move_exactly_the_stated_distance(providers):
    moved = displace(providers, 500)
    d = moved.distance(providers)
    assert d.iloc[:2].tolist() == pytest.approx([500, 500])
    assert d.iloc[2] == 0  # a day centre is a public venue: left in place
    assert moved.easting.tolist() == moved.geometry.x.tolist()
    # Stable between runs, different between providers.
    again = displace(providers, 500)
    assert moved.geometry.equals(again.geometry)
    dirs = np.arctan2(moved.northing - providers.northing, moved.easting - providers.easting)
    assert dirs.iloc[0] != pytest.approx(dirs.iloc[1])
    assert providers.geometry.x.iloc[0] == 300_000  # input untouched


def test_modes(providers):
    assert for_display(providers, "exact") is providers
    assert for_display(providers, "counts").kind.tolist() == ["day_centre"]
    with pytest.raises(ValueError):
        for_display(providers, "blurred")


def test_csv_exports_neutralise_formulas():
    frame = pd.DataFrame({"name": ['=HYPERLINK("x")', "+44 1823", "-cmd", "@SUM(A1)", "Ann"], "n": [1, 2, 3, 4, 5]})
    safe = neutralise_formulas(frame)
    assert safe.name.tolist() == ['\'=HYPERLINK("x")', "'+44 1823", "'-cmd", "'@SUM(A1)", "Ann"]
    assert safe.n.tolist() == [1, 2, 3, 4, 5]
    text = to_csv_bytes(frame).decode("utf-8-sig")
    cells = [line.split(",")[0].strip('"') for line in text.splitlines()[1:]]
    assert cells == ['\'=HYPERLINK(""x"")', "'+44 1823", "'-cmd", "'@SUM(A1)", "Ann"]
