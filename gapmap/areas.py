"""Areas and aggregation: from demand points to wards, LSOAs, MSOAs, hexes or user polygons.

Every aggregation assigns each demand point to exactly one area and sums, so area totals
always add up to the council total (the LSOA sums) whatever the level.
"""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gapmap.demand import COUNT_COLUMNS
from gapmap.errors import GapmapWarning, LevelError

OUTSIDE_CODE = "_outside"
OUTSIDE_NAME = "Outside the supplied areas"
"""Code and name of the row that collects points no supplied polygon covers (for parish
files, the unparished areas), so totals are still conserved."""


def locate_points(
    points: gpd.GeoSeries | np.ndarray,
    polygons: gpd.GeoSeries | np.ndarray,
    *,
    nearest: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Position of the polygon containing each point.

    A point on an edge shared by several polygons goes to the first of them (lowest
    position), so each point is counted once.

    Parameters
    ----------
    points, polygons
        Geometries in the same CRS.
    nearest
        Give points outside every polygon the nearest polygon instead of ``-1``.

    Returns
    -------
    positions : numpy.ndarray
        Integer position into ``polygons`` per point (``-1`` when outside and not
        ``nearest``).
    overlapping : numpy.ndarray
        Boolean per point: it lay inside more than one polygon (beyond a shared edge).
    """
    pts = np.asarray(points)
    polys = np.asarray(polygons)
    tree = shapely.STRtree(polys)
    # The same pairs as tree.query(pts, ...), found from the polygons' side: each polygon is
    # prepared once and tested against the points near it, much faster than testing each
    # point against unprepared polygons.
    ai, pi = shapely.STRtree(pts).query(polys, predicate="intersects")
    order = np.lexsort((ai, pi))
    pi, ai = pi[order], ai[order]
    uniq, first, counts = np.unique(pi, return_index=True, return_counts=True)
    pos = np.full(len(pts), -1, dtype=np.int64)
    pos[uniq] = ai[first]
    overlapping = np.zeros(len(pts), dtype=bool)
    multi = uniq[counts > 1]
    if len(multi):
        # Several hits: a shared edge (boundary) or a real overlap (interior of two polygons).
        inside = tree.query(pts[multi], predicate="within")
        n_within = np.bincount(inside[0], minlength=len(multi))
        overlapping[multi[n_within > 1]] = True
    if nearest:
        outside = np.flatnonzero(pos < 0)
        if len(outside):
            inp, idx = tree.query_nearest(pts[outside])
            _, firsts = np.unique(inp, return_index=True)
            pos[outside[inp[firsts]]] = idx[firsts]
    return pos, overlapping


def hex_grid(points: gpd.GeoDataFrame, size_m: float) -> tuple[pd.Series, gpd.GeoDataFrame]:
    r"""Bin points into a regular hexagonal grid on the British National Grid.

    The grid is anchored at the BNG origin, so a hex has the same code whichever council it
    is computed for. Hexes are pointy-topped; ``size_m`` is the width across flats, and the
    area of one hex is :math:`\\tfrac{\\sqrt3}{2} w^2`. Only hexes holding demand points
    are returned (empty ones hold nobody).

    Parameters
    ----------
    points
        Point GeoDataFrame in EPSG:27700.
    size_m
        Width of a hexagon across flats, in metres (e.g. 500, 1000, 2000).

    Returns
    -------
    codes : pandas.Series
        Hex code per point, aligned to ``points.index``.
    hexes : geopandas.GeoDataFrame
        ``area_code``, ``area_name`` (the most common postcode sector inside),
        ``area_km2`` and the hexagon polygons.
    """
    if not (50 <= size_m <= 50_000):
        raise LevelError(f"hex size must be between 50 m and 50 km, got {size_m} m")
    w = float(size_m)
    r = w / math.sqrt(3)
    x = points.geometry.x.to_numpy()
    y = points.geometry.y.to_numpy()
    # Two offset rectangular lattices; the nearer centre of the two is the hex (Voronoi).
    ia, ja = np.round(x / w), np.round(y / (3 * r))
    ib, jb = np.round((x - w / 2) / w), np.round((y - 1.5 * r) / (3 * r))
    da = (x - ia * w) ** 2 + (y - ja * 3 * r) ** 2
    db = (x - (ib * w + w / 2)) ** 2 + (y - (jb * 3 * r + 1.5 * r)) ** 2
    use_b = db < da
    col = np.where(use_b, ib, ia).astype(np.int64)
    row = np.where(use_b, 2 * jb + 1, 2 * ja).astype(np.int64)
    # Unique (col, row) cells; code strings are made once per cell, not per point.
    cells, inverse = np.unique(np.stack([col, row], axis=1), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    cell_codes = np.array([f"hex{int(w)}-{c}-{rr}" for c, rr in cells])
    codes = pd.Series(cell_codes[inverse], index=points.index)
    names = np.array([f"Hex {c}" for c in cell_codes], dtype=object)
    if "postcode" in points:
        pc = points["postcode"]
        has = pc.notna().to_numpy()
        sectors = pd.DataFrame({"cell": inverse[has], "sector": pc[has].astype("str").str[:-2].str.strip().to_numpy()})
        # Most common postcode sector in each cell (ties: alphabetical), to name the hex.
        top = (
            sectors.value_counts()
            .reset_index()
            .sort_values(["cell", "count", "sector"], ascending=[True, False, True])
            .drop_duplicates("cell")
        )
        names[top.cell.to_numpy()] = ("Hex near " + top.sector).to_numpy()
    cx = cells[:, 0] * w + np.where(cells[:, 1] % 2 == 1, w / 2, 0.0)
    cy = cells[:, 1] * 1.5 * r
    angles = np.deg2rad(np.arange(30, 390, 60))
    rings = np.stack(
        [cx[:, None] + r * np.cos(angles)[None, :], cy[:, None] + r * np.sin(angles)[None, :]],
        axis=-1,
    )
    polys = shapely.polygons(rings)
    hexes = gpd.GeoDataFrame(
        {
            "area_code": cell_codes,
            "area_name": names,
            "area_km2": np.full(len(cells), math.sqrt(3) / 2 * w * w / 1e6),
        },
        geometry=polys,
        crs=points.crs,
    )
    return codes, hexes


def assign_user_areas(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.Series:
    """Code of the supplied polygon containing each point, or :data:`OUTSIDE_CODE`.

    Points inside two overlapping polygons go to the first in file order, with a
    :class:`~gapmap.errors.GapmapWarning` saying how many, so nobody is counted twice.

    Parameters
    ----------
    points
        Demand points in EPSG:27700.
    areas
        Polygons with ``area_code`` in the same CRS (see :func:`gapmap.io.read_area_file`).

    Returns
    -------
    pandas.Series
        Area code per point, aligned to ``points.index``.
    """
    if points.crs != areas.crs:
        areas = areas.to_crs(points.crs)
    pos, overlapping = locate_points(points.geometry.values, areas.geometry.values, nearest=False)
    if overlapping.any():
        warnings.warn(
            f"{int(overlapping.sum())} postcodes lie in more than one of the supplied areas "
            "(the polygons overlap); each was counted once, in the first area in the file",
            GapmapWarning,
            stacklevel=2,
        )
    codes = np.where(pos >= 0, areas.area_code.to_numpy()[np.maximum(pos, 0)], OUTSIDE_CODE)
    return pd.Series(codes, index=points.index, name="area_code")


def aggregate(points: gpd.GeoDataFrame, codes: pd.Series, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Sum demand points into areas and add context measures.

    Parameters
    ----------
    points
        Output of :func:`gapmap.demand.share_population`.
    codes
        Area code per point, aligned to ``points.index``.
    areas
        ``area_code``, ``area_name``, geometry and optionally ``area_km2``; one row per area.
        Codes in ``codes`` but not in ``areas`` raise; :data:`OUTSIDE_CODE` adds a row
        with no geometry.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per area (order and index of ``areas``, then any outside row) with the sums
        of :data:`~gapmap.demand.COUNT_COLUMNS` and:

        - ``n_points``: demand points (postcodes) in the area;
        - ``share_65plus``, ``share_75plus``, ``share_85plus``: band ÷ ``pop_total``;
        - ``imd_score``, ``imd_decile``: population-weighted means of the LSOA IoD 2025
          IMD score and decile (1 = most deprived);
        - ``older_income_deprived_rate``: IDAOPI numerator ÷ people aged 60+;
        - ``rural_share``: share of residents in LSOAs classed rural (RUC 2021);
        - ``disabled_share``: share of residents disabled under the Equality Act;
        - ``density_per_km2``: ``pop_total`` ÷ ``area_km2``.

    Raises
    ------
    ValueError
        If ``codes`` is not aligned to ``points`` or names an unknown area.
    """
    if not codes.index.equals(points.index):
        raise ValueError("codes must be aligned to the points index")
    known = set(areas.area_code) | {OUTSIDE_CODE}
    unknown = ~codes.isin(known)
    if unknown.any():
        raise ValueError(f"points assigned to unknown areas: {codes[unknown].unique()[:5].tolist()}")
    frame = pd.DataFrame({c: points[c].to_numpy() for c in COUNT_COLUMNS}, index=points.index)
    w = frame.pop_total
    frame["imd_score_w"] = points.imd_score.to_numpy() * w
    frame["imd_decile_w"] = points.imd_decile.to_numpy() * w
    frame["rural_w"] = points.rural.to_numpy() * w
    frame["n_points"] = 1
    sums = frame.groupby(codes.to_numpy()).sum()

    out = areas.copy()
    if "area_km2" not in out:
        out["area_km2"] = out.geometry.area / 1e6
    if (codes == OUTSIDE_CODE).any():
        extra = gpd.GeoDataFrame(
            {"area_code": [OUTSIDE_CODE], "area_name": [OUTSIDE_NAME], "area_km2": [np.nan]},
            geometry=[None],
            crs=areas.crs,
        )
        extra.index = [len(out) if isinstance(out.index, pd.RangeIndex) else OUTSIDE_CODE]
        out = pd.concat([out, extra])
    s = sums.reindex(out.area_code.to_numpy()).fillna(0.0)
    for c in (*COUNT_COLUMNS, "n_points"):
        out[c] = s[c].to_numpy()
    out["n_points"] = out.n_points.astype("int64")
    pop = out.pop_total.where(out.pop_total > 0)
    for band in ("65plus", "75plus", "85plus"):
        out[f"share_{band}"] = out[f"pop_{band}"] / pop
    out["imd_score"] = s.imd_score_w.to_numpy() / pop
    out["imd_decile"] = s.imd_decile_w.to_numpy() / pop
    out["older_income_deprived_rate"] = out.older_income_deprived / (out.pop_60_64 + out.pop_65plus).where(
        lambda v: v > 0
    )
    out["rural_share"] = s.rural_w.to_numpy() / pop
    out["disabled_share"] = out.disabled / pop
    out["density_per_km2"] = out.pop_total / out.area_km2.where(out.area_km2 > 0)
    return out
