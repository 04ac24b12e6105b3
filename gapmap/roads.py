r"""Travel time on real roads: a road network from the council's own OpenStreetMap extract.

A council's GIS team downloads a county or England extract (``.osm.pbf``) from any
OpenStreetMap mirror; gapmap never downloads it. :func:`build_network` reads it with pyosmium,
keeps the drivable roads, turns each stretch of road between two OSM nodes into a directed
edge weighted by minutes, projects to British National Grid, clips to the council plus a
buffer (so providers over the border still count) and keeps the largest strongly connected
part. :func:`network_for` builds it once per (extract, council, settings) and stores it under
``$GAPMAP_HOME/roads/``; afterwards it loads in a few milliseconds.

:func:`road_costs` then makes the same long cost table as :func:`gapmap.costs.euclidean_costs`
(``origin, dest, cost``), with the cost in **minutes**, so every measure takes it unchanged.

Travel time per edge
--------------------
.. math:: t_e = \frac{\ell_e}{v_e \cdot 1000 / 60} \times s \quad \text{minutes}

with :math:`\ell_e` the edge's length in metres (BNG), :math:`v_e` its speed in km/h and
:math:`s \ge 1` the slowdown factor (minibuses, older drivers). :math:`v_e` is the ``maxspeed``
tag where it parses (:func:`parse_maxspeed`: UK values carry ``mph``; a plain number is km/h,
the OpenStreetMap convention; ``national`` is 60 mph, 70 mph on motorways and dual
carriageways), otherwise the speed of the road class in :data:`DEFAULT_SPEEDS_KMH` (edit it by
passing your own table in :class:`RoadSettings`). The speed limit is taken as the travel speed:
for realistic door-to-door times use a slowdown above 1 (e.g. 1.2).

Direction
---------
One-way streets are respected: ``oneway=yes/true/1`` one way along the way, ``-1``/``reverse``
against it, ``junction=roundabout/circular`` and motorways one way unless ``oneway=no``.
Costs are the time **from the person to the provider** (a resident driving, or being driven,
to the service), the direction of the day-centre trip. The minibus that fetches someone runs
the other way; on a network with few one-way streets the two differ by seconds.

Joining
-------
Each postcode and each provider joins the network at its nearest node (the osmnx / pandana
convention); the off-road leg is a straight line at ``offroad_kmh``. A point further than
``max_offroad_m`` from any node is flagged (:attr:`Joined.far`, :func:`off_network`): it is
still joined, by the stated off-road leg, and the callers say so.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from gapmap.errors import CostError, CrsError, RoadCoverageError, RoadFileError
from gapmap.road_search import Targets, search

MPH = 1.609344
"""Kilometres per mile."""

DEFAULT_SPEEDS_KMH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 100.0,
        "motorway_link": 60.0,
        "trunk": 80.0,
        "trunk_link": 50.0,
        "primary": 65.0,
        "primary_link": 45.0,
        "secondary": 55.0,
        "secondary_link": 40.0,
        "tertiary": 45.0,
        "tertiary_link": 35.0,
        "unclassified": 40.0,
        "road": 30.0,
        "residential": 30.0,
        "living_street": 10.0,
        "service": 15.0,
        "busway": 30.0,
    }
)
"""Speed (km/h) per ``highway`` class for roads without a usable ``maxspeed``.

Typical free-flow speeds of English roads of each class (a little under the limit on the
main roads, where junctions and bends slow traffic; 30 km/h in towns). Only these classes are
kept: footways, paths, tracks, cycleways, steps, bridleways and roads under construction are not
drivable. Pass your own table in :class:`RoadSettings` to change a speed or add a class.
"""

_NATIONAL = {"national": 60 * MPH, "nsl_single": 60 * MPH, "nsl_dual": 70 * MPH, "motorway": 70 * MPH}
_ONEWAY_FORWARD = {"yes", "true", "1"}
_ONEWAY_BACKWARD = {"-1", "reverse"}
_NO_ACCESS = {"no", "private"}
_STEPS = ("reading roads", "reading junctions", "projecting", "building the graph", "keeping the connected part")

Progress = Callable[[str, int, int], None]
"""``progress(step, done, total)``: called as each build step starts (and once at the end)."""


def parse_maxspeed(value: str | None, highway: str = "") -> float | None:
    """The speed (km/h) a ``maxspeed`` tag gives, or ``None`` when it gives none.

    Examples
    --------
    >>> round(parse_maxspeed("30 mph"), 2), parse_maxspeed("50"), parse_maxspeed("48 km/h")
    (48.28, 50.0, 48.0)
    >>> round(parse_maxspeed("national", "primary")), round(parse_maxspeed("GB:nsl_dual"))
    (97, 113)
    >>> parse_maxspeed("signals") is None, parse_maxspeed("20 mph;30 mph") == 20 * MPH
    (True, True)
    """
    if value is None:
        return None
    speeds = []
    for part in str(value).split(";"):
        text = part.strip().lower()
        if not text:
            continue
        if text in ("national", "gb:national", "uk:national"):
            speeds.append(_NATIONAL["motorway" if highway.startswith("motorway") else "national"])
            continue
        if ":" in text:  # GB:nsl_single, UK:motorway, GB:zone20
            tail = text.split(":", 1)[1]
            if tail in _NATIONAL:
                speeds.append(_NATIONAL[tail])
                continue
            zone = re.fullmatch(r"zone\s*(\d+)", tail)
            if zone:
                speeds.append(float(zone.group(1)) * MPH)
                continue
        if text == "walk":
            speeds.append(6.0)
            continue
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?(?:\s*zone)?", text)
        if m:
            number = float(m.group(1))
            if number > 0:
                speeds.append(number * MPH if m.group(2) == "mph" else number)
    return min(speeds) if speeds else None


@dataclass(frozen=True)
class RoadSettings:
    """How a road network is built; part of its storage key.

    Attributes
    ----------
    speeds
        km/h per ``highway`` class (:data:`DEFAULT_SPEEDS_KMH`); classes not in it are dropped.
    slowdown
        Multiplier on every travel time, at least 1 (e.g. 1.3 for a minibus with older passengers).
    buffer_km
        Roads kept beyond the council's boundary, so providers over the border count.
    keep_every_m
        Bends along a road between two junctions are merged into one edge (its minutes the
        sum of theirs), keeping a node about every this many metres so postcodes still join
        near where they are (0 keeps every node; infinity keeps junctions only). Real extracts
        have a node every few metres along curves; merging them makes every search several
        times faster.
    """

    speeds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    slowdown: float = 1.0
    buffer_km: float = 15.0
    keep_every_m: float = 250.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.slowdown) or self.slowdown < 1:
            raise CostError(f"the road slowdown factor must be at least 1, got {self.slowdown!r}")
        if not math.isfinite(self.buffer_km) or self.buffer_km < 0:
            raise CostError(f"the road buffer must be zero or more km, got {self.buffer_km!r}")
        if math.isnan(self.keep_every_m) or self.keep_every_m < 0:
            raise CostError(f"the node spacing must be zero or more metres, got {self.keep_every_m!r}")
        bad = [k for k, v in self.speeds.items() if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0)]
        if bad:
            raise CostError(f"the speed of road class {bad[0]!r} must be a positive number of km/h")
        if not self.speeds:
            raise CostError("the speed table names no road class")

    def key(self) -> str:
        """A short hash of the settings (part of the stored network's file name)."""
        text = json.dumps(
            {
                "speeds": sorted((k, float(v)) for k, v in self.speeds.items()),
                "s": self.slowdown,
                "b": self.buffer_km,
                "k": self.keep_every_m,
            }
        )
        return hashlib.sha256(text.encode()).hexdigest()[:10]


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road graph in British National Grid, edges weighted in minutes.

    Attributes
    ----------
    x, y
        Node coordinates (metres, EPSG:27700).
    indptr, indices, minutes
        The graph in compressed sparse rows: the edges leaving node ``i`` go to
        ``indices[indptr[i]:indptr[i+1]]`` and take ``minutes[...]``.
    council
        The council code it was clipped to.
    source_hash
        SHA-256 of the extract it was read from.
    info
        What the build found: counts, settings, and ``left_off`` (areas of the council with no
        road of the network in them).
    """

    x: np.ndarray
    y: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    minutes: np.ndarray
    council: str
    source_hash: str
    info: Mapping[str, object] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.x)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.indices)

    @property
    def key(self) -> str:
        """Identifies the network (extract, council, settings) for caches."""
        return f"{self.council}-{self.source_hash[:16]}-{self.info.get('settings_key', '')}"

    @cached_property
    def graph(self) -> sparse.csr_matrix:
        """The forward graph (travel along the roads)."""
        n = self.n_nodes
        return sparse.csr_matrix((self.minutes, self.indices, self.indptr), shape=(n, n))

    @cached_property
    def tree(self) -> cKDTree:
        """k-d tree of the nodes, for joining points."""
        return cKDTree(np.column_stack([self.x, self.y]))

    @cached_property
    def top_speed_kmh(self) -> float:
        """The fastest edge's speed (km/h): road minutes are never below the straight line at it."""
        if self.n_edges == 0:
            return float("nan")
        src = np.repeat(np.arange(self.n_nodes), np.diff(self.indptr))
        length = np.hypot(self.x[self.indices] - self.x[src], self.y[self.indices] - self.y[src])
        return float(np.max(length / 1000.0 / (self.minutes / 60.0)))

    def save(self, path: Path) -> None:
        """Write to ``path`` (``.npz``), atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
        np.savez(
            tmp,
            x=self.x,
            y=self.y,
            indptr=self.indptr,
            indices=self.indices,
            minutes=self.minutes,
            meta=np.array(json.dumps({"council": self.council, "source_hash": self.source_hash, "info": self.info})),
        )
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> RoadNetwork:
        """Read a network written by :meth:`save`."""
        try:
            with np.load(Path(path), allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                arrays = {k: z[k] for k in ("x", "y", "indptr", "indices", "minutes")}
        except (OSError, ValueError, KeyError) as exc:
            raise RoadFileError(
                f"the stored road network {Path(path).name} cannot be read ({exc}); build it again"
            ) from None
        return cls(**arrays, council=meta["council"], source_hash=meta["source_hash"], info=meta["info"])


# --------------------------------------------------------------------------- reading


def file_hash(path: Path) -> str:
    """SHA-256 of a file's content (remembered beside the network store by size and time)."""
    path = Path(path)
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _check_file(pbf: Path) -> Path:
    pbf = Path(pbf)
    if not pbf.exists():
        raise RoadFileError(f"no such road extract: {pbf}")
    if pbf.is_dir():
        raise RoadFileError(f"{pbf} is a folder, not an OpenStreetMap .osm.pbf extract")
    if pbf.stat().st_size == 0:
        raise RoadFileError(f"{pbf.name} is empty, not an OpenStreetMap .osm.pbf extract")
    return pbf


def _osm_error(pbf: Path, exc: Exception) -> RoadFileError:
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "EOF" in detail or "truncated" in detail.lower():
        return RoadFileError(f"{pbf.name} is truncated (the download did not finish?): {detail}")
    return RoadFileError(f"{pbf.name} is not a readable OpenStreetMap .osm.pbf extract: {detail}")


def _read_ways(pbf: Path, speeds: Mapping[str, float]) -> dict[str, np.ndarray]:
    """The drivable ways: consecutive node pairs, each with its speed and direction."""
    import osmium

    starts, ends, speed, oneway, refs_all = [], [], [], [], []
    n_ways = 0
    src = osmium.io.File(str(pbf), "pbf")
    try:
        processor = osmium.FileProcessor(src, osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway"))
        for way in processor:
            tags = way.tags
            hw = tags.get("highway", "")
            if hw not in speeds:
                continue
            if tags.get("access") in _NO_ACCESS or tags.get("motor_vehicle") in _NO_ACCESS:
                continue
            if tags.get("area") == "yes":
                continue
            refs = [n.ref for n in way.nodes]
            if len(refs) < 2:
                continue
            v = parse_maxspeed(tags.get("maxspeed"), hw) or float(speeds[hw])
            ow = tags.get("oneway", "")
            if ow in _ONEWAY_FORWARD:
                d = 1
            elif ow in _ONEWAY_BACKWARD:
                d = -1
            elif ow == "no":
                d = 0
            elif tags.get("junction") in ("roundabout", "circular") or hw in ("motorway", "motorway_link"):
                d = 1
            else:
                d = 0
            n_ways += 1
            refs_all.append(refs)
            k = len(refs) - 1
            speed.append(np.full(k, v))
            oneway.append(np.full(k, d, dtype=np.int8))
    except RuntimeError as exc:
        raise _osm_error(pbf, exc) from None
    if not refs_all:
        return {"ways": 0}
    for refs in refs_all:
        a = np.asarray(refs, dtype=np.int64)
        starts.append(a[:-1])
        ends.append(a[1:])
    lengths = np.array([len(r) - 1 for r in refs_all])
    return {
        "ways": n_ways,
        "way": np.repeat(np.arange(n_ways, dtype=np.int32), lengths),
        "u": np.concatenate(starts),
        "v": np.concatenate(ends),
        "kmh": np.concatenate(speed),
        "oneway": np.concatenate(oneway),
    }


def _read_nodes(pbf: Path, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Longitude and latitude of the nodes ``ids`` (sorted unique); ``found`` marks those in the file."""
    import osmium

    lon = np.full(len(ids), np.nan)
    lat = np.full(len(ids), np.nan)
    got_ids, got_lon, got_lat = [], [], []
    try:
        processor = osmium.FileProcessor(osmium.io.File(str(pbf), "pbf"), osmium.osm.NODE).with_filter(
            osmium.filter.IdFilter(ids)
        )
        for node in processor:
            loc = node.location
            if loc.valid():
                got_ids.append(node.id)
                got_lon.append(loc.lon)
                got_lat.append(loc.lat)
    except RuntimeError as exc:
        raise _osm_error(pbf, exc) from None
    pos = np.searchsorted(ids, np.asarray(got_ids, dtype=np.int64))
    lon[pos] = got_lon
    lat[pos] = got_lat
    return lon, lat, ~np.isnan(lon)


@dataclass(frozen=True, eq=False)
class RoadExtract:
    """The drivable roads of a whole extract, read once, before any clipping.

    A county or England file is read into these arrays once (:func:`read_extract`); each
    council's network is then cut from them (:func:`network_from_extract`). Stored as ``.npy``
    files (:meth:`save`) they are memory-mapped by every worker of a national run.

    Attributes
    ----------
    x, y
        Node coordinates (EPSG:27700 metres; NaN for nodes missing from the file).
    u, v
        Each road segment's end nodes (positions in ``x``, ``y``), in way order.
    kmh
        Each segment's speed.
    way
        Each segment's way (segments of one way are consecutive, in the way's order).
    oneway
        ``1`` one way u -> v, ``-1`` one way v -> u, ``0`` both ways.
    source, source_hash, ways
        The file's name, SHA-256 and number of drivable ways.
    """

    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    kmh: np.ndarray
    oneway: np.ndarray
    way: np.ndarray
    source: str
    source_hash: str
    ways: int

    _ARRAYS = ("x", "y", "u", "v", "kmh", "oneway", "way")

    def save(self, folder: Path) -> None:
        """Write to ``folder`` (one ``.npy`` per array and ``meta.json``)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in self._ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name))
        meta = {"source": self.source, "source_hash": self.source_hash, "ways": self.ways}
        (folder / "meta.json").write_text(json.dumps(meta))

    @classmethod
    def load(cls, folder: Path, *, mmap: bool = True) -> RoadExtract:
        """Read from ``folder``; memory-mapped by default (workers share the pages)."""
        folder = Path(folder)
        try:
            meta = json.loads((folder / "meta.json").read_text())
            arrays = {n: np.load(folder / f"{n}.npy", mmap_mode="r" if mmap else None) for n in cls._ARRAYS}
        except (OSError, ValueError, KeyError) as exc:
            raise RoadFileError(f"the stored road extract in {folder} cannot be read ({exc}); read it again") from None
        return cls(**arrays, source=meta["source"], source_hash=meta["source_hash"], ways=int(meta["ways"]))


def read_extract(
    pbf: Path,
    *,
    speeds: Mapping[str, float] | None = None,
    source_hash: str | None = None,
    progress: Progress | None = None,
) -> RoadExtract:
    """Read every drivable road of an ``.osm.pbf`` extract (two passes: ways, then their nodes).

    Raises
    ------
    RoadFileError
        The file is missing, empty, truncated or not an OpenStreetMap extract.
    RoadCoverageError
        It has no drivable road at all.
    """
    speeds = dict(DEFAULT_SPEEDS_KMH) if speeds is None else speeds
    pbf = _check_file(pbf)
    total = len(_STEPS)

    def step(i: int) -> None:
        if progress is not None:
            progress(_STEPS[i], i, total)

    step(0)
    ways = _read_ways(pbf, speeds)
    if ways["ways"] == 0:
        raise RoadCoverageError(f"{pbf.name} has no drivable roads (no highway of the classes gapmap drives on)")
    step(1)
    ids = np.unique(np.concatenate([ways["u"], ways["v"]]))
    lon, lat, found = _read_nodes(pbf, ids)
    step(2)
    from pyproj import Transformer

    x = np.full(len(ids), np.nan)
    y = np.full(len(ids), np.nan)
    x[found], y[found] = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon[found], lat[found])
    index = np.int32 if len(ids) < np.iinfo(np.int32).max else np.int64
    return RoadExtract(
        x=x,
        y=y,
        u=np.searchsorted(ids, ways["u"]).astype(index),
        v=np.searchsorted(ids, ways["v"]).astype(index),
        kmh=ways["kmh"].astype(np.float32),
        oneway=ways["oneway"],
        way=ways["way"],
        source=pbf.name,
        source_hash=source_hash or file_hash(pbf),
        ways=int(ways["ways"]),
    )


def build_network(
    pbf: Path,
    council: str,
    outline: shapely.Geometry,
    *,
    areas: gpd.GeoDataFrame | None = None,
    settings: RoadSettings | None = None,
    source_hash: str | None = None,
    progress: Progress | None = None,
) -> RoadNetwork:
    """Read an ``.osm.pbf`` extract into the road network of one council.

    :func:`read_extract` then :func:`network_from_extract`.

    Parameters
    ----------
    pbf
        The extract (any OpenStreetMap mirror's county or country file).
    council
        The council's code (recorded in the network).
    outline
        The council's area, EPSG:27700; roads within ``settings.buffer_km`` of it are kept.
    areas
        The council's wards (``area_code``, ``area_name``, geometry): those with no road of the
        network in them are named in ``info["left_off"]``.
    settings
        Speeds, slowdown and buffer (:class:`RoadSettings`).
    source_hash
        The extract's SHA-256 when already known.
    progress
        ``progress(step, done, total)`` as each step starts.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    RoadFileError
        The file is missing, empty, truncated or not an OpenStreetMap extract.
    RoadCoverageError
        The extract has no drivable road within the council.
    """
    settings = settings or RoadSettings()
    extract = read_extract(pbf, speeds=settings.speeds, source_hash=source_hash, progress=progress)
    return network_from_extract(extract, council, outline, areas=areas, settings=settings, progress=progress)


def network_from_extract(
    extract: RoadExtract,
    council: str,
    outline: shapely.Geometry,
    *,
    areas: gpd.GeoDataFrame | None = None,
    settings: RoadSettings | None = None,
    progress: Progress | None = None,
) -> RoadNetwork:
    """Cut one council's network (council plus buffer, largest strongly connected part) from an extract.

    ``settings.speeds`` must be those the extract was read with (the class speeds are applied
    when reading); the slowdown and the buffer are applied here.
    """
    settings = settings or RoadSettings()
    total = len(_STEPS)

    def step(i: int) -> None:
        if progress is not None:
            progress(_STEPS[i] if i < total else "done", i, total)

    x, y = extract.x, extract.y
    region = shapely.buffer(outline, settings.buffer_km * 1000.0) if settings.buffer_km > 0 else outline
    shapely.prepare(region)
    # A box around the region first (cheap over millions of nodes), then the exact test.
    x0, y0, x1, y1 = shapely.bounds(region)
    with np.errstate(invalid="ignore"):
        boxed = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    inside = np.zeros(len(x), dtype=bool)
    inside[boxed] = shapely.intersects_xy(region, x[boxed], y[boxed])
    step(3)
    u_all, v_all = extract.u, extract.v
    ok = np.flatnonzero(inside[u_all] & inside[v_all] & (u_all != v_all))
    u = np.asarray(u_all[ok], dtype=np.int64)
    v = np.asarray(v_all[ok], dtype=np.int64)
    kmh = np.asarray(extract.kmh[ok], dtype=np.float64)
    ow = np.asarray(extract.oneway[ok])
    way = np.asarray(extract.way[ok])
    length = np.hypot(x[v] - x[u], y[v] - y[u])
    minutes = length / (kmh * 1000.0 / 60.0) * settings.slowdown
    n_segments = len(u)
    u, v, minutes, ow = _merge_bends(u, v, way, length, minutes, ow, settings.keep_every_m)
    minutes = np.maximum(minutes, 1e-6)  # a zero weight would read as "no edge"
    fwd = ow >= 0
    back = ow <= 0
    src = np.concatenate([u[fwd], v[back]])
    dst = np.concatenate([v[fwd], u[back]])
    w = np.concatenate([minutes[fwd], minutes[back]])
    if len(src) == 0:
        raise RoadCoverageError(
            f"{extract.source} has no drivable road within {settings.buffer_km:g} km of council {council}"
        )
    step(4)
    # Largest strongly connected part, on the nodes the kept edges use.
    used = np.unique(np.concatenate([src, dst]))
    s = np.searchsorted(used, src)
    d = np.searchsorted(used, dst)
    g = sparse.coo_matrix((np.ones(len(s)), (s, d)), shape=(len(used), len(used))).tocsr()
    _, labels = csgraph.connected_components(g, directed=True, connection="strong")
    biggest = np.bincount(labels).argmax()
    in_main = labels == biggest
    keep = in_main[s] & in_main[d]
    nodes = used[in_main]
    s = np.searchsorted(nodes, used[s[keep]])
    d = np.searchsorted(nodes, used[d[keep]])
    w = w[keep]
    # One edge per (from, to): the quickest (two ways can share a pair of nodes).
    order = np.lexsort((w, d, s))
    s, d, w = s[order], d[order], w[order]
    first = np.r_[True, (s[1:] != s[:-1]) | (d[1:] != d[:-1])]
    s, d, w = s[first], d[first], w[first]
    n = len(nodes)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(s, minlength=n), out=indptr[1:])
    nx_, ny_ = x[nodes], y[nodes]
    in_council = shapely.intersects_xy(outline, nx_, ny_)
    if not in_council.any():
        raise RoadCoverageError(
            f"{extract.source} does not cover council {council}: none of its drivable roads are inside the council"
        )
    left_off: list[str] = []
    if areas is not None and len(areas):
        left_off = _areas_without_roads(areas, nx_[in_council], ny_[in_council])
    info = {
        "source": extract.source,
        "ways": int(extract.ways),
        "nodes_read": int(len(x)),
        "nodes": int(n),
        "edges": int(len(s)),
        "nodes_dropped_disconnected": int(len(used) - n),
        "segments": int(n_segments),
        "settings_key": settings.key(),
        "slowdown": settings.slowdown,
        "buffer_km": settings.buffer_km,
        "left_off": left_off,
    }
    step(total)
    return RoadNetwork(
        x=nx_.astype(np.float64),
        y=ny_.astype(np.float64),
        indptr=indptr,
        indices=d.astype(np.int32),
        minutes=w.astype(np.float64),
        council=council,
        source_hash=extract.source_hash,
        info=info,
    )


def _merge_bends(
    u: np.ndarray,
    v: np.ndarray,
    way: np.ndarray,
    length: np.ndarray,
    minutes: np.ndarray,
    oneway: np.ndarray,
    keep_every_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge consecutive segments of a way through nodes that nothing else touches.

    A node between two consecutive segments of the same way, used by no other segment, is a
    bend, not a junction: the two segments become one edge with the sum of their minutes
    (speed and direction are the way's, so they agree). A bend is kept all the same where
    the distance along the road from the chain's start passes a multiple of ``keep_every_m``.
    """
    if len(u) < 2 or keep_every_m == 0:
        return u, v, minutes, oneway
    nodes, counts = np.unique(np.concatenate([u, v]), return_counts=True)
    touches = counts[np.searchsorted(nodes, u)]  # segments touching each segment's start node
    bend = np.zeros(len(u), dtype=bool)  # the start node of segment k is a bend
    bend[1:] = (way[1:] == way[:-1]) & (u[1:] == v[:-1]) & (touches[1:] == 2)
    if np.isfinite(keep_every_m):
        chain = np.cumsum(~bend)  # runs of segments joined by bends
        along = np.cumsum(length)
        start = along - length  # distance to each segment's start node
        first = np.flatnonzero(~bend)
        base = start[first][chain - 1]  # distance at the chain's first node
        step = np.floor((start - base) / keep_every_m)
        prev = np.r_[0.0, np.floor((start[:-1] - base[1:]) / keep_every_m)]
        bend &= step == prev  # passing a multiple of the spacing keeps the node
    first = np.flatnonzero(~bend)
    last = np.r_[first[1:] - 1, len(u) - 1]
    return u[first], v[last], np.add.reduceat(minutes, first), oneway[first]


def _areas_without_roads(areas: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> list[str]:
    """Names (with codes) of the areas that no node of the network falls in."""
    polys = areas.geometry.values
    tree = shapely.STRtree(polys)
    pts = shapely.points(x, y)
    hit = np.zeros(len(polys), dtype=bool)
    pairs = tree.query(pts, predicate="within")
    hit[np.unique(pairs[1])] = True
    names = areas["area_name"] if "area_name" in areas else areas.index.astype(str)
    codes = areas["area_code"] if "area_code" in areas else areas.index.astype(str)
    return [f"{n} ({c})" for n, c, h in zip(names, codes, hit, strict=True) if not h]


# --------------------------------------------------------------------------- the store


def roads_folder(home: Path) -> Path:
    """Where built networks are stored: ``home/roads``."""
    return Path(home) / "roads"


def _cached_hash(pbf: Path, folder: Path) -> str:
    """The extract's SHA-256, remembered by path, size and modification time."""
    st = pbf.stat()
    memo = folder / "hashes.json"
    tag = f"{pbf.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    known: dict[str, str] = {}
    try:
        known = json.loads(memo.read_text())
    except (OSError, ValueError):
        known = {}
    if tag in known:
        return known[tag]
    digest = file_hash(pbf)
    known[tag] = digest
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = memo.with_name(f"hashes.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known))
        os.replace(tmp, memo)
    except OSError:
        pass  # only a memo: the hash is worked out again next time
    return digest


def _speeds_key(speeds: Mapping[str, float]) -> str:
    text = json.dumps(sorted((k, float(v)) for k, v in speeds.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def extract_folder(home: Path, source_hash: str, speeds: Mapping[str, float]) -> Path:
    """Where the whole extract's roads are stored once read (:class:`RoadExtract`)."""
    return roads_folder(home) / f"extract-{source_hash[:16]}-{_speeds_key(speeds)}"


def extract_for(
    pbf: Path, *, home: Path, speeds: Mapping[str, float] | None = None, progress: Progress | None = None
) -> Path:
    """The stored extract of ``pbf`` (read and stored the first time): for many councils from one file."""
    speeds = dict(DEFAULT_SPEEDS_KMH) if speeds is None else speeds
    pbf = _check_file(pbf)
    digest = _cached_hash(pbf, roads_folder(home))
    folder = extract_folder(home, digest, speeds)
    if (folder / "meta.json").exists():
        return folder
    extract = read_extract(pbf, speeds=speeds, source_hash=digest, progress=progress)
    tmp = folder.with_name(folder.name + f".{os.getpid()}.tmp")
    extract.save(tmp)
    if folder.exists():  # another process stored it meanwhile
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    else:
        os.replace(tmp, folder)
    return folder


def network_path(home: Path, council: str, source_hash: str, settings: RoadSettings) -> Path:
    """The stored network's file for (extract content, council, settings)."""
    return roads_folder(home) / f"{council}-{source_hash[:16]}-{settings.key()}.npz"


def network_for(
    pbf: Path,
    council: str,
    outline: shapely.Geometry,
    *,
    home: Path,
    areas: gpd.GeoDataFrame | None = None,
    settings: RoadSettings | None = None,
    progress: Progress | None = None,
    rebuild: bool = False,
) -> RoadNetwork:
    """The council's road network from ``pbf``: loaded when built before, else built and stored.

    Stored under ``home/roads/`` keyed by the extract's content hash, the council and the
    settings, so a renamed or moved file is found again and a changed one is built anew.
    """
    settings = settings or RoadSettings()
    pbf = _check_file(pbf)
    folder = roads_folder(home)
    digest = _cached_hash(pbf, folder)
    path = network_path(home, council, digest, settings)
    if path.exists() and not rebuild:
        return RoadNetwork.load(path)
    stored = extract_folder(home, digest, settings.speeds)
    if (stored / "meta.json").exists():  # the whole file was read before (e.g. a national run)
        extract = RoadExtract.load(stored)
    else:
        extract = read_extract(pbf, speeds=settings.speeds, source_hash=digest, progress=progress)
    net = network_from_extract(extract, council, outline, areas=areas, settings=settings, progress=progress)
    with contextlib.suppress(OSError):  # a read-only home: the network is still used, built again next time
        net.save(path)
    return net


def latest_stored(home: Path, council: str) -> Path | None:
    """The most recently built network of ``council`` in ``home/roads`` (``None`` when there is none)."""
    found = sorted(roads_folder(home).glob(f"{council}-*.npz"), key=lambda p: p.stat().st_mtime_ns)
    return found[-1] if found else None


def stored_networks(home: Path) -> list[dict[str, object]]:
    """One row per stored network: file, council, source, nodes, edges, size and what was left off."""
    rows = []
    for path in sorted(roads_folder(home).glob("*.npz")):
        try:
            net = RoadNetwork.load(path)
        except RoadFileError:
            rows.append({"file": path.name, "problem": "unreadable"})
            continue
        rows.append(
            {
                "file": path.name,
                "council": net.council,
                "source": net.info.get("source", ""),
                "source_sha256": net.source_hash,
                "nodes": net.n_nodes,
                "edges": net.n_edges,
                "size_mb": round(path.stat().st_size / 1e6, 2),
                "slowdown": net.info.get("slowdown", 1.0),
                "buffer_km": net.info.get("buffer_km", ""),
                "left_off": net.info.get("left_off", []),
            }
        )
    return rows


# --------------------------------------------------------------------------- joining and costs


def _xy(gdf: gpd.GeoDataFrame, label: str) -> np.ndarray:
    if gdf.crs is None or gdf.crs.to_epsg() != 27700:
        raise CrsError(f"{label} must be in British National Grid (EPSG:27700) to join the road network")
    return np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()])


@dataclass(frozen=True)
class Joined:
    """Where points join the network.

    Attributes
    ----------
    node
        Nearest node per point.
    offroad_m
        Straight-line metres from the point to that node.
    minutes
        The off-road leg's minutes at the stated speed.
    far
        Points more than the stated distance from any road: joined all the same, and flagged.
    """

    node: np.ndarray
    offroad_m: np.ndarray
    minutes: np.ndarray
    far: np.ndarray


def join(network: RoadNetwork, xy: np.ndarray, *, offroad_kmh: float = 15.0, max_offroad_m: float = 1000.0) -> Joined:
    """Join points (BNG metres) to their nearest nodes; flag those further than ``max_offroad_m``."""
    if not math.isfinite(offroad_kmh) or offroad_kmh <= 0:
        raise CostError(f"the off-road speed must be a positive number of km/h, got {offroad_kmh!r}")
    if not math.isfinite(max_offroad_m) or max_offroad_m <= 0:
        raise CostError(f"the furthest distance from a road must be positive, got {max_offroad_m!r}")
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        e = np.empty(0)
        return Joined(np.empty(0, dtype=np.int64), e, e, np.empty(0, dtype=bool))
    dist, node = network.tree.query(xy, k=1)
    return Joined(
        node=np.asarray(node, dtype=np.int64),
        offroad_m=dist,
        minutes=dist / (offroad_kmh * 1000.0 / 60.0),
        far=dist > max_offroad_m,
    )


def off_network(
    network: RoadNetwork, points: gpd.GeoDataFrame, *, max_offroad_m: float = 1000.0, label: str = "points"
) -> pd.Index:
    """Index labels of ``points`` further than ``max_offroad_m`` from any road of the network."""
    joined = join(network, _xy(points, label), max_offroad_m=max_offroad_m)
    return points.index[joined.far]


def road_costs(
    network: RoadNetwork,
    origins: gpd.GeoDataFrame,
    dests: gpd.GeoDataFrame,
    *,
    max_minutes: float,
    nearest: bool = True,
    offroad_kmh: float = 15.0,
    max_offroad_m: float = 1000.0,
    workers: int = 2,
) -> pd.DataFrame:
    r"""Minutes by road from every origin (postcode) to every destination (provider) within ``max_minutes``.

    .. math:: c_{ij} = a_i + T(n_i \to n_j) + b_j \le c_{max}

    with :math:`n_i, n_j` the nodes the points join at, :math:`a_i, b_j` their off-road legs
    and :math:`T` the quickest time along the roads (Dijkstra, one search per destination on
    the reversed graph, cut at ``max_minutes``, destinations in chunks). With ``nearest`` an
    origin with no destination within ``max_minutes`` gets one row for its nearest one (a
    single multi-source search, ``min_only``), as :func:`gapmap.costs.euclidean_costs` does.
    A large job's searches run in ``workers`` processes (:func:`gapmap.road_search.search`:
    scipy's Dijkstra holds the GIL, so threads would not use a second core); the table is the
    same row for row either way.

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``dest`` (index labels, int32 positions for a default index) and ``cost``
        (float64, minutes), sorted by origin then destination.
    """
    if not math.isfinite(max_minutes) or max_minutes <= 0:
        raise CostError(f"the catchment must be a positive number of minutes, got {max_minutes!r}")
    o_xy = _xy(origins, "demand points")
    d_xy = _xy(dests, "providers")
    if len(o_xy) == 0 or len(d_xy) == 0:
        return pd.DataFrame({"origin": origins.index[:0], "dest": dests.index[:0], "cost": np.empty(0)})
    jo = join(network, o_xy, offroad_kmh=offroad_kmh, max_offroad_m=max_offroad_m)
    jd = join(network, d_xy, offroad_kmh=offroad_kmh, max_offroad_m=max_offroad_m)
    rev = _reversed_with_dests(network, jd)
    sources = np.arange(len(d_xy)) + network.n_nodes
    i, j, v = search(rev, sources, Targets(jo.node, jo.minutes, max_minutes), workers=workers)
    if nearest:
        reached = np.zeros(len(o_xy), dtype=bool)
        reached[i] = True
        far = np.flatnonzero(~reached)
        if len(far):
            best, best_dest = nearest_minutes(network, jo, jd, rev=rev)
            fi = far[np.isfinite(best[far])]
            i = np.concatenate([i, fi.astype(np.int32)])
            j = np.concatenate([j, best_dest[fi].astype(np.int32)])
            v = np.concatenate([v, best[fi]])
    # The rows came in destination order (chunk by chunk, each row-major), then the far origins'
    # nearest rows: a stable sort by origin alone gives (origin, destination) order.
    order = _stable_order(i, len(o_xy))
    i, j, v = i[order], j[order], v[order]
    return pd.DataFrame(
        {
            "origin": i if _default(origins.index) else origins.index.to_numpy()[i],
            "dest": j if _default(dests.index) else dests.index.to_numpy()[j],
            "cost": v.astype(np.float64, copy=False),
        },
        copy=False,  # fresh arrays: no copy into one block
    )


def _stable_order(keys: np.ndarray, n: int) -> np.ndarray:
    """The stable sorting order of whole numbers ``keys`` in ``[0, n)``.

    numpy sorts 16-bit keys stably by radix (linear time); wider keys go through two such passes
    (low half, then high half). Several times faster than a comparison sort of millions of rows.

    Examples
    --------
    >>> _stable_order(np.array([3, 1, 3, 0, 1]), 4).tolist()
    [3, 1, 4, 0, 2]
    >>> keys = np.array([70_000, 5, 70_000, 65_536, 5])
    >>> _stable_order(keys, 70_001).tolist() == np.argsort(keys, kind="stable").tolist()
    True
    """
    keys = np.asarray(keys, dtype=np.int64)
    if n <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    low = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    high = np.argsort((keys[low] >> 16).astype(np.uint16), kind="stable")
    return low[high]


def _default(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _reversed_with_dests(network: RoadNetwork, jd: Joined) -> sparse.csr_matrix:
    """The reversed graph plus one node per destination, joined to its node by its off-road leg.

    Searching it from destination ``j``'s own node gives, at every road node, the minutes from
    there to ``j`` (off-road leg included).
    """
    n = network.n_nodes
    n_d = len(jd.node)
    g = network.graph.T.tocoo()
    rows = np.concatenate([g.row, np.arange(n_d) + n])
    cols = np.concatenate([g.col, jd.node])
    w = np.concatenate([g.data, np.maximum(jd.minutes, 1e-9)])
    return sparse.csr_matrix((w, (rows, cols)), shape=(n + n_d, n + n_d))


def nearest_minutes(
    network: RoadNetwork, origins: Joined, dests: Joined, *, rev: sparse.csr_matrix | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from each origin to its nearest destination, and which one (one ``min_only`` search)."""
    n = network.n_nodes
    n_d = len(dests.node)
    if rev is None:
        rev = _reversed_with_dests(network, dests)
    dist, _, sources = csgraph.dijkstra(
        rev, directed=True, indices=np.arange(n_d) + n, min_only=True, return_predecessors=True
    )
    best = dist[origins.node] + origins.minutes
    which = sources[origins.node] - n
    return best, np.where(which >= 0, which, -1)


@dataclass(frozen=True, eq=False)
class ByRoad:
    """The road-network cost model an :class:`gapmap.analysis.AnalysisRequest` carries.

    Attributes
    ----------
    network
        The council's road network.
    offroad_kmh
        Speed of the straight leg between a point and its node.
    max_offroad_m
        Points further than this from any road are flagged.
    workers
        Processes a large cost table's searches may use (1 inside a worker of a national run).
        Not part of the model: two requests that differ only here are equal.
    """

    network: RoadNetwork
    offroad_kmh: float = 15.0
    max_offroad_m: float = 1000.0
    workers: int = 2

    unit = "minutes"

    def costs(
        self, origins: gpd.GeoDataFrame, dests: gpd.GeoDataFrame, *, max_cost: float, nearest: bool = True
    ) -> pd.DataFrame:
        """The cost table in minutes (:func:`road_costs`)."""
        return road_costs(
            self.network,
            origins,
            dests,
            max_minutes=max_cost,
            nearest=nearest,
            offroad_kmh=self.offroad_kmh,
            max_offroad_m=self.max_offroad_m,
            workers=self.workers,
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ByRoad)
            and other.network.key == self.network.key
            and (other.offroad_kmh, other.max_offroad_m) == (self.offroad_kmh, self.max_offroad_m)
        )

    def __hash__(self) -> int:
        return hash((self.network.key, self.offroad_kmh, self.max_offroad_m))


def straight_line_misleads(
    road_areas: pd.DataFrame, straight_areas: pd.DataFrame, *, typical_kmh: float = 40.0
) -> pd.DataFrame:
    r"""Areas whose minutes by road are far above what their straight-line distance suggests.

    For each area: the population-weighted nearest provider in a straight line
    (``nearest_km``, from a straight-line analysis) and by road (``nearest_minutes``, the
    by-road analysis' ``nearest_km`` column, which holds minutes), and

    .. math:: \text{times} = \frac{t_{road}}{60 \, d_{straight} / v}

    how many times longer the road takes than a straight drive at ``typical_kmh`` would.
    Estuaries, rivers with few bridges, moors and coasts stand out.

    Parameters
    ----------
    road_areas, straight_areas
        The ``areas`` tables of the same request by road and in a straight line.
    typical_kmh
        The speed that turns a straight line into the minutes it "suggests".

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``nearest_km``, ``nearest_minutes``, ``suggested_minutes``,
        ``times``, sorted by ``times``, largest first (areas with no one in them left out).
    """
    if not math.isfinite(typical_kmh) or typical_kmh <= 0:
        raise CostError(f"the typical speed must be a positive number of km/h, got {typical_kmh!r}")
    road = road_areas.set_index("area_code")
    line = straight_areas.set_index("area_code").reindex(road.index)
    out = pd.DataFrame(
        {
            "area_code": road.index,
            "area_name": road["area_name"].to_numpy(),
            "nearest_km": line["nearest_km"].to_numpy(dtype=float),
            "nearest_minutes": road["nearest_km"].to_numpy(dtype=float),
        }
    )
    out["suggested_minutes"] = out.nearest_km / typical_kmh * 60.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out["times"] = out.nearest_minutes / out.suggested_minutes
    out = out[np.isfinite(out.times)]
    return out.sort_values("times", ascending=False, kind="stable").reset_index(drop=True)


def catchment_hulls(
    roads: ByRoad, points: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, max_minutes: float, pad_m: float = 150.0
) -> shapely.Geometry:
    """Each site's catchment by road as an area: the hull of the postcodes it reaches within ``max_minutes``.

    A circle would mislead by road (a river, a one-way system); this draws, for each site, the
    convex hull of the postcodes (``points``) whose minutes to it are at most ``max_minutes``,
    padded by ``pad_m`` so a catchment of one or two postcodes still shows. EPSG:27700.
    """
    if len(sites) == 0 or len(points) == 0:
        return shapely.GeometryCollection()
    table = roads.costs(points, sites.reset_index(drop=True), max_cost=max_minutes, nearest=False)
    table = table[table.cost <= max_minutes]
    xy = np.column_stack([points.geometry.x.to_numpy(), points.geometry.y.to_numpy()])
    pos = points.index.get_indexer(table.origin.to_numpy())
    hulls = []
    for _, rows in pd.Series(pos).groupby(table.dest.to_numpy()):
        hull = shapely.convex_hull(shapely.multipoints(xy[rows.to_numpy()]))
        hulls.append(shapely.buffer(hull, pad_m))
    return shapely.union_all(hulls) if hulls else shapely.GeometryCollection()
