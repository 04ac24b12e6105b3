"""Where gapmap finds its shipped data, as an explicit, immutable setting."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BNG = "EPSG:27700"
"""British National Grid: the CRS for every distance and area computation."""

WGS84 = "EPSG:4326"
"""Longitude/latitude, used only to display maps."""

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def data_home() -> Path:
    """The install's data folder (registry, users, secret key): ``$GAPMAP_HOME``, else ``~/.local/share/gapmap``.

    Read from the environment at each call (never cached), so a test or a server can point it elsewhere.
    """
    home = os.environ.get("GAPMAP_HOME")
    return Path(home) if home else Path.home() / ".local" / "share" / "gapmap"


@dataclass(frozen=True)
class DataPaths:
    """Locations of the data files built by ``scripts/build_data.py``.

    Parameters
    ----------
    root
        The ``data/`` folder. Defaults to the one shipped in the repository.
    """

    root: Path = PACKAGE_ROOT / "data"

    @property
    def councils(self) -> Path:
        """Council list (CSV)."""
        return self.root / "councils.csv"

    @property
    def points(self) -> Path:
        """Demand points: live postcodes tagged with LSOA and ward."""
        return self.root / "demand" / "points.parquet"

    @property
    def lsoa_table(self) -> Path:
        """Census ages, deprivation and rural-urban class per LSOA."""
        return self.root / "population" / "lsoa.parquet"

    @property
    def manifest(self) -> Path:
        """Provenance manifest (JSON)."""
        return self.root / "manifest.json"

    def boundaries(self, layer: str) -> Path:
        """GeoParquet boundaries for ``layer`` (``wards``, ``lsoa`` or ``msoa``)."""
        return self.root / "boundaries" / f"{layer}.parquet"
