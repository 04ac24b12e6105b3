"""Area outlines for the browser, written once as content-hashed GeoJSON files.

The app's map draws the same polygons on every interaction; only their colours and figures
change. So the outlines of one council at one level go to a file named by a hash of its
content (``areas-<hash>.geojson``) in a folder the web server serves; the browser fetches it
once and caches it, and each interaction sends only values (:func:`gapmap.maps.area_layer`).

The files hold area polygons and their code and name only — never providers or anything
personal. Coordinates are WGS84 rounded to 5 decimals (about 1 m). Polygons that form a
coverage (wards, LSOAs, hexes, most parish files) are simplified together
(:func:`shapely.coverage_simplify`), so neighbours keep their shared edges.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gapmap.config import WGS84
from gapmap.errors import CrsError
from gapmap.io import write_atomic
from gapmap.projection import reproject

PRECISION_DEG = 1e-5
"""Grid the display coordinates are rounded to (degrees; about 1.1 m north–south)."""


@dataclass(frozen=True)
class DisplayGeometry:
    """Outlines ready for the browser.

    Attributes
    ----------
    payload
        The GeoJSON bytes (features in the order of ``codes``).
    codes
        ``area_code`` of each feature, in file order.
    bounds
        ``(minx, miny, maxx, maxy)`` in WGS84.
    """

    payload: bytes
    codes: tuple[str, ...]
    bounds: tuple[float, float, float, float]

    @property
    def name(self) -> str:
        """File name: ``areas-`` and the first 16 hex digits of the content's SHA-256."""
        return f"areas-{hashlib.sha256(self.payload).hexdigest()[:16]}.geojson"


def display_geometry(polygons: gpd.GeoDataFrame, *, simplify_m: float = 0.0) -> DisplayGeometry:
    """The outlines of ``polygons`` as compact GeoJSON for display.

    Parameters
    ----------
    polygons
        ``area_code``, ``area_name`` and polygon geometry, in a projected CRS (metres).
    simplify_m
        Coverage simplification tolerance in metres (0 = none; the shipped boundaries are
        already simplified at build time). Skipped when the polygons are not a valid coverage.

    Returns
    -------
    DisplayGeometry

    Raises
    ------
    CrsError
        If ``polygons`` has no CRS.

    Examples
    --------
    >>> from gapmap.config import BNG
    >>> g = gpd.GeoDataFrame({"area_code": ["a"], "area_name": ["A"]},
    ...                      geometry=[shapely.box(400000, 300000, 401000, 301000)], crs=BNG)
    >>> d = display_geometry(g)
    >>> d.codes, d.name.startswith("areas-")
    (('a',), True)
    """
    if polygons.crs is None:
        raise CrsError("areas have no CRS; set one before mapping")
    shown = polygons[polygons.geometry.notna() & ~polygons.geometry.is_empty]
    geoms = shown.geometry.values
    if simplify_m > 0 and bool(shapely.coverage_is_valid(geoms)):
        geoms = shapely.coverage_simplify(geoms, simplify_m)
    wgs = reproject(gpd.GeoSeries(geoms, crs=shown.crs), WGS84)
    # Snap to the grid (drops repeated vertices), then round so each number prints short.
    rounded = shapely.transform(shapely.set_precision(wgs.values, PRECISION_DEG), lambda xy: np.round(xy, 5))
    codes = tuple(str(c) for c in shown.area_code)
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": str(name)},
            "geometry": shapely.geometry.mapping(geom),
        }
        for code, name, geom in zip(codes, shown.area_name, rounded, strict=True)
    ]
    text = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    bounds = tuple(float(v) for v in np.asarray(wgs.total_bounds))
    return DisplayGeometry(payload=text.encode("utf-8"), codes=codes, bounds=bounds)  # type: ignore[arg-type]


def publish(geometry: DisplayGeometry, folder: Path | str) -> Path:
    """Write ``geometry`` to ``folder`` under its content-hashed name (once; then reused).

    Returns
    -------
    pathlib.Path
        The file's path.
    """
    path = Path(folder) / geometry.name
    if not path.exists() or path.stat().st_size != len(geometry.payload):
        write_atomic(path, geometry.payload)
    return path
