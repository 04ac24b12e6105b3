"""The analysis core: one typed request in, one typed result out.

Every reader — the pages, the CLI, the maps, tables and exports, the recruitment planner,
closures and the local economy — gets its figures from :func:`analyse`, so they cannot
drift apart. The steps::

    demand points (postcodes, the band's people)        CouncilData.points
      → supply (providers active on the date, chosen kinds)   supply_at
      → costs (the cost table: the only seam for distance)    build_costs
      → access per postcode (nearest, radius counts, 2SFCA)   point_gaps
      → areas (population by level) → gaps and score           area_gaps

The expensive, slow-changing parts can be passed in already built — the cost table
(:func:`build_costs`, which depends only on the council, the supply and the road factor; build it
at the largest radius you will ask for and every smaller radius is a filter of it) and the
zones (:func:`zones_for`, which depend only on the council and the level) — so an
interactive caller that caches them recomputes only what changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd

from gapmap._validate import check_road_factor
from gapmap.areas import aggregate
from gapmap.costs import cost_order, euclidean_costs
from gapmap.errors import LevelError, RoadFactorError
from gapmap.gaps import (
    GapParams,
    ScoreWeights,
    area_gaps,
    area_positions,
    providers_per_area,
    supply_at,
    supply_gaps,
)
from gapmap.population import LEVELS, CouncilData, area_codes
from gapmap.roads import ByRoad
from gapmap.schema import KINDS

MAX_RADIUS_KM = 20.0
"""The largest catchment radius the app offers; cost tables cached at this radius serve all."""


@dataclass(frozen=True)
class AnalysisRequest:
    """Everything that decides one gap analysis of one council.

    Attributes
    ----------
    band
        ``"65plus"``, ``"75plus"`` or ``"85plus"``: whose need is measured.
    radius_km
        Catchment radius in cost units (km of straight line × ``circuity``).
    kinds
        Provider kinds that count as supply.
    as_at
        Providers active on this date count; ``None`` = today.
    circuity
        Road/straight-line factor, applied by the cost builder (1 = straight line).
    level
        Areas to report: one of :data:`gapmap.population.LEVELS`.
    hex_size_m
        Hex width across flats for ``level="hex"``.
    target_per_1000, sigma_km, weights
        As :class:`gapmap.gaps.GapParams`.
    """

    band: str = "65plus"
    radius_km: float = 5.0
    kinds: tuple[str, ...] = KINDS
    as_at: date | None = None
    circuity: float = 1.0
    level: str = "ward"
    hex_size_m: float = 1000.0
    target_per_1000: float | None = None
    sigma_km: float | None = None
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    roads: ByRoad | None = None

    def __post_init__(self) -> None:
        self.params  # noqa: B018 - validates band, radius, kinds, target (gapmap._validate)
        if self.roads is not None and self.circuity != 1:
            raise RoadFactorError("the road/straight-line factor is for straight lines; by road it must stay 1")
        check_road_factor(self.circuity)
        if self.level not in LEVELS:
            raise LevelError(f"unknown level {self.level!r}; choose one of {', '.join(LEVELS)}")
        if not math.isfinite(self.hex_size_m) or self.hex_size_m < 100:
            raise LevelError(f"the hex width must be at least 100 m, got {self.hex_size_m!r}")

    @property
    def params(self) -> GapParams:
        """The gap-engine settings of this request."""
        return GapParams(
            band=self.band,
            radius_km=self.radius_km,
            kinds=tuple(self.kinds),
            as_at=self.as_at,
            sigma_km=self.sigma_km,
            target_per_1000=self.target_per_1000,
            weights=self.weights,
            unit=self.unit,
        )

    @property
    def unit(self) -> str:
        """``"minutes"`` by road, else ``"km"``: the unit of costs, ``radius_km`` and ``sigma_km``."""
        return "km" if self.roads is None else "minutes"

    @property
    def radius_minutes(self) -> float | None:
        """The catchment in minutes by road; ``None`` for the straight line."""
        return None if self.roads is None else self.radius_km

    @property
    def date(self) -> date:
        """The as-at date, today when unset."""
        return self.params.date


@dataclass(frozen=True)
class Zones:
    """The areas of one level and which demand point falls in which.

    Attributes
    ----------
    codes
        Area code per demand point, aligned to ``CouncilData.points.index``.
    polygons
        ``area_code``, ``area_name``, geometry (EPSG:27700).
    population
        Census population and context per area (:func:`gapmap.areas.aggregate`).
    """

    level: str
    codes: pd.Series
    polygons: gpd.GeoDataFrame
    population: gpd.GeoDataFrame

    @cached_property
    def positions(self) -> np.ndarray:
        """Row of ``population`` per demand point (``-1`` for none), worked out once per zones.

        Kept on this (cached) object so each recompute aggregates by integer position
        instead of matching area codes again.
        """
        return area_positions(self.population, self.codes)


def zones_for(
    data: CouncilData, level: str, *, hex_size_m: float = 1000.0, areas: gpd.GeoDataFrame | None = None
) -> Zones:
    """The areas of ``level`` for one council, with their population (cache this per level)."""
    codes, polygons = area_codes(data, level, hex_size_m=hex_size_m, areas=areas)
    return Zones(level=level, codes=codes, polygons=polygons, population=aggregate(data.points, codes, polygons))


def build_costs(
    data: CouncilData,
    supply: gpd.GeoDataFrame,
    *,
    circuity: float = 1.0,
    max_km: float = MAX_RADIUS_KM,
    roads: ByRoad | None = None,
) -> pd.DataFrame:
    """The cost table from every demand point to every provider of ``supply``.

    Built for exactly the supply (so each postcode's nearest provider is in it) at ``max_km``;
    any radius up to ``max_km`` reads the same table. Rows are sorted by cost, so a smaller
    radius is a prefix the metrics find by binary search; origin and destination labels are
    kept as 32-bit integers when they fit (positions of a default index). With ``roads`` the
    costs are minutes by road and ``max_km`` is a number of minutes (:func:`gapmap.roads.road_costs`).
    """
    if roads is not None:
        costs = roads.costs(data.points, supply, max_cost=max_km)
    else:
        costs = euclidean_costs(data.points, supply, max_km=max_km, circuity=circuity)
    order = cost_order(costs["cost"].to_numpy())
    out = {}
    for col in ("origin", "dest"):
        values = costs[col].to_numpy()[order]
        if values.dtype.kind in "iu" and (len(values) == 0 or values.max() < np.iinfo(np.int32).max):
            values = values.astype(np.int32)
        out[col] = values
    out["cost"] = costs["cost"].to_numpy()[order]
    return pd.DataFrame(out, copy=False)  # fresh arrays: no copy into one block


def pair_costs(
    origins: gpd.GeoDataFrame,
    dests: gpd.GeoDataFrame,
    *,
    max_cost: float,
    circuity: float = 1.0,
    roads: ByRoad | None = None,
    nearest: bool = True,
) -> pd.DataFrame:
    """A cost table between any two point sets: minutes by road with ``roads``, else km of straight line.

    The one dispatch the planner, closures and the timeline use, so every feature measures
    reach the way the request does (:func:`gapmap.costs.euclidean_costs`,
    :func:`gapmap.roads.road_costs`).
    """
    if roads is not None:
        return roads.costs(origins, dests, max_cost=max_cost, nearest=nearest)
    return euclidean_costs(origins, dests, max_km=max_cost, circuity=circuity, nearest=nearest)


@dataclass(frozen=True)
class Analysis:
    """The result every view reads.

    Attributes
    ----------
    request
        What was asked.
    data
        The council's demand points and boundaries.
    providers
        All the providers given (every date and kind).
    supply
        The providers that count: active on the date, of the chosen kinds.
    costs
        The cost table between ``data.points`` and ``supply``.
    per_point
        Access per demand point (:func:`gapmap.gaps.point_gaps`).
    zones
        The areas and their population.
    areas
        One row per area: population, gap metrics, score parts, reasons and provider counts
        (:func:`gapmap.gaps.area_gaps` plus :func:`gapmap.gaps.providers_per_area`).
    """

    request: AnalysisRequest
    data: CouncilData
    providers: gpd.GeoDataFrame
    supply: gpd.GeoDataFrame
    costs: pd.DataFrame
    per_point: pd.DataFrame
    zones: Zones
    areas: gpd.GeoDataFrame

    def summary(self) -> dict[str, float]:
        """Council totals: providers, places, band population, people beyond reach, unmet need."""
        band_pop = float(self.per_point.demand.sum())
        beyond = float(self.areas.pop_beyond_radius.sum())
        return {
            "providers": int(len(self.supply)),
            "places": float(self.supply.capacity.sum()),
            "band_population": band_pop,
            "pop_beyond_radius": beyond,
            "share_beyond_radius": beyond / band_pop if band_pop > 0 else float("nan"),
            "unmet_need": float(self.areas.unmet_need.sum()),
        }


def analyse(
    data: CouncilData,
    providers: gpd.GeoDataFrame,
    request: AnalysisRequest,
    *,
    costs: pd.DataFrame | None = None,
    zones: Zones | None = None,
    areas: gpd.GeoDataFrame | None = None,
) -> Analysis:
    """Run the gap analysis for one council.

    Parameters
    ----------
    data
        From :func:`gapmap.population.load_council`.
    providers
        All the council's providers (validated records, EPSG:27700).
    request
        The settings.
    costs
        A cost table from :func:`build_costs` for this supply and road factor, at
        ``request.radius_km`` or more; built when omitted.
    zones
        From :func:`zones_for` for ``request.level``; built when omitted.
    areas
        Your own polygons for ``level="parish"`` (ignored when ``zones`` is given).

    Returns
    -------
    Analysis

    Examples
    --------
    >>> from gapmap.population import load_council
    >>> from gapmap.records import load_providers
    >>> from gapmap.config import PACKAGE_ROOT
    >>> data = load_council("E06000066")
    >>> sample = PACKAGE_ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"
    >>> provs = load_providers(sample, outline=data.outline()).accepted
    >>> result = analyse(data, provs, AnalysisRequest(band="75plus", as_at=date(2024, 6, 30)))
    >>> round(result.areas.pop_75plus.sum())
    67156
    """
    supply = supply_at(providers, request.params)
    if costs is None:
        costs = build_costs(data, supply, circuity=request.circuity, max_km=request.radius_km, roads=request.roads)
    if zones is None:
        zones = zones_for(data, request.level, hex_size_m=request.hex_size_m, areas=areas)
    elif zones.level != request.level:
        raise LevelError(f"zones are for level {zones.level!r}, the request asks for {request.level!r}")
    return _assemble(request, data, providers, supply, costs, zones)


def with_supply(analysis: Analysis, supply: gpd.GeoDataFrame, *, costs: pd.DataFrame | None = None) -> Analysis:
    """The same analysis with a different set of providers counting (what-ifs, closures, plans).

    ``supply`` is taken as it is (no date or kind filter): add hypothetical providers (with
    ``kind``, ``capacity`` and a point geometry in EPSG:27700) or drop closed ones before
    calling. Pass ``costs`` for exactly that supply when you have them; otherwise they are
    built at the request's radius.
    """
    request = analysis.request
    if costs is None:
        costs = build_costs(
            analysis.data, supply, circuity=request.circuity, max_km=request.radius_km, roads=request.roads
        )
    return _assemble(request, analysis.data, analysis.providers, supply, costs, analysis.zones)


def _assemble(
    request: AnalysisRequest,
    data: CouncilData,
    providers: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    costs: pd.DataFrame,
    zones: Zones,
) -> Analysis:
    params = request.params
    per_point = supply_gaps(data.points, supply, params, costs=costs)
    table = area_gaps(zones.population, zones.codes, per_point, params, positions=zones.positions)
    counts = providers_per_area(supply, zones.polygons, request.level, hex_size_m=request.hex_size_m)
    rows = pd.Index(counts.index).get_indexer(table.area_code.to_numpy())
    found = rows >= 0
    added = {}
    for c in counts.columns:
        column = counts[c].to_numpy()
        if found.all():
            added[c] = column[rows]  # integer counts stay integers, as a reindex keeps them
        else:
            values = np.zeros(len(table))
            values[found] = column[rows[found]]
            added[c] = values
    table = pd.concat(
        [table.drop(columns=[c for c in added if c in table.columns]), pd.DataFrame(added, index=table.index)], axis=1
    )
    return Analysis(
        request=request,
        data=data,
        providers=providers,
        supply=supply,
        costs=costs,
        per_point=per_point,
        zones=zones,
        areas=table,
    )
