"""Loading a council's own provider records from a file: read, geocode offline, validate."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import shapely

from gapmap import io
from gapmap.cells import normalise_postcode
from gapmap.config import DataPaths
from gapmap.schema import map_columns
from gapmap.validate import ValidationResult, validate_providers

RECORD_KINDS = {
    "providers": ("micro_enterprise", False),
    "day_centres": ("day_centre", False),
    "closures": ("day_centre", True),
}
"""What a file holds: ``kind -> (default provider kind, end date required)``. A closures file
is a list of day centres (or other services) with the dates they closed."""


def load_providers(
    path: Path | str,
    *,
    outline: shapely.Geometry | None = None,
    overrides: dict[str, str] | None = None,
    paths: DataPaths | None = None,
    kind: str = "providers",
    sheet: str | None = None,
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
    kind
        What the file holds (:data:`RECORD_KINDS`).
    sheet
        Excel sheet or GeoPackage / zip layer, when the file holds several
        (:func:`gapmap.io.record_layers`).

    Returns
    -------
    ValidationResult

    Raises
    ------
    ProviderFileError
        When the file cannot be used at all.
    """
    return check_table(
        io.read_record_table(path, sheet=sheet), outline=outline, overrides=overrides, paths=paths, kind=kind
    )


def check_table(
    table: pd.DataFrame,
    *,
    outline: shapely.Geometry | None = None,
    overrides: dict[str, str] | None = None,
    paths: DataPaths | None = None,
    kind: str = "providers",
) -> ValidationResult:
    """Validate a table already read from a file (see :func:`load_providers`)."""
    mapping = map_columns([str(c) for c in table.columns], overrides)
    postcodes = postcodes_for(table, mapping.get("postcode"), paths)
    default_kind, need_end = RECORD_KINDS[kind]
    return validate_providers(
        table,
        postcodes=postcodes,
        council_area=outline,
        overrides=overrides,
        default_kind=default_kind,
        require_end_date=need_end,
    )


def postcodes_for(table: pd.DataFrame, column: str | None, paths: DataPaths | None = None) -> pd.DataFrame:
    """The shipped coordinates of the postcodes in ``table[column]`` (for re-validation)."""
    if column is None or column not in table:
        return io.lookup_postcodes(paths or DataPaths(), [])
    wanted = [pc for pc in (normalise_postcode(v) for v in table[column]) if pc]
    return io.lookup_postcodes(paths or DataPaths(), wanted)
