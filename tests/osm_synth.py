"""Write small synthetic OpenStreetMap extracts (``.osm.pbf``) for the road-network tests.

Coordinates are given in British National Grid metres and written as WGS84, as a real
extract holds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from pyproj import Transformer

_TO_WGS84 = Transformer.from_crs(27700, 4326, always_xy=True)


def write_extract(
    path: Path,
    nodes: Mapping[int, tuple[float, float]],
    ways: Iterable[tuple[Sequence[int], Mapping[str, str]]],
) -> Path:
    """Write ``nodes`` (id -> (easting, northing)) and ``ways`` ((node ids, tags), ...) to ``path``."""
    import osmium

    path = Path(path)
    if path.exists():
        path.unlink()
    ids = sorted(nodes)
    xy = np.array([nodes[i] for i in ids], dtype=float).reshape(-1, 2)
    lon, lat = _TO_WGS84.transform(xy[:, 0], xy[:, 1]) if len(ids) else ([], [])
    writer = osmium.SimpleWriter(str(path))
    try:
        for i, x, y in zip(ids, lon, lat, strict=True):
            writer.add_node(osmium.osm.mutable.Node(id=int(i), location=(float(x), float(y))))
        for k, (refs, tags) in enumerate(ways, start=1):
            writer.add_way(osmium.osm.mutable.Way(id=k, nodes=[int(r) for r in refs], tags=dict(tags)))
    finally:
        writer.close()
    return path


def grid(
    x0: float, y0: float, nx: int, ny: int, step: float, tags: Mapping[str, str] | None = None
) -> tuple[dict[int, tuple[float, float]], list[tuple[list[int], dict[str, str]]]]:
    """A grid of two-way streets: node ``r * nx + c + 1`` at ``(x0 + c*step, y0 + r*step)``."""
    tags = dict(tags or {"highway": "residential"})
    nodes = {r * nx + c + 1: (x0 + c * step, y0 + r * step) for r in range(ny) for c in range(nx)}
    ways = [([r * nx + c + 1 for c in range(nx)], tags) for r in range(ny)]
    ways += [([r * nx + c + 1 for r in range(ny)], tags) for c in range(nx)]
    return nodes, ways
