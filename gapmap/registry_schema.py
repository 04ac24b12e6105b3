"""The registry's schema and the types its backends share.

The columns of the ``providers`` layer and the ``imports`` log, their types
(:func:`empty_records`, :func:`typed_records`, :func:`typed_log`), a kept :class:`Version`, the
:class:`Transaction` a change works on, and the :class:`RegistryBackend` interface that the
GeoPackage backend (:mod:`gapmap.registry_gpkg`) and the PostgreSQL backend
(:mod:`gapmap.registry_postgres`) implement. The operations on top are in :mod:`gapmap.registry`.
"""

from __future__ import annotations

import contextlib
import getpass
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import geopandas as gpd
import pandas as pd

from gapmap.config import BNG
from gapmap.schema import ACCEPTED_COLUMNS, FIELDS

__all__ = [
    "DEFAULT_KEEP",
    "EDITABLE",
    "IMPORT_COLUMNS",
    "LOCK_TIMEOUT_S",
    "REGISTRY_COLUMNS",
    "RegistryBackend",
    "Transaction",
    "Version",
    "council_records",
    "current_user",
    "empty_log",
    "empty_records",
    "registry_frame",
    "typed_log",
    "typed_records",
    "version_counts",
]

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
DEFAULT_KEEP = 20
"""Previous versions kept (each change keeps the state before it)."""
LOCK_TIMEOUT_S = 60.0
"""How long a change waits for another one to finish before giving up."""


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


def empty_log() -> pd.DataFrame:
    """An import log with no entries, with the right columns and types."""
    return typed_log(pd.DataFrame(columns=list(IMPORT_COLUMNS)))


def typed_records(records: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Records as read back from a backend, with the registry's column types and CRS."""
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


def typed_log(log: pd.DataFrame) -> pd.DataFrame:
    """The import log with its columns in order and typed (counts as integers, the rest as text)."""
    out = pd.DataFrame(log, columns=list(IMPORT_COLUMNS))
    for c in ("accepted", "rejected"):
        out[c] = pd.to_numeric(out[c]).fillna(0).astype("int64")
    for c in ("council_code", "source_file", "imported_by", "imported_at", "mode"):
        out[c] = out[c].astype("str")
    return out


def registry_frame(records: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Only the registry's columns and the geometry, in order (what a backend writes)."""
    return records[list(REGISTRY_COLUMNS) + [records.geometry.name]].copy()


def version_counts(records: pd.DataFrame) -> dict[str, int]:
    """Providers per council code, as a kept version records them."""
    return {str(k): int(v) for k, v in records.council_code.value_counts().sort_index().items()}


@dataclass(frozen=True)
class Version:
    """One kept state of the registry: what it held before a change.

    Attributes
    ----------
    id
        Identifier to pass to :func:`restore`.
    saved_at
        When the change that replaced this state was made (UTC, naive).
    by, note
        Who made that change and what it was (e.g. ``"import replace E06000066 (list.csv)"``).
    counts
        Providers per council code in this state.
    """

    id: str
    saved_at: pd.Timestamp
    by: str
    note: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Providers in this state, all councils."""
        return sum(self.counts.values())


class Transaction:
    """The registry's contents during one locked change; assign ``records`` / ``log`` to change them.

    Attributes
    ----------
    records, log
        The current records and import log, read under the lock. Replace them with new
        frames (never change them in place); nothing is written unless one was replaced.
    by, note
        Who is changing the registry and what the change is (kept with the previous version).
    """

    def __init__(self, records: gpd.GeoDataFrame, log: pd.DataFrame, *, by: str, note: str) -> None:
        self.records = records
        self.log = log
        self.by = by
        self.note = note
        self._initial = (records, log)

    @property
    def changed(self) -> bool:
        """Whether the records or the log were replaced."""
        return self.records is not self._initial[0] or self.log is not self._initial[1]

    @property
    def previous(self) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """The contents read when the transaction started."""
        return self._initial


@runtime_checkable
class RegistryBackend(Protocol):
    """What every registry backend provides (GeoPackage file, PostgreSQL)."""

    @property
    def location(self) -> str:
        """Where the registry is, for people (no password)."""
        ...

    def load(self) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """All records and the import log (empty ones before the first save)."""
        ...

    def token(self) -> str:
        """A value that changes whenever the registry is written (for caches and conflict checks)."""
        ...

    def transaction(self, *, by: str, note: str) -> contextlib.AbstractContextManager[Transaction]:
        """Lock, read, let the caller change the contents, keep the previous version, write."""
        ...

    def versions(self) -> list[Version]:
        """Kept previous versions, newest first."""
        ...

    def read_version(self, version_id: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """The records and log of one kept version."""
        ...
