r"""Where to recruit: maximal covering with the existing providers kept where they are.

Given demand points :math:`i` with weights :math:`w_i` (people of the band), candidate sites
:math:`j` and a radius :math:`r`, site :math:`j` *covers* point :math:`i` when the cost
(straight line × circuity, the gap engine's cost) is at most :math:`r`. Points already within
:math:`r` of an existing provider are covered before any recruit. Choosing :math:`K` new sites
:math:`S` to maximise the people newly within reach is the maximal covering location problem
(MCLP) with fixed facilities:

.. math:: \max_{|S| = K} \sum_i w_i \, [\, i \text{ uncovered now and } \exists j \in S: c_{ij} \le r \,]

Two solvers share one numpy core — a sparse candidate × demand coverage matrix
(:func:`coverage_matrix`, SciPy CSR, never dense):

- :func:`greedy_cover`: lazy greedy (a max-heap of stale gains, re-evaluated only when they
  reach the top). Coverage is submodular, so the greedy gets at least :math:`1 - 1/e` of the
  optimum and in practice nearly all of it.
- :func:`improve_cover`: then swap one site at a time for the best other candidate while that
  reaches more people (a vectorised 1-exchange; one sparse product per try).
- :func:`exact_cover`: the same problem solved to optimality with PySAL ``spopt``'s
  ``MCLP.from_cost_matrix`` and HiGHS (CBC as a fallback), built only on the demand not yet
  covered and the candidates that reach any of it (covered demand is what ``spopt``'s
  predefined facilities would fix; removing it gives the same optimum on a smaller model).
  Demand points reached by exactly the same candidates are merged first.

Capacity-aware mode (:func:`greedy_capacity`): a recruit supports ``people_per_site`` people.
A site's value is the unmet need it can take up, :math:`\min(P, \sum_{i \in N_j} u_i)`, with
:math:`u_i` the gap engine's unmet need shared to the postcodes; taking it up lowers the
remaining need of its postcodes in proportion.

The front door is :func:`plan_sites` (an :class:`gapmap.analysis.Analysis` in, a
:class:`SitePlan` out); :func:`what_if` re-runs the analysis with hand-placed sites added.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from gapmap._validate import check_radius, require_bng
from gapmap.analysis import Analysis, AnalysisRequest, pair_costs
from gapmap.areas import OUTSIDE_CODE, assign_user_areas
from gapmap.config import BNG, WGS84
from gapmap.costs import nearest_cost
from gapmap.demand import band_column
from gapmap.errors import NothingToPlanError, SitingError
from gapmap.gaps import area_gaps, providers_per_area, supply_gaps
from gapmap.labels import band_ages, reach
from gapmap.plan import PEOPLE_PER_RECRUIT
from gapmap.reproject import transformer
from gapmap.roads import ByRoad

PEOPLE_PER_SITE = PEOPLE_PER_RECRUIT
"""People one new micro-provider supports (:data:`gapmap.plan.PEOPLE_PER_RECRUIT`, the one copy)."""

MAX_SITES = 50
"""The most sites one plan may ask for."""

MAX_EXACT_CELLS = 3_000_000
"""Largest reduced problem (demand groups × candidates) handed to ``spopt``, which builds a
dense cost matrix and one PuLP term per cell."""


# --- numpy core ---------------------------------------------------------------------------


def coverage_matrix(
    demand_xy: np.ndarray,
    candidate_xy: np.ndarray,
    *,
    radius_km: float,
    circuity: float = 1.0,
    roads: ByRoad | None = None,
) -> sparse.csr_array:
    r"""Which candidate reaches which demand point, as a sparse candidate × demand matrix.

    .. math:: a_{ji} = [\, k \lVert x_i - y_j \rVert / 1000 \le r \,]

    Pairs come from the cost-table builder (:func:`gapmap.costs.euclidean_costs`), so the
    planner and the gap engine agree on who is within reach.

    Parameters
    ----------
    demand_xy, candidate_xy
        ``(n, 2)`` arrays of easting, northing (EPSG:27700).
    radius_km
        Catchment radius (cost units).
    circuity
        Road/straight-line factor.
    roads
        Measure minutes by road instead (``radius_km`` is then minutes).

    Returns
    -------
    scipy.sparse.csr_array
        ``(n_candidates, n_demand)``, boolean.

    Examples
    --------
    >>> a = coverage_matrix(np.array([[0, 0], [4000, 0]]), np.array([[1000, 0]]), radius_km=2)
    >>> a.toarray().tolist()
    [[True, False]]
    """
    check_radius(radius_km)
    n_d, n_c = len(demand_xy), len(candidate_xy)
    if n_d == 0 or n_c == 0:
        return sparse.csr_array((n_c, n_d), dtype=bool)
    costs = pair_costs(
        _frame(demand_xy), _frame(candidate_xy), max_cost=radius_km, circuity=circuity, roads=roads, nearest=False
    )
    keep = costs["cost"].to_numpy() <= radius_km
    rows = costs["dest"].to_numpy()[keep]
    cols = costs["origin"].to_numpy()[keep]
    return sparse.csr_array((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n_c, n_d))


def greedy_cover(
    cov: sparse.csr_array, weights: np.ndarray, k: int, covered0: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Pick ``k`` candidates greedily, each adding the most weight not yet covered.

    Lazy evaluation: a candidate's gain only falls as others are chosen, so a stale gain is an
    upper bound; the top of the heap is re-evaluated and taken when it is still at least the
    next stale bound. Ties go to the lower candidate index. Stops early when no candidate adds
    anything.

    Parameters
    ----------
    cov
        Candidate × demand coverage (:func:`coverage_matrix`).
    weights
        Weight per demand point (people).
    k
        Number of sites.
    covered0
        Demand already covered by existing providers (boolean per point).

    Returns
    -------
    order, gains
        Chosen candidate indices in the order picked, and the weight each newly covers.

    Examples
    --------
    >>> cov = sparse.csr_array(np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool))
    >>> greedy_cover(cov, np.array([5.0, 1.0, 4.0]), 2)  # 0 reaches 6; then 1 and 2 both add 4: lower index
    (array([0, 1]), array([6., 4.]))
    """
    residual = np.where(_covered(covered0, cov.shape[1]), 0.0, np.asarray(weights, dtype=float))

    def gain(j: int) -> float:
        return float(residual[_row(cov, j)].sum())

    def take(j: int) -> float:
        idx = _row(cov, j)
        got = float(residual[idx].sum())
        residual[idx] = 0.0
        return got

    return _lazy_greedy(cov @ residual, k, gain, take)


def improve_cover(
    cov: sparse.csr_array,
    weights: np.ndarray,
    chosen: np.ndarray,
    covered0: np.ndarray | None = None,
    *,
    max_passes: int = 3,
) -> np.ndarray:
    r"""Improve a set of sites by swapping one site at a time for the best other candidate.

    For each chosen site :math:`s` in turn, the weight left uncovered without it is
    :math:`f_i = w_i [\text{no other chosen site covers } i]`; every candidate's worth in its
    place is one sparse product :math:`A f`, and the best replaces :math:`s` when it covers
    more than :math:`s` does. Repeats until a pass changes nothing (or ``max_passes``). Never
    lowers the coverage, so it can only close the gap between the greedy and the optimum.

    Parameters
    ----------
    cov, weights, covered0
        As :func:`greedy_cover`.
    chosen
        Candidate indices to start from (e.g. the greedy's).
    max_passes
        Most passes over the chosen sites.

    Returns
    -------
    numpy.ndarray
        The improved set of candidate indices (same length, no repeats, in no particular order).

    Examples
    --------
    >>> cov = sparse.csr_array(np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 1, 0], [0, 0, 1, 1, 0, 1]], dtype=bool))
    >>> sorted(improve_cover(cov, np.array([1, 1, 1, 1, 1.5, 1.5]), np.array([0, 1])).tolist())
    [1, 2]
    """
    w = np.where(_covered(covered0, cov.shape[1]), 0.0, np.asarray(weights, dtype=float))
    chosen = np.asarray(chosen, dtype=np.int64).copy()
    count = np.zeros(cov.shape[1], dtype=np.int64)
    for s in chosen:
        count[_row(cov, s)] += 1
    for _ in range(max_passes):
        changed = False
        for pos in range(len(chosen)):
            s = chosen[pos]
            count[_row(cov, s)] -= 1
            free = np.where(count == 0, w, 0.0)
            worth = cov @ free
            worth[chosen] = -np.inf
            j = int(np.argmax(worth))
            if worth[j] > free[_row(cov, s)].sum() + 1e-9:
                chosen[pos] = j
                changed = True
            count[_row(cov, chosen[pos])] += 1
        if not changed:
            break
    return chosen


def greedy_capacity(
    cov: sparse.csr_array, need: np.ndarray, k: int, per_site: float = PEOPLE_PER_SITE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Pick ``k`` candidates greedily by the unmet need each can take up.

    A site takes up :math:`t_j = \min(P, \sum_{i \in N_j} u_i)` of the remaining need
    :math:`u` within its reach, shared in proportion to each point's remaining need.

    Parameters
    ----------
    cov
        Candidate × demand coverage.
    need
        Unmet need per demand point (people).
    k
        Number of sites.
    per_site
        People one new site supports.

    Returns
    -------
    order, taken, taken_per_point
        Chosen candidates, the places each takes up, and the places taken up per demand point.

    Examples
    --------
    >>> cov = sparse.csr_array(np.array([[1, 1, 0], [0, 0, 1]], dtype=bool))
    >>> order, taken, _ = greedy_capacity(cov, np.array([3.0, 3.0, 10.0]), 2, per_site=7)
    >>> order.tolist(), taken.tolist()
    ([1, 0], [7.0, 6.0])
    """
    if not math.isfinite(per_site) or per_site <= 0:
        raise SitingError(f"people per site must be a positive number, got {per_site!r}")
    residual = np.maximum(np.asarray(need, dtype=float), 0.0).copy()
    start = residual.copy()

    def gain(j: int) -> float:
        return min(per_site, float(residual[_row(cov, j)].sum()))

    def take(j: int) -> float:
        idx = _row(cov, j)
        avail = float(residual[idx].sum())
        got = min(per_site, avail)
        if avail > 0:
            residual[idx] *= 1.0 - got / avail
        return got

    order, taken = _lazy_greedy(np.minimum(cov @ residual, per_site), k, gain, take)
    return order, taken, start - residual


@dataclass(frozen=True)
class ExactResult:
    """An optimal choice of sites.

    Attributes
    ----------
    sites
        Chosen candidate indices.
    optimum
        Weight newly covered by them (the optimum).
    seconds_spopt
        Time spent in ``spopt`` (model build and solve).
    solver
        ``"HiGHS"`` or ``"CBC"``.
    n_demand, n_candidates
        Size of the reduced problem.
    """

    sites: np.ndarray
    optimum: float
    seconds_spopt: float
    solver: str
    n_demand: int
    n_candidates: int


def exact_cover(cov: sparse.csr_array, weights: np.ndarray, k: int, covered0: np.ndarray | None = None) -> ExactResult:
    """Solve the maximal covering problem to optimality with ``spopt`` (MCLP) and HiGHS.

    Parameters
    ----------
    cov, weights, k, covered0
        As :func:`greedy_cover`.

    Returns
    -------
    ExactResult

    Examples
    --------
    >>> cov = sparse.csr_array(np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool))
    >>> r = exact_cover(cov, np.array([5.0, 1.0, 4.0]), 1)
    >>> r.sites.tolist(), r.optimum
    ([0], 6.0)
    """
    import pulp
    from spopt.locate import MCLP

    w = np.where(_covered(covered0, cov.shape[1]), 0.0, np.asarray(weights, dtype=float))
    cols = np.flatnonzero(w > 0)
    sub = sparse.csc_array(cov)[:, cols]
    cands = np.flatnonzero(sub.sum(axis=1) > 0)
    if len(cands) == 0:
        return ExactResult(np.arange(0), 0.0, 0.0, "none", 0, 0)
    sub = sparse.csc_array(sub[cands, :])
    # Merge demand reached by exactly the same candidates: one client, summed weight.
    keys = [sub.indices[sub.indptr[c] : sub.indptr[c + 1]].tobytes() for c in range(sub.shape[1])]
    groups, inverse = np.unique(np.array(keys, dtype=object), return_inverse=True)
    merged_w = np.bincount(inverse.ravel(), weights=w[cols], minlength=len(groups))
    first = np.zeros(len(groups), dtype=np.int64)
    first[inverse.ravel()[::-1]] = np.arange(len(inverse))[::-1]
    # Candidates reaching exactly the same clients are interchangeable: keep the first of each.
    rows = sparse.csr_array(sub[:, first])
    rkeys = [rows.indices[rows.indptr[j] : rows.indptr[j + 1]].tobytes() for j in range(rows.shape[0])]
    _, keep = np.unique(np.array(rkeys, dtype=object), return_index=True)
    keep = np.sort(keep)
    cands, rows = cands[keep], rows[keep, :]
    cells = len(groups) * len(cands)
    if cells > MAX_EXACT_CELLS:
        raise SitingError(
            f"the exact problem is too large for spopt ({len(groups):,} demand groups × {len(cands):,} candidate "
            f"sites after reduction; the limit is {MAX_EXACT_CELLS:,} pairs): give fewer candidate sites or a "
            "smaller radius, or use the greedy plan alone"
        )
    reach = rows.toarray().T  # clients × candidates, dense as spopt needs; bounded above
    cost = np.where(reach, 0.0, 2.0)
    p = min(k, len(cands))
    t0 = time.perf_counter()
    solver_name = "HiGHS"
    with warnings.catch_warnings():
        # spopt 0.7.0 builds variables the way PuLP 3.3 deprecates: one warning per variable.
        warnings.filterwarnings("ignore", message="Constructing LpVariable")
        model = MCLP.from_cost_matrix(cost, merged_w, service_radius=1.0, p_facilities=p)
        try:
            with _quiet_stdout():  # HiGHS prints a banner from C++ even with msg=False
                model.solve(pulp.HiGHS(msg=False), results=False)
        except Exception:  # noqa: BLE001 - HiGHS missing or failing: CBC ships with PuLP
            solver_name = "CBC"
            model = MCLP.from_cost_matrix(cost, merged_w, service_radius=1.0, p_facilities=p)
            model.solve(pulp.PULP_CBC_CMD(msg=False), results=False)
    seconds = time.perf_counter() - t0
    chosen = np.array([j for j, x in enumerate(model.fac_vars) if (x.value() or 0) > 0.5], dtype=np.int64)
    covered = reach[:, chosen].any(axis=1) if len(chosen) else np.zeros(len(merged_w), bool)
    return ExactResult(
        sites=cands[chosen],
        optimum=float(merged_w[covered].sum()),
        seconds_spopt=seconds,
        solver=solver_name,
        n_demand=len(merged_w),
        n_candidates=len(cands),
    )


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence writes to file descriptor 1 (C libraries bypass ``sys.stdout``)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout (some embedded runtimes): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _lazy_greedy(
    initial: np.ndarray, k: int, gain: Callable[[int], float], take: Callable[[int], float]
) -> tuple[np.ndarray, np.ndarray]:
    heap = [(-float(g), int(j)) for j, g in enumerate(np.asarray(initial, dtype=float))]
    heapq.heapify(heap)
    order: list[int] = []
    gains: list[float] = []
    while heap and len(order) < k:
        _, j = heapq.heappop(heap)
        g = gain(j)
        if heap and (-g, j) > heap[0]:  # another may now be better (or as good, with a lower index)
            heapq.heappush(heap, (-g, j))
            continue
        if g <= 1e-12:
            break
        order.append(j)
        gains.append(take(j))
    return np.array(order, dtype=np.int64), np.array(gains, dtype=float)


def _row(cov: sparse.csr_array, j: int) -> np.ndarray:
    return cov.indices[cov.indptr[j] : cov.indptr[j + 1]]


def _covered(covered0: np.ndarray | None, n: int) -> np.ndarray:
    if covered0 is None:
        return np.zeros(n, dtype=bool)
    covered0 = np.asarray(covered0, dtype=bool)
    if covered0.shape != (n,):
        raise SitingError(f"covered0 must have one entry per demand point ({n}), got shape {covered0.shape}")
    return covered0


def _coverage(request: AnalysisRequest, demand_xy: np.ndarray, candidate_xy: np.ndarray) -> sparse.csr_array:
    """:func:`coverage_matrix` measured the way ``request`` measures (straight line or by road)."""
    return coverage_matrix(
        demand_xy, candidate_xy, radius_km=request.radius_km, circuity=request.circuity, roads=request.roads
    )


def _frame(xy: np.ndarray) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=BNG)


# --- GeoDataFrame front door ----------------------------------------------------------------


@dataclass(frozen=True)
class SitePlan:
    """A recruitment plan.

    Attributes
    ----------
    sites
        One row per site: :data:`gapmap.schema.SITE_COLUMNS`, then ``reason`` (and ``places`` in
        capacity-aware mode).
    band, radius_km
        Whose reach and how far.
    band_population
        People of the band in the council.
    covered_before, covered_after, gain
        People of the band within reach of support before and after the plan, and the gain.
    optimum
        The most people ``len(sites)`` sites could newly bring within reach (``--exact``),
        else ``None``.
    greedy_share
        ``gain / optimum`` (the plan's share of the optimum) when both ran, else ``None``.
    greedy_gain
        What the greedy alone reached, before the swaps of :func:`improve_cover`.
    places_by_area
        Capacity-aware mode: ``area_code``, ``area_name``, ``places_added`` per area.
    exact
        The exact solver's result when it ran.
    n_candidates
        Candidate sites considered.
    """

    sites: pd.DataFrame
    band: str
    radius_km: float
    band_population: float
    covered_before: float
    covered_after: float
    gain: float
    optimum: float | None = None
    greedy_share: float | None = None
    greedy_gain: float | None = None
    places_by_area: pd.DataFrame | None = None
    exact: ExactResult | None = None
    n_candidates: int = 0
    unit: str = "km"

    @property
    def uncovered_before(self) -> float:
        """People of the band with no support within reach today."""
        return self.band_population - self.covered_before

    def summary(self) -> str:
        """One plain-English sentence on what the plan would change."""
        band = band_ages(self.band)
        n = len(self.sites)
        share = self.gain / self.uncovered_before if self.uncovered_before > 0 else 0.0
        text = (
            f"These {n} recruit{'s' if n != 1 else ''} would bring {self.gain:,.0f} people aged {band} within "
            f"{reach(self.radius_km, self.unit)} of support "
            f"({share:.0%} of the {self.uncovered_before:,.0f} now without): "
            f"{self.covered_before:,.0f} → {self.covered_after:,.0f} of {self.band_population:,.0f}."
        )
        if self.optimum is not None and self.greedy_share is not None:
            text += f" The best possible is {self.optimum:,.0f}; this plan reaches {self.greedy_share:.1%} of it"
            if self.greedy_gain is not None and self.optimum > 0:
                text += f" (the greedy alone {self.greedy_gain / self.optimum:.1%})"
            text += "."
        return text


def demand_candidates(analysis: Analysis) -> gpd.GeoDataFrame:
    """The default candidate sites: postcodes with people of the band not yet within reach."""
    pp = analysis.per_point
    keep = pp.beyond_radius.to_numpy() & (pp.demand.to_numpy() > 0)
    return analysis.data.points.loc[keep, ["postcode", "geometry"]]


def need_candidates(analysis: Analysis) -> gpd.GeoDataFrame:
    """Capacity-aware candidates: postcodes with unmet need (:func:`point_need`) of the band."""
    keep = point_need(analysis) > 0
    return analysis.data.points.loc[keep, ["postcode", "geometry"]]


def point_need(analysis: Analysis) -> np.ndarray:
    r"""The gap engine's unmet need per area, shared to its postcodes.

    Each postcode's own shortfall :math:`s_i = \max(0, D_i t/1000 - a_i)` (:math:`a_i` the
    places the 2SFCA allocates to it) is scaled so an area's postcodes add up to its
    ``unmet_need``.
    """
    pp = analysis.per_point
    target = analysis.request.params.target
    short = np.maximum(0.0, pp.demand.to_numpy() * target / 1000.0 - pp.allocated.to_numpy())
    codes = analysis.zones.codes.to_numpy()
    area_need = analysis.areas.set_index("area_code").unmet_need
    area_short = pd.Series(short).groupby(codes).sum()
    scale = (area_need.reindex(area_short.index).fillna(0.0) / area_short.where(area_short > 0)).fillna(0.0)
    return short * scale.reindex(codes).fillna(0.0).to_numpy()


def plan_sites(
    analysis: Analysis,
    k: int,
    *,
    candidates: gpd.GeoDataFrame | None = None,
    capacity_aware: bool = False,
    people_per_site: float = PEOPLE_PER_SITE,
    exact: bool = False,
    improve: bool = True,
) -> SitePlan:
    """Choose ``k`` new sites for micro-providers, keeping every existing provider.

    Parameters
    ----------
    analysis
        From :func:`gapmap.analysis.analyse` (its request gives band, radius, kinds, date).
    k
        Number of sites, at least 1 and at most the number of candidates.
    candidates
        Point GeoDataFrame (EPSG:27700) of possible sites; default :func:`demand_candidates`
        (or :func:`need_candidates` in capacity-aware mode).
    capacity_aware
        Rank by unmet need taken up (``people_per_site`` each) rather than people reached.
    people_per_site
        People one recruit supports (capacity-aware mode and what-if sites).
    exact
        Also solve to optimality and report the plan's share of it (covering mode only).
    improve
        After the greedy, swap sites one at a time while that reaches more people
        (:func:`improve_cover`; covering mode only).

    Returns
    -------
    SitePlan

    Raises
    ------
    SitingError
        Bad ``k``, too few candidates, or ``exact`` with ``capacity_aware``.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise SitingError(f"the number of new sites must be a whole number of at least 1, got {k!r}")
    if exact and capacity_aware:
        raise SitingError("--exact solves the covering problem; it cannot be combined with --capacity-aware")
    if candidates is None:
        candidates = need_candidates(analysis) if capacity_aware else demand_candidates(analysis)
        if len(candidates) == 0:
            raise NothingToPlanError(
                "no postcode is short of support places at this target, so no new site would add any"
                if capacity_aware
                else "everyone of this age band is already within reach, so no new site would bring anyone closer"
            )
    else:
        require_bng(candidates, "candidate sites", SitingError)
    if k > len(candidates):
        raise SitingError(f"asked for {k} new sites but there are only {len(candidates)} candidate sites")
    request = analysis.request
    demand_xy = _points_xy(analysis)
    cand_xy = np.column_stack([candidates.geometry.x.to_numpy(), candidates.geometry.y.to_numpy()])
    weights = analysis.per_point.demand.to_numpy()
    covered0 = ~analysis.per_point.beyond_radius.to_numpy()
    if capacity_aware:
        need = point_need(analysis)
        cols = np.flatnonzero(need > 0)
        cov = _coverage(request, demand_xy[cols], cand_xy)
        order, places, taken = greedy_capacity(cov, need[cols], k, people_per_site)
        taken_all = np.zeros(len(weights))
        taken_all[cols] = taken
        by_area = _places_by_area(analysis, taken_all)
    else:
        cols = np.flatnonzero(~covered0 & (weights > 0))
        cov = _coverage(request, demand_xy[cols], cand_xy)
        order, gains = greedy_cover(cov, weights[cols], k)
        greedy_gain = float(gains.sum())
        if improve and len(order):
            better = improve_cover(cov, weights[cols], order)
            # Rank the improved set by what each adds in turn (greedy order within the set).
            sub_order, _ = greedy_cover(sparse.csr_array(cov[better]), weights[cols], len(better))
            order = np.r_[better[sub_order], np.setdiff1d(better, better[sub_order])]
        places, by_area = None, None
    sites = site_table(analysis, cand_xy[order], places=places)
    gain = float(sites.people_reached.sum())
    if capacity_aware:
        greedy_gain = gain
    before = float(weights[covered0].sum())
    optimum = share = result = None
    if exact:
        result = exact_cover(cov, weights[cols], len(order) or k)
        optimum = result.optimum
        share = gain / optimum if optimum > 0 else 1.0
    return SitePlan(
        sites=sites,
        band=request.band,
        radius_km=request.radius_km,
        unit=request.unit,
        band_population=float(weights.sum()),
        covered_before=before,
        covered_after=before + gain,
        gain=gain,
        optimum=optimum,
        greedy_share=share,
        greedy_gain=greedy_gain,
        places_by_area=by_area,
        exact=result,
        n_candidates=len(candidates),
    )


def site_table(analysis: Analysis, xy: np.ndarray, *, places: np.ndarray | None = None) -> pd.DataFrame:
    """The plan's table for sites at ``xy`` taken in order, against the analysis's providers.

    ``people_reached`` is the band's people newly within reach of each site and of no earlier
    site or existing provider; ``people_85plus_reached`` the same for people aged 85+.

    Parameters
    ----------
    analysis
        The analysis of the existing providers.
    xy
        ``(n, 2)`` easting, northing of the sites, in rank order.
    places
        Places each site takes up (capacity-aware mode), added as a ``places`` column.

    Returns
    -------
    pandas.DataFrame
        :data:`gapmap.schema.SITE_COLUMNS`, ``reason`` (and ``places``).
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    request = analysis.request
    points = analysis.data.points
    demand_xy = _points_xy(analysis)
    uncovered = analysis.per_point.beyond_radius.to_numpy()
    cols = np.flatnonzero(uncovered)
    cov = _coverage(request, demand_xy[cols], xy)
    band_w = analysis.per_point.demand.to_numpy()[cols]
    old_w = points[band_column("85plus")].to_numpy(dtype=float)[cols]
    seen = np.zeros(len(cols), dtype=bool)
    reached, reached85 = np.zeros(len(xy)), np.zeros(len(xy))
    for s in range(len(xy)):
        idx = _row(cov, s)
        new = idx[~seen[idx]]
        reached[s] = band_w[new].sum()
        reached85[s] = old_w[new].sum()
        seen[new] = True
    near_pt = cKDTree(demand_xy).query(xy, k=1)[1] if len(xy) else np.zeros(0, dtype=np.int64)
    codes = analysis.zones.codes.to_numpy()[near_pt]
    names = analysis.zones.polygons.set_index("area_code").area_name
    lon, lat = transformer(BNG, WGS84).transform(xy[:, 0], xy[:, 1])
    table = pd.DataFrame(
        {
            "rank": np.arange(1, len(xy) + 1),
            "easting": np.round(xy[:, 0]).astype(np.int64),
            "northing": np.round(xy[:, 1]).astype(np.int64),
            "lat": np.round(lat, 6),
            "lon": np.round(lon, 6),
            "postcode": points.postcode.to_numpy()[near_pt],
            "area_code": codes,
            "area_name": names.reindex(codes).to_numpy(),
            "people_reached": reached,
            "people_reached_cumulative": np.cumsum(reached),
            "people_85plus_reached": reached85,
        }
    )
    nearest = _nearest_existing(analysis, xy)
    table["reason"] = [
        _reason(row, d, request.band, request.radius_km, None if places is None else places[i], unit=request.unit)
        for i, (row, d) in enumerate(zip(table.itertuples(), nearest, strict=True))
    ]
    if places is not None:
        table["places"] = np.asarray(places, dtype=float)
    return table


@dataclass(frozen=True)
class WhatIf:
    """The analysis re-run with hand-placed sites added.

    Attributes
    ----------
    analysis
        The gap analysis with the sites as providers (areas, per point, summary).
    sites
        :func:`site_table` of the sites, in the order given.
    covered_before, covered_after, gain
        People of the band within reach before and after, and the gain.
    band_population
        People of the band in the council.
    """

    analysis: Analysis
    sites: pd.DataFrame
    covered_before: float
    covered_after: float
    gain: float
    band_population: float


def hypothetical_supply(
    analysis: Analysis, sites_xy: np.ndarray, *, people_per_site: float = PEOPLE_PER_SITE
) -> gpd.GeoDataFrame:
    """The analysis's supply plus a micro-provider of ``people_per_site`` places at each site.

    New rows get integer labels after every existing provider's, ids ``site-1``, ``site-2`` …
    """
    xy = np.asarray(sites_xy, dtype=float).reshape(-1, 2)
    supply = analysis.supply
    labels = pd.Index(analysis.providers.index).append(pd.Index(supply.index))
    start = int(labels.max()) + 1 if len(labels) else 0
    extra = gpd.GeoDataFrame(
        {
            "id": [f"site-{i + 1}" for i in range(len(xy))],
            "name": [f"Suggested site {i + 1}" for i in range(len(xy))],
            "kind": "micro_enterprise",
            "capacity": float(people_per_site),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=BNG,
        index=pd.RangeIndex(start, start + len(xy)),
    )
    if supply.empty:
        return extra
    return pd.concat([supply, extra[[c for c in extra.columns if c in supply.columns]]])


def what_if(
    analysis: Analysis,
    sites_xy: np.ndarray,
    *,
    people_per_site: float = PEOPLE_PER_SITE,
    capacity_aware: bool = False,
) -> WhatIf:
    """Re-run the analysis with a new micro-provider at each of ``sites_xy``.

    Only the new sites' costs are computed; the existing providers' cost table is reused.

    Parameters
    ----------
    analysis
        The analysis of the existing providers.
    sites_xy
        ``(n, 2)`` easting, northing of the hypothetical sites (EPSG:27700).
    people_per_site
        Places each new site offers.
    capacity_aware
        Also give each site the unmet need it takes up, in the order given (a ``places``
        column and reasons in those terms, as :func:`plan_sites` in capacity-aware mode).

    Returns
    -------
    WhatIf
    """
    xy = np.asarray(sites_xy, dtype=float).reshape(-1, 2)
    if not np.isfinite(xy).all():
        raise SitingError("site coordinates must be finite eastings and northings")
    supply = hypothetical_supply(analysis, xy, people_per_site=people_per_site)
    new = supply.iloc[len(supply) - len(xy) :]
    request = analysis.request
    extra = pair_costs(
        analysis.data.points, new, max_cost=request.radius_km, circuity=request.circuity, roads=request.roads
    )
    costs = pd.concat([analysis.costs, extra], ignore_index=True) if len(xy) else analysis.costs
    after = _with_sites(analysis, supply, new, costs)
    demand = analysis.per_point.demand.to_numpy()
    before = float(demand[~analysis.per_point.beyond_radius.to_numpy()].sum())
    now = float(demand[~after.per_point.beyond_radius.to_numpy()].sum())
    return WhatIf(
        analysis=after,
        sites=site_table(analysis, xy, places=_take_up(analysis, xy, people_per_site) if capacity_aware else None),
        covered_before=before,
        covered_after=now,
        gain=now - before,
        band_population=float(demand.sum()),
    )


def sites_frame(sites: pd.DataFrame) -> gpd.GeoDataFrame:
    """A site table as points (EPSG:27700), for GeoJSON and maps."""
    return gpd.GeoDataFrame(sites.copy(), geometry=gpd.points_from_xy(sites.easting, sites.northing), crs=BNG)


PEOPLE_COLUMNS = ("people_reached", "people_reached_cumulative", "people_85plus_reached")
"""The site table's counts of people (whole people in the app's readable download)."""


def plan_table(sites: pd.DataFrame, *, data_note: str | None = None, as_shown: bool = False) -> gpd.GeoDataFrame:
    """A site table for download: contract columns first, numbers to 6 decimals, as points.

    ``data_note`` (e.g. the illustrative-sample label) is added as a column when given. With
    ``as_shown`` the figures are rounded as the app shows them: whole people, places to one
    decimal, whole metres (the command line keeps full precision).
    """
    table = sites_frame(sites)
    numeric = table.select_dtypes("number").columns.difference(["rank", "easting", "northing", "lat", "lon"])
    table[numeric] = table[numeric].round(6)
    if as_shown:
        for col in [c for c in PEOPLE_COLUMNS if c in table]:
            table[col] = table[col].round(0).astype("int64")
        if "places" in table:
            table["places"] = table["places"].round(1)
        table[["easting", "northing"]] = table[["easting", "northing"]].round(0)
    if data_note:
        table["data_note"] = data_note
    return table


def with_user_areas(sites: pd.DataFrame, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """The site table with the user's own area (parish, patch) of each site added.

    Adds ``parish_code`` and ``parish_name`` after the contract columns (blank for a site
    outside every supplied area) and names the parish in ``reason``. The same
    point-in-polygon as ``--level parish`` (:func:`gapmap.areas.assign_user_areas`) is used.

    Parameters
    ----------
    sites
        A :func:`site_table` (``easting``, ``northing`` in EPSG:27700).
    areas
        Polygons with ``area_code``, ``area_name`` (see :func:`gapmap.io.read_area_file`).

    Returns
    -------
    pandas.DataFrame
        A copy of ``sites`` with the two columns; the contract columns and their order unchanged.
    """
    table = sites.copy()
    points = sites_frame(sites)
    codes = assign_user_areas(points, areas).to_numpy() if len(points) else np.zeros(0, dtype=object)
    names = areas.drop_duplicates("area_code").set_index("area_code").area_name
    inside = codes != OUTSIDE_CODE
    parish_code = np.where(inside, codes, "")
    parish_name = np.where(inside, names.reindex(codes).fillna("").to_numpy(dtype=object), "")
    at = table.columns.get_loc("people_85plus_reached") + 1
    table.insert(at, "parish_code", parish_code)
    table.insert(at + 1, "parish_name", parish_name)
    if "reason" in table.columns:
        table["reason"] = [
            f"{r}; in your area {n}" if ok else f"{r}; outside all of your own areas"
            for r, n, ok in zip(table.reason, parish_name, inside, strict=True)
        ]
    return table


def _take_up(analysis: Analysis, xy: np.ndarray, per_site: float) -> np.ndarray:
    """Unmet need each site takes up, in the order given (see :func:`greedy_capacity`)."""
    need = point_need(analysis)
    cols = np.flatnonzero(need > 0)
    request = analysis.request
    cov = _coverage(request, _points_xy(analysis)[cols], xy)
    residual = need[cols].copy()
    taken = np.zeros(len(xy))
    for s in range(len(xy)):
        idx = _row(cov, s)
        avail = float(residual[idx].sum())
        taken[s] = min(per_site, avail)
        if avail > 0:
            residual[idx] *= 1.0 - taken[s] / avail
    return taken


def _with_sites(analysis: Analysis, supply: gpd.GeoDataFrame, new: gpd.GeoDataFrame, costs: pd.DataFrame) -> Analysis:
    """As :func:`gapmap.analysis.with_supply`, counting only the new sites into the areas' provider counts."""
    request = analysis.request
    params = request.params
    zones = analysis.zones
    per_point = supply_gaps(analysis.data.points, supply, params, costs=costs)
    table = area_gaps(zones.population, zones.codes, per_point, params, positions=zones.positions)
    old = analysis.areas.set_index("area_code")
    added = providers_per_area(new, zones.polygons, request.level, hex_size_m=request.hex_size_m)
    codes = table.area_code.to_numpy()
    for col in added.columns:
        table[col] = (old[col].reindex(codes).fillna(0.0) + added[col].reindex(codes).fillna(0.0)).to_numpy()
    return replace(analysis, supply=supply, costs=costs, per_point=per_point, areas=table)


def _points_xy(analysis: Analysis) -> np.ndarray:
    pts = analysis.data.points
    return np.column_stack([pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()])


def _nearest_existing(analysis: Analysis, xy: np.ndarray) -> np.ndarray:
    supply = analysis.supply
    if supply.empty or len(xy) == 0:
        return np.full(len(xy), np.inf)
    roads = analysis.request.roads
    if roads is not None:  # minutes by road to the nearest existing provider
        sites = _frame(xy)
        near = nearest_cost(roads.costs(sites, supply, max_cost=1e-9), sites.index).to_numpy()
        return near
    tree = cKDTree(np.column_stack([supply.geometry.x.to_numpy(), supply.geometry.y.to_numpy()]))
    return tree.query(xy, k=1)[0] * analysis.request.circuity / 1000.0


def _reason(
    row: object, nearest_km: float, band: str, radius_km: float, places: float | None, *, unit: str = "km"
) -> str:
    who = f"people aged {band_ages(band)}"
    # Whole km (or minutes) only: exact distances from several sites could locate a sole trader's home.
    near = (
        "no provider at all yet"
        if not np.isfinite(nearest_km)
        else f"nearest is about {round(nearest_km)} {'minutes away by road' if unit == 'minutes' else 'km away'}"
    )
    r = reach(radius_km, unit)
    if places is not None:
        text = (
            f"takes up {places:.1f} places of unmet need among {who} within {r} of {row.postcode} "
            f"({row.area_name}); {near}"
        )
        if row.people_reached >= 0.5:
            text += f"; {row.people_reached:,.0f} of them had no support within {r}"
        return text
    if row.people_reached < 0.5:
        return f"adds no {who} beyond the reach of earlier sites and existing providers; {near}"
    return f"{row.people_reached:,.0f} {who} around {row.postcode} ({row.area_name}) have no support within {r}; {near}"


def _places_by_area(analysis: Analysis, taken: np.ndarray) -> pd.DataFrame:
    codes = analysis.zones.codes.to_numpy()
    sums = pd.Series(taken).groupby(codes).sum()
    table = analysis.areas[["area_code", "area_name", "unmet_need"]].copy()
    table["places_added"] = sums.reindex(table.area_code.to_numpy()).fillna(0.0).to_numpy()
    table = table[table.places_added > 1e-9].sort_values("places_added", ascending=False)
    return pd.DataFrame(table).reset_index(drop=True)
