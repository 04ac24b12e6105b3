"""Files: reading the shipped data and people's own files, and the one way gapmap writes a file.

Every file gapmap writes goes through :func:`atomic_path` (or :func:`write_atomic`,
:func:`write_new`): all or nothing, flushed to disk, readable by its owner only. The shipped
data and the files people bring (providers, areas, projections) are read here. A few small
stores are read by the one module they belong to: the registry's GeoPackage
(:mod:`gapmap.registry_gpkg`), the users file (:mod:`gapmap.auth`), the privacy key
(:mod:`gapmap.privacy`) and the map scripts inlined in hand-outs (:mod:`gapmap.maps`). One
kind of file is not kept and so skips all this: the road search's scratch folder
(:mod:`gapmap.road_search`), an owner-only temporary folder shared with its helper process for
one search and removed after it.

Shipped tables are read with Parquet row filters on the council code, so loading one council
reads a small part of each England-wide file.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from gapmap._validate import check_declared_crs
from gapmap.config import BNG, DataPaths
from gapmap.errors import (
    AreaFileError,
    DataMissingError,
    GapmapError,
    OutputError,
    ProjectionError,
    ProviderFileError,
)
from gapmap.population_projections import PROJECTION_COLUMNS, SOURCE, Projections, snpp_totals

AREA_FILE_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip", ".shp")
MAX_AREA_FILE_BYTES = 200 * 1024 * 1024
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024
MAX_ZIP_RATIO = 200
"""Refuse zips that unpack to more than this many times their size (real shapefiles pack ~3-10x)."""


def _require(path: Path) -> Path:
    if not path.exists():
        raise DataMissingError(f"data file {path} is missing; rebuild it with `python scripts/build_data.py`")
    return path


TEMP_PREFIX = ".gapmap-tmp-"
"""Name start of the private folders that hold a file while it is being written."""
FILE_MODE = 0o600
"""Files gapmap writes are readable by their owner only: records hold personal data."""
FOLDER_MODE = 0o700


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (and parents) readable by its owner only; an existing folder is left as it is.

    Raises
    ------
    OutputError
        When it cannot be created.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {folder} ({exc.strerror or exc})") from exc
    return folder


@contextlib.contextmanager
def atomic_path(path: Path | str, *, mode: int = FILE_MODE) -> Iterator[Path]:
    """A temporary path that replaces ``path`` in one step when the block finishes without error.

    The file is written in a private (0700) folder beside ``path`` (same file system, so the
    final rename is atomic, and no one else can read it half-written), made 0600, flushed to
    disk (fsync) and renamed over ``path``; the folder entry is then flushed too. On any error
    the temporary folder is removed and ``path`` is left exactly as it was. A process killed
    mid-write (SIGKILL) leaves a ``.gapmap-tmp-*`` folder that only its owner can read;
    :func:`remove_stale_temps` clears those.

    Parameters
    ----------
    path
        The file to create or replace.
    mode
        Its permission bits (0600 unless said otherwise).

    Yields
    ------
    pathlib.Path
        Where to write (same file name as ``path``, so writers that look at the suffix work).

    Raises
    ------
    OutputError
        When the folder is missing and cannot be made, is read-only, or the disk is full.
    """
    path = Path(path)
    with _private_temp(path) as tmp:
        try:
            yield tmp
            if not tmp.exists():
                raise OutputError(f"nothing was written to {path}")
            os.chmod(tmp, mode)
            _fsync(tmp)
            os.replace(tmp, path)
            _fsync(path.parent)
        except OSError as exc:
            if isinstance(exc, GapmapError):
                raise
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def _private_temp(path: Path) -> Iterator[Path]:
    """A path named like ``path`` in a new private folder beside it (same file system); the folder goes after."""
    private_folder(path.parent)
    try:
        tmpdir = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=path.parent))
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc} (is the folder read-only?)") from exc
    try:
        yield tmpdir / path.name
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def write_atomic(path: Path | str, payload: bytes, *, mode: int = FILE_MODE) -> None:
    """Write ``payload`` to ``path`` all or nothing (see :func:`atomic_path`).

    Parameters
    ----------
    path
        The file to create or replace.
    payload
        Its new contents.
    mode
        Permission bits (owner-only by default: outputs may hold personal data).

    Raises
    ------
    OutputError
        When the folder cannot be made or written to.
    """
    with atomic_path(path, mode=mode) as tmp:
        tmp.write_bytes(payload)


def write_new(path: Path | str, payload: bytes, *, mode: int = FILE_MODE) -> bool:
    """Write ``payload`` to ``path`` only if no file is there yet, all or nothing; True if it was written.

    Like :func:`write_atomic` (a private temporary file, fsynced), but the last step links the
    file under its name instead of renaming over it, which fails when the name exists: two
    writers at once therefore keep the first one's file, never a mix or an overwrite.

    Raises
    ------
    OutputError
        When the folder cannot be made or written to.
    """
    path = Path(path)
    with _private_temp(path) as tmp:
        try:
            tmp.write_bytes(payload)
            os.chmod(tmp, mode)
            _fsync(tmp)
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
            _fsync(path.parent)
            return True
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def remove_stale_temps(folder: Path) -> int:
    """Remove ``.gapmap-tmp-*`` folders left in ``folder`` by a killed writer; returns how many.

    Call it only while holding the lock of whatever is written in ``folder`` (a live writer's
    folder would be removed too).
    """
    removed = 0
    for p in Path(folder).glob(TEMP_PREFIX + "*"):
        shutil.rmtree(p, ignore_errors=True)
        removed += 1
    return removed


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _council_filter(tier: str, code: str) -> list[tuple[str, str, str]]:
    column = "utla_code" if tier == "upper" else "lad_code"
    return [(column, "==", code)]


def read_councils(paths: DataPaths) -> pd.DataFrame:
    """Read the council list: code, name, tier (``upper``/``district``), totals."""
    return pd.read_csv(_require(paths.councils), dtype={"parent_code": "str"}, keep_default_na=False)


def read_points(paths: DataPaths, tier: str, code: str) -> pd.DataFrame:
    """Read the demand points (postcodes) of one council."""
    return pd.read_parquet(_require(paths.points), filters=_council_filter(tier, code))


def read_point_locations(paths: DataPaths) -> pd.DataFrame:
    """Every demand point's ``utla_code``, ``easting`` and ``northing`` (all councils, three columns)."""
    return pd.read_parquet(_require(paths.points), columns=["utla_code", "easting", "northing"])


def read_lsoa_table(paths: DataPaths, tier: str, code: str) -> pd.DataFrame:
    """Read Census ages and context for the LSOAs of one council."""
    return pd.read_parquet(_require(paths.lsoa_table), filters=_council_filter(tier, code))


def read_boundaries(paths: DataPaths, layer: str, tier: str, code: str) -> gpd.GeoDataFrame:
    """Read one council's boundaries of ``layer`` (``wards``, ``lsoa``, ``msoa``)."""
    gdf = gpd.read_parquet(_require(paths.boundaries(layer)), filters=_council_filter(tier, code))
    return gdf.reset_index(drop=True)


def read_manifest(paths: DataPaths) -> dict[str, Any]:
    """Read the provenance manifest written by the data build."""
    return json.loads(_require(paths.manifest).read_text(encoding="utf-8"))


_PARISH_CODE = re.compile(r"^PAR\d{2}CD$", re.IGNORECASE)
_PARISH_NAME = re.compile(r"^PAR\d{2}NMW?$", re.IGNORECASE)
_CODE_NAMES = ("area_code", "code", "id", "pcn_code", "ons_code")
_NAME_NAMES = ("area_name", "name", "pcn_name", "label", "title")


def read_area_file(path: Path | str) -> gpd.GeoDataFrame:
    """Read polygons the user supplies (parishes, village-agent patches, PCNs).

    Accepts GeoPackage, GeoJSON, a shapefile or a zipped shapefile. ONS parish files of any
    vintage are recognised by their ``PARxxCD``/``PARxxNM`` columns; otherwise a code and a
    name column are looked for by common names, and generated when absent.

    Parameters
    ----------
    path
        The file to read.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``area_code``, ``area_name``, ``geometry`` in EPSG:27700, invalid geometries
        repaired, non-polygon features rejected.

    Raises
    ------
    AreaFileError
        When the file cannot be read or holds no usable polygons; the message says why.
    """
    path = Path(path)
    if not path.exists():
        raise AreaFileError(f"{path.name}: file not found")
    if path.suffix.lower() not in AREA_FILE_SUFFIXES:
        raise AreaFileError(
            f"{path.name}: unsupported file type {path.suffix!r}; "
            "use a GeoPackage (.gpkg), GeoJSON (.geojson) or a zipped shapefile (.zip)"
        )
    if path.stat().st_size > MAX_AREA_FILE_BYTES:
        raise AreaFileError(
            f"{path.name}: file is over {MAX_AREA_FILE_BYTES // 2**20} MB; clip it to your council before loading"
        )
    if path.suffix.lower() == ".zip":
        return _standardise_areas(read_zipped_shapefile(path, AreaFileError), path.name)
    layer = None
    if path.suffix.lower() == ".gpkg":  # never read the first of several layers silently
        layer = _choose(
            path.name, _gpkg_layers(path, AreaFileError), None, AreaFileError, what="layer", option="--layer"
        )
    try:
        gdf = gpd.read_file(path, engine="pyogrio", layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise AreaFileError(f"{path.name}: could not be read as a boundary file ({_first_line(exc)})") from exc
    return _standardise_areas(gdf, path.name)


def check_zip(path: Path, error: type[GapmapError], *, max_bytes: int = MAX_UNZIPPED_BYTES) -> list[str]:
    """Check a zip before anything reads it; return its member names.

    Refuses zip bombs (members' total uncompressed size over ``max_bytes``, or a packing
    ratio over :data:`MAX_ZIP_RATIO`) and members whose path leaves the zip's own folder.

    Parameters
    ----------
    path
        The zip (also an .xlsx, which is a zip of XML).
    error
        The error type to raise (the caller's: area file or records file).
    max_bytes
        Largest total uncompressed size accepted.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise error(f"{path.name}: not a valid zip file") from exc
    total = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    if total > max_bytes or total / packed > MAX_ZIP_RATIO:
        raise error(
            f"{path.name}: unpacks to {total / 2**20:.0f} MB from {packed / 2**20:.1f} MB; "
            f"refusing a file that expands this much (limit {max_bytes / 2**20:.0f} MB; a zip bomb?)"
        )
    names = [i.filename for i in infos]
    for name in names:
        parts = Path(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise error(f"{path.name}: the zip holds a file outside its own folder ({name}); refusing it")
    return names


def zip_layers(path: Path, error: type[GapmapError]) -> list[str]:
    """The shapefiles (.shp members) in a checked zip, in the zip's order."""
    shps = [n for n in check_zip(path, error) if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
    if not shps:
        raise error(
            f"{path.name}: the zip holds no shapefile (.shp); zip the .shp together with its .shx, .dbf and .prj files"
        )
    return shps


def read_zipped_shapefile(path: Path, error: type[GapmapError], *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a shapefile inside a zip with GDAL's ``/vsizip/`` (nothing is extracted to disk).

    Parameters
    ----------
    path
        The zip file.
    error
        The error type to raise (the caller's: area file or records file).
    layer
        Which ``.shp`` member to read when the zip holds several (see :func:`zip_layers`).

    Raises
    ------
    GapmapError
        (of type ``error``) for a zip bomb, an unsafe path, no shapefile, several shapefiles
        and no ``layer`` chosen, or an unreadable shapefile.
    """
    shps = zip_layers(path, error)
    member = _choose(path.name, shps, layer, error, what="shapefile", option="--sheet")
    try:
        return gpd.read_file(f"/vsizip/{path.resolve()}/{member}", engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise error(f"{path.name}: the shapefile {member} could not be read ({_first_line(exc)})") from exc


def _choose(
    label: str, options: list[str], wanted: str | None, error: type[GapmapError], *, what: str, option: str | None
) -> str:
    """One of ``options``: ``wanted`` if given, the only one if there is one, else an error listing them."""
    if wanted is not None:
        if wanted not in options:
            raise error(f"{label}: no {what} called {wanted!r}; it has {', '.join(map(repr, options)) or 'none'}")
        return wanted
    if len(options) == 1:
        return options[0]
    raise error(
        f"{label}: holds {len(options)} {what}s with rows ({', '.join(map(repr, options))}); "
        + (
            f"choose one ({option} NAME on the command line, or the picker in the app) so nothing is left out unseen"
            if option
            else "save the one you mean in a file of its own, so nothing is left out unseen"
        )
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def check_file_crs(gdf: gpd.GeoDataFrame, label: str, error: type[GapmapError]) -> None:
    """A user file's coordinate reference system, checked before it is reprojected.

    The check itself is :func:`gapmap._validate.check_declared_crs`.
    """
    check_declared_crs(gdf, label, error)


def _pick(columns: list[str], pattern: re.Pattern[str] | None, names: tuple[str, ...]) -> str | None:
    if pattern is not None:
        hits = sorted(c for c in columns if pattern.match(c))
        if hits:
            # Prefer the English name column (PARxxNM) over the Welsh one (PARxxNMW).
            return hits[0]
    lower = {c.lower(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def _standardise_areas(gdf: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    if len(gdf) == 0:
        raise AreaFileError(f"{label}: the file holds no features")
    check_file_crs(gdf, label, AreaFileError)
    geom_types = set(gdf.geometry.geom_type.dropna())
    if not geom_types <= {"Polygon", "MultiPolygon"}:
        raise AreaFileError(f"{label}: expected polygons, found {', '.join(sorted(geom_types)) or 'no geometry'}")
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.all():
        raise AreaFileError(f"{label}: every feature has an empty geometry")
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    code_col = _pick(cols, _PARISH_CODE, _CODE_NAMES)
    name_col = _pick(cols, _PARISH_NAME, _NAME_NAMES)
    codes = (
        gdf[code_col].astype("str")
        if code_col
        else pd.Series([f"area-{i + 1}" for i in range(len(gdf))], index=gdf.index)
    )
    names = gdf[name_col].astype("str") if name_col else codes
    out = gpd.GeoDataFrame(
        {"area_code": codes.to_numpy(), "area_name": names.to_numpy()},
        geometry=gdf.geometry.to_crs(BNG).make_valid().to_numpy(),
        crs=BNG,
    )
    out = out[~empty.to_numpy()].reset_index(drop=True)
    if out.area_code.duplicated().any():
        dup = out.area_code[out.area_code.duplicated()].iloc[0]
        raise AreaFileError(f"{label}: area code {dup!r} appears more than once")
    return out


MAX_RECORD_FILE_BYTES = 20 * 1024 * 1024
MAX_RECORD_UNPACKED_BYTES = 200 * 1024 * 1024
"""Largest uncompressed size of an Excel workbook or zip of records (an .xlsx is a zip of XML)."""
MAX_RECORD_ROWS = 100_000
"""More rows than any council's provider list (England has ~20,000 micro-providers in all)."""
MAX_RECORD_COLUMNS = 500
RECORD_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".geojson", ".json", ".gpkg", ".zip")

_ZIP_MAGIC = b"PK\x03\x04"
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _content_kind(path: Path) -> str:
    """What the bytes are, whatever the name says: ``xlsx``, ``zip``, ``sqlite`` or ``text``."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as zf:
                return "xlsx" if "xl/workbook.xml" in zf.namelist() else "zip"
        except zipfile.BadZipFile:
            return "zip"
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    return "text"


_EXPECTED_KIND = {".csv": "text", ".txt": "text", ".geojson": "text", ".json": "text", ".xlsx": "xlsx",
                  ".xlsm": "xlsx", ".gpkg": "sqlite", ".zip": "zip"}  # fmt: skip
_KIND_NAMES = {"xlsx": "an Excel workbook (.xlsx)", "zip": "a zip file", "sqlite": "a GeoPackage (.gpkg)",
               "text": "a text file (CSV or GeoJSON)"}  # fmt: skip


def _checked_record_path(path: Path, max_bytes: int) -> str:
    if not path.exists():
        raise ProviderFileError(f"{path.name}: file not found")
    if path.is_dir():
        raise ProviderFileError(f"{path.name}: is a folder, not a file")
    suffix = path.suffix.lower()
    if suffix not in RECORD_SUFFIXES:
        raise ProviderFileError(
            f"{path.name}: unsupported file type {suffix or '(none)'}; use CSV, Excel (.xlsx), "
            "GeoJSON, GeoPackage or a zipped shapefile"
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise ProviderFileError(
            f"{path.name}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit; "
            "split the file or remove unused columns"
        )
    if size == 0:
        raise ProviderFileError(f"{path.name}: the file is empty")
    kind = _content_kind(path)
    if kind != _EXPECTED_KIND[suffix]:
        raise ProviderFileError(
            f"{path.name}: the name says {_KIND_NAMES[_EXPECTED_KIND[suffix]]} but the file is {_KIND_NAMES[kind]}; "
            "save it again in the format its name says (or rename it)"
        )
    return suffix


def record_layers(path: Path | str) -> list[str]:
    """The sheets (Excel) or layers (GeoPackage, shapefiles in a zip) of a records file that hold rows.

    CSV and GeoJSON hold one table: ``[]``. When there are several, the user picks one
    (``sheet`` in :func:`read_record_table`); none is ever dropped unseen.

    Raises
    ------
    ProviderFileError
        When the file cannot be opened.
    """
    path = Path(path)
    suffix = _checked_record_path(path, MAX_RECORD_FILE_BYTES)
    if suffix in (".xlsx", ".xlsm"):
        return _excel_sheets(path)
    if suffix == ".zip":
        return zip_layers(path, ProviderFileError)
    if suffix == ".gpkg":
        return _gpkg_layers(path, ProviderFileError)
    return []


def read_record_table(
    path: Path | str, *, max_bytes: int = MAX_RECORD_FILE_BYTES, sheet: str | None = None
) -> pd.DataFrame:
    """Read a council's records file into a table of raw cells.

    CSV text encoding is detected, not guessed: UTF-8 (with or without a byte-order mark),
    UTF-16 (Excel's "Unicode text"), else Windows-1252 (Excel's default "CSV" on Windows); any
    line ending (Windows, Unix, old Mac CR-only). CSV cells are kept as text for the validator
    to parse; Excel cells keep their types (dates stay dates), and a formula whose value was
    never calculated (no cached value: saved by a program other than Excel) is kept as its
    formula text, so the validator flags that row instead of reading a blank. Spatial files
    (GeoJSON, GeoPackage, zipped shapefile) of points give ``easting``/``northing`` columns in
    British National Grid.

    Parameters
    ----------
    path
        The file.
    max_bytes
        Size limit of the file itself (zips and workbooks are also limited unpacked).
    sheet
        The Excel sheet, GeoPackage layer or zipped shapefile to read, when there are several
        (see :func:`record_layers`).

    Returns
    -------
    pandas.DataFrame
        One row per data row, in file order, columns as headed in the file.

    Raises
    ------
    ProviderFileError
        When the file is missing, too big (bytes, unpacked size, rows or columns), of an
        unknown type or not what its name says, holds several sheets or layers and none was
        chosen, or cannot be read at all.
    """
    path = Path(path)
    suffix = _checked_record_path(path, max_bytes)
    if suffix in (".csv", ".txt"):
        return _read_csv_text(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_excel(path, sheet)
    if suffix == ".zip":
        gdf = read_zipped_shapefile(path, ProviderFileError, layer=sheet)
    else:
        layer = _choose(path.name, _gpkg_layers(path, ProviderFileError), sheet, ProviderFileError,
                        what="layer", option="--sheet") if suffix == ".gpkg" else None  # fmt: skip
        try:
            gdf = gpd.read_file(path, engine="pyogrio", layer=layer)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
            raise ProviderFileError(f"{path.name}: could not be read ({_first_line(exc)})") from exc
    return _points_to_table(gdf, path.name)


def _too_big(label: str, rows: int | None = None, columns: int | None = None) -> ProviderFileError:
    if rows is not None:
        return ProviderFileError(
            f"{label}: over {MAX_RECORD_ROWS:,} rows; a provider list is far shorter; "
            "check you exported the right sheet, or split the file"
        )
    return ProviderFileError(
        f"{label}: {columns:,} columns is over the {MAX_RECORD_COLUMNS} limit; keep only the provider columns"
    )


def _gpkg_layers(path: Path, error: type[GapmapError]) -> list[str]:
    try:
        layers = pyogrio.list_layers(path)
        counts = {str(name): pyogrio.read_info(path, layer=str(name))["features"] for name, _ in layers}
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise error(f"{path.name}: could not be read as a GeoPackage ({_first_line(exc)})") from exc
    with_rows = [name for name, n in counts.items() if n]
    return with_rows or list(counts)[:1]


def _read_csv_text(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # Windows, Unix and old-Mac line endings
    if text.count("\n") > MAX_RECORD_ROWS + 1:
        raise _too_big(path.name, rows=text.count("\n"))
    header = text.split("\n", 1)[0]
    try:
        sep = csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    if header.count(sep) + 1 > MAX_RECORD_COLUMNS:
        raise _too_big(path.name, columns=header.count(sep) + 1)
    import io as _io  # the stdlib module; this module is gapmap.io

    try:
        table = pd.read_csv(
            _io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False, engine="c"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as exc:
        raise ProviderFileError(f"{path.name}: could not be read as CSV ({_first_line(exc)})") from exc
    return table


def _open_workbook(path: Path, *, formulas: bool) -> Any:
    import openpyxl

    check_zip(path, ProviderFileError, max_bytes=MAX_RECORD_UNPACKED_BYTES)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=not formulas)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise ProviderFileError(f"{path.name}: could not be read as an Excel workbook ({_first_line(exc)})") from exc


def _excel_sheets(path: Path) -> list[str]:
    wb = _open_workbook(path, formulas=False)
    try:
        return _sheets_with_rows(wb)
    finally:
        wb.close()


def _sheets_with_rows(wb: Any) -> list[str]:
    names = [ws.title for ws in wb.worksheets if _has_rows(ws)]
    return names or [wb.worksheets[0].title]


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet's XML holds a formula element (``<f>``), read without parsing."""
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with zf.open(name) as fh:
                    tail = b""
                    while chunk := fh.read(1 << 20):
                        if re.search(rb"<(?:\w+:)?f[ >/]", tail + chunk):
                            return True
                        tail = chunk[-16:]
    return False


def _has_rows(ws: Any) -> bool:
    """A header and at least one data row with a value."""
    rows = ws.iter_rows(min_row=1, max_row=50, values_only=True)
    filled = sum(1 for row in rows if any(v is not None and str(v).strip() for v in row[:MAX_RECORD_COLUMNS]))
    return filled >= 2


def _read_excel(path: Path, sheet: str | None) -> pd.DataFrame:
    values = _open_workbook(path, formulas=False)
    try:
        name = _choose(path.name, _sheets_with_rows(values), sheet, ProviderFileError, what="sheet", option="--sheet")
    except ProviderFileError:
        values.close()
        raise
    # The second pass (formula text where no value was saved) only when some sheet has formulas.
    formulas = _open_workbook(path, formulas=True) if _has_formulas(path) else values
    try:
        rows = []
        cells = zip(values[name].iter_rows(values_only=True), formulas[name].iter_rows(values_only=True), strict=False)
        for i, (vals, forms) in enumerate(cells):
            if i > MAX_RECORD_ROWS:
                raise _too_big(path.name, rows=i)
            if len(vals) > MAX_RECORD_COLUMNS and any(v is not None for v in vals[MAX_RECORD_COLUMNS:]):
                raise _too_big(path.name, columns=len(vals))
            # A formula with no cached value reads as None: keep its text so the row is flagged.
            rows.append(
                [
                    f if v is None and isinstance(f, str) and f.startswith("=") else v
                    for v, f in zip(vals, forms, strict=False)
                ]
            )
    finally:
        values.close()
        if formulas is not values:
            formulas.close()
    if not rows:
        raise ProviderFileError(f"{path.name}: the sheet {name!r} is empty")
    width = max((max((k + 1 for k, v in enumerate(r) if v is not None), default=0) for r in rows), default=0)
    header = [_header_name(v, k) for k, v in enumerate(list(rows[0]) + [None] * (width - len(rows[0])))][:width]
    body = [list(r[:width]) + [None] * (width - len(r)) for r in rows[1:]]
    table = pd.DataFrame(body, columns=_unique(header), dtype=object)
    while len(table) and table.iloc[-1].isna().all():
        table = table.iloc[:-1]  # trailing blank rows Excel keeps in the sheet's range
    return table.astype(object).where(table.notna(), None)


def _header_name(value: object, k: int) -> str:
    text = "" if value is None else str(value).strip()
    return text or f"column {k + 1}"


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def _points_to_table(gdf: gpd.GeoDataFrame, label: str) -> pd.DataFrame:
    if len(gdf) > MAX_RECORD_ROWS:
        raise _too_big(label, rows=len(gdf))
    if len(gdf.columns) > MAX_RECORD_COLUMNS:
        raise _too_big(label, columns=len(gdf.columns))
    geom = gdf.geometry
    kinds = set(geom.geom_type.dropna())
    if not kinds <= {"Point"}:
        raise ProviderFileError(f"{label}: expected points, found {', '.join(sorted(kinds)) or 'no geometry'}")
    check_file_crs(gdf, label, ProviderFileError)
    bng = geom.to_crs(BNG)
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
    table = table.drop(columns=[c for c in table.columns if str(c).lower() in ("easting", "northing")])
    table["easting"] = pd.Series(bng.x.round(1).to_numpy(), index=table.index, dtype=object)
    table["northing"] = pd.Series(bng.y.round(1).to_numpy(), index=table.index, dtype=object)
    return table.where(table.notna(), None)


def lookup_postcodes(paths: DataPaths, postcodes: list[str]) -> pd.DataFrame:
    """Coordinates of the given (normalised) postcodes from the shipped Code-Point table."""
    wanted = sorted({p for p in postcodes if p})
    if not wanted:
        return pd.DataFrame({"postcode": [], "easting": [], "northing": []})
    return pd.read_parquet(
        _require(paths.points),
        columns=["postcode", "easting", "northing"],
        filters=[("postcode", "in", wanted)],
    )


def read_small_file(path: Path | str, *, max_bytes: int = 1_000_000) -> bytes:
    """The bytes of a small settings file (e.g. a parameters TOML file).

    Raises
    ------
    EconomyParamError
        When the file is missing, a folder, unreadable or larger than ``max_bytes`` (the
        error names the file).
    """
    from gapmap.errors import EconomyParamError

    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise EconomyParamError(str(path), f"file too big ({size:,} bytes; at most {max_bytes:,})")
        return path.read_bytes()
    except IsADirectoryError:
        raise EconomyParamError(str(path), "is a folder, not a file") from None
    except OSError as exc:
        raise EconomyParamError(str(path), f"cannot read: {exc.strerror or exc}") from None


SHIPPED_PROJECTIONS = Path("projections") / "snpp2022_65plus.csv"
MAX_PROJECTION_FILE_BYTES = 200 * 1024 * 1024


def read_projections(path: Path | str | None = None, *, paths: DataPaths | None = None) -> Projections:
    """Read population projections: the shipped table, or a user's ONS SNPP file.

    Parameters
    ----------
    path
        A CSV either as ONS publishes SNPP tables (``AREA_CODE, AREA_NAME, COMPONENT, SEX,
        AGE_GROUP, 2022, 2023, …``; any councils, all ages or just 65+) or in the compact
        layout of :data:`gapmap.population_projections.PROJECTION_COLUMNS`. ``None``: the shipped
        ``data/projections/snpp2022_65plus.csv`` (Somerset and Thurrock).
    paths
        Where the shipped data is.

    Returns
    -------
    gapmap.population_projections.Projections

    Raises
    ------
    ProjectionError
        The file is missing, too big, unreadable or not a projections table.
    """
    shipped = path is None
    path = (paths or DataPaths()).root / SHIPPED_PROJECTIONS if shipped else Path(path)
    if not path.exists():
        raise ProjectionError(f"projections file {path} is missing")
    if path.stat().st_size > MAX_PROJECTION_FILE_BYTES:
        raise ProjectionError(f"{path.name}: over the {MAX_PROJECTION_FILE_BYTES / 2**20:.0f} MB limit")
    try:
        raw = pd.read_csv(path, encoding="utf-8-sig", low_memory=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ProjectionError(f"{path.name}: could not be read as CSV ({exc})") from exc
    if set(PROJECTION_COLUMNS) <= set(raw.columns):
        table = raw[list(PROJECTION_COLUMNS)].copy()
        table["council_code"] = table.council_code.astype(str)
        table["year"] = pd.to_numeric(table.year, errors="coerce")
        if table.isna().any().any():
            raise ProjectionError(f"{path.name}: blank or non-numeric cells")
        table["year"] = table.year.astype(int)
    else:
        table = snpp_totals(raw)
    source = SOURCE if shipped else f"{path.name} (user-supplied ONS SNPP table)"
    return Projections(table=table, source=source)
