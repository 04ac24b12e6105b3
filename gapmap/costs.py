"""The cost table: the seam between geometry and the access metrics.

A cost table is a long-form frame with columns ``origin`` (demand-point index label),
``dest`` (provider index label) and ``cost`` (kilometres, or minutes if a road network
supplies it), holding only the pairs within a maximum cost. The metrics in
:mod:`gapmap.access` accept any such table, so road travel times can replace the
straight-line distances built here without changing them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from gapmap._validate import check_radius, check_road_factor, require_bng

COST_COLUMNS = ("origin", "dest", "cost")


def _xy(gdf: gpd.GeoDataFrame, label: str) -> np.ndarray:
    require_bng(gdf, label)
    return np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()])


def euclidean_costs(
    origins: gpd.GeoDataFrame,
    dests: gpd.GeoDataFrame,
    *,
    max_km: float,
    circuity: float = 1.0,
    nearest: bool = True,
) -> pd.DataFrame:
    r"""Straight-line costs (km) for every origin–destination pair within ``max_km``.

    Pairs are found with a k-d tree (:class:`scipy.spatial.cKDTree`), never a dense
    all-pairs matrix, so memory grows with the number of pairs kept. With ``nearest``
    (the default) an origin with no destination within ``max_km`` also gets one row for its
    nearest destination, whatever the cost, so the table alone answers "how far is the
    nearest provider" (:func:`nearest_cost`); metrics that use a radius ignore those rows.

    .. math:: c_{ij} = k \, \lVert x_i - y_j \rVert / 1000, \qquad c_{ij} \le c_{max}

    with :math:`k` the circuity factor (about 1.2–1.4 turns straight-line into road distance).

    Parameters
    ----------
    origins, dests
        Point GeoDataFrames in EPSG:27700.
    max_km
        Keep pairs whose cost is at most this (after circuity).
    circuity
        Multiplier from straight-line to network distance (1 = straight line). It belongs to
        the cost builder: every cost, the nearest included, is a straight line times it.
    nearest
        Add each otherwise unreached origin's nearest destination (see above).

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``dest`` (index labels of the inputs; int32 positions when the inputs have
        a default index) and ``cost`` (float64, km), sorted by origin then destination.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 3000], [0, 0]), crs=27700)
    >>> prov = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0], [0]), crs=27700)
    >>> euclidean_costs(pts, prov, max_km=5).to_dict("list")
    {'origin': [0, 1], 'dest': [0, 0], 'cost': [0.0, 3.0]}
    """
    check_radius(max_km)
    check_road_factor(circuity)
    o = _xy(origins, "demand points")
    d = _xy(dests, "providers")
    if len(o) == 0 or len(d) == 0:
        return pd.DataFrame({"origin": origins.index[:0], "dest": dests.index[:0], "cost": np.empty(0)})
    radius_m = max_km * 1000.0 / circuity
    dest_tree = cKDTree(d)
    parts_i, parts_j, parts_v = [], [], []
    # Origins in chunks: memory stays near the size of the result, and each chunk comes out
    # sorted by origin (its nearest-only rows merged in), so the whole table is sorted by
    # origin without a global sort.
    for start in range(0, len(o), _CHUNK):
        ci, cj, cv = _chunk_pairs(o[start : start + _CHUNK], dest_tree, radius_m, nearest)
        parts_i.append(ci + start)
        parts_j.append(cj)
        parts_v.append(cv * (circuity / 1000.0))
    i = np.concatenate(parts_i)
    j = np.concatenate(parts_j)
    return pd.DataFrame(
        {
            "origin": origins.index.to_numpy()[i] if not _is_default_range(origins.index) else i,
            "dest": dests.index.to_numpy()[j] if not _is_default_range(dests.index) else j,
            "cost": np.concatenate(parts_v),
        }
    )


_CHUNK = 100_000


def _chunk_pairs(
    chunk: np.ndarray, dest_tree: cKDTree, radius_m: float, nearest: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (chunk position, destination position, metres) within the radius, by origin."""
    pairs = cKDTree(chunk).sparse_distance_matrix(dest_tree, radius_m, output_type="ndarray")
    i = pairs["i"].astype(np.int32)
    j = pairs["j"].astype(np.int32)
    v = pairs["v"]
    if nearest:
        reached = np.zeros(len(chunk), dtype=bool)
        reached[i] = True
        far = np.flatnonzero(~reached)
        if len(far):
            dist, idx = dest_tree.query(chunk[far], k=1)
            i = np.concatenate([i, far.astype(np.int32)])
            j = np.concatenate([j, np.asarray(idx, dtype=np.int32)])
            v = np.concatenate([v, np.asarray(dist, dtype=float)])
    order = np.lexsort((j, i))
    return i[order], j[order], v[order]


def cost_order(cost: np.ndarray) -> np.ndarray:
    """The stable sorting order of finite ``cost``: ``np.argsort(cost, kind="stable")``, twice as fast.

    An unstable sort (introsort) orders the values; only the runs of equal values are then put
    back in their first order, so the result is exactly the stable one.

    Examples
    --------
    >>> cost_order(np.array([2.0, 1.0, 2.0, 0.5, 1.0])).tolist()
    [3, 1, 4, 0, 2]
    """
    cost = np.asarray(cost)
    order = np.argsort(cost, kind="quicksort")
    ranked = cost[order]
    tie = ranked[1:] == ranked[:-1]
    if tie.any():
        member = np.zeros(len(ranked), dtype=bool)
        member[1:] |= tie
        member[:-1] |= tie
        at = np.flatnonzero(member)  # the places held by tied values, in cost order
        order[at] = order[at][np.lexsort((order[at], ranked[at]))]
    return order


def _ascending(values: np.ndarray) -> bool:
    """Whether ``values`` never decrease; a table in another order usually fails in its first rows."""
    head = values[:4096]
    return bool((head[1:] >= head[:-1]).all()) and bool((values[1:] >= values[:-1]).all())


def _is_default_range(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def nearest_cost(costs: pd.DataFrame, origins: pd.Index) -> pd.Series:
    r"""Cost to the nearest destination of each origin, read from a cost table.

    .. math:: d_i = \min_j c_{ij}

    A table from :func:`euclidean_costs` (with ``nearest=True``) holds every origin's nearest
    destination, so this is exact for it; for a table cut at a radius it is exact within the
    radius and ``inf`` beyond.

    Parameters
    ----------
    costs
        Cost table (``origin``, ``dest``, ``cost``).
    origins
        The origin labels to report, e.g. ``points.index``.

    Returns
    -------
    pandas.Series
        ``nearest_km`` aligned to ``origins``; ``inf`` where the table has no row.

    Examples
    --------
    >>> costs = pd.DataFrame({"origin": [0, 0, 1], "dest": [0, 1, 1], "cost": [2.0, 1.5, 9.0]})
    >>> nearest_cost(costs, pd.RangeIndex(3)).tolist()
    [1.5, 9.0, inf]
    """
    if _is_default_range(origins) and costs["origin"].dtype.kind in "iu":
        pos = costs["origin"].to_numpy()
        cost = costs["cost"].to_numpy(dtype=float)
        out = np.full(len(origins), np.inf)
        ok = (pos >= 0) & (pos < len(origins))
        if not ok.all():
            pos, cost = pos[ok], cost[ok]
        if len(pos) and _ascending(pos):
            # Sorted by origin (as built): one minimum per run of equal origins.
            starts = np.flatnonzero(np.r_[True, pos[1:] != pos[:-1]])
            out[pos[starts]] = np.minimum.reduceat(cost, starts)
        else:
            np.minimum.at(out, pos, cost)
        return pd.Series(out, index=origins, name="nearest_km")
    best = costs.groupby("origin", sort=False)["cost"].min()
    return best.reindex(origins).fillna(np.inf).rename("nearest_km")


def within(costs: pd.DataFrame, max_km: float) -> pd.DataFrame:
    """The same cost table cut at a smaller ``max_km``, keeping each origin's nearest row.

    A table built once at the largest radius and cut with this equals one built at
    ``max_km`` (same rows in the same order; with two destinations exactly equally near, the
    nearest row may name the other), so an interactive caller builds once and cuts per radius.

    Examples
    --------
    >>> costs = pd.DataFrame({"origin": [0, 0, 1], "dest": [0, 1, 1], "cost": [2.0, 1.5, 9.0]})
    >>> within(costs, 1.8).values.tolist()
    [[0.0, 1.0, 1.5], [1.0, 1.0, 9.0]]
    """
    check_radius(max_km)
    cost = costs["cost"].to_numpy(dtype=float)
    keep = cost <= max_km
    if keep.all():
        return costs
    # Origins with nothing within max_km keep the row of their nearest destination.
    origin = costs["origin"]
    unreached = ~origin.isin(origin[keep]).to_numpy()
    if unreached.any():
        sub = pd.DataFrame({"o": origin.to_numpy()[unreached], "c": cost[unreached]})
        first = sub.groupby("o", sort=False)["c"].idxmin().to_numpy()
        rows = np.flatnonzero(unreached)[first]
        keep[rows] = True
    return costs[keep].reset_index(drop=True)
