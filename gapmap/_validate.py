"""The one place where analysis settings and coordinate reference systems are checked.

Every check returns the value it was given (made canonical where that helps, e.g. kinds as a
tuple without repeats) or raises an error named for what is wrong: :class:`RadiusError`,
:class:`RoadFactorError`, :class:`KindsError`, :class:`BandError` (all :class:`OptionError`),
or :class:`CrsError`. The analysis request, the gap engine, the cost table, the timeline, the
planner and the command line call these, so a setting is refused with the same words wherever
it comes in. (Checking a provider file row by row is :mod:`gapmap.validate`'s job, not this.)

Examples
--------
>>> check_radius(5)
5.0
>>> check_kinds(["day_centre", "day_centre"])
('day_centre',)
>>> check_radius(0)
Traceback (most recent call last):
...
gapmap.errors.RadiusError: the catchment radius must be a positive number of km, got 0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from gapmap.demand import band_column
from gapmap.errors import (
    CrsError,
    GapmapError,
    KindsError,
    OptionError,
    RadiusError,
    RoadFactorError,
)
from gapmap.schema import KINDS

__all__ = [
    "check_band",
    "check_declared_crs",
    "check_kinds",
    "check_non_negative",
    "check_positive",
    "check_radius",
    "check_road_factor",
    "require_bng",
    "require_crs",
]


def _finite(value: object) -> float | None:
    """``value`` as a float if it is a finite real number (not text), else None."""
    if not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def check_positive(value: object, what: str, error: type[GapmapError] = OptionError, *, unit: str = "km") -> float:
    """``value`` as a float if it is a finite number above zero, else ``error`` naming ``what``."""
    number = _finite(value)
    if number is None or number <= 0:
        of_unit = f" of {unit}" if unit else ""
        raise error(f"{what} must be a positive number{of_unit}, got {value!r}")
    return number


def check_non_negative(value: object, what: str, error: type[GapmapError] = OptionError) -> float:
    """``value`` as a float if it is a finite number, zero or more, else ``error`` naming ``what``."""
    number = _finite(value)
    if number is None or number < 0:
        raise error(f"{what} must be zero or more, got {value!r}")
    return number


def check_radius(radius_km: object, what: str = "the catchment radius") -> float:
    """A catchment radius (or another distance in km): a finite number above zero.

    Raises
    ------
    RadiusError
    """
    return check_positive(radius_km, what, RadiusError)


def check_road_factor(circuity: object) -> float:
    """The road/straight-line factor: a finite number, at least 1.

    Raises
    ------
    RoadFactorError
    """
    number = _finite(circuity)
    if number is None or number < 1:
        raise RoadFactorError(
            "the road/straight-line factor must be at least 1 (roads are never shorter than a straight line), "
            f"got {circuity!r}"
        )
    return number


def check_kinds(kinds: Iterable[str] | str) -> tuple[str, ...]:
    """Provider kinds that count: at least one, each known; returned as a tuple without repeats.

    Raises
    ------
    KindsError
    """
    chosen = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    chosen = tuple(dict.fromkeys(chosen))
    if not chosen:
        raise KindsError(f"choose at least one kind of provider: {', '.join(KINDS)}")
    unknown = [k for k in chosen if k not in KINDS]
    if unknown:
        raise KindsError(f"unknown kind {unknown[0]!r}; choose from {', '.join(KINDS)}")
    return chosen


def check_band(band: str) -> str:
    """An age band gapmap knows (``65plus``, ``75plus``, ``85plus``).

    The band names and their population columns are defined once, in
    :func:`gapmap.demand.band_column`, which raises :class:`BandError` for any other.
    """
    band_column(band)
    return band


def require_crs(frame: Any, what: str, error: type[GapmapError] = CrsError) -> None:
    """Refuse a GeoDataFrame or GeoSeries without a coordinate reference system.

    Parameters
    ----------
    frame
        The geometries.
    what
        What they are, for the message (e.g. ``"areas"``).
    error
        The error to raise (default :class:`CrsError`).
    """
    if frame.crs is None:
        raise error(f"{what} have no coordinate reference system; set one (British National Grid, EPSG:27700)")


def require_bng(frame: Any, what: str, error: type[GapmapError] = CrsError) -> None:
    """Refuse geometries that are not in British National Grid (EPSG:27700), the CRS for distances.

    Raises
    ------
    CrsError
        (or ``error``) naming the CRS found and the one wanted.
    """
    require_crs(frame, what, error)
    if frame.crs.to_epsg() != 27700:
        raise error(
            f"{what} are in {frame.crs.to_string()}; they must be in British National Grid (EPSG:27700) "
            "for distances: reproject them first"
        )


def check_declared_crs(gdf: Any, label: str, error: type[GapmapError]) -> None:
    """The one check of a user file's coordinate reference system before it is reprojected.

    Refuses a file without a CRS, and a file whose CRS says longitude/latitude while its
    coordinates are far outside ±180/±90 (British National Grid metres in a GeoJSON, which
    GDAL reads as WGS84 by definition): both would put every point in the wrong place.

    Parameters
    ----------
    gdf
        The file as read.
    label
        File name, for the message.
    error
        The error type to raise.
    """
    geoms = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    bounds = geoms.total_bounds if len(geoms) else None
    looks_metres = bounds is not None and (abs(bounds[[0, 2]]).max() > 180 or abs(bounds[[1, 3]]).max() > 90)
    if gdf.crs is None:
        hint = " (its numbers look like British National Grid metres: EPSG:27700)" if looks_metres else ""
        raise error(
            f"{label}: the file has no coordinate reference system{hint}; save it with one "
            "(British National Grid, EPSG:27700, or WGS84 longitude/latitude)"
        )
    if gdf.crs.is_geographic and looks_metres:
        raise error(
            f"{label}: the file says its coordinates are longitude/latitude ({gdf.crs.name}) but they are in the "
            "hundreds of thousands, like British National Grid metres; save it with EPSG:27700 as its CRS"
        )
