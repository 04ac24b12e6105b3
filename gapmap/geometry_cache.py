"""Area outlines for the browser, written once as content-hashed files of encoded polylines.

The app's map draws the same polygons on every interaction; only their colours and figures
change. So the outlines of one council at one level go to a file named by a hash of its
content (``areas-<hash>.polylines.json``) in a folder the web server serves; the browser
fetches it once, caches it, and turns it back into GeoJSON features for Leaflet (the decoder
is in :mod:`gapmap.maps`); each interaction sends only values (:func:`gapmap.maps.area_values`).

The files hold area polygons and their code and name only — never providers or anything
personal. Coordinates are WGS84 rounded to 5 decimals (about 1 m). Polygons that form a
coverage (wards, LSOAs, hexes, most parish files) are simplified together
(:func:`shapely.coverage_simplify`), so neighbours keep their shared edges.

File format (JSON)::

    {"format": "gapmap-outlines", "version": 1, "precision": 5,
     "features": [{"code": "E01…", "name": "…", "polygons": [["<outer>", "<hole>", …], …]}, …]}

Each ring is a Google encoded polyline (latitude then longitude, in units of 1e-5 degree,
each point the difference from the one before) without its closing point. For the LSOAs of
Essex that is about a fifth of the same outlines written as GeoJSON numbers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gapmap._validate import require_crs
from gapmap.config import WGS84
from gapmap.errors import AreaFileError
from gapmap.io import write_atomic
from gapmap.reproject import reproject

PRECISION_DEG = 1e-5
"""Grid the display coordinates are rounded to (degrees; about 1.1 m north–south)."""

FORMAT = "gapmap-outlines"
"""The ``format`` member of an outlines file."""

SUFFIX = ".polylines.json"
"""File name ending of an outlines file (JSON holding encoded polylines)."""

_SCALE = 100_000  # 1 / PRECISION_DEG, as the integer the encoding counts in
_MAX_CHUNKS = 7  # 5 bits each: enough for any zigzagged difference of two longitudes or latitudes


@dataclass(frozen=True)
class DisplayGeometry:
    """Outlines ready for the browser.

    Attributes
    ----------
    payload
        The file's bytes (features in the order of ``codes``; see the module's file format).
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
        """File name: ``areas-``, the first 16 hex digits of the content's SHA-256, :data:`SUFFIX`."""
        return f"areas-{hashlib.sha256(self.payload).hexdigest()[:16]}{SUFFIX}"


def display_geometry(polygons: gpd.GeoDataFrame, *, simplify_m: float = 0.0) -> DisplayGeometry:
    """The outlines of ``polygons`` as a compact file for display.

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
    >>> d.codes, d.name.startswith("areas-"), d.name.endswith(".polylines.json")
    (('a',), True, True)
    >>> decode_outlines(d.payload)["features"][0]["geometry"]["coordinates"][0][:2]
    [[-2.00143, 52.59779], [-2.00143, 52.60678]]
    """
    require_crs(polygons, "areas")
    shown = polygons[polygons.geometry.notna() & ~polygons.geometry.is_empty]
    geoms = shown.geometry.values
    if simplify_m > 0 and bool(shapely.coverage_is_valid(geoms)):
        geoms = shapely.coverage_simplify(geoms, simplify_m)
    wgs = reproject(gpd.GeoSeries(geoms, crs=shown.crs), WGS84)
    # Snap to the grid first: that drops the vertices that would repeat once rounded.
    snapped = shapely.set_precision(wgs.values, PRECISION_DEG)
    codes = tuple(str(c) for c in shown.area_code)
    polygons_of = _encoded_polygons(snapped)
    features = [
        {"code": code, "name": str(name), "polygons": polygons_of.get(i, [])}
        for i, (code, name) in enumerate(zip(codes, shown.area_name, strict=True))
    ]
    doc = {"format": FORMAT, "version": 1, "precision": 5, "features": features}
    text = json.dumps(doc, separators=(",", ":"))
    bounds = tuple(float(v) for v in np.asarray(wgs.total_bounds))
    return DisplayGeometry(payload=text.encode("utf-8"), codes=codes, bounds=bounds)  # type: ignore[arg-type]


def _encoded_polygons(geoms: np.ndarray) -> dict[int, list[list[str]]]:
    """Encoded rings of each geometry's polygons, keyed by the geometry's position.

    All the coordinates are encoded in one vectorised pass; only the split into rings loops.
    """
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    is_polygon = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, part_of = parts[is_polygon], part_of[is_polygon]  # a collapsed sliver may leave a line
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, point_of = shapely.get_coordinates(rings, return_index=True)
    closing = np.r_[point_of[1:] != point_of[:-1], True] if len(point_of) else np.zeros(0, bool)
    units = np.rint(xy[~closing] * _SCALE).astype(np.int64)[:, ::-1]  # latitude first, as Google's format
    point_of = point_of[~closing]
    starts = np.r_[True, point_of[1:] != point_of[:-1]] if len(point_of) else np.zeros(0, bool)
    steps = np.diff(units, axis=0, prepend=np.zeros((1, 2), np.int64))
    steps[starts] = units[starts]  # each ring starts from zero
    lengths, text = _encode(steps.ravel())
    ends = np.cumsum(lengths.reshape(-1, 2).sum(axis=1))  # text offset after each point
    ring_ends = ends[np.r_[np.flatnonzero(starts)[1:] - 1, len(point_of) - 1]] if len(point_of) else ends
    out: dict[int, list[list[str]]] = {}
    begin = 0
    polygon = -1
    for ring_end, p in zip(ring_ends.tolist(), ring_of.tolist(), strict=True):
        if p != polygon:  # rings come exterior first, then the holes, polygon by polygon
            polygon = p
            out.setdefault(int(part_of[p]), []).append([])
        out[int(part_of[p])][-1].append(text[begin:ring_end])
        begin = ring_end
    return out


def _encode(values: np.ndarray) -> tuple[np.ndarray, str]:
    """Google's polyline encoding of signed integers: the characters each takes, and the text.

    Zigzag the sign into the lowest bit, cut into 5-bit chunks from the low end, set bit 6
    on every chunk but the last, add 63.
    """
    zigzag = (values << 1) ^ (values >> 63)
    n_chunks = 1 + (zigzag[:, None] >= (32 ** np.arange(1, _MAX_CHUNKS))[None, :]).sum(axis=1)
    k = np.arange(_MAX_CHUNKS)[None, :]
    chunks = ((zigzag[:, None] >> (5 * k)) & 31) | np.where(k < n_chunks[:, None] - 1, 32, 0)
    chars = (chunks + 63)[k < n_chunks[:, None]]
    return n_chunks, chars.astype(np.uint8).tobytes().decode("ascii")


def decode_outlines(payload: bytes) -> dict:
    """An outlines file as a GeoJSON FeatureCollection (what the browser's decoder builds).

    Parameters
    ----------
    payload
        The bytes of a :func:`display_geometry` file.

    Returns
    -------
    dict
        Features in file order, each with ``code`` and ``name`` properties and a Polygon
        (one part) or MultiPolygon geometry; rings closed, coordinates rounded to 5 decimals.

    Raises
    ------
    AreaFileError
        If ``payload`` is not an outlines file.
    """
    try:
        doc = json.loads(payload)
        if doc.get("format") != FORMAT:
            raise ValueError(doc.get("format"))
        features = [
            {
                "type": "Feature",
                "properties": {"code": f["code"], "name": f["name"]},
                "geometry": _geometry([[_decode_ring(r) for r in rings] for rings in f["polygons"]]),
            }
            for f in doc["features"]
        ]
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise AreaFileError(f"not a gapmap outlines file ({exc})") from exc
    return {"type": "FeatureCollection", "features": features}


def _geometry(polygons: list[list[list[list[float]]]]) -> dict:
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def _decode_ring(text: str) -> list[list[float]]:
    """Decode one ring (the loop the browser runs), closed again with its first point."""
    numbers, value, shift = [], 0, 0
    for ch in text:
        b = ord(ch) - 63
        value |= (b & 31) << shift
        shift += 5
        if b < 32:
            numbers.append(~(value >> 1) if value & 1 else value >> 1)
            value, shift = 0, 0
    if shift or len(numbers) % 2:
        raise ValueError("a ring ends mid-point")
    lat = np.cumsum(numbers[0::2]) / _SCALE
    lon = np.cumsum(numbers[1::2]) / _SCALE
    points = [[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]
    return [*points, points[0]] if points else points


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
