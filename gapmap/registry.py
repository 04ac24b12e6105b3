"""The provider registry: the councils' accepted records, kept between sessions.

Four modules, each leaning only on the ones before it:

- :mod:`gapmap.registry_schema`: the columns and their types, a kept :class:`Version`, the
  :class:`Transaction` a change works on and the :class:`RegistryBackend` interface;
- :mod:`gapmap.registry_gpkg`: :class:`Registry` (the embedded default), one GeoPackage file
  in a private (0700) user data folder, with a ``providers`` layer (EPSG:27700 points, one row
  per provider per council) and an ``imports`` table recording who imported which file when;
- :mod:`gapmap.registry_postgres`: :class:`~gapmap.registry_postgres.PostgresRegistry`, the
  same tables in PostgreSQL + PostGIS, for a team sharing one registry;
- this module: the operations on top, for any backend, chosen by :func:`open_registry` from
  ``GAPMAP_REGISTRY`` (a file path or a ``postgresql://`` URL). Every name above is importable
  from here too.

Every change is a read-modify-write inside :func:`transaction` (or :func:`update`): the
backend takes its lock (a ``filelock`` lock file, or a PostgreSQL advisory lock), reads the
current records, lets the caller change them, keeps the previous state as a version and
writes the new one (GeoPackage: a complete new file, fsynced and renamed over the old one).
Two imports at once therefore both land, and any change can be undone with :func:`restore`.

The functions here that compute changes (:func:`merge_import`, :func:`apply_edits`) are pure:
they take frames and return new frames.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gapmap.config import BNG
from gapmap.errors import RegistryConflictError, RegistryError, ReplaceRefusedError
from gapmap.registry_gpkg import Registry
from gapmap.registry_schema import (
    DEFAULT_KEEP,
    EDITABLE,
    IMPORT_COLUMNS,
    LOCK_TIMEOUT_S,
    REGISTRY_COLUMNS,
    RegistryBackend,
    Transaction,
    Version,
    council_records,
    current_user,
    empty_records,
)
from gapmap.validate import ValidationResult, validate_providers

__all__ = [
    "DEFAULT_KEEP",
    "EDITABLE",
    "IMPORT_COLUMNS",
    "LOCK_TIMEOUT_S",
    "REGISTRY_COLUMNS",
    "Registry",
    "RegistryBackend",
    "RegistryConflictError",
    "RegistryError",
    "ReplaceRefusedError",
    "Transaction",
    "Version",
    "apply_edits",
    "council_records",
    "current_user",
    "editable_table",
    "empty_records",
    "import_result",
    "load",
    "log_import",
    "merge_import",
    "open_registry",
    "restore",
    "save",
    "transaction",
    "update",
    "versions",
]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_registry(target: str | os.PathLike[str] | None = None) -> RegistryBackend:
    """The registry to use: ``target``, else ``$GAPMAP_REGISTRY``, else the default file.

    Parameters
    ----------
    target
        A GeoPackage path, or a ``postgresql://user:password@host:port/database`` URL
        (PostgreSQL with PostGIS; add ``?options=-csearch_path%3Dschema,public`` to use a schema).

    Examples
    --------
    >>> open_registry("/tmp/x/registry.gpkg").location
    '/tmp/x/registry.gpkg'
    """
    value = target if target is not None else os.environ.get("GAPMAP_REGISTRY") or None
    if value is None:
        return Registry.default()
    text = os.fspath(value)
    if text.startswith(POSTGRES_SCHEMES):
        from gapmap.registry_postgres import PostgresRegistry

        return PostgresRegistry(text)
    return Registry(Path(text).expanduser())


def load(registry: RegistryBackend) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read all records and the import log (empty ones if nothing was saved yet)."""
    return registry.load()


def transaction(
    registry: RegistryBackend, *, by: str | None = None, note: str = "change", expect: str | None = None
) -> contextlib.AbstractContextManager[Transaction]:
    """One locked read-modify-write of the registry.

    Parameters
    ----------
    registry
        The backend.
    by
        Who is making the change (default: the operating-system user).
    note
        What the change is, kept with the previous version.
    expect
        The :meth:`RegistryBackend.token` the change was prepared against (e.g. when the page
        showing the editor was drawn). If the registry was written since, the change is refused
        with :class:`RegistryConflictError` instead of overwriting someone else's work.

    Examples
    --------
    >>> import tempfile
    >>> reg = Registry(Path(tempfile.mkdtemp()) / "registry.gpkg")
    >>> with transaction(reg, by="Ann", note="clear") as tx:
    ...     tx.records = tx.records.iloc[:0]
    >>> [v.note for v in versions(reg)]
    ['clear']
    """
    return _checked(registry, by=by or current_user(), note=note, expect=expect)


@contextlib.contextmanager
def _checked(registry: RegistryBackend, *, by: str, note: str, expect: str | None) -> Iterator[Transaction]:
    with registry.transaction(by=by, note=note) as tx:
        if expect is not None and registry.token() != expect:
            raise RegistryConflictError(
                f"someone else saved the registry ({registry.location}) after you opened it; "
                "nothing was changed: reload the page and make your change again"
            )
        yield tx


def update(
    registry: RegistryBackend,
    change: Callable[[gpd.GeoDataFrame, pd.DataFrame], tuple[gpd.GeoDataFrame, pd.DataFrame]],
    *,
    by: str | None = None,
    note: str = "change",
    expect: str | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Apply ``change(records, log) -> (records, log)`` under the lock and save; returns the new contents."""
    with transaction(registry, by=by, note=note, expect=expect) as tx:
        tx.records, tx.log = change(tx.records, tx.log)
        return tx.records, tx.log


def save(registry: RegistryBackend, records: gpd.GeoDataFrame, log: pd.DataFrame, *, by: str | None = None) -> None:
    """Overwrite the whole registry with ``records`` and ``log`` (keeping the previous version).

    Prefer :func:`update` or :func:`import_result`: they apply the change to the records as
    they are when the lock is taken, so no one else's concurrent change is lost.
    """
    with transaction(registry, by=by, note="save") as tx:
        tx.records, tx.log = records, log


def versions(registry: RegistryBackend) -> list[Version]:
    """Kept previous versions of the registry, newest first."""
    return registry.versions()


def restore(
    registry: RegistryBackend, version_id: str, *, by: str | None = None, council_code: str | None = None
) -> None:
    """Put back a kept version; the state it replaces is kept as a version in turn, so this can be undone.

    Parameters
    ----------
    registry
        The backend.
    version_id
        A :attr:`Version.id` from :func:`versions`.
    by
        Who is restoring.
    council_code
        Put back only this council's records (and leave every other council as it is now), as
        the app does; the import log gets a ``restore`` line. ``None`` restores everything.

    Raises
    ------
    RegistryError
        When there is no such version, or the registry cannot be written.
    """
    scope = f" {council_code}" if council_code else ""
    with transaction(registry, by=by, note=f"restore{scope} {version_id}") as tx:
        old_records, old_log = registry.read_version(version_id)
        if council_code is None:
            tx.records, tx.log = old_records, old_log
            return
        back = old_records[old_records.council_code == council_code]
        merged = pd.concat([tx.records[tx.records.council_code != council_code], back], ignore_index=True)
        tx.records = gpd.GeoDataFrame(merged, geometry="geometry", crs=BNG)
        entry = {
            "council_code": council_code,
            "source_file": f"version {version_id}",
            "imported_by": tx.by,
            "imported_at": pd.Timestamp(datetime.now(UTC)).tz_localize(None).isoformat(timespec="seconds"),
            "mode": "restore",
            "accepted": len(back),
            "rejected": 0,
        }
        tx.log = pd.concat([tx.log, pd.DataFrame([entry])], ignore_index=True)


def refuse_bad_replace(result: ValidationResult, *, mode: str, force: bool = False) -> None:
    """Raise :class:`ReplaceRefusedError` for a replace whose file has more rejected than accepted rows.

    A mostly-bad file (wrong sheet, shifted columns) would otherwise throw the council's good
    records away; ``force`` says the user means it.
    """
    n_ok, n_bad = len(result.accepted), len(result.rejected)
    if mode == "replace" and not force and n_bad > n_ok:
        raise ReplaceRefusedError(
            f"refusing to replace the council's records with a file where {n_bad} rows were rejected and "
            f"only {n_ok} accepted; fix the file, use --mode update, or add --force to replace anyway"
        )


def import_result(
    registry: RegistryBackend,
    result: ValidationResult,
    *,
    council_code: str,
    source_file: str,
    by: str | None = None,
    mode: str = "replace",
    force: bool = False,
    now: datetime | None = None,
) -> int:
    """Save a validated file's accepted rows for one council, under the lock.

    Returns
    -------
    int
        The council's number of providers after the import.

    Raises
    ------
    ReplaceRefusedError
        For a ``replace`` with more rejected than accepted rows, unless ``force``.
    RegistryError
        When the registry cannot be written.
    """
    refuse_bad_replace(result, mode=mode, force=force)
    who = by or current_user()
    note = f"import {mode} {council_code} ({source_file})"
    with transaction(registry, by=who, note=note) as tx:
        tx.records = merge_import(
            tx.records, result, council_code=council_code, source_file=source_file, by=who, mode=mode, now=now
        )
        tx.log = log_import(
            tx.log, council_code=council_code, source_file=source_file, by=who, mode=mode, result=result, now=now
        )
        return int((tx.records.council_code == council_code).sum())


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
