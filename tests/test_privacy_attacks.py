"""The three attacks of issue #18, as a hostile viewer would run them, on the shipped Somerset sample.

Each attack is run twice: on the old viewer path (figures computed from the exact homes, the old
small-number rule, any uploaded areas), where it must recover homes, so the attack is known to
work; and on the viewer path as it is now (``gapmap.privacy.providers_for``: the public providers;
``suppress_counts``; ``large_enough_areas``), where it must recover at most 5% of homes exactly
and at most 10% within 250 m.
"""

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from gapmap import privacy
from gapmap.analysis import AnalysisRequest, analyse, zones_for
from gapmap.areas import OUTSIDE_CODE
from gapmap.downloads import economy_areas, gaps_download
from gapmap.economy import EconomyParams, supply_of
from gapmap.records import load_providers
from tests.test_privacy import SAMPLE

# Postcodes a few metres apart give overlapping squares; each is then counted once (a warning).
pytestmark = pytest.mark.filterwarnings("ignore::gapmap.errors.GapmapWarning")
SECRET = bytes(range(32))
AS_AT = date(2024, 6, 1)
MICRO = ("micro_enterprise",)


@pytest.fixture(scope="module")
def sample(somerset):
    """The sample's records, their public form, the micro-providers open on the date and all postcodes."""
    records = load_providers(SAMPLE, outline=somerset.outline()).accepted
    public = privacy.providers_for(records, mode="counts", secret=SECRET)
    homes = supply_of(records, AS_AT, MICRO)
    pts = somerset.points[somerset.points.postcode.notna()]
    return records, public.frame, homes, pts


def scores(guesses: np.ndarray, homes: gpd.GeoDataFrame) -> tuple[float, float]:
    """Share of homes named exactly (to the metre) and share with a guess within 250 m."""
    hxy = np.c_[homes.geometry.x, homes.geometry.y]
    if len(guesses) == 0:
        return 0.0, 0.0
    d, _ = cKDTree(np.asarray(guesses, dtype=float).reshape(-1, 2)).query(hxy)
    return float((d < 1).mean()), float((d <= 250).mean())


def squares(pts: gpd.GeoDataFrame, half_m: float) -> gpd.GeoDataFrame:
    """An own-areas file: one square of side ``2 * half_m`` round each of ``pts``."""
    x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    boxes = shapely.box(x - half_m, y - half_m, x + half_m, y + half_m)
    return gpd.GeoDataFrame(
        {"area_code": [f"sq{i}" for i in range(len(pts))], "area_name": [f"square {i}" for i in range(len(pts))]},
        geometry=boxes,
        crs=pts.crs,
    )


def candidates(pts, homes, n_others, seed=1):
    """Every home's postcode and ``n_others`` other postcodes (the attacker would take them all)."""

    def key(frame):
        return frame.geometry.x.round().astype(int).astype(str) + ":" + frame.geometry.y.round().astype(int).astype(str)

    is_home = key(pts).isin(set(key(homes))).to_numpy()
    rng = np.random.default_rng(seed)
    others = rng.choice(np.flatnonzero(~is_home), n_others, replace=False)
    chosen = pts.iloc[np.r_[np.flatnonzero(is_home), others]]
    return chosen[~chosen.geometry.x.round().duplicated() | ~chosen.geometry.y.round().duplicated()]


# --- (a) Own areas: a 4 m square round every postcode, micro-enterprises only, 1 km -------------


def own_areas_attack(data, providers, areas) -> np.ndarray:
    """Rows with nearest_km = 0 are homes: the squares' centres."""
    request = AnalysisRequest(level="parish", kinds=MICRO, radius_km=1.0, as_at=AS_AT)
    table = gaps_download(analyse(data, providers, request, areas=areas).areas, privacy="counts", illustrative=True)
    hit = table[(table.nearest_km < 0.005) & (table.area_code != OUTSIDE_CODE)]
    return np.c_[hit.geometry.centroid.x, hit.geometry.centroid.y]


def test_own_areas_attack(somerset, sample):
    records, public, homes, pts = sample
    areas = squares(candidates(pts, homes, 600), 2.0)
    # The old path (figures from exact homes, any areas) gives nearly every home away.
    old_exact, _ = scores(own_areas_attack(somerset, records, areas), homes)
    assert old_exact > 0.9, old_exact
    # Now: no square holds 20 postcodes, so a viewer gets no figure for any of them...
    kept, dropped = privacy.large_enough_areas(somerset.points, areas)
    assert kept.empty and dropped == len(areas)
    # ...and even if the squares were let through, the figures come from the displaced points.
    exact, near = scores(own_areas_attack(somerset, public, areas), homes)
    assert exact <= 0.05 and near <= 0.10, (exact, near)


# --- (c) Local economy: tiny areas and the "Outside the supplied areas" row ------------------


def old_suppress(counts: pd.Series) -> pd.Series:
    """The rule before this change: a second cell withheld only when exactly one cell was small."""
    values = counts.fillna(0).round().astype(int)
    small = values < privacy.SMALL_COUNT
    out = values.map(str).where(~small, privacy.FEWER_THAN)
    if small.sum() == 1 and (~small).any():
        out[values[~small].idxmin()] = privacy.NOT_SHOWN
    return out


def outside_row_attack(data, supply, probes, reference, suppress) -> np.ndarray:
    """Upload two 10 m squares, round a postcode and round a postcode already known to hold no
    provider (found the same way, from a pair that added up to nothing): the council total minus
    the "Outside the supplied areas" row says whether a sole trader lives at the postcode."""
    params, total = EconomyParams(), len(supply)
    found = []
    for i in range(len(probes)):
        areas = squares(pd.concat([probes.iloc[[i]], reference]), 5.0)
        z = zones_for(data, "parish", areas=areas)
        by_area = economy_areas(supply, z.polygons, z.population, params, privacy="exact")
        shown = suppress(by_area.providers).set_axis(by_area.area_code.to_numpy())
        outside = str(shown.get(OUTSIDE_CODE, "")).replace(",", "")
        if outside.isdigit() and total - int(outside) >= 1:
            found.append((probes.geometry.x.iloc[i], probes.geometry.y.iloc[i]))
    return np.array(found).reshape(-1, 2)


@pytest.mark.parametrize("n", [8, pytest.param(60, marks=pytest.mark.slow)])
def test_outside_row_attack(somerset, sample, n):
    records, public, homes, pts = sample
    on = homes.iloc[:n]
    probes = candidates(pts, on, n, seed=3)  # n homes and n other postcodes
    everyone = pd.concat([records, public])
    far = cKDTree(np.c_[everyone.geometry.x, everyone.geometry.y]).query(np.c_[pts.geometry.x, pts.geometry.y])[0]
    reference = pts[far > 50].iloc[[0]]  # no provider (exact or moved) within 50 m
    old_supply = supply_of(records, AS_AT, MICRO)
    old_exact, _ = scores(outside_row_attack(somerset, old_supply, probes, reference, old_suppress), on)
    assert old_exact > 0.9, old_exact
    # Now: the squares are refused, the outside row is withheld with the small cells, and the
    # figures come from the displaced points.
    kept, _ = privacy.large_enough_areas(somerset.points, squares(probes, 5.0))
    assert kept.empty
    supply = supply_of(public, AS_AT, MICRO)
    exact, near = scores(outside_row_attack(somerset, supply, probes, reference, privacy.suppress_counts), on)
    assert exact <= 0.05 and near <= 0.10, (exact, near)
    # Even with the old rule, figures from the displaced points name no home.
    exact, near = scores(outside_row_attack(somerset, supply, probes, reference, old_suppress), on)
    assert exact <= 0.05 and near <= 0.10, (exact, near)


@pytest.mark.parametrize("seed", range(40))
def test_no_small_cell_follows_from_the_total(seed):
    """Brute force: for any table, every small cell can still be 0, 1 or 2 given the shown cells and the total."""
    rng = np.random.default_rng(seed)
    values = pd.Series(rng.choice([0, 0, 1, 2, 3, 3, 4, 5, 8, 20], size=rng.integers(2, 7)))
    shown = privacy.suppress_counts(values)
    hidden = shown.isin([privacy.FEWER_THAN, privacy.NOT_SHOWN])
    if not hidden.any() or (values < privacy.SMALL_COUNT).all():
        return  # nothing hidden, or only small cells (then the total itself is the only figure)
    rest = int(values.sum()) - int(values[~hidden].sum())  # what the total gives away
    small = shown == privacy.FEWER_THAN
    for label in values.index[small]:
        for v in range(privacy.SMALL_COUNT):
            others = rest - v
            n_large = int((shown == privacy.NOT_SHOWN).sum())
            n_small = int(small.sum()) - 1
            feasible = others >= max(0, privacy.SMALL_COUNT * n_large) and (n_large > 0 or others <= 2 * n_small)
            assert feasible, (values.tolist(), shown.tolist(), label, v)
