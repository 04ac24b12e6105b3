"""The provider registry: the council's accepted records, kept between sessions.

The registry is one GeoPackage (SQLite) file in a user data folder, with a ``providers`` layer
(EPSG:27700 points, one row per provider per council) and an ``imports`` table recording who
imported which file when. :func:`save` writes a complete new file beside the old one and then
renames it over the old one, so a crash mid-write leaves the previous registry intact, and
an exclusive lock stops two writers interleaving.

The functions here that change records (:func:`merge_import`, :func:`apply_edits`) are pure:
they take frames and return new frames.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from gapmap.config import BNG
from gapmap.errors import RegistryError
from gapmap.schema import ACCEPTED_COLUMNS, FIELDS
from gapmap.validate import ValidationResult, validate_providers

REGISTRY_COLUMNS = (
    "council_code",
    *(c for c in ACCEPTED_COLUMNS if c != "row"),
    "outside_council",
    "illustrative",
    "imported_by",
    "imported_at",
    "source_file",
    "updated_by",
    "updated_at",
)
"""Columns of the registry's ``providers`` layer: an accepted provider plus audit fields."""
IMPORT_COLUMNS = ("council_code", "source_file", "imported_by", "imported_at", "mode", "accepted", "rejected")
EDITABLE = tuple(f for f in FIELDS if f not in ("lat", "lon"))
"""Columns the app's editor shows: the file fields, located by postcode or easting/northing."""


@dataclass(frozen=True)
class Registry:
    """Location of the registry file.

    Attributes
    ----------
    path
        The GeoPackage. Defaults to ``$GAPMAP_HOME/registry.gpkg``, where ``GAPMAP_HOME``
        defaults to ``~/.local/share/gapmap``.
    """

    path: Path

    @classmethod
    def default(cls) -> Registry:
        """The registry in the user data folder (``GAPMAP_HOME`` overrides the folder)."""
        home = os.environ.get("GAPMAP_HOME") or Path.home() / ".local" / "share" / "gapmap"
        return cls(Path(home) / "registry.gpkg")


def current_user() -> str:
    """The operating-system user name, for the audit columns."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def empty_records() -> gpd.GeoDataFrame:
    """A registry with no providers, with the right columns and types."""
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in REGISTRY_COLUMNS})
    for c in ("capacity", "easting", "northing"):
        frame[c] = frame[c].astype("float64")
    for c in ("start_date", "end_date", "imported_at", "updated_at"):
        frame[c] = pd.to_datetime(frame[c])
    for c in ("capacity_assumed", "outside_council", "illustrative"):
        frame[c] = frame[c].astype(bool)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=BNG), crs=BNG)


def load(registry: Registry) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read all records and the import log (empty ones if the file does not exist yet)."""
    if not registry.path.exists():
        return empty_records(), _typed_log(pd.DataFrame(columns=list(IMPORT_COLUMNS)))
    try:
        records = gpd.read_file(registry.path, layer="providers", engine="pyogrio")
        log = pyogrio.read_dataframe(registry.path, layer="imports")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise RegistryError(f"the registry {registry.path} could not be read ({exc})") from exc
    return _typed(records), _typed_log(log)


def _typed(records: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = records.copy()
    for c in ("start_date", "end_date", "imported_at", "updated_at"):
        out[c] = pd.to_datetime(out[c])
    for c in ("capacity_assumed", "outside_council", "illustrative"):
        out[c] = out[c].fillna(False).astype(bool) if c in out else False
    for c in ("capacity", "easting", "northing"):
        out[c] = out[c].astype("float64")
    for c in ("id", "name", "kind", "services", "client_groups", "postcode", "council_code"):
        out[c] = out[c].fillna("").astype("str")
    return out.set_crs(BNG, allow_override=True)


def council_records(records: gpd.GeoDataFrame, council_code: str) -> gpd.GeoDataFrame:
    """One council's providers, with a fresh 0…n index (as the gap engine expects)."""
    return records[records.council_code == council_code].reset_index(drop=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_suffix(path.suffix + ".lock")
    with open(lock, "w") as fh:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows: no advisory locks, single user
            pass
        yield


def save(registry: Registry, records: gpd.GeoDataFrame, log: pd.DataFrame) -> None:
    """Write the whole registry atomically: a new file, then a rename over the old one.

    Raises
    ------
    RegistryError
        If writing fails; the previous registry is left exactly as it was.
    """
    path = registry.path
    with _locked(path):
        fd, tmp_name = tempfile.mkstemp(prefix=".registry-", suffix=".gpkg", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        tmp.unlink()
        try:
            frame = records[list(REGISTRY_COLUMNS) + [records.geometry.name]].copy()
            _write_layers(tmp, frame, log)
            os.replace(tmp, path)
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, RegistryError):
                raise
            raise RegistryError(f"could not save the registry ({exc}); the previous copy is unchanged") from exc


def _typed_log(log: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(log, columns=list(IMPORT_COLUMNS))
    for c in ("accepted", "rejected"):
        out[c] = pd.to_numeric(out[c]).fillna(0).astype("int64")
    for c in ("council_code", "source_file", "imported_by", "imported_at", "mode"):
        out[c] = out[c].astype("str")
    return out


def _write_layers(path: Path, records: gpd.GeoDataFrame, log: pd.DataFrame) -> None:
    records.to_file(path, layer="providers", engine="pyogrio")
    pyogrio.write_dataframe(_typed_log(log), path, layer="imports")


def merge_import(
    records: gpd.GeoDataFrame,
    result: ValidationResult,
    *,
    council_code: str,
    source_file: str,
    by: str,
    mode: str = "replace",
    now: datetime | None = None,
) -> gpd.GeoDataFrame:
    """The registry after importing a validated file.

    Parameters
    ----------
    records
        All current records (every council).
    result
        Output of :func:`gapmap.validate.validate_providers`.
    council_code
        The council the file belongs to.
    source_file, by
        Audit: file name and who imported it.
    mode
        ``"replace"`` the council's records with the file's, or ``"update"``: add new ids
        and overwrite existing ones, keeping the rest.
    now
        Time stamp (defaults to now, UTC).
    """
    if mode not in ("replace", "update"):
        raise ValueError("mode must be 'replace' or 'update'")
    stamp = pd.Timestamp(now or datetime.now(UTC)).tz_localize(None)
    new = result.accepted.drop(columns=["row"]).copy()
    new["council_code"] = council_code
    new["illustrative"] = result.illustrative
    new["imported_by"] = by
    new["imported_at"] = stamp
    new["source_file"] = source_file
    new["updated_by"] = by
    new["updated_at"] = stamp
    new = new[list(REGISTRY_COLUMNS) + ["geometry"]]
    others = records[records.council_code != council_code]
    mine = records[records.council_code == council_code]
    if mode == "update":
        mine = mine[~mine.id.isin(new.id)]
        new = pd.concat([mine, new], ignore_index=True)
    merged = pd.concat([others, new], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=BNG)


def log_import(
    log: pd.DataFrame,
    *,
    council_code: str,
    source_file: str,
    by: str,
    mode: str,
    result: ValidationResult,
    now: datetime | None = None,
) -> pd.DataFrame:
    """The import log with one more entry."""
    entry = {
        "council_code": council_code,
        "source_file": source_file,
        "imported_by": by,
        "imported_at": pd.Timestamp(now or datetime.now(UTC)).tz_localize(None).isoformat(timespec="seconds"),
        "mode": mode,
        "accepted": len(result.accepted),
        "rejected": len(result.rejected),
    }
    return pd.concat([log, pd.DataFrame([entry])], ignore_index=True)


def editable_table(records: gpd.GeoDataFrame, council_code: str) -> pd.DataFrame:
    """One council's records as the app's editor shows them (dates as plain dates)."""
    table = council_records(records, council_code)[list(EDITABLE)].copy()
    for c in ("start_date", "end_date"):
        table[c] = pd.Series([d.date() if pd.notna(d) else None for d in table[c]], index=table.index, dtype=object)
    return table


def apply_edits(
    records: gpd.GeoDataFrame,
    edited: pd.DataFrame,
    *,
    council_code: str,
    postcodes: pd.DataFrame,
    outline: object | None,
    by: str,
    now: datetime | None = None,
) -> tuple[gpd.GeoDataFrame, ValidationResult]:
    """Replace one council's records with an edited table, re-validating every row.

    The edited table (from the app's data editor: added rows, changed cells, end dates for
    closures) goes through the same checks as an import. If any row is rejected nothing is
    changed: the current records are returned with the problems, so no edit is half-applied.

    Returns
    -------
    (records, result)
        The new full registry (or the old one if rejected) and the validation result.
    """
    table = edited[[c for c in EDITABLE if c in edited.columns]].copy()
    for c in ("start_date", "end_date"):
        if c in table:
            table[c] = [None if pd.isna(v) else pd.Timestamp(v).strftime("%d/%m/%Y") for v in table[c]]
    # A row with its postcode changed must be re-geocoded; coordinates only win when the
    # postcode is blank, or unchanged from the stored record.
    previous = records[records.council_code == council_code].set_index("id")
    for i, row in table.iterrows():
        old = previous.loc[row["id"]] if row.get("id") in previous.index else None
        if old is not None and row.get("postcode") and row.get("postcode") != old.postcode:
            table.loc[i, ["easting", "northing"]] = None
    result = validate_providers(table, postcodes=postcodes, council_area=outline, first_row=1)
    if result.rejected:
        return records, result
    stamp = pd.Timestamp(now or datetime.now(UTC)).tz_localize(None)
    new = result.accepted.drop(columns=["row"]).copy()
    new["council_code"] = council_code
    keep = previous.reindex(new.id)
    new["illustrative"] = keep.illustrative.fillna(False).astype(bool).to_numpy() if len(keep) else False
    known = new.id.isin(previous.index).to_numpy()
    changed = np.array(_changed(previous, new), dtype=bool)
    new["imported_by"] = np.where(known, keep.imported_by.to_numpy(dtype=object), by)
    new["imported_at"] = pd.to_datetime(np.where(known, keep.imported_at.to_numpy(dtype=object), stamp))
    new["source_file"] = np.where(known, keep.source_file.to_numpy(dtype=object), "added in the app")
    new["updated_by"] = np.where(changed | ~known, by, keep.updated_by.to_numpy(dtype=object))
    new["updated_at"] = pd.to_datetime(np.where(changed | ~known, stamp, keep.updated_at.to_numpy(dtype=object)))
    others = records[records.council_code != council_code]
    merged = pd.concat([others, new[list(REGISTRY_COLUMNS) + ["geometry"]]], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=BNG), result


def _changed(previous: pd.DataFrame, new: pd.DataFrame) -> list[bool]:
    out = []
    for _, row in new.iterrows():
        if row.id not in previous.index:
            out.append(True)
            continue
        old = previous.loc[row.id]
        fields = ("name", "kind", "services", "client_groups", "capacity", "start_date", "end_date", "postcode")
        out.append(any(not _same(old[f], row[f]) for f in fields))
    return out


def _same(a: object, b: object) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    return a == b
