r"""Catchment access metrics per demand point, from any cost table.

Notation: demand points :math:`i` with band population :math:`D_i`; active providers
:math:`j` with capacity :math:`S_j`; costs :math:`c_{ij}` from the cost table
(:mod:`gapmap.costs`); catchment radius :math:`r`.

- ``providers_within``: :math:`\#\{j : c_{ij} \le r\}`
- ``capacity_within``: :math:`\sum_{j : c_{ij} \le r} S_j`
- ``beyond_radius``: no provider within :math:`r`
- ``access_2sfca`` (two-step floating catchment, Luo & Wang 2003), per 1,000 people:

  .. math:: R_j = \frac{S_j}{\sum_{i : c_{ij} \le r} D_i}, \qquad
            A_i = 1000 \sum_{j : c_{ij} \le r} R_j

- ``access_e2sfca`` (enhanced, Luo & Qi 2009) with distance-decay weights
  :math:`W(c) = \exp(-c^2 / 2\sigma^2)` for :math:`c \le r` (Gaussian, as PySAL
  ``access.weights.gaussian``; default :math:`\sigma = r/2`, so :math:`W(r) = e^{-2} \approx 0.14`):

  .. math:: R_j = \frac{S_j}{\sum_{i} D_i W(c_{ij})}, \qquad
            A_i = 1000 \sum_{j} R_j W(c_{ij})

Both conserve supply: :math:`\sum_i D_i A_i / 1000 = \sum_j S_j` over providers that have
any demand in reach, so with a radius covering everyone :math:`A_i = 1000 \sum_j S_j / \sum_i D_i`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

WeightFn = Callable[[np.ndarray], np.ndarray]


def gaussian(sigma: float) -> WeightFn:
    r"""Gaussian distance decay :math:`W(c) = \\exp(-c^2 / 2\\sigma^2)`, with :math:`W(0) = 1`.

    Examples
    --------
    >>> round(float(gaussian(2.0)(np.array([2.0]))[0]), 4)
    0.6065
    """
    if sigma <= 0:
        raise ValueError("sigma must be positive")
    scale = -0.5 / (sigma * sigma)

    def weight(c: np.ndarray) -> np.ndarray:
        w = np.multiply(c, c, dtype=float)
        w *= scale
        return np.exp(w, out=w)  # in place: one temporary array, not four

    return weight


def _labels_to_positions(index: pd.Index, labels: np.ndarray) -> np.ndarray:
    # A default RangeIndex maps labels to positions directly (much faster than hashing).
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and labels.dtype.kind in "iu":
        if len(labels) == 0 or (labels.min() >= 0 and labels.max() < len(index)):
            return labels  # already positions (bincount and indexing take any integer type)
        pos = labels.astype(np.int64, copy=False)
        return np.where((pos >= 0) & (pos < len(index)), pos, -1)
    return index.get_indexer(labels)


def _prepare(
    costs: pd.DataFrame, demand: pd.Series, supply: pd.Series, radius: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Positions of the pairs to use, their costs, and which of them are within ``radius``.

    When the pairs within ``radius`` come first (a table sorted by cost, as
    :func:`gapmap.analysis.build_costs` makes it, or one built at the radius) the columns are
    used without copies. When most pairs are within but a few beyond are mixed in (as
    :func:`gapmap.costs.euclidean_costs` adds each far point's nearest provider) every pair is
    kept and the mask ``inside`` says which count, which is cheaper than copying the columns;
    ``inside`` is ``None`` when every returned pair is within.
    """
    c = costs["cost"].to_numpy(dtype=float)
    keep = _sorted_prefix(c, radius)
    origin = costs["origin"].to_numpy()
    dest = costs["dest"].to_numpy()
    inside = None
    if isinstance(keep, slice):
        origin, dest, c = origin[keep], dest[keep], c[keep]
    elif 2 * np.count_nonzero(keep) >= len(keep):
        inside = keep
    oi = _labels_to_positions(demand.index, origin)
    dj = _labels_to_positions(supply.index, dest)
    if inside is not None and ((oi < 0).any() or (dj < 0).any()):
        # Unknown labels only matter within the radius: check those rows alone.
        oi, dj, c, inside = oi[inside], dj[inside], c[inside], None
    elif inside is None and not isinstance(keep, slice):
        oi, dj, c = oi[keep], dj[keep], c[keep]
    if (oi < 0).any():
        raise ValueError("the cost table has origins that are not demand points")
    if (dj < 0).any():
        raise ValueError("the cost table has destinations that are not providers")
    return oi, dj, c, inside


def _sorted_prefix(c: np.ndarray, radius: float) -> slice | np.ndarray:
    """The rows within ``radius``: ``slice(0, k)`` when they are exactly the first ``k``, else a mask.

    A table sorted by cost, or one whose rows beyond the radius all come last, is cut without
    copying its columns. NaN costs are never within.
    """
    within = c <= radius
    k = int(np.count_nonzero(within))
    if within[:k].all():
        return slice(0, k)
    return within


def _weights(c: np.ndarray, inside: np.ndarray | None, weight: WeightFn | None) -> np.ndarray:
    """:math:`W_{ij}` for each pair: ``weight(c)`` (1 without one) within the radius, 0 beyond."""
    if weight is None:
        return np.ones(len(c)) if inside is None else inside.astype(float)
    w = np.asarray(weight(c), dtype=float)
    if inside is not None:
        w[~inside] = 0.0
    return w


def _matrix(oi: np.ndarray, dj: np.ndarray, w: np.ndarray, shape: tuple[int, int]) -> sp.sparray:
    """The weights as a sparse demand-point × provider matrix (pairs in any order; repeats add up).

    Pairs grouped by demand point (as :func:`gapmap.costs.euclidean_costs` returns them) become
    compressed rows without a sort; the matrix products then run along rows, about twice as
    fast as on loose (row, column) pairs.
    """
    if len(oi) > 1 and bool((oi[1:] >= oi[:-1]).all()):
        return sp.csr_array((w, dj, _row_starts(oi, shape[0])), shape=shape)
    return sp.coo_array((w, (oi, dj)), shape=shape)


def _row_starts(rows: np.ndarray, n: int) -> np.ndarray:
    """CSR row pointers of ascending row positions: where each of rows ``0..n`` starts."""
    starts = np.flatnonzero(rows[1:] != rows[:-1]) + 1
    ptr = np.full(n + 1, len(rows), dtype=np.int32 if len(rows) < np.iinfo(np.int32).max else np.int64)
    ptr[rows[0]] = 0
    ptr[rows[starts]] = starts
    return np.minimum.accumulate(ptr[::-1])[::-1]


def _fca(weights: sp.coo_array, d: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The two steps as two sparse products: R = S / (W^T D); A = W R."""
    reach = weights.T @ d
    ratio = np.divide(s, reach, out=np.zeros_like(s), where=reach > 0)
    return weights @ ratio


def floating_catchment(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    radius: float,
    weight: WeightFn | None = None,
) -> pd.Series:
    """Two-step floating catchment access per person (see the module formulas).

    Parameters
    ----------
    costs
        Cost table (``origin``, ``dest``, ``cost``); pairs beyond ``radius`` are ignored.
    demand
        :math:`D_i`, indexed by demand point (the table's ``origin`` labels).
    supply
        :math:`S_j`, indexed by provider (the table's ``dest`` labels).
    radius
        Catchment size in cost units.
    weight
        Distance-decay function for the enhanced variant; ``None`` = 1 inside the catchment.

    Returns
    -------
    pandas.Series
        :math:`A_i` (supply per person of demand), aligned to ``demand.index``; 0 where no
        provider is in reach.

    Examples
    --------
    One provider of 10 places shared by two points of 5 and 15 people, both in reach:

    >>> costs = pd.DataFrame({"origin": [0, 1], "dest": ["p", "p"], "cost": [1.0, 2.0]})
    >>> floating_catchment(costs, pd.Series([5.0, 15.0]), pd.Series({"p": 10.0}), radius=5).tolist()
    [0.5, 0.5]
    """
    oi, dj, c, inside = _prepare(costs, demand, supply, radius)
    w = _matrix(oi, dj, _weights(c, inside, weight), (len(demand), len(supply)))
    a = _fca(w, demand.to_numpy(dtype=float), supply.to_numpy(dtype=float))
    return pd.Series(a, index=demand.index, name="access")


def point_metrics(
    costs: pd.DataFrame,
    demand: pd.Series,
    capacity: pd.Series,
    *,
    radius: float,
    sigma: float | None = None,
) -> pd.DataFrame:
    """All radius-based metrics for each demand point.

    Parameters
    ----------
    costs
        Cost table between the demand points and the (active, chosen) providers.
    demand
        Band population per demand point.
    capacity
        Capacity (people supported) per provider.
    radius
        Catchment in cost units (km for :func:`gapmap.costs.euclidean_costs`).
    sigma
        Gaussian width for the enhanced 2SFCA; default ``radius / 2``.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``demand.index``: ``providers_within``, ``capacity_within``,
        ``beyond_radius`` (bool), ``access_2sfca`` and ``access_e2sfca`` (places per 1,000
        people of the band), ``allocated`` (2SFCA share of capacity: :math:`D_i A_i`).
    """
    oi, dj, c, inside = _prepare(costs, demand, capacity, radius)
    cap = capacity.to_numpy(dtype=float)
    d = demand.to_numpy(dtype=float)
    shape = (len(d), len(cap))
    plain = _matrix(oi, dj, _weights(c, inside, None), shape)
    count = plain @ np.ones(len(cap))
    a2 = _fca(plain, d, cap)
    ae = _fca(_matrix(oi, dj, _weights(c, inside, gaussian(sigma or radius / 2)), shape), d, cap)
    return pd.DataFrame(
        {
            "providers_within": count,
            "capacity_within": plain @ cap,
            "beyond_radius": count == 0,
            "access_2sfca": a2 * 1000.0,
            "access_e2sfca": ae * 1000.0,
            "allocated": a2 * d,
        },
        index=demand.index,
    )
