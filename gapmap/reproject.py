"""Fast transforms between British National Grid and WGS84 (display only).

All distance work is in British National Grid (EPSG:27700); WGS84 is for the map in the
browser and for reading latitude/longitude from councils' files. ``GeoDataFrame.to_crs``
would do, but it asks PROJ for every candidate operation between the two CRSs, and PROJ keeps
that per thread: Streamlit runs every script run in a new thread, so each run paid 50–150 ms
per transform just to set PROJ up. Here the operation PROJ itself picks as best (for England
without the OSTN15 grid: the OSGB36 → WGS 84 Helmert transformation, about 2 m) is looked up
once and used as a fixed PROJ pipeline, which takes under a millisecond to set up in any thread
and gives the same coordinates as ``to_crs``.
"""

from __future__ import annotations

import functools
import warnings
from typing import TypeVar

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.transformer import TransformerGroup

from gapmap._validate import require_crs
from gapmap.config import BNG, WGS84
from gapmap.errors import CrsError

Frame = TypeVar("Frame", gpd.GeoDataFrame, gpd.GeoSeries)


@functools.cache
def _pipeline(source: str, target: str) -> str:
    """PROJ's best available operation from ``source`` to ``target`` (x/y order), as a pipeline."""
    with warnings.catch_warnings():  # "best transformation not available" (the OSTN15 grid is not shipped)
        warnings.simplefilter("ignore")
        group = TransformerGroup(source, target, always_xy=True)
    if not group.transformers:
        raise CrsError(f"no transformation from {source} to {target}")
    return group.transformers[0].definition


def transformer(source: str, target: str) -> Transformer:
    """A transformer from ``source`` to ``target`` (x/y order) that is cheap to make in any thread.

    Examples
    --------
    >>> x, y = transformer(BNG, WGS84).transform(400000, 200000)
    >>> round(x, 4), round(y, 4)
    (-2.0014, 51.6987)
    """
    return Transformer.from_pipeline(_pipeline(source, target))


def _key(crs: object) -> str | None:
    parsed = CRS.from_user_input(crs)
    for name in (BNG, WGS84):
        if parsed.equals(CRS.from_user_input(name)):
            return name
    return None


def reproject(frame: Frame, target: str) -> Frame:
    """``frame`` in ``target`` (:data:`~gapmap.config.BNG` or :data:`~gapmap.config.WGS84`).

    Between BNG and WGS84 the fixed pipeline is used; any other CRS goes through
    ``to_crs``. A frame already in ``target`` is returned as a copy. The input is not changed.

    Raises
    ------
    CrsError
        If ``frame`` has no CRS.

    Examples
    --------
    >>> s = gpd.GeoSeries.from_xy([400000], [200000], crs=BNG)
    >>> p = reproject(s, WGS84).iloc[0]
    >>> round(p.x, 4), round(p.y, 4)
    (-2.0014, 51.6987)
    """
    require_crs(frame, "the geometries")
    source, wanted = _key(frame.crs), _key(target)
    if source is not None and source == wanted:
        return frame.copy()
    if source is None or wanted is None:
        return frame.to_crs(target)
    t = transformer(source, wanted)

    def move(xy: np.ndarray) -> np.ndarray:
        x, y = t.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    geoms = frame.geometry.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else frame.to_numpy()
    moved = shapely.transform(geoms, move)
    if isinstance(frame, gpd.GeoSeries):
        return gpd.GeoSeries(moved, index=frame.index, crs=wanted, name=frame.name)
    out = frame.copy()
    out[out.geometry.name] = gpd.GeoSeries(moved, index=frame.index, crs=wanted)
    return out.set_crs(wanted, allow_override=True)


__all__ = ["reproject", "transformer"]
