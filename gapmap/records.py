"""Loading a council's own provider records from a file: read, geocode offline, validate."""

from __future__ import annotations

from pathlib import Path

import shapely

from gapmap import io
from gapmap.config import DataPaths
from gapmap.providers import ValidationResult, map_columns, normalise_postcode, validate_providers


def load_providers(
    path: Path | str,
    *,
    outline: shapely.Geometry | None = None,
    overrides: dict[str, str] | None = None,
    paths: DataPaths | None = None,
) -> ValidationResult:
    """Read and validate a provider file (CSV, Excel, GeoJSON, GeoPackage, zipped shapefile).

    Parameters
    ----------
    path
        The file.
    outline
        The council's area (EPSG:27700); providers outside it are kept and flagged.
    overrides
        User column choices, ``{canonical field: column}``.
    paths
        Data location (for the offline postcode table).

    Returns
    -------
    ValidationResult

    Raises
    ------
    ProviderFileError
        When the file cannot be used at all.
    """
    paths = paths or DataPaths()
    table = io.read_record_table(path)
    mapping = map_columns([str(c) for c in table.columns], overrides)
    wanted: list[str] = []
    if "postcode" in mapping:
        wanted = [pc for pc in (normalise_postcode(v) for v in table[mapping["postcode"]]) if pc]
    lookup = io.lookup_postcodes(paths, wanted)
    return validate_providers(table, postcodes=lookup, council_area=outline, overrides=overrides)
