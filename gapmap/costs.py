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

from gapmap.config import BNG
from gapmap.errors import CrsError

COST_COLUMNS = ("origin", "dest", "cost")


def _xy(gdf: gpd.GeoDataFrame, label: str) -> np.ndarray:
    if gdf.crs is None:
        raise CrsError(f"{label} have no CRS; expected British National Grid (EPSG:27700)")
    if gdf.crs.to_epsg() != 27700:
        raise CrsError(f"{label} are in {gdf.crs.to_string()}; reproject to {BNG} for distances")
    return np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()])


def euclidean_costs(
    origins: gpd.GeoDataFrame,
    dests: gpd.GeoDataFrame,
    *,
    max_km: float,
    circuity: float = 1.0,
) -> pd.DataFrame:
    r"""Straight-line costs (km) for every origin–destination pair within ``max_km``.

    Pairs are found with a k-d tree (:class:`scipy.spatial.cKDTree`), never a dense
    all-pairs matrix, so memory grows with the number of pairs kept.

    .. math:: c_{ij} = k \, \lVert x_i - y_j \rVert / 1000, \qquad c_{ij} \le c_{max}

    with :math:`k` the circuity factor (about 1.2–1.4 turns straight-line into road distance).

    Parameters
    ----------
    origins, dests
        Point GeoDataFrames in EPSG:27700.
    max_km
        Keep pairs whose cost is at most this (after circuity).
    circuity
        Multiplier from straight-line to network distance (1 = straight line).

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``dest`` (index labels of the inputs) and ``cost`` (float64, km), sorted
        by origin then destination.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 3000], [0, 0]), crs=27700)
    >>> prov = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0], [0]), crs=27700)
    >>> euclidean_costs(pts, prov, max_km=5).to_dict("list")
    {'origin': [0, 1], 'dest': [0, 0], 'cost': [0.0, 3.0]}
    """
    if max_km <= 0:
        raise ValueError("max_km must be positive")
    if circuity < 1:
        raise ValueError("circuity must be at least 1 (roads are never shorter than a straight line)")
    o = _xy(origins, "demand points")
    d = _xy(dests, "providers")
    if len(o) == 0 or len(d) == 0:
        return pd.DataFrame({"origin": origins.index[:0], "dest": dests.index[:0], "cost": np.empty(0)})
    radius_m = max_km * 1000.0 / circuity
    dest_tree = cKDTree(d)
    parts_i, parts_j, parts_v = [], [], []
    # Origins in chunks: memory stays near the size of the result, and each chunk's pairs
    # come out sorted by origin, so the whole table is sorted without a global sort.
    for start in range(0, len(o), _CHUNK):
        chunk = o[start : start + _CHUNK]
        pairs = cKDTree(chunk).sparse_distance_matrix(dest_tree, radius_m, output_type="ndarray")
        order = np.lexsort((pairs["j"], pairs["i"]))
        parts_i.append(pairs["i"][order].astype(np.int64) + start)
        parts_j.append(pairs["j"][order].astype(np.int64))
        parts_v.append(pairs["v"][order] * (circuity / 1000.0))
        del pairs, order
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


def _is_default_range(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def nearest_km(origins: gpd.GeoDataFrame, dests: gpd.GeoDataFrame) -> pd.Series:
    """Straight-line distance (km) from each origin to its nearest destination.

    Not limited by any radius. ``inf`` when there are no destinations.

    Returns
    -------
    pandas.Series
        Aligned to ``origins.index``.
    """
    o = _xy(origins, "demand points")
    if len(dests) == 0:
        return pd.Series(np.inf, index=origins.index, name="nearest_km")
    dist, _ = cKDTree(_xy(dests, "providers")).query(o, k=1)
    return pd.Series(dist / 1000.0, index=origins.index, name="nearest_km")
