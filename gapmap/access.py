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
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of the pairs within ``radius``, and their costs.

    When the pairs within ``radius`` come first (a table sorted by cost, as
    :func:`gapmap.analysis.build_costs` makes it, or one built at the radius) the columns are
    used without copies; any other order is filtered.
    """
    c = costs["cost"].to_numpy(dtype=float)
    keep = _sorted_prefix(c, radius)
    oi = _labels_to_positions(demand.index, costs["origin"].to_numpy()[keep])
    dj = _labels_to_positions(supply.index, costs["dest"].to_numpy()[keep])
    if (oi < 0).any():
        raise ValueError("the cost table has origins that are not demand points")
    if (dj < 0).any():
        raise ValueError("the cost table has destinations that are not providers")
    return oi, dj, c[keep]


def _sorted_prefix(c: np.ndarray, radius: float) -> slice | np.ndarray:
    """The rows within ``radius``: ``slice(0, k)`` when they are exactly the first ``k``, else a mask.

    A table sorted by cost, or one whose rows beyond the radius all come last (as
    :func:`gapmap.costs.euclidean_costs` appends each far postcode's nearest provider), is cut
    without copying its columns. NaN costs are never within.
    """
    within = c <= radius
    k = int(np.count_nonzero(within))
    if within[:k].all():
        return slice(0, k)
    return within


def _fca(
    oi: np.ndarray,
    dj: np.ndarray,
    w: np.ndarray | None,
    d: np.ndarray,
    s: np.ndarray,
    d_oi: np.ndarray | None = None,
) -> np.ndarray:
    """The two steps on position arrays: R_j = S_j / sum_i D_i W_ij; A_i = sum_j R_j W_ij.

    ``d_oi`` is ``d[oi]`` when the caller already has it (point_metrics runs both variants).
    """
    if d_oi is None:
        d_oi = d[oi]
    dw = d_oi if w is None else d_oi * w
    reach = np.bincount(dj, weights=dw, minlength=len(s))
    ratio = np.divide(s, reach, out=np.zeros_like(s), where=reach > 0)
    rw = ratio[dj] if w is None else ratio[dj] * w
    return np.bincount(oi, weights=rw, minlength=len(d))


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
    oi, dj, c = _prepare(costs, demand, supply, radius)
    w = weight(c) if weight is not None else None
    a = _fca(oi, dj, w, demand.to_numpy(dtype=float), supply.to_numpy(dtype=float))
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
    oi, dj, c = _prepare(costs, demand, capacity, radius)
    # Indexing and bincount work on platform integers: convert (often int32) positions once.
    oi = oi.astype(np.intp, copy=False)
    dj = dj.astype(np.intp, copy=False)
    cap = capacity.to_numpy(dtype=float)
    d = demand.to_numpy(dtype=float)
    n = len(d)
    count = np.bincount(oi, minlength=n)
    d_oi = d[oi]
    a2 = _fca(oi, dj, None, d, cap, d_oi)
    ae = _fca(oi, dj, gaussian(sigma or radius / 2)(c), d, cap, d_oi)
    return pd.DataFrame(
        {
            "providers_within": count.astype(float),
            "capacity_within": np.bincount(oi, weights=cap[dj], minlength=n),
            "beyond_radius": count == 0,
            "access_2sfca": a2 * 1000.0,
            "access_e2sfca": ae * 1000.0,
            "allocated": a2 * d,
        },
        index=demand.index,
    )
