r"""Closure impact: what a change in the providers did, and to whom.

A "before" supply is compared with an "after" supply, both read by the analysis core
(:func:`gapmap.analysis.analyse` / :func:`gapmap.analysis.with_supply`) with the same band,
kinds, radius, road factor and areas:

- the providers active on :math:`D_1` against those active on :math:`D_2` (closures *and*
  openings in between count), see :func:`impact_between`; or
- the providers active on a date against the same set minus chosen ids (a real or a
  hypothetical closure: "what if this day centre closes?"), see :func:`impact_of_closing`.

Per demand point :math:`i` with band population :math:`D_i`, nearest provider
:math:`b_i` before (at cost :math:`d^B_i`) and :math:`a_i` after (:math:`d^A_i`), radius :math:`r`:

- displaced: :math:`b_i \notin \text{after}` (a tie with a provider that stays is not
  displacement); ``people_displaced`` :math:`= \sum_{i\ \text{displaced}} D_i`;
- extra distance :math:`e_i = d^A_i - d^B_i` for the displaced; ``extra_km_mean`` is the
  :math:`D_i`-weighted mean, ``extra_km_p90`` the weighted 90th percentile (the smallest
  :math:`e` such that at least 90% of displaced people have :math:`e_i \le e`),
  ``extra_km_max`` the largest (``inf`` when no provider is left at all);
- ``people_losing_coverage`` :math:`= \sum D_i [d^B_i \le r \wedge d^A_i > r]`, and
  ``people_gaining_coverage`` the reverse (openings);
- per area also ``access_change`` (E2SFCA places per 1,000, after − before) and
  ``gap_score_change``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from gapmap.analysis import Analysis, AnalysisRequest, Zones, analyse, build_costs, pair_costs, with_supply
from gapmap.errors import ClosureError
from gapmap.gaps import supply_at
from gapmap.labels import band_ages, reach
from gapmap.population import CouncilData
from gapmap.roads import ByRoad

SUMMARY_KEYS = (
    "providers_closed",
    "providers_opened",
    "people_displaced",
    "extra_km_mean",
    "extra_km_p90",
    "extra_km_max",
    "people_losing_coverage",
    "people_gaining_coverage",
    "band",
    "radius_km",
)
"""The keys every closure summary has (the CLI's ``--json`` contract)."""

AREA_COLUMNS = (
    "area_code",
    "area_name",
    "people_displaced",
    "extra_km_mean",
    "extra_km_p90",
    "extra_km_max",
    "people_losing_coverage",
    "people_gaining_coverage",
    "access_change",
    "gap_score_change",
    "headline",
)
"""The columns of :attr:`ClosureImpact.by_area` (and the CLI's ``impact.csv``), in order."""

_KIND_WORDS = {"micro_enterprise": "a micro-provider", "day_centre": "a day centre", "other": "a provider"}


@dataclass(frozen=True)
class ClosureImpact:
    """The impact of going from one supply to another.

    Attributes
    ----------
    before, after
        The two analyses (same request, areas and demand; different supply).
    closed, opened
        Providers in ``before`` but not ``after``, and the reverse (rows of the supplies).
    by_point
        Per demand point: ``demand``, ``nearest_before``, ``nearest_after`` (provider index
        labels), ``km_before``, ``km_after``, ``displaced``, ``extra_km`` (NaN unless
        displaced), ``losing``, ``gaining`` (bools), aligned to the demand points.
    by_area
        One row per area (:data:`AREA_COLUMNS`, plus ``person_km``: displaced people × their
        mean extra km, the sort key), hardest hit first.
    summary
        Council totals: :data:`SUMMARY_KEYS` plus extras (dates, kinds, people within reach
        before and after, unmet need before and after).
    """

    before: Analysis
    after: Analysis
    closed: gpd.GeoDataFrame
    opened: gpd.GeoDataFrame
    by_point: pd.DataFrame
    by_area: pd.DataFrame
    summary: dict[str, object]

    def hardest_hit(self, n: int = 5) -> list[str]:
        """Plain-English lines for the ``n`` hardest-hit areas (those with anyone displaced)."""
        hit = self.by_area[(self.by_area.people_displaced >= 0.5) | (self.by_area.people_losing_coverage >= 0.5)]
        return hit.headline.head(n).tolist()


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value such that at least ``q`` of the total weight is at or below it.

    Examples
    --------
    >>> weighted_quantile(np.array([1.0, 5.0, 2.0]), np.array([10.0, 1.0, 89.0]), 0.9)
    2.0
    >>> weighted_quantile(np.array([1.0, 5.0]), np.array([80.0, 20.0]), 0.9)
    5.0
    """
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    if len(values) == 0:
        return 0.0
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    pos = int(np.searchsorted(cum, q * cum[-1] * (1 - 1e-12), side="left"))
    return float(values[order][min(pos, len(values) - 1)])


def nearest_dest(
    costs: pd.DataFrame, n_origins: int, *, prefer: pd.Index | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each origin's nearest destination and its cost, from a cost table (argmin per origin).

    Parameters
    ----------
    costs
        Cost table whose ``origin`` labels are positions ``0 … n_origins-1`` (a default
        RangeIndex of demand points), holding each origin's nearest destination.
    n_origins
        Number of demand points.
    prefer
        Destinations that win a tie (so a tie with a provider that stays is not displacement).

    Returns
    -------
    dest : numpy.ndarray
        Nearest destination label per origin (object array; ``None`` where the table has no row).
    cost : numpy.ndarray
        Its cost (``inf`` where none).
    """
    o = costs["origin"].to_numpy().astype(np.int64, copy=False)
    c = costs["cost"].to_numpy(dtype=float)
    d = costs["dest"].to_numpy()
    cost = np.full(n_origins, np.inf)
    np.minimum.at(cost, o, c)
    # Only the rows at their origin's minimum can be nearest (about one per origin), so the
    # tie-break sorts a few rows, never the whole table.
    cand = np.flatnonzero(c <= cost[o])
    oc = o[cand]
    tie = np.zeros(len(cand), dtype=np.int8) if prefer is None else (~pd.Index(d[cand]).isin(prefer)).astype(np.int8)
    order = np.lexsort((tie, oc))
    first = cand[order][np.r_[True, oc[order][1:] != oc[order][:-1]]] if len(cand) else cand
    dest = np.full(n_origins, None, dtype=object)
    dest[o[first]] = d[first]
    return dest, cost


def costs_for_subset(
    data: CouncilData,
    costs: pd.DataFrame,
    supply: gpd.GeoDataFrame,
    *,
    circuity: float,
    max_km: float,
    roads: ByRoad | None = None,
) -> pd.DataFrame:
    """The cost table for ``supply`` read from a table built for a larger set of providers.

    With ``roads`` the table is minutes by road and ``max_km`` a number of minutes.

    Pairs within ``max_km`` are simply filtered; an origin left with no row at all (every
    provider it could reach has gone, or its only row was to a provider now gone) gets its
    nearest remaining provider from a k-d tree query, so nearest distances stay exact.
    """
    dests = costs["dest"]
    known = pd.Index(pd.unique(dests.to_numpy()))
    dropped = known.difference(supply.index)
    kept = costs[~dests.isin(dropped)] if len(dropped) < len(supply) else costs[dests.isin(supply.index)]
    has_row = np.zeros(len(data.points), dtype=bool)
    has_row[kept["origin"].to_numpy().astype(np.int64)] = True
    lost = np.flatnonzero(~has_row)
    if len(lost) == 0 or len(supply) == 0:
        return kept
    extra = pair_costs(data.points.iloc[lost], supply, max_cost=max_km, circuity=circuity, roads=roads)
    return pd.concat([kept, extra], ignore_index=True)


def closure_impact(
    before: Analysis, after_supply: gpd.GeoDataFrame, *, after_costs: pd.DataFrame | None = None
) -> ClosureImpact:
    """Compare an analysis with the same analysis under another supply.

    Parameters
    ----------
    before
        The "before" analysis (its supply, cost table, zones and request are reused).
    after_supply
        The providers that count afterwards (taken as given, as
        :func:`gapmap.analysis.with_supply`).
    after_costs
        The cost table for exactly ``after_supply``; derived from ``before.costs`` when
        ``after_supply`` holds no new providers, else built.

    Returns
    -------
    ClosureImpact
    """
    request = before.request
    n = len(before.data.points)
    if not (isinstance(before.data.points.index, pd.RangeIndex) and before.data.points.index.start == 0):
        raise ClosureError("demand points must have a default RangeIndex")
    new = after_supply.index.difference(before.supply.index)
    if after_costs is None:
        if len(new) == 0:
            after_costs = costs_for_subset(
                before.data,
                before.costs,
                after_supply,
                circuity=request.circuity,
                max_km=request.radius_km,
                roads=request.roads,
            )
        else:
            after_costs = build_costs(
                before.data, after_supply, circuity=request.circuity, max_km=request.radius_km, roads=request.roads
            )
    after = with_supply(before, after_supply, costs=after_costs)
    closed = before.supply.loc[before.supply.index.difference(after_supply.index)]
    opened = after_supply.loc[new]

    b_dest, b_km = nearest_dest(before.costs, n, prefer=after_supply.index)
    a_dest, a_km = nearest_dest(after_costs, n)
    demand = before.per_point.demand.to_numpy(dtype=float)
    in_after = pd.Index(b_dest).isin(after_supply.index)
    displaced = np.array([d is not None for d in b_dest]) & ~in_after
    extra = np.where(displaced, a_km - b_km, np.nan)
    r = request.radius_km
    losing = (b_km <= r) & ~(a_km <= r)
    gaining = ~(b_km <= r) & (a_km <= r)
    by_point = pd.DataFrame(
        {
            "demand": demand,
            "nearest_before": b_dest,
            "nearest_after": a_dest,
            "km_before": b_km,
            "km_after": a_km,
            "displaced": displaced,
            "extra_km": extra,
            "losing": losing,
            "gaining": gaining,
        },
        index=before.data.points.index,
    )
    by_area = _by_area(before, after, by_point)
    summary = _summary(before, after, closed, opened, by_point)
    return ClosureImpact(
        before=before, after=after, closed=closed, opened=opened, by_point=by_point, by_area=by_area, summary=summary
    )


def _extra_stats(extra: np.ndarray, weights: np.ndarray) -> tuple[float, float, float]:
    keep = (weights > 0) & ~np.isnan(extra)
    if not keep.any():
        return 0.0, 0.0, 0.0
    e, w = extra[keep], weights[keep]
    finite = np.isfinite(e)
    mean = float(np.sum(e * w) / np.sum(w)) if finite.all() else float("inf")
    return mean, weighted_quantile(e, w, 0.9), float(e.max())


def _ids(frame: gpd.GeoDataFrame) -> list[str]:
    # Public providers (gapmap.privacy.PublicProviders) have no id for micro-providers.
    return [str(v) if pd.notna(v) else "micro-provider (no id: privacy)" for v in frame.get("id", frame.index)]


def _summary(
    before: Analysis, after: Analysis, closed: gpd.GeoDataFrame, opened: gpd.GeoDataFrame, by_point: pd.DataFrame
) -> dict[str, object]:
    w = by_point.demand.to_numpy()
    disp = by_point.displaced.to_numpy()
    mean, p90, mx = _extra_stats(np.where(disp, by_point.extra_km.to_numpy(), np.nan), w)
    r = before.request.radius_km
    return {
        "providers_closed": _ids(closed),
        "providers_opened": _ids(opened),
        "people_displaced": float(w[disp].sum()),
        "extra_km_mean": mean,
        "extra_km_p90": p90,
        "extra_km_max": mx,
        "people_losing_coverage": float(w[by_point.losing.to_numpy()].sum()),
        "people_gaining_coverage": float(w[by_point.gaining.to_numpy()].sum()),
        "band": before.request.band,
        "radius_km": r,
        "kinds": list(before.request.kinds),
        "circuity": before.request.circuity,
        "unit": before.request.unit,
        "band_population": float(w.sum()),
        "people_within_reach_before": float(w[by_point.km_before.to_numpy() <= r].sum()),
        "people_within_reach_after": float(w[by_point.km_after.to_numpy() <= r].sum()),
        "unmet_need_before": float(before.areas.unmet_need.sum()),
        "unmet_need_after": float(after.areas.unmet_need.sum()),
        "providers_before": len(before.supply),
        "providers_after": len(after.supply),
    }


def _group_stats(g: np.ndarray, e: np.ndarray, w: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted mean, weighted 90th percentile and max of ``e`` per group ``g`` (0 … n-1), vectorised."""
    mean, p90, mx = np.zeros(n), np.zeros(n), np.zeros(n)
    if len(g) == 0:
        return mean, p90, mx
    tot = np.bincount(g, weights=w, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(tot > 0, np.bincount(g, weights=e * w, minlength=n) / np.where(tot > 0, tot, 1), 0.0)
    np.maximum.at(mx, g, e)
    order = np.lexsort((e, g))
    gs, es, cw = g[order], e[order], np.cumsum(w[order])
    start = np.r_[0, np.flatnonzero(gs[1:] != gs[:-1]) + 1]
    before_group = np.r_[0.0, cw][start]
    within = cw - np.repeat(before_group, np.diff(np.r_[start, len(gs)]))
    reached = np.flatnonzero(within >= 0.9 * tot[gs] * (1 - 1e-12))
    groups, first = np.unique(gs[reached], return_index=True)
    p90[groups] = es[reached[first]]
    return mean, p90, mx


def _by_area(before: Analysis, after: Analysis, by_point: pd.DataFrame) -> pd.DataFrame:
    areas = before.areas[["area_code", "area_name"]].reset_index(drop=True)
    n = len(areas)
    pos = pd.Index(areas.area_code).get_indexer(before.zones.codes.to_numpy())
    ok = pos >= 0
    w = by_point.demand.to_numpy()
    disp = by_point.displaced.to_numpy()

    def total(mask: np.ndarray) -> np.ndarray:
        keep = ok & mask
        return np.bincount(pos[keep], weights=w[keep], minlength=n)

    hit = np.flatnonzero(ok & disp & (w > 0))
    mean, p90, mx = _group_stats(pos[hit], by_point.extra_km.to_numpy()[hit], w[hit], n)
    out = pd.DataFrame({"area_code": areas.area_code, "area_name": areas.area_name})
    out["people_displaced"] = total(disp)
    out["extra_km_mean"] = mean
    out["extra_km_p90"] = p90
    out["extra_km_max"] = mx
    out["people_losing_coverage"] = total(by_point.losing.to_numpy())
    out["people_gaining_coverage"] = total(by_point.gaining.to_numpy())
    # Both analyses share the zones, so their area rows are in the same order.
    out["access_change"] = after.areas.access_e2sfca.to_numpy() - before.areas.access_e2sfca.to_numpy()
    out["gap_score_change"] = after.areas.gap_score.to_numpy() - before.areas.gap_score.to_numpy()
    out["person_km"] = out.people_displaced * out.extra_km_mean.replace(np.inf, 1e9)
    moved = (out.people_displaced >= 0.5) | (out.people_losing_coverage >= 0.5) | (out.people_gaining_coverage >= 0.5)
    out["headline"] = out.area_name.astype(str) + ": no change"
    if moved.any():
        out.loc[moved, "headline"] = [_headline(row, before.request) for row in out[moved].itertuples()]
    out = out.sort_values(["person_km", "people_losing_coverage", "people_displaced"], ascending=False, kind="stable")
    return out[[*AREA_COLUMNS, "person_km"]].reset_index(drop=True)


def _who(request: AnalysisRequest) -> tuple[str, str]:
    band = band_ages(request.band)
    kinds = tuple(request.kinds)
    what = _KIND_WORDS[kinds[0]] if len(kinds) == 1 else "a provider"
    return f"aged {band}", what


def _headline(row: object, request: AnalysisRequest) -> str:
    """E.g. "Minehead: 1,900 people aged 75+ now 14 km further from a day centre"."""
    aged, what = _who(request)
    far_unit = "minutes" if request.unit == "minutes" else "km"
    r = reach(request.radius_km, request.unit)
    bits = []
    if row.people_displaced >= 0.5:
        mean = row.extra_km_mean
        if not np.isfinite(mean):
            far = f"left with no {what.split(' ', 1)[1]} at all"
        elif mean >= 0.05:
            far = f"{mean:,.1f} {far_unit} further from {what} on average (up to {row.extra_km_max:,.1f} {far_unit})"
        elif mean <= -0.05:
            far = f"{-mean:,.1f} {far_unit} nearer {what} on average, their nearest having closed"
        else:
            far = f"about as far from {what}, their nearest having closed"
        bits.append(f"{row.people_displaced:,.0f} people {aged} now {far}")
    if row.people_losing_coverage >= 0.5:
        bits.append(f"{row.people_losing_coverage:,.0f} no longer have one within {r}")
    if row.people_gaining_coverage >= 0.5:
        bits.append(f"{row.people_gaining_coverage:,.0f} gain one within {r}")
    if not bits:
        return f"{row.area_name}: no change"
    return f"{row.area_name}: " + "; ".join(bits)


def impact_of_closing(
    data: CouncilData,
    providers: gpd.GeoDataFrame,
    request: AnalysisRequest,
    close: list[str] | tuple[str, ...],
    *,
    costs: pd.DataFrame | None = None,
    zones: Zones | None = None,
    areas: gpd.GeoDataFrame | None = None,
) -> ClosureImpact:
    """What if these providers close? The supply on ``request.as_at`` minus ``close`` (by ``id``).

    Raises
    ------
    ClosureError
        An id that is not in ``providers``, or none of them active on the date and of the
        chosen kinds (then nothing closes).
    """
    ids = providers["id"].dropna().astype(str)  # public providers: venues only (no micro-provider ids)
    wanted = list(dict.fromkeys(str(c).strip() for c in close if str(c).strip()))
    if not wanted:
        raise ClosureError("name at least one provider id to close")
    unknown = [c for c in wanted if c not in set(ids)]
    if unknown:
        raise ClosureError(f"unknown provider id{'s' if len(unknown) > 1 else ''}: {', '.join(unknown[:5])}")
    before = analyse(data, providers, request, costs=costs, zones=zones, areas=areas)
    drop = before.supply.index[before.supply["id"].notna() & before.supply["id"].astype(str).isin(wanted)]
    if len(drop) == 0:
        raise ClosureError(
            f"none of {', '.join(wanted[:5])} is open on {request.date:%d %b %Y} among the chosen kinds "
            f"({', '.join(request.kinds)}), so nothing closes"
        )
    return closure_impact(before, before.supply.drop(index=drop))


def impact_between(
    data: CouncilData,
    providers: gpd.GeoDataFrame,
    request: AnalysisRequest,
    before_date: date,
    after_date: date,
    *,
    zones: Zones | None = None,
    areas: gpd.GeoDataFrame | None = None,
) -> ClosureImpact:
    """The change from the providers active on ``before_date`` to those active on ``after_date``.

    Closures and openings in between both count; no change at all is a valid, zero result.

    Raises
    ------
    ClosureError
        ``after_date`` before ``before_date``.
    """
    if after_date < before_date:
        raise ClosureError(f"the after date {after_date:%d %b %Y} is before the before date {before_date:%d %b %Y}")
    before = analyse(data, providers, replace(request, as_at=before_date), zones=zones, areas=areas)
    after_supply = supply_at(providers, replace(request, as_at=after_date).params)
    impact = closure_impact(before, after_supply)
    summary = {**impact.summary, "before_date": before_date.isoformat(), "after_date": after_date.isoformat()}
    return replace(impact, summary=summary)
