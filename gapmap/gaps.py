r"""The gap engine: access per demand point, then per area, unmet need and a ranked gap score.

Area values (any level) from demand points :math:`i` in the area, weighted by the chosen
band's population :math:`D_i`:

- ``nearest_km`` :math:`= \sum_i D_i d_i / \sum_i D_i`, with :math:`d_i` the straight-line
  distance to the nearest active provider of the chosen kinds;
- ``pop_beyond_radius`` :math:`= \sum_i D_i [\text{no provider within } r]`;
- ``providers_within``, ``capacity_within``, ``access_2sfca``, ``access_e2sfca``: the
  :math:`D_i`-weighted means of the point values (:mod:`gapmap.access`);
- ``allocated`` :math:`= \sum_i D_i A_i^{2SFCA}`, the places the 2SFCA shares out to the
  area's people (summing over areas never counts a place twice);
- ``unmet_need`` (people) :math:`= \max(0,\; D \cdot t / 1000 - \text{allocated})`, with
  :math:`t` the target places per 1,000 people of the band.

``gap_score`` (0–100) is a weighted mean of four parts, each scaled 0–1 across the council's
areas: need (0 where the target is met, else the rank of ``unmet_need`` among the areas
short of it, scaled to (0, 1]), access (1 − rank of ``access_e2sfca``, scaled 0–1),
deprivation (rank of ``older_income_deprived_rate``, scaled 0–1) and rurality
(``rural_share``). ``gap_need`` … ``gap_rurality`` hold each part's points, which add
up to the score; ``gap_rank`` 1 is the highest priority.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.stats import rankdata

from gapmap._validate import check_band, check_kinds, check_non_negative, check_radius
from gapmap.access import point_metrics
from gapmap.areas import hex_grid, locate_points
from gapmap.costs import euclidean_costs, nearest_cost
from gapmap.demand import band_column
from gapmap.errors import OptionError
from gapmap.labels import METRIC_NAMES, band_ages, reach
from gapmap.schema import KINDS
from gapmap.supply import supply_at as _supply_at

DEFAULT_TARGET_PER_1000 = {"65plus": 28.0, "75plus": 60.0, "85plus": 206.0}
"""Default target places per 1,000 people of each band: the level Somerset reached in 2020
(about 4,000 people supported by micro-providers, against its Census 2021 population of
141,899 aged 65+, 67,156 aged 75+ and 19,414 aged 85+). A planning assumption: set your own."""

GAP_METRICS = {
    "gap_score": (METRIC_NAMES["gap_score"], ",.0f", False),
    "unmet_need": (METRIC_NAMES["unmet_need"], ",.0f", False),
    "access_e2sfca": (METRIC_NAMES["access_e2sfca"], ",.1f", True),
    "access_2sfca": (METRIC_NAMES["access_2sfca"], ",.1f", True),
    "nearest_km": (METRIC_NAMES["nearest_km"], ",.1f", False),
    "pop_beyond_radius": (METRIC_NAMES["pop_beyond_radius"], ",.0f", False),
    "providers_within": (METRIC_NAMES["providers_within"], ",.1f", True),
    "capacity_within": (METRIC_NAMES["capacity_within"], ",.0f", True),
}
"""Mappable gap metrics: ``column: (label, number format, low values are worse)``."""

GAP_COLUMNS = (
    "nearest_km",
    "pop_beyond_radius",
    "providers_within",
    "capacity_within",
    "access_2sfca",
    "access_e2sfca",
    "unmet_need",
    "gap_score",
    "gap_rank",
)


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of the four parts of the gap score (any non-negative numbers; normalised)."""

    need: float = 0.4
    access: float = 0.3
    deprivation: float = 0.2
    rurality: float = 0.1

    def normalised(self) -> dict[str, float]:
        """Weights scaled to sum to 1."""
        w = {
            "need": self.need,
            "access": self.access,
            "deprivation": self.deprivation,
            "rurality": self.rurality,
        }
        if any(v < 0 for v in w.values()):
            raise OptionError("score weights must not be negative")
        total = sum(w.values())
        if total == 0:
            raise OptionError("at least one score weight must be positive")
        return {k: v / total for k, v in w.items()}


@dataclass(frozen=True)
class GapParams:
    """Settings of one gap analysis.

    Attributes
    ----------
    band
        ``"65plus"``, ``"75plus"`` or ``"85plus"``.
    radius_km
        Catchment radius (cost units: km of straight line × circuity).
    kinds
        Provider kinds that count as supply.
    as_at
        Only providers active on this date count; ``None`` = today.
    sigma_km
        Gaussian width for the enhanced 2SFCA; ``None`` = ``radius_km / 2``.
    target_per_1000
        Target places per 1,000 people of the band; ``None`` = :data:`DEFAULT_TARGET_PER_1000`.
    weights
        Gap score weights.
    unit
        ``"km"`` or ``"minutes"`` (by road): the unit of the costs, radius and decay width.
    """

    band: str = "65plus"
    radius_km: float = 5.0
    kinds: tuple[str, ...] = KINDS
    as_at: date | None = None
    sigma_km: float | None = None
    target_per_1000: float | None = None
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    unit: str = "km"

    def __post_init__(self) -> None:
        check_band(self.band)
        check_radius(self.radius_km)
        check_kinds(self.kinds)
        if self.target_per_1000 is not None:
            check_non_negative(self.target_per_1000, "the target per 1,000")
        if self.sigma_km is not None:
            check_radius(self.sigma_km, "the decay width")

    @property
    def date(self) -> date:
        """The as-at date, today when unset."""
        return self.as_at or date.today()

    @property
    def target(self) -> float:
        """Target places per 1,000 people of the band."""
        return DEFAULT_TARGET_PER_1000[self.band] if self.target_per_1000 is None else self.target_per_1000


def supply_at(providers: gpd.GeoDataFrame, params: GapParams) -> gpd.GeoDataFrame:
    """The providers that count: active on the as-at date and of the chosen kinds."""
    return _supply_at(providers, params.date, kinds=params.kinds)


def point_gaps(
    points: gpd.GeoDataFrame,
    providers: gpd.GeoDataFrame,
    params: GapParams,
    *,
    costs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Access metrics for every demand point.

    Parameters
    ----------
    points
        Demand points (EPSG:27700) with the band's population column.
    providers
        All providers (EPSG:27700) with ``kind``, ``capacity``, ``start_date``, ``end_date``.
    params
        Analysis settings.
    costs
        A precomputed cost table between ``points`` and the providers, built at
        ``params.radius_km`` or more (the metrics ignore pairs beyond the radius). Nearest
        distances are read from it (:func:`gapmap.costs.nearest_cost`), so for them to be
        exact beyond the radius build it for exactly the supply (see
        :func:`gapmap.analysis.build_costs`). Straight lines when omitted.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``points.index``: ``demand`` (band population), ``nearest_km`` (cost to
        the nearest provider; NaN when there is none) and the columns of
        :func:`gapmap.access.point_metrics`.
    """
    supply = supply_at(providers, params)
    if costs is None:
        costs = euclidean_costs(points, supply, max_km=params.radius_km)
    elif len(supply) < len(providers):
        costs = costs[costs["dest"].isin(supply.index)]
    return supply_gaps(points, supply, params, costs=costs)


def supply_gaps(
    points: gpd.GeoDataFrame, supply: gpd.GeoDataFrame, params: GapParams, *, costs: pd.DataFrame
) -> pd.DataFrame:
    """As :func:`point_gaps` for a supply taken as given (no date or kind filter).

    For what-ifs: add hypothetical providers, or drop closed ones, then call this with the
    cost table for exactly that supply.
    """
    demand = points[band_column(params.band)].astype(float)
    metrics = point_metrics(
        costs, demand, supply.capacity.astype(float), radius=params.radius_km, sigma=params.sigma_km
    )
    near = nearest_cost(costs, points.index).to_numpy()
    columns = {"demand": demand.to_numpy(), "nearest_km": np.where(np.isinf(near), np.nan, near)}
    columns.update({c: metrics[c].to_numpy() for c in metrics.columns})
    return pd.DataFrame(columns, index=points.index)


def area_gaps(
    areas: gpd.GeoDataFrame,
    codes: pd.Series,
    per_point: pd.DataFrame,
    params: GapParams,
    *,
    positions: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Aggregate point metrics to areas, add unmet need and the ranked gap score.

    Parameters
    ----------
    areas
        Population by area (:func:`gapmap.areas.aggregate`), one row per area.
    codes
        Area code per demand point, aligned to ``per_point``.
    per_point
        Output of :func:`point_gaps`.
    params
        Analysis settings.
    positions
        Optional: the row of ``areas`` each point falls in (``-1`` for none), i.e.
        :func:`area_positions` of ``areas`` and ``codes``; pass it when you call this
        repeatedly for the same areas (:attr:`gapmap.analysis.Zones.positions` caches it).

    Returns
    -------
    geopandas.GeoDataFrame
        ``areas`` (same index) plus :data:`GAP_COLUMNS`, ``allocated``, ``target_places``,
        the score parts ``gap_need``, ``gap_access``, ``gap_deprivation``,
        ``gap_rurality`` and a plain-English ``gap_reasons``.
    """
    if not codes.index.equals(per_point.index):
        raise ValueError("codes must be aligned to the point metrics")
    if positions is None:
        positions = area_positions(areas, codes)
    elif len(positions) != len(codes):
        raise ValueError("positions must give one area row per demand point")
    n = len(areas)
    inside = positions >= 0
    pos = positions[inside]
    d = per_point["demand"].to_numpy(dtype=float)[inside]

    def total(values: np.ndarray) -> np.ndarray:
        # Sums per area; a missing value counts as nothing (as pandas' sum skips NaN).
        return np.bincount(pos, weights=np.where(np.isnan(values), 0.0, values), minlength=n)

    band_pop = total(d)
    w = np.where(band_pop > 0, band_pop, np.nan)
    # New columns are gathered and joined once (adding them one by one copies the frame each time).
    new: dict[str, object] = {}
    for col in ("nearest_km", "providers_within", "capacity_within", "access_2sfca", "access_e2sfca"):
        new[col] = total(per_point[col].to_numpy(dtype=float)[inside] * d) / w
    new["pop_beyond_radius"] = total(np.where(per_point["beyond_radius"].to_numpy()[inside], d, 0.0))
    new["allocated"] = total(per_point["allocated"].to_numpy(dtype=float)[inside])
    new["target_places"] = band_pop * params.target / 1000.0
    new["unmet_need"] = np.maximum(0.0, new["target_places"] - new["allocated"])
    context = {c: areas[c].to_numpy(dtype=float) for c in ("older_income_deprived_rate", "rural_share")}
    new.update(_score({**new, **context}, band_pop > 0, params))
    present = set(areas.columns)
    base = areas.drop(columns=[c for c in new if c in present])
    return pd.concat([base, pd.DataFrame(new, index=areas.index)], axis=1)


def area_positions(areas: pd.DataFrame, codes: pd.Series) -> np.ndarray:
    """The row of ``areas`` (by ``area_code``) each point's code names; ``-1`` for none.

    Examples
    --------
    >>> area_positions(pd.DataFrame({"area_code": ["b", "a"]}), pd.Series(["a", "a", "x", "b"])).tolist()
    [1, 1, -1, 0]
    """
    return pd.Index(areas["area_code"]).get_indexer(codes.to_numpy()).astype(np.intp, copy=False)


def _rank01(values: np.ndarray) -> np.ndarray:
    """Rank scaled to 0 (lowest) … 1 (highest); ties share their mean rank; NaN stays NaN."""
    n = int(np.count_nonzero(~np.isnan(values)))
    if n <= 1:
        return values * 0.0
    return (rankdata(values, method="average", nan_policy="omit") - 1) / (n - 1)


def _score(out: dict[str, np.ndarray], has_people: np.ndarray, params: GapParams) -> dict[str, object]:
    """The score columns (parts, score, rank, reasons) for the areas in ``out`` (arrays, one per column).

    Plain arrays, not a frame: a recompute scores a few hundred areas, where pandas'
    per-call overhead was most of the time.
    """
    weights = params.weights.normalised()
    scored = {c: np.asarray(v, dtype=float)[has_people] for c, v in out.items()}
    unmet = scored["unmet_need"]
    need = np.where(unmet >= 0.5, unmet, np.nan)  # under half a person: target met
    parts = {
        # No unmet need scores nothing; otherwise rank among the areas short of the target.
        "need": np.nan_to_num(
            rankdata(need, method="average", nan_policy="omit") / max(int(np.count_nonzero(~np.isnan(need))), 1),
            nan=0.0,
        ),
        "access": 1.0 - _rank01(scored["access_e2sfca"]),
        "deprivation": _rank01(np.nan_to_num(scored["older_income_deprived_rate"], nan=0.0)),
        "rurality": np.nan_to_num(scored["rural_share"], nan=0.0),
    }
    new: dict[str, object] = {}
    total = np.zeros(len(unmet))
    n = len(has_people)
    for name, value in parts.items():
        points_ = 100.0 * weights[name] * value
        full = np.full(n, np.nan)
        full[has_people] = points_
        new[f"gap_{name}"] = full
        total = total + points_
    score = np.full(n, np.nan)
    score[has_people] = total
    new["gap_score"] = score
    rank = rankdata(-score, method="min", nan_policy="omit") if n else score
    new["gap_rank"] = pd.Series(rank).astype("Int64").to_numpy()
    cols = ["unmet_need", "pop_beyond_radius", "access_e2sfca", "older_income_deprived_rate", "rural_share"]
    plain = pd.DataFrame({"gap_score": score, **{c: np.asarray(out[c], dtype=float) for c in cols}})
    new["gap_reasons"] = [_reasons(row, params) for row in plain.itertuples(index=False)]
    return new


def _reasons(row: object, params: GapParams) -> str:
    if np.isnan(row.gap_score):
        return f"no residents aged {band_ages(params.band)}"
    bits = []
    if row.unmet_need >= 0.5:
        bits.append(f"{row.unmet_need:,.0f} people short of the target of {params.target:g} per 1,000")
    else:
        bits.append("target met")
    if row.pop_beyond_radius > 0:
        bits.append(f"{row.pop_beyond_radius:,.0f} live over {reach(params.radius_km, params.unit)} from any provider")
    bits.append(f"access {row.access_e2sfca:.1f} places per 1,000")
    if not np.isnan(row.older_income_deprived_rate):
        bits.append(f"{row.older_income_deprived_rate:.0%} of people 60+ income-deprived")
    bits.append(f"{row.rural_share:.0%} rural")
    return "; ".join(bits)


def providers_per_area(
    providers: gpd.GeoDataFrame,
    polygons: gpd.GeoDataFrame,
    level: str,
    *,
    hex_size_m: float = 1000.0,
) -> pd.DataFrame:
    """Count providers of each kind in each area (providers outside every area are not counted).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``area_code``: ``n_micro_enterprise``, ``n_day_centre``, ``n_other``,
        ``capacity_in_area`` (their total capacity).
    """
    cols = [f"n_{k}" for k in KINDS]
    if providers.empty:
        return pd.DataFrame(columns=[*cols, "capacity_in_area"], dtype=float)
    if level == "hex":
        codes, _ = hex_grid(providers, hex_size_m)
        area_pos = pd.Index(polygons.area_code).get_indexer(codes.to_numpy())
    else:
        area_pos, _ = locate_points(providers.geometry.values, polygons.geometry.values, nearest=False)
    # Counting with bincount on positions: the same table as a crosstab, without its overhead.
    kind_pos = pd.Index(KINDS).get_indexer(providers.kind.to_numpy())
    keep = area_pos >= 0
    n = len(polygons)
    table = {
        col: np.bincount(area_pos[keep & (kind_pos == k)], minlength=n).astype(np.int64) for k, col in enumerate(cols)
    }
    table["capacity_in_area"] = np.bincount(
        area_pos[keep], weights=providers.capacity.to_numpy(dtype=float)[keep], minlength=n
    )
    counts = pd.DataFrame(table, index=pd.Index(polygons.area_code.to_numpy(), name="area_code"))
    # Only areas with a provider, as before (the caller fills the rest with 0).
    return counts[counts[cols].sum(axis=1) > 0]
