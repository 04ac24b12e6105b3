"""The registry in PostgreSQL + PostGIS, for a team sharing one registry (psycopg 3).

Chosen with ``GAPMAP_REGISTRY=postgresql://user:password@host:port/database``. The tables
mirror the GeoPackage: ``gapmap_providers`` (the registry columns plus ``geom
geometry(Point, 27700)``), ``gapmap_imports`` (the import log), and for kept versions
``gapmap_versions`` with ``gapmap_provider_versions`` / ``gapmap_import_versions`` (copies of
the two tables tagged with a version id). Column types are derived from
:func:`gapmap.registry_schema.empty_records`, so the two backends cannot drift.

Each change is one database transaction holding a transaction-level advisory lock, so two
changes at once run one after the other and neither is lost; readers see a consistent
snapshot (``REPEATABLE READ``). The PostGIS extension must exist in the database (``CREATE
EXTENSION postgis``, done once by an administrator).
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from gapmap.config import BNG
from gapmap.errors import RegistryError
from gapmap.registry_schema import (
    DEFAULT_KEEP,
    IMPORT_COLUMNS,
    LOCK_TIMEOUT_S,
    REGISTRY_COLUMNS,
    Transaction,
    Version,
    empty_log,
    empty_records,
    typed_log,
    typed_records,
    version_counts,
)

LOCK_KEY = 0x6761706D6170  # "gapmap": one advisory lock for every change to the registry
_SQL_TYPES = {"float64": "double precision", "bool": "boolean", "datetime64[ns]": "timestamp", "int64": "bigint"}


@functools.cache
def _columns() -> tuple[tuple[str, str], ...]:
    frame = empty_records()
    return tuple((c, _SQL_TYPES.get(str(frame[c].dtype), "text")) for c in REGISTRY_COLUMNS)


_LOG_TYPES = {"accepted": "bigint", "rejected": "bigint"}


@dataclass(frozen=True)
class PostgresRegistry:
    """The registry in a PostgreSQL database with PostGIS.

    Attributes
    ----------
    url
        ``postgresql://user:password@host:port/database`` (libpq URL; query parameters such
        as ``options=-csearch_path%3Dschema,public`` pass through).
    keep
        How many previous versions to keep.
    timeout_s
        How long a change waits for another one to finish.
    """

    url: str
    keep: int = DEFAULT_KEEP
    timeout_s: float = LOCK_TIMEOUT_S

    @property
    def location(self) -> str:
        """The URL without its password."""
        return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", self.url)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[psycopg.Connection]:
        try:
            with psycopg.connect(self.url, connect_timeout=10) as conn:
                yield conn
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RegistryError(f"cannot reach the registry database {self.location} ({first})") from exc
        except psycopg.Error as exc:
            raise RegistryError(f"registry database error at {self.location}: {exc}") from exc

    def load(self) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """All records and the import log, read in one consistent snapshot."""
        with self._connect() as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with conn.transaction():
                if not _exists(conn):
                    return empty_records(), empty_log()
                return _read(conn, "gapmap_providers", "gapmap_imports")

    def token(self) -> str:
        """The newest version id (every change adds one)."""
        with self._connect() as conn:
            if not _exists(conn):
                return "none"
            row = conn.execute("SELECT coalesce(max(id), 0) FROM gapmap_versions").fetchone()
            return str(row[0])

    @contextlib.contextmanager
    def transaction(self, *, by: str, note: str) -> Iterator[Transaction]:
        """One database transaction: advisory lock, read, change, keep a version, write."""
        with self._connect() as conn, conn.transaction():
            conn.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(self.timeout_s * 1000)}ms"])
            try:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            except psycopg.errors.LockNotAvailable:
                raise RegistryError(
                    f"the registry {self.location} is busy (another change has held it for over "
                    f"{self.timeout_s:g} s); try again in a moment"
                ) from None
            _create(conn)
            tx = Transaction(*_read(conn, "gapmap_providers", "gapmap_imports"), by=by, note=note)
            yield tx
            if tx.changed:
                try:
                    self._keep_version(conn, tx)
                    _write(conn, tx.records, tx.log)
                except psycopg.Error:
                    raise
                except Exception as exc:  # rolled back by conn.transaction(): nothing was changed
                    raise RegistryError(f"could not save the registry ({exc}); the previous copy is unchanged") from exc

    def _keep_version(self, conn: psycopg.Connection, tx: Transaction) -> None:
        stamp = datetime.now(UTC).replace(tzinfo=None)
        counts = json.dumps(version_counts(tx.previous[0]))
        vid = conn.execute(
            "INSERT INTO gapmap_versions (saved_at, saved_by, note, counts) VALUES (%s, %s, %s, %s) RETURNING id",
            [stamp, tx.by, tx.note, counts],
        ).fetchone()[0]
        conn.execute("INSERT INTO gapmap_provider_versions SELECT %s, p.* FROM gapmap_providers p", [vid])
        conn.execute("INSERT INTO gapmap_import_versions SELECT %s, i.* FROM gapmap_imports i", [vid])
        old = "(SELECT id FROM gapmap_versions ORDER BY id DESC OFFSET %s)"
        for table in ("gapmap_provider_versions", "gapmap_import_versions"):
            conn.execute(f"DELETE FROM {table} WHERE version_id IN {old}", [self.keep])
        conn.execute(f"DELETE FROM gapmap_versions WHERE id IN {old}", [self.keep])

    def versions(self) -> list[Version]:
        """Kept previous versions, newest first."""
        with self._connect() as conn:
            if not _exists(conn):
                return []
            rows = conn.execute(
                "SELECT id, saved_at, saved_by, note, counts FROM gapmap_versions ORDER BY id DESC"
            ).fetchall()
        return [
            Version(str(i), pd.Timestamp(at), str(by), str(note), {k: int(v) for k, v in json.loads(c).items()})
            for i, at, by, note, c in rows
        ]

    def read_version(self, version_id: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """The records and log of one kept version."""
        if not str(version_id).isdigit():
            raise RegistryError(f"no kept version {version_id!r}; see the list of versions")
        with self._connect() as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with conn.transaction():
                found = (
                    _exists(conn)
                    and conn.execute("SELECT 1 FROM gapmap_versions WHERE id = %s", [int(version_id)]).fetchone()
                )
                if not found:
                    raise RegistryError(f"no kept version {version_id!r}; see the list of versions")
                return _read(conn, "gapmap_provider_versions", "gapmap_import_versions", version=int(version_id))


def _exists(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT to_regclass('gapmap_versions') IS NOT NULL").fetchone()[0]


def _create(conn: psycopg.Connection) -> None:
    """Create the tables if missing (called under the advisory lock, so never twice at once)."""
    if _exists(conn):
        return
    try:
        conn.execute("SELECT 'POINT(0 0)'::geometry")
    except psycopg.errors.UndefinedObject:
        raise RegistryError(
            "the registry database has no PostGIS: run `CREATE EXTENSION postgis` in it once (as its owner)"
        ) from None
    cols = ", ".join(f"{name} {kind}" for name, kind in _columns())
    log_cols = ", ".join(f"{c} {_LOG_TYPES.get(c, 'text')}" for c in IMPORT_COLUMNS)
    conn.execute(f"CREATE TABLE gapmap_providers (ord bigint, {cols}, geom geometry(Point, 27700))")
    conn.execute(f"CREATE TABLE gapmap_imports (ord bigint, {log_cols})")
    conn.execute(
        "CREATE TABLE gapmap_versions (id bigserial PRIMARY KEY, saved_at timestamp, saved_by text, note text, "
        "counts text)"
    )
    conn.execute("CREATE TABLE gapmap_provider_versions (version_id bigint, LIKE gapmap_providers)")
    conn.execute("CREATE TABLE gapmap_import_versions (version_id bigint, LIKE gapmap_imports)")
    conn.execute("CREATE INDEX ON gapmap_providers (council_code)")
    conn.execute("CREATE INDEX ON gapmap_provider_versions (version_id)")
    conn.execute("CREATE INDEX ON gapmap_import_versions (version_id)")


def _read(
    conn: psycopg.Connection, providers: str, imports: str, *, version: int | None = None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    names = [c for c, _ in _columns()]
    where = sql.SQL(" WHERE version_id = {}").format(version) if version is not None else sql.SQL("")
    query = sql.SQL("SELECT {cols}, ST_AsBinary(geom) FROM {table}{where} ORDER BY ord").format(
        cols=sql.SQL(", ").join(map(sql.Identifier, names)), table=sql.Identifier(providers), where=where
    )
    rows = conn.execute(query).fetchall()
    frame = pd.DataFrame([r[:-1] for r in rows], columns=names)
    geoms = shapely.from_wkb(np.array([r[-1] for r in rows], dtype=object)) if rows else []
    records = typed_records(gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=BNG), crs=BNG))
    if not rows:
        records = empty_records()
    log_query = sql.SQL("SELECT {cols} FROM {table}{where} ORDER BY ord").format(
        cols=sql.SQL(", ").join(map(sql.Identifier, IMPORT_COLUMNS)), table=sql.Identifier(imports), where=where
    )
    log = pd.DataFrame(conn.execute(log_query).fetchall(), columns=list(IMPORT_COLUMNS))
    return records, typed_log(log)


def _py(value: object) -> object:
    """A frame cell as a value psycopg can send (NaN/NaT → NULL, numpy → Python)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _write(conn: psycopg.Connection, records: gpd.GeoDataFrame, log: pd.DataFrame) -> None:
    names = [c for c, _ in _columns()]
    conn.execute("DELETE FROM gapmap_providers")
    conn.execute("DELETE FROM gapmap_imports")
    geoms = records.geometry.to_crs(BNG) if records.crs is not None else records.geometry
    wkb = shapely.to_wkb(shapely.set_srid(np.asarray(geoms.values, dtype=object), 27700), hex=True, include_srid=True)
    cols = ", ".join(["ord", *names, "geom"])
    with conn.cursor().copy(f"COPY gapmap_providers ({cols}) FROM STDIN") as copy:
        for i, (row, g) in enumerate(zip(records[names].itertuples(index=False), wkb, strict=True)):
            copy.write_row([i, *(_py(v) for v in row), g])
    typed = typed_log(log)
    with conn.cursor().copy(f"COPY gapmap_imports (ord, {', '.join(IMPORT_COLUMNS)}) FROM STDIN") as copy:
        for i, row in enumerate(typed[list(IMPORT_COLUMNS)].itertuples(index=False)):
            copy.write_row([i, *(_py(v) for v in row)])
