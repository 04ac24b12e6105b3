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
    return lambda c: np.exp(-(c * c) / (2.0 * sigma * sigma))


def _positions(costs: pd.DataFrame, demand: pd.Series, supply: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    oi = demand.index.get_indexer(costs["origin"].to_numpy())
    dj = supply.index.get_indexer(costs["dest"].to_numpy())
    if (oi < 0).any():
        raise ValueError("the cost table has origins that are not demand points")
    if (dj < 0).any():
        raise ValueError("the cost table has destinations that are not providers")
    return oi, dj


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
    oi, dj = _positions(costs, demand, supply)
    c = costs["cost"].to_numpy(dtype=float)
    keep = c <= radius
    oi, dj, c = oi[keep], dj[keep], c[keep]
    w = weight(c) if weight is not None else np.ones_like(c)
    d = demand.to_numpy(dtype=float)
    s = supply.to_numpy(dtype=float)
    reach = np.bincount(dj, weights=d[oi] * w, minlength=len(s))
    ratio = np.divide(s, reach, out=np.zeros_like(s), where=reach > 0)
    a = np.bincount(oi, weights=ratio[dj] * w, minlength=len(d))
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
    oi, dj = _positions(costs, demand, capacity)
    c = costs["cost"].to_numpy(dtype=float)
    keep = c <= radius
    oi_r, dj_r = oi[keep], dj[keep]
    cap = capacity.to_numpy(dtype=float)
    n = len(demand)
    count = np.bincount(oi_r, minlength=n)
    a2 = floating_catchment(costs, demand, capacity, radius=radius)
    ae = floating_catchment(costs, demand, capacity, radius=radius, weight=gaussian(sigma or radius / 2))
    return pd.DataFrame(
        {
            "providers_within": count.astype(float),
            "capacity_within": np.bincount(oi_r, weights=cap[dj_r], minlength=n),
            "beyond_radius": count == 0,
            "access_2sfca": a2.to_numpy() * 1000.0,
            "access_e2sfca": ae.to_numpy() * 1000.0,
            "allocated": a2.to_numpy() * demand.to_numpy(dtype=float),
        },
        index=demand.index,
    )
