r"""Change over time: providers by kind and people within reach, frame by frame.

Frames are dates :math:`t_0, t_1, \dots` from a start date in whole steps (month, quarter,
year) up to an end date. A provider is active on :math:`t` when its start date is on or
before :math:`t` (blank: since before records began) and it has no end date or one after
:math:`t` (:func:`gapmap.providers.active_at`). For each frame and kind:

- ``active``: providers active on :math:`t_k`;
- ``opened``: start dates in :math:`(t_{k-1}, t_k]`; ``closed``: end dates in
  :math:`(t_{k-1}, t_k]` (for the first frame, :math:`t_{-1}` is one step earlier), so
  ``active`` changes by exactly ``opened − closed`` from one frame to the next;

and per frame ``people_within_reach`` :math:`= \sum_i D_i(t)\,[n_i(t) > 0]`, with
:math:`n_i(t)` the number of active providers of the chosen kinds within the radius of
demand point :math:`i`, and ``people_beyond_reach`` the rest of the band.

**One incremental pass.** The cost table is built once for every provider of the chosen
kinds (at the radius; sorted by provider, so each provider's pairs are one slice), and
:math:`n_i` is updated frame by frame only for the providers that opened or closed in
between; a frame costs the size of its changes, not a full recompute.

**Population.** Past and present frames use the Census 2021 band population. Frames after
``today`` scale it by the council's projected growth (:mod:`gapmap.population_projections`); without
projections for the council their people figures are left blank rather than extrapolated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from gapmap.analysis import Analysis, AnalysisRequest, pair_costs
from gapmap.demand import band_column
from gapmap.errors import TimelineError
from gapmap.population import CouncilData
from gapmap.population_projections import Projections
from gapmap.providers import KINDS
from gapmap.roads import ByRoad
from gapmap.supply import active_matrix

STEPS = {"month": 1, "quarter": 3, "year": 12}
"""Frame steps, in months."""

TIMELINE_COLUMNS = (
    "date",
    "kind",
    "active",
    "opened",
    "closed",
    "people_within_reach",
    "people_beyond_reach",
    "band_population",
    "population_basis",
)
"""Columns of :func:`timeline_table` (one row per date and kind; the people columns repeat per date)."""


MAX_FRAMES = 1200


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole months, the day clipped to the month's length.

    Examples
    --------
    >>> add_months(date(2024, 1, 31), 1)
    datetime.date(2024, 2, 29)
    """
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - date(year, month, 1)).days
    return date(year, month, min(d.day, last))


def frame_dates(start: date, end: date, step: str = "year") -> list[date]:
    """Dates from ``start`` in whole steps up to and including ``end``.

    Examples
    --------
    >>> [d.isoformat() for d in frame_dates(date(2016, 1, 1), date(2018, 6, 30), "year")]
    ['2016-01-01', '2017-01-01', '2018-01-01']
    """
    if step not in STEPS:
        raise TimelineError(f"unknown step {step!r}; choose one of {', '.join(STEPS)}")
    if end < start:
        raise TimelineError(f"the end date {end:%d %b %Y} is before the start date {start:%d %b %Y}")
    months = STEPS[step]
    out = []
    k = 0
    while True:
        d = add_months(start, k * months)
        if d > end:
            return out
        out.append(d)
        k += 1
        if k > MAX_FRAMES:
            raise TimelineError(f"more than {MAX_FRAMES} frames; choose a longer step or a shorter span")


@dataclass(frozen=True)
class Timeline:
    """Frames of one council's providers and reach.

    Attributes
    ----------
    dates
        The frame dates.
    providers
        The providers of the chosen kinds (all dates), in the order of ``active``'s columns.
    active
        ``len(dates) × len(providers)`` booleans: who is active on each frame.
    people
        One row per frame: ``date``, ``people_within_reach``, ``people_beyond_reach``,
        ``band_population``, ``growth`` (projected growth factor; 1 up to today) and
        ``population_basis`` (what the people figures rest on).
    counts
        One row per frame and kind: ``date, kind, active, opened, closed``.
    band, radius_km, kinds
        The settings.
    unit
        ``"km"`` (straight line) or ``"minutes"`` (by road): the unit of ``radius_km``.
    """

    dates: list[date]
    providers: gpd.GeoDataFrame
    active: np.ndarray
    people: pd.DataFrame
    counts: pd.DataFrame
    band: str
    radius_km: float
    kinds: tuple[str, ...] = field(default=KINDS)
    unit: str = "km"

    def frame(self, k: int) -> dict[str, object]:
        """Headline figures of frame ``k``: date, providers by kind, people within and beyond reach."""
        if not 0 <= k < len(self.dates):
            raise TimelineError(f"frame {k} is outside 0–{len(self.dates) - 1}")
        row = self.people.iloc[k]
        by_kind = self.counts[self.counts.date == self.dates[k]].set_index("kind").active
        return {
            "date": self.dates[k],
            "providers": {kind: int(by_kind.get(kind, 0)) for kind in self.kinds},
            "people_within_reach": float(row.people_within_reach),
            "people_beyond_reach": float(row.people_beyond_reach),
            "band_population": float(row.band_population),
            "population_basis": str(row.population_basis),
        }

    def active_providers(self, k: int) -> gpd.GeoDataFrame:
        """The providers active on frame ``k``."""
        return self.providers[self.active[k]]


def _event_counts(providers: pd.DataFrame, dates: list[date], previous: date, kinds: tuple[str, ...]) -> pd.DataFrame:
    edges = pd.to_datetime(pd.Series([previous, *dates])).to_numpy()
    per_kind = {}
    for kind in kinds:
        mine = providers[providers.kind == kind]
        starts = np.sort(mine.start_date.dropna().to_numpy())
        ends = np.sort(mine.end_date.dropna().to_numpy())
        # Events in (t_{k-1}, t_k]: counts at or before each edge, differenced.
        opened = np.diff(np.searchsorted(starts, edges, side="right"))
        closed = np.diff(np.searchsorted(ends, edges, side="right"))
        per_kind[kind] = (active_matrix(mine, dates).sum(axis=1), opened, closed)
    rows = [
        (d, kind, int(per_kind[kind][0][k]), int(per_kind[kind][1][k]), int(per_kind[kind][2][k]))
        for k, d in enumerate(dates)
        for kind in kinds
    ]
    return pd.DataFrame(rows, columns=["date", "kind", "active", "opened", "closed"])


def reach_by_frame(
    points: gpd.GeoDataFrame,
    providers: gpd.GeoDataFrame,
    active: np.ndarray,
    demand: np.ndarray,
    *,
    radius_km: float,
    circuity: float = 1.0,
    roads: ByRoad | None = None,
) -> np.ndarray:
    """People within ``radius_km`` of any active provider, per frame, in one incremental pass.

    Parameters
    ----------
    points
        Demand points (EPSG:27700).
    providers
        Providers (EPSG:27700), the columns of ``active``.
    active
        Frames × providers booleans.
    demand
        People per demand point (aligned to ``points``).
    radius_km, circuity
        Catchment and road factor (as the cost table).
    roads
        Measure minutes by road instead (``radius_km`` is then minutes).

    Returns
    -------
    numpy.ndarray
        People within reach per frame (unscaled demand).
    """
    n_frames = active.shape[0]
    out = np.zeros(n_frames)
    if len(providers) == 0 or len(points) == 0:
        return out
    pts = points.reset_index(drop=True)
    prov = providers.reset_index(drop=True)
    costs = pair_costs(pts, prov, max_cost=radius_km, circuity=circuity, roads=roads, nearest=False)
    origin = costs["origin"].to_numpy(np.int64)
    dest = costs["dest"].to_numpy(np.int64)
    order = np.argsort(dest, kind="stable")  # each provider's pairs become one slice
    origin = origin[order]
    bounds = np.searchsorted(dest[order], np.arange(len(prov) + 1))
    count = np.zeros(len(pts), dtype=np.int64)
    was = np.zeros(len(prov), dtype=bool)
    for k in range(n_frames):
        now = active[k]
        for j in np.flatnonzero(now != was):
            count[origin[bounds[j] : bounds[j + 1]]] += 1 if now[j] else -1
        was = now
        out[k] = demand[count > 0].sum()
    return out


def build_timeline(
    data: CouncilData,
    providers: gpd.GeoDataFrame,
    *,
    start: date,
    end: date,
    step: str = "year",
    band: str = "65plus",
    kinds: tuple[str, ...] = KINDS,
    radius_km: float = 5.0,
    circuity: float = 1.0,
    projections: Projections | None = None,
    today: date | None = None,
    request: AnalysisRequest | None = None,
    roads: ByRoad | None = None,
) -> Timeline:
    """Frames from ``start`` to ``end``: providers by kind and people within reach.

    Parameters
    ----------
    data
        The council (demand points with band populations).
    providers
        All its providers (EPSG:27700) with ``kind``, ``start_date``, ``end_date``.
    start, end, step
        Frame dates (:func:`frame_dates`).
    band, kinds, radius_km, circuity
        Whose reach, which providers, how far; checked as an :class:`AnalysisRequest` is.
    projections
        Projected band totals; used for frames after ``today``.
    today
        The date after which frames are projections (default: today).
    request
        The same typed request :func:`gapmap.analysis.analyse` takes; when given, its band,
        kinds, radius and road factor are used instead of the four arguments above (its date
        and level play no part: the frames have their own dates).
    roads
        Measure reach in minutes by road (``radius_km`` is then minutes); the request's own
        ``roads`` when a request is given.

    Returns
    -------
    Timeline

    Raises
    ------
    BandError, KindsError, RadiusError, RoadFactorError
        For settings that cannot be used (:mod:`gapmap._validate`).
    """
    if request is None:
        request = AnalysisRequest(band=band, radius_km=radius_km, kinds=tuple(kinds), circuity=circuity, roads=roads)
    band, kinds, radius_km, circuity = request.band, tuple(request.kinds), request.radius_km, request.circuity
    roads = request.roads
    dates = frame_dates(start, end, step)
    today = today or date.today()
    chosen = providers[providers.kind.isin(kinds)]
    active = active_matrix(chosen, dates)
    counts = _event_counts(chosen, dates, add_months(start, -STEPS[step]), kinds)
    demand = data.points[band_column(band)].to_numpy(dtype=float)
    within = reach_by_frame(data.points, chosen, active, demand, radius_km=radius_km, circuity=circuity, roads=roads)
    growth, basis = _growth(data.council.code, band, dates, projections, today)
    total = demand.sum() * growth
    people = pd.DataFrame(
        {
            "date": dates,
            "people_within_reach": within * growth,
            "people_beyond_reach": total - within * growth,
            "band_population": total,
            "growth": growth,
            "population_basis": basis,
        }
    )
    return Timeline(
        dates=dates,
        providers=chosen,
        active=active,
        people=people,
        counts=counts,
        band=band,
        radius_km=radius_km,
        kinds=kinds,
        unit="km" if roads is None else "minutes",
    )


def _growth(
    code: str, band: str, dates: list[date], projections: Projections | None, today: date
) -> tuple[np.ndarray, list[str]]:
    growth = np.ones(len(dates))
    basis = ["Census 2021"] * len(dates)
    future = [k for k, d in enumerate(dates) if d > today]
    if not future:
        return growth, basis
    if projections is None or not projections.has(code):
        for k in future:
            growth[k] = np.nan
            basis[k] = "no projection for this council"
        return growth, basis
    factors = projections.growth(code, band, [dates[k].year for k in future])
    for k, f in zip(future, factors, strict=True):
        growth[k] = f
        basis[k] = f"projected {dates[k].year} (SNPP growth × Census 2021)" if np.isfinite(f) else "beyond projections"
    return growth, basis


def timeline_table(timeline: Timeline) -> pd.DataFrame:
    """The CLI's table: one row per date and kind, with the per-date people figures (:data:`TIMELINE_COLUMNS`)."""
    people = timeline.people.drop(columns="growth")
    out = timeline.counts.merge(people, on="date", how="left")
    out["date"] = pd.to_datetime(out.date).dt.strftime("%Y-%m-%d")
    return out[list(TIMELINE_COLUMNS)]


@dataclass(frozen=True)
class Outlook:
    """The gap under today's providers in future years.

    Attributes
    ----------
    table
        One row per year: ``year``, ``growth``, ``band_population``, ``people_beyond_reach``,
        ``unmet_need``, ``extra_places_to_stand_still`` (places needed to keep today's places
        per 1,000), ``recruits_to_stand_still`` (micro-providers of average capacity).
    source
        Where the projections come from.
    """

    table: pd.DataFrame
    source: str


def outlook(
    analysis: Analysis, projections: Projections, years: list[int] | tuple[int, ...] = (2030, 2035, 2040)
) -> Outlook:
    r"""How the gap grows under today's providers as the band's population grows.

    With every postcode's population scaled by the same factor :math:`f` the 2SFCA shares
    out the same places (:math:`\sum_i D_i A_i` is unchanged), so per area
    ``unmet_need`` :math:`= \max(0, f\,T - \text{allocated})` with :math:`T` today's target
    places; ``people_beyond_reach`` scales by :math:`f`. Standing still means keeping today's
    places per 1,000: :math:`(f - 1) \times` today's places, in recruits of the mean
    micro-enterprise capacity (10 when there are none).

    Parameters
    ----------
    analysis
        A :class:`gapmap.analysis.Analysis` for today's providers.
    projections
        Projected band totals.
    years
        Years to report.

    Returns
    -------
    Outlook
    """
    request = analysis.request
    code = analysis.data.council.code
    growth = projections.growth(code, request.band, list(years))
    areas = analysis.areas
    places = float(analysis.supply.capacity.sum())
    micro = analysis.providers[analysis.providers.kind == "micro_enterprise"].capacity
    per_recruit = float(micro.mean()) if len(micro) else 10.0
    rows = []
    for y, f in zip(years, growth, strict=True):
        if not np.isfinite(f):
            continue
        unmet = np.maximum(0.0, f * areas.target_places.to_numpy() - areas.allocated.to_numpy()).sum()
        extra = max(0.0, (f - 1.0) * places)
        rows.append(
            {
                "year": int(y),
                "growth": float(f),
                "band_population": float(analysis.per_point.demand.sum() * f),
                "people_beyond_reach": float(areas.pop_beyond_radius.sum() * f),
                "unmet_need": float(unmet),
                "extra_places_to_stand_still": extra,
                "recruits_to_stand_still": math.ceil(extra / per_recruit - 1e-9) if per_recruit > 0 else 0,
            }
        )
    return Outlook(table=pd.DataFrame(rows), source=projections.source)
