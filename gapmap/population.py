"""One council's demand points and boundaries, and its population by area at any level."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from gapmap import io
from gapmap.areas import aggregate, assign_user_areas, hex_grid
from gapmap.config import DataPaths
from gapmap.councils import Council, resolve_council
from gapmap.demand import share_population
from gapmap.errors import BandError, LevelError
from gapmap.labels import BAND_LABELS, LEVEL_LABELS, MEASURE_LABELS  # noqa: F401 - labels re-exported

LEVELS = ("ward", "lsoa", "msoa", "hex", "parish")
"""Aggregation levels. ``parish`` means polygons the user supplies (a parish file, village-agent
patches, primary care networks)."""

_BOUNDARY_LAYER = {"ward": "wards", "lsoa": "lsoa", "msoa": "msoa"}
_POINT_CODE = {"ward": "ward_code", "lsoa": "lsoa_code", "msoa": "msoa_code"}


@dataclass(frozen=True)
class CouncilData:
    """Everything needed to map one council.

    Attributes
    ----------
    council
        Which council.
    points
        Demand points with shared Census counts (:func:`gapmap.demand.share_population`)
        and their ``ward_code``, ``lsoa_code`` and ``msoa_code``.
    boundaries
        ``wards``, ``lsoa`` and ``msoa`` polygons of the council, EPSG:27700.
    """

    council: Council
    points: gpd.GeoDataFrame
    boundaries: dict[str, gpd.GeoDataFrame]

    def outline(self) -> shapely.Geometry:
        """The council's area (union of its wards), EPSG:27700.

        A general union, not ``coverage_union_all``: the generalised ONS wards of some
        councils (Kent, Lancashire, Norfolk, ...) overlap slightly or touch at a point, which is
        not a valid coverage and made GEOS fail with "found two shells". ``make_valid`` before
        and after keeps the result a valid (Multi)Polygon.
        """
        return shapely.make_valid(shapely.union_all(shapely.make_valid(self.boundaries["wards"].geometry.values)))


def load_council(
    query: str, *, paths: DataPaths | None = None, layers: tuple[str, ...] = ("wards", "lsoa", "msoa")
) -> CouncilData:
    """Load one council's demand points and boundaries from the shipped data.

    Parameters
    ----------
    query
        Council code or name (see :func:`gapmap.councils.resolve_council`).
    paths
        Data location; the shipped ``data/`` folder by default.
    layers
        Boundary layers to read (``wards`` always: the outline and hexes use it); a caller
        that needs one level, like a national run, reads only that (:func:`boundary_layers`).

    Raises
    ------
    UnknownCouncilError
        When the council is not in the list.
    DataMissingError
        When the data files are missing.
    LevelError
        When ``layers`` names an unknown layer.
    """
    unknown = set(layers) - set(_BOUNDARY_LAYER.values())
    if unknown:
        raise LevelError(f"unknown boundary layers {sorted(unknown)}; choose from wards, lsoa, msoa")
    layers = ("wards", *(layer for layer in layers if layer != "wards"))
    paths = paths or DataPaths()
    council = resolve_council(query, io.read_councils(paths))
    lsoa = io.read_lsoa_table(paths, council.tier, council.code)
    raw = io.read_points(paths, council.tier, council.code)
    points = share_population(raw, lsoa)
    msoa_of = lsoa.set_index("lsoa_code").msoa_code
    points["msoa_code"] = msoa_of.reindex(points.lsoa_code.to_numpy()).to_numpy()
    boundaries = {layer: io.read_boundaries(paths, layer, council.tier, council.code) for layer in layers}
    return CouncilData(council=council, points=points, boundaries=boundaries)


def boundary_layers(level: str) -> tuple[str, ...]:
    """The boundary layers :func:`area_codes` reads for ``level`` (for :func:`load_council`).

    Examples
    --------
    >>> boundary_layers("lsoa"), boundary_layers("hex")
    (('wards', 'lsoa'), ('wards',))
    """
    layer = _BOUNDARY_LAYER.get(level, "wards")
    return ("wards",) if layer == "wards" else ("wards", layer)


def area_codes(
    data: CouncilData,
    level: str,
    *,
    hex_size_m: float = 1000.0,
    areas: gpd.GeoDataFrame | None = None,
) -> tuple[pd.Series, gpd.GeoDataFrame]:
    """The area of each demand point at ``level``, and the areas' polygons.

    Parameters
    ----------
    data
        From :func:`load_council`.
    level
        One of :data:`LEVELS`.
    hex_size_m
        Hex width across flats (``level="hex"``).
    areas
        User polygons (``level="parish"``), from :func:`gapmap.io.read_area_file`.

    Returns
    -------
    codes : pandas.Series
        Area code per demand point, aligned to ``data.points.index``.
    polygons : geopandas.GeoDataFrame
        ``area_code``, ``area_name``, geometry (and ``area_km2`` where known).
    """
    if level not in LEVELS:
        raise LevelError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    if level == "hex":
        return hex_grid(data.points, hex_size_m)
    if level == "parish":
        if areas is None:
            raise LevelError("level 'parish' needs a boundary file of your areas (--areas FILE)")
        # Keep only the polygons that touch the council, so a national parish file works.
        council_box = data.boundaries["wards"].total_bounds
        local = areas.cx[council_box[0] : council_box[2], council_box[1] : council_box[3]]
        local = local[local.intersects(data.outline())].reset_index(drop=True)
        if local.empty:
            raise LevelError(
                f"none of the {len(areas)} areas in your boundary file overlaps {data.council.name}; "
                "check it is the right file (and the right council)"
            )
        return assign_user_areas(data.points, local), local
    codes = data.points[_POINT_CODE[level]].rename("area_code")
    polygons = data.boundaries[_BOUNDARY_LAYER[level]]
    return codes, polygons[["area_code", "area_name", "area_km2", "geometry"]]


def population_by_area(
    data: CouncilData,
    level: str,
    *,
    hex_size_m: float = 1000.0,
    areas: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Census population and context per area of ``level`` (see :func:`gapmap.areas.aggregate`).

    Totals over the returned rows equal the council's LSOA totals at every level.
    """
    codes, polygons = area_codes(data, level, hex_size_m=hex_size_m, areas=areas)
    return aggregate(data.points, codes, polygons)


def measure(areas: pd.DataFrame, band: str, kind: str) -> pd.Series:
    """One mapped measure per area, aligned to ``areas.index``.

    Parameters
    ----------
    areas
        Output of :func:`population_by_area`.
    band
        ``"65plus"``, ``"75plus"``, ``"85plus"`` or ``"total"``.
    kind
        ``"count"`` (people), ``"share"`` (band ÷ all residents; for ``"total"`` the share of
        the council's residents) or ``"density"`` (people per km²).

    Returns
    -------
    pandas.Series
        Named ``{column}``, ``share_{band}`` or ``{column}_per_km2``.
    """
    if band not in BAND_LABELS:
        raise BandError(f"unknown age band {band!r}; choose one of {', '.join(BAND_LABELS)}")
    col = "pop_total" if band == "total" else f"pop_{band}"
    if kind == "count":
        return areas[col].rename(col)
    if kind == "share":
        if band == "total":
            return (areas.pop_total / areas.pop_total.sum()).rename("share_of_council")
        return areas[f"share_{band}"].rename(f"share_{band}")
    if kind == "density":
        return (areas[col] / areas.area_km2.where(areas.area_km2 > 0)).rename(f"{col}_per_km2")
    raise LevelError(f"unknown measure {kind!r}; choose one of {', '.join(MEASURE_LABELS)}")
