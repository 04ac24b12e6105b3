"""Attack (b) of issue #18: the standard tables solved for the homes by integer programming.

The attacker is a viewer. They have what a viewer downloads (the gaps table per LSOA, column
codes, at several radius and road-factor settings, micro-enterprises only), the "Providers open"
figure, the open postcode file and the Census counts, and the source code, so they know that an
area's ``providers_within`` is the older-population-weighted mean, over its postcodes, of the
number of providers within the (factored) radius. Every table entry is then linear in how many
providers sit at each postcode, and they solve for those counts with scipy's HiGHS MILP.

Before issue #18 the tables were computed from the exact homes: the programme names every home.
Now every figure a viewer gets is computed from the public providers (the displaced points):
the programme can at best find postcodes that explain the displaced points, and names no home.

Run on two windows of the shipped Somerset sample (a market town and a rural area), so that the
programme stays small enough to solve in seconds.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from gapmap import privacy
from gapmap.analysis import AnalysisRequest, analyse, zones_for
from gapmap.costs import euclidean_costs
from gapmap.downloads import gaps_download
from gapmap.economy import supply_of
from gapmap.records import load_providers
from tests.test_privacy import SAMPLE

pytestmark = [
    pytest.mark.slow,  # two windows, each solved twice: about a minute
    pytest.mark.filterwarnings("ignore::gapmap.errors.GapmapWarning"),
]
SECRET = bytes(range(32))
AS_AT = date(2024, 6, 1)
MICRO = ("micro_enterprise",)
HALF_M = 2500.0  # the window: 5 km square
MARGIN_M = 2500.0  # candidate postcodes up to this far outside it (a home moved out of the window)
SETTINGS = ((0.5, 1.0), (1.0, 1.0), (1.0, 1.3), (1.5, 1.0), (2.0, 1.0), (2.0, 1.5), (3.0, 1.0))
"""(radius km, road factor) pairs the attacker downloads: effective radii from 0.5 km."""


@pytest.fixture(scope="module")
def setting(somerset):
    records = load_providers(SAMPLE, outline=somerset.outline()).accepted
    micro = records[records.kind.eq("micro_enterprise")]
    zones = zones_for(somerset, "lsoa")
    return somerset, micro, zones


def _window(micro: pd.DataFrame, density: str) -> tuple[float, float]:
    """The centre of a 5 km window round a home: the busiest one, or one with about ten neighbours."""
    homes = supply_of(micro, AS_AT, MICRO)
    xy = np.c_[homes.geometry.x, homes.geometry.y]
    near = np.array([len(n) for n in cKDTree(xy).query_ball_point(xy, HALF_M)])
    i = int(near.argmax()) if density == "town" else int(np.flatnonzero((near >= 8) & (near <= 12))[0])
    return float(xy[i, 0]), float(xy[i, 1])


def _viewer_table(data, providers, zones, radius_km: float, circuity: float) -> pd.Series:
    """``providers_within`` per LSOA exactly as a viewer downloads it (the column-code CSV)."""
    request = AnalysisRequest(level="lsoa", kinds=MICRO, radius_km=radius_km, circuity=circuity, as_at=AS_AT)
    table = gaps_download(analyse(data, providers, request, zones=zones).areas, privacy="counts", illustrative=True)
    return table.set_index("area_code").providers_within


class Attacker:
    """What the attacker builds from public data alone: candidate postcodes and the linear model."""

    def __init__(self, data, zones, centre: tuple[float, float]):
        pts = data.points
        x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
        box = (np.abs(x - centre[0]) <= HALF_M + MARGIN_M) & (np.abs(y - centre[1]) <= HALF_M + MARGIN_M)
        cand = pts[box].reset_index(drop=True)
        where = pd.Series(np.round(cand.geometry.x) * 1e7 + np.round(cand.geometry.y))
        self.candidates = cand[~where.duplicated().to_numpy()].reset_index(drop=True)
        self.xy = np.c_[self.candidates.geometry.x, self.candidates.geometry.y]
        self.areas = pd.Index(zones.population.area_code)
        pos = self.areas.get_indexer(zones.codes.to_numpy())
        weight = pts["pop_65plus"].to_numpy(dtype=float)  # the default band: 65+
        total = np.bincount(pos[pos >= 0], weights=weight[pos >= 0], minlength=len(self.areas))
        scale = sparse.diags(np.where(total > 0, 1.0 / np.where(total > 0, total, 1.0), 0.0))
        far = max(r * c for r, c in SETTINGS)
        cost = euclidean_costs(pts, self.candidates[["geometry"]], max_km=far)
        o, d, km = cost.origin.to_numpy(), cost.dest.to_numpy(), cost.cost.to_numpy()
        self.blocks = []
        for radius, circuity in SETTINGS:
            m = km * circuity <= radius
            a = sparse.coo_matrix((weight[o[m]], (pos[o[m]], d[m])), shape=(len(self.areas), len(self.candidates)))
            self.blocks.append(scale @ a.tocsr())

    def solve(self, tables: list[pd.Series], n_open: int, seconds: float = 10.0) -> np.ndarray:
        """Postcode positions (one row per provider) that best reproduce ``tables``, ``n_open`` in all."""
        m = sparse.vstack(self.blocks).tocsr()
        b = np.concatenate([t.reindex(self.areas).fillna(0.0).to_numpy() for t in tables])
        touched = np.asarray(abs(m).sum(axis=1)).ravel() > 0  # areas the window's postcodes reach
        m, b = m[touched], b[touched]
        n, k = m.shape[1], m.shape[0]
        # Counts per postcode (0-3), with slack either side of each table entry: the least slack wins.
        rows = sparse.vstack(
            [
                sparse.hstack([m, sparse.eye(k), -sparse.eye(k)]),
                sparse.hstack([sparse.csr_matrix(np.ones((1, n))), sparse.csr_matrix((1, 2 * k))]),
            ]
        ).tocsr()
        result = milp(
            np.r_[np.zeros(n), np.ones(2 * k)],
            constraints=[LinearConstraint(rows, np.r_[b, n_open], np.r_[b, n_open])],
            integrality=np.r_[np.ones(n), np.zeros(2 * k)],
            bounds=Bounds(np.zeros(n + 2 * k), np.r_[np.full(n, 3.0), np.full(2 * k, np.inf)]),
            options={"time_limit": seconds},
        )
        if result.x is None:
            return np.empty((0, 2))
        return np.repeat(self.xy, np.round(result.x[:n]).astype(int), axis=0)


def _scores(guesses: np.ndarray, homes: pd.DataFrame) -> tuple[float, float]:
    """Share of homes named exactly, and share with a guess within 250 m."""
    if len(guesses) == 0:
        return 0.0, 0.0
    d, _ = cKDTree(guesses).query(np.c_[homes.geometry.x, homes.geometry.y])
    return float((d < 1).mean()), float((d <= 250).mean())


@pytest.mark.parametrize("density", ["town", "rural"])
def test_standard_tables_solved_by_integer_programming(setting, density):
    data, micro, zones = setting
    cx, cy = _window(micro, density)
    inside = micro.geometry.x.sub(cx).abs().le(HALF_M) & micro.geometry.y.sub(cy).abs().le(HALF_M)
    records = micro[inside]  # the council's micro-providers, for this test: those in the window
    homes = supply_of(records, AS_AT, MICRO)
    n_open = len(homes)  # the "Providers open" tile
    assert n_open >= 8
    attacker = Attacker(data, zones, (cx, cy))

    # The attacker's model is right: on the exact homes it reproduces the table to rounding.
    at_homes = cKDTree(attacker.xy).query(np.c_[homes.geometry.x, homes.geometry.y])[1]
    counts = np.bincount(at_homes, minlength=len(attacker.xy)).astype(float)
    exact_table = _viewer_table(data, records, zones, 1.0, 1.0).reindex(attacker.areas).fillna(0.0).to_numpy()
    assert np.abs(attacker.blocks[1] @ counts - exact_table).max() < 1e-6

    # Before issue #18: tables from the exact homes. The programme names (nearly) every home.
    old = [_viewer_table(data, records, zones, r, c) for r, c in SETTINGS]
    exact, _ = _scores(attacker.solve(old, n_open), homes)
    assert exact >= 0.9, exact

    # Now: the same downloads, made from the public providers, as every viewer's figures are.
    public = privacy.providers_for(records, mode="counts", secret=SECRET)
    assert isinstance(public, privacy.PublicProviders)
    new = [_viewer_table(data, public.frame, zones, r, c) for r, c in SETTINGS]
    guesses = attacker.solve(new, n_open)
    exact, near = _scores(guesses, homes)
    assert exact <= 0.05, exact
    # Within 250 m: providers live where older people do, so in a 5 km window even guessing
    # postcodes at random, weighted by older residents, lands near a quarter or more of homes.
    # The programme must do no better than such an uninformed guesser usually does.
    rng = np.random.default_rng(0)
    weight = attacker.candidates["pop_65plus"].to_numpy(dtype=float)
    blind = [
        _scores(attacker.xy[rng.choice(len(attacker.xy), n_open, p=weight / weight.sum())], homes)[1]
        for _ in range(200)
    ]
    assert near <= np.quantile(blind, 0.9), (near, np.quantile(blind, [0.5, 0.9]))
