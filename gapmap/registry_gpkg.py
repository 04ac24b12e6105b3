"""The registry's GeoPackage backend (the embedded default): one file in a private user folder.

A ``providers`` layer (EPSG:27700 points, one row per provider per council) and an ``imports``
table. Every change takes a ``filelock`` lock, keeps the file as it was under ``versions/``
(a hard link, no copy) and writes a complete new file, fsynced and renamed over the old one.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import filelock
import geopandas as gpd
import pandas as pd
import pyogrio

from gapmap import io
from gapmap.config import data_home
from gapmap.errors import GapmapError, RegistryError
from gapmap.registry_schema import (
    DEFAULT_KEEP,
    LOCK_TIMEOUT_S,
    Transaction,
    Version,
    empty_log,
    empty_records,
    registry_frame,
    typed_log,
    typed_records,
    version_counts,
)

__all__ = ["Registry"]


def _read_gpkg(path: Path) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    try:
        records = gpd.read_file(path, layer="providers", engine="pyogrio")
        log = pyogrio.read_dataframe(path, layer="imports")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise RegistryError(f"the registry {path} could not be read ({exc})") from exc
    return typed_records(records), typed_log(log)


def _write_layers(path: Path, records: gpd.GeoDataFrame, log: pd.DataFrame) -> None:
    records.to_file(path, layer="providers", engine="pyogrio")
    pyogrio.write_dataframe(typed_log(log), path, layer="imports")


@dataclass(frozen=True)
class Registry:
    """The GeoPackage registry file (the embedded default backend).

    Attributes
    ----------
    path
        The GeoPackage. Defaults to ``$GAPMAP_HOME/registry.gpkg``, where ``GAPMAP_HOME``
        defaults to ``~/.local/share/gapmap``. Previous versions are kept in
        ``versions/`` beside it, the lock in ``registry.gpkg.lock``; files are 0600.
    keep
        How many previous versions to keep.
    timeout_s
        How long to wait for another change to finish.
    """

    path: Path
    keep: int = DEFAULT_KEEP
    timeout_s: float = LOCK_TIMEOUT_S

    @classmethod
    def default(cls) -> Registry:
        """The registry in the user data folder (``GAPMAP_HOME`` overrides the folder)."""
        return cls(data_home() / "registry.gpkg")

    @property
    def location(self) -> str:
        """The file's path."""
        return str(self.path)

    @property
    def versions_dir(self) -> Path:
        """Folder of kept previous versions."""
        return self.path.parent / "versions"

    def load(self) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """Read all records and the import log (empty ones if the file does not exist yet)."""
        if not self.path.exists():
            return empty_records(), empty_log()
        return _read_gpkg(self.path)

    def token(self) -> str:
        """The file's modification time and size (a rename always changes the first)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return "none"
        return f"{st.st_mtime_ns}-{st.st_size}-{st.st_ino}"

    @contextlib.contextmanager
    def transaction(self, *, by: str, note: str) -> Iterator[Transaction]:
        """Lock the file, read it, let the caller change it, keep the old file as a version, write.

        Raises
        ------
        RegistryError
            When the lock cannot be had within ``timeout_s``, or the file or its folder is
            read-only, or writing fails (the previous registry is then left exactly as it was).
        """
        if self.path.exists() and not os.access(self.path, os.W_OK):
            raise RegistryError(f"the registry {self.path} is read-only; nothing was changed")
        try:
            io.private_folder(self.path.parent)
        except GapmapError as exc:
            raise RegistryError(str(exc)) from exc
        lock = filelock.FileLock(
            self.path.with_name(self.path.name + ".lock"), timeout=self.timeout_s, mode=io.FILE_MODE, thread_local=False
        )
        try:
            lock.acquire()
        except filelock.Timeout:
            raise RegistryError(
                f"the registry {self.path} is busy (another change has held it for over {self.timeout_s:g} s); "
                "try again in a moment"
            ) from None
        except OSError as exc:
            raise RegistryError(
                f"cannot lock the registry {self.path} ({exc.strerror or exc}); nothing was changed"
            ) from exc
        try:
            io.remove_stale_temps(self.path.parent)
            tx = Transaction(*self.load(), by=by, note=note)
            yield tx
            if tx.changed:
                vid = self._keep_version(tx)
                try:
                    self._write(tx.records, tx.log)
                except RegistryError:
                    self._drop_version(vid)
                    raise
        finally:
            lock.release()

    def _write(self, records: gpd.GeoDataFrame, log: pd.DataFrame) -> None:
        try:
            with io.atomic_path(self.path) as tmp:
                _write_layers(tmp, registry_frame(records), log)
        except RegistryError:
            raise
        except Exception as exc:
            raise RegistryError(f"could not save the registry ({exc}); the previous copy is unchanged") from exc

    def _drop_version(self, vid: str) -> None:
        for suffix in (".gpkg", ".json"):
            (self.versions_dir / f"{vid}{suffix}").unlink(missing_ok=True)

    def _keep_version(self, tx: Transaction) -> str:
        """Keep the state before ``tx`` as ``versions/registry-<UTC time>.gpkg`` with a JSON note."""
        folder = io.private_folder(self.versions_dir)
        stamp = datetime.now(UTC).replace(tzinfo=None)
        vid = f"registry-{stamp:%Y%m%dT%H%M%S%f}"
        target = folder / f"{vid}.gpkg"
        records, log = tx.previous
        try:
            if self.path.exists():
                # A hard link keeps the old file's bytes under a second name, with no copy; the
                # new registry is a new file renamed over the old name, so the link is untouched.
                try:
                    os.link(self.path, target)
                except OSError:
                    with io.atomic_path(target) as tmp:
                        tmp.write_bytes(self.path.read_bytes())
            else:
                with io.atomic_path(target) as tmp:
                    _write_layers(tmp, registry_frame(records), log)
            meta = {"saved_at": stamp.isoformat(), "by": tx.by, "note": tx.note, "counts": version_counts(records)}
            io.write_atomic(folder / f"{vid}.json", json.dumps(meta).encode("utf-8"))
        except (OSError, GapmapError) as exc:
            raise RegistryError(f"could not keep the previous version ({exc}); nothing was changed") from exc
        for old in self._version_ids()[self.keep :]:
            self._drop_version(old)
        return vid

    def _version_ids(self) -> list[str]:
        if not self.versions_dir.exists():
            return []
        return sorted((p.stem for p in self.versions_dir.glob("registry-*.json")), reverse=True)

    def versions(self) -> list[Version]:
        """Kept previous versions, newest first."""
        out = []
        for vid in self._version_ids():
            try:
                meta = json.loads((self.versions_dir / f"{vid}.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            out.append(
                Version(
                    vid,
                    pd.Timestamp(meta.get("saved_at")),
                    str(meta.get("by", "")),
                    str(meta.get("note", "")),
                    {str(k): int(v) for k, v in meta.get("counts", {}).items()},
                )
            )
        return out

    def read_version(self, version_id: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """The records and log of one kept version.

        Raises
        ------
        RegistryError
            When there is no such version.
        """
        if version_id not in self._version_ids():
            raise RegistryError(f"no kept version {version_id!r}; see the list of versions")
        return _read_gpkg(self.versions_dir / f"{version_id}.gpkg")
