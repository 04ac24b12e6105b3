"""Privacy for sole traders: their business address is often their home.

Micro-provider locations are personal data. In any view shown to others they are either
displaced by a stated distance in a direction derived from the provider's id (stable between
runs, so a point does not jump about, but not the true place), or not drawn at all and only
counted per area. Names are hidden with them.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np

PRIVACY_MODES = {
    "exact": "Exact locations, names shown (internal use only)",
    "displaced": "Micro-providers moved by a set distance, names hidden",
    "counts": "Micro-providers as counts per area only, names hidden",
}
DEFAULT_PRIVACY = "displaced"
DEFAULT_DISPLACEMENT_M = 500.0
PERSONAL_KINDS = ("micro_enterprise",)
"""Kinds whose locations are treated as personal data (sole traders' homes)."""


def _angle(key: str, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 2 * np.pi


def displace(providers: gpd.GeoDataFrame, distance_m: float, *, salt: str = "gapmap") -> gpd.GeoDataFrame:
    """Move each micro-provider exactly ``distance_m`` metres in a direction set by its id.

    Other kinds (day centres: public venues) stay where they are.

    Parameters
    ----------
    providers
        Providers in EPSG:27700 with ``id`` and ``kind``.
    distance_m
        How far to move them.
    salt
        Mixed into the direction, so directions cannot be recomputed from ids alone.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with moved points (and ``easting``/``northing`` updated when present).
    """
    if providers.crs is None or providers.crs.to_epsg() != 27700:
        raise ValueError("displace needs providers in British National Grid (EPSG:27700)")
    out = providers.copy()
    personal = out.kind.isin(PERSONAL_KINDS).to_numpy()
    angles = np.array([_angle(str(i), salt) for i in out.id])
    x = out.geometry.x.to_numpy() + np.where(personal, distance_m * np.cos(angles), 0.0)
    y = out.geometry.y.to_numpy() + np.where(personal, distance_m * np.sin(angles), 0.0)
    out["geometry"] = gpd.points_from_xy(x, y, crs=out.crs)
    if "easting" in out:
        out["easting"], out["northing"] = x, y
    return out


def for_display(
    providers: gpd.GeoDataFrame, mode: str, *, distance_m: float = DEFAULT_DISPLACEMENT_M
) -> gpd.GeoDataFrame:
    """The providers a map may draw under ``mode`` (see :data:`PRIVACY_MODES`)."""
    if mode not in PRIVACY_MODES:
        raise ValueError(f"unknown privacy mode {mode!r}; choose one of {', '.join(PRIVACY_MODES)}")
    if mode == "exact":
        return providers
    if mode == "displaced":
        return displace(providers, distance_m)
    return providers[~providers.kind.isin(PERSONAL_KINDS)]
