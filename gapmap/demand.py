r"""Street-level demand: Census counts shared across the postcodes of each LSOA.

Method
------
Each live postcode (Code-Point Open, positional quality < 90) is a demand point. The Census
2021 counts of the LSOA containing it are shared equally among that LSOA's postcodes, so for a
postcode :math:`p` in LSOA :math:`l` with :math:`n_l` postcodes and count :math:`C_l`,

.. math:: c_p = C_l / n_l, \\qquad \\sum_{p \\in l} c_p = C_l .

Any area built from whole demand points therefore conserves the LSOA totals exactly. The equal
share is the main limitation: postcodes differ in households (a block of flats and a farm
each count once), so within an LSOA the spread is approximate; LSOA and coarser totals are exact.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from gapmap.config import BNG
from gapmap.errors import BandError

FIVE_YEAR_BANDS = ("pop_65_69", "pop_70_74", "pop_75_79", "pop_80_84", "pop_85plus")
BANDS: dict[str, tuple[str, ...]] = {
    "65plus": FIVE_YEAR_BANDS,
    "75plus": ("pop_75_79", "pop_80_84", "pop_85plus"),
    "85plus": ("pop_85plus",),
}
"""Age bands offered in the app and CLI, as sums of Census five-year bands."""

COUNT_COLUMNS = (
    "pop_total",
    "pop_60_64",
    *FIVE_YEAR_BANDS,
    "pop_65plus",
    "pop_75plus",
    "disabled",
    "older_income_deprived",
)
"""Additive per-point columns: every one of them sums to its LSOA value."""


def band_column(band: str) -> str:
    """Column name holding the population of ``band`` (e.g. ``"75plus"`` → ``"pop_75plus"``).

    Raises
    ------
    BandError
        For a band not in :data:`BANDS` (the one check of a band; :func:`gapmap._validate.check_band`).
    """
    if band not in BANDS:
        raise BandError(f"unknown age band {band!r}; choose one of {', '.join(BANDS)}")
    return f"pop_{band}"


def share_population(points: pd.DataFrame, lsoa: pd.DataFrame) -> gpd.GeoDataFrame:
    """Share each LSOA's Census counts equally across its demand points.

    Parameters
    ----------
    points
        Demand points with ``easting``, ``northing`` (EPSG:27700) and ``lsoa_code``.
    lsoa
        One row per LSOA: ``lsoa_code``, the Census count columns (``pop_total``,
        ``pop_60_64`` … ``pop_85plus``), ``disabled_share``, ``idaopi_numerator``,
        ``imd_score``, ``imd_decile`` and ``ruc``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``points`` (same index) plus :data:`COUNT_COLUMNS` as floats, the LSOA's
        ``imd_score``, ``imd_decile``, ``rural`` (bool) and point geometry in EPSG:27700.

    Raises
    ------
    ValueError
        If a point's LSOA is missing from ``lsoa``.

    Examples
    --------
    >>> import pandas as pd
    >>> pts = pd.DataFrame({"easting": [0, 10], "northing": [0, 0], "lsoa_code": ["A", "A"]})
    >>> lsoa = pd.DataFrame({"lsoa_code": ["A"], "pop_total": [100], "pop_60_64": [6],
    ...     "pop_65_69": [5], "pop_70_74": [4], "pop_75_79": [3], "pop_80_84": [2],
    ...     "pop_85plus": [1], "disabled_share": [0.2], "idaopi_numerator": [4.0],
    ...     "imd_score": [20.0], "imd_decile": [3], "ruc": ["Rural"]})
    >>> share_population(pts, lsoa)["pop_65plus"].tolist()
    [7.5, 7.5]
    """
    lsoa = lsoa.set_index("lsoa_code")
    unknown = ~points.lsoa_code.isin(lsoa.index)
    if unknown.any():
        raise ValueError(f"points in LSOAs with no Census row: {points.lsoa_code[unknown].unique()[:5].tolist()}")
    n = points.groupby("lsoa_code").size()
    per = pd.DataFrame(index=lsoa.index)
    for col in ("pop_total", "pop_60_64", *FIVE_YEAR_BANDS):
        per[col] = lsoa[col].astype("float64")
    per["pop_65plus"] = per[list(BANDS["65plus"])].sum(axis=1)
    per["pop_75plus"] = per[list(BANDS["75plus"])].sum(axis=1)
    per["disabled"] = per.pop_total * lsoa.disabled_share.fillna(0.0)
    per["older_income_deprived"] = lsoa.idaopi_numerator.astype("float64")
    per = per.div(n.reindex(per.index), axis=0)
    values = per.reindex(points.lsoa_code.to_numpy())
    out = points.copy()
    for col in COUNT_COLUMNS:
        out[col] = values[col].to_numpy()
    out["imd_score"] = lsoa.imd_score.reindex(points.lsoa_code.to_numpy()).to_numpy()
    out["imd_decile"] = lsoa.imd_decile.reindex(points.lsoa_code.to_numpy()).to_numpy()
    out["rural"] = (lsoa.ruc.reindex(points.lsoa_code.to_numpy()) == "Rural").to_numpy()
    geometry = gpd.points_from_xy(points.easting.to_numpy(), points.northing.to_numpy())
    return gpd.GeoDataFrame(out, geometry=geometry, crs=BNG)


def fallback_points(lsoa: gpd.GeoDataFrame, covered: pd.Index | np.ndarray) -> gpd.GeoDataFrame:
    """One demand point inside each LSOA that has no postcode of its own.

    Parameters
    ----------
    lsoa
        LSOA polygons with ``area_code``.
    covered
        LSOA codes that already have at least one postcode.

    Returns
    -------
    geopandas.GeoDataFrame
        ``lsoa_code``, ``easting``, ``northing`` and the point (a representative point,
        always inside the polygon, unlike a centroid).
    """
    empty = lsoa[~lsoa.area_code.isin(covered)]
    rp = empty.geometry.representative_point()
    return gpd.GeoDataFrame(
        {
            "lsoa_code": empty.area_code.to_numpy(),
            "easting": rp.x.round().astype("int32").to_numpy(),
            "northing": rp.y.round().astype("int32").to_numpy(),
        },
        geometry=rp.to_numpy(),
        crs=lsoa.crs,
    )
