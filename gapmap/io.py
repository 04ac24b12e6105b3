"""Reading files: the only gapmap module that touches the disk.

Shipped tables are read with Parquet row filters on the council code, so loading one council
reads a small part of each England-wide file.
"""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from gapmap.config import BNG, DataPaths
from gapmap.errors import AreaFileError, DataMissingError, GapmapError, ProjectionError, ProviderFileError
from gapmap.projections import PROJECTION_COLUMNS, SOURCE, Projections, snpp_totals

AREA_FILE_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip", ".shp")
MAX_AREA_FILE_BYTES = 200 * 1024 * 1024
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024
MAX_ZIP_RATIO = 200
"""Refuse zips that unpack to more than this many times their size (real shapefiles pack ~3-10x)."""


def _require(path: Path) -> Path:
    if not path.exists():
        raise DataMissingError(f"data file {path} is missing; rebuild it with `python scripts/build_data.py`")
    return path


def _council_filter(tier: str, code: str) -> list[tuple[str, str, str]]:
    column = "utla_code" if tier == "upper" else "lad_code"
    return [(column, "==", code)]


def read_councils(paths: DataPaths) -> pd.DataFrame:
    """Read the council list: code, name, tier (``upper``/``district``), totals."""
    return pd.read_csv(_require(paths.councils), dtype={"parent_code": "str"}, keep_default_na=False)


def read_points(paths: DataPaths, tier: str, code: str) -> pd.DataFrame:
    """Read the demand points (postcodes) of one council."""
    return pd.read_parquet(_require(paths.points), filters=_council_filter(tier, code))


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
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise AreaFileError(f"{path.name}: could not be read as a boundary file ({exc})") from exc
    return _standardise_areas(gdf, path.name)


def read_zipped_shapefile(path: Path, error: type[GapmapError]) -> gpd.GeoDataFrame:
    """Read the shapefile inside a zip, refusing zip bombs, unsafe paths and zips with no .shp.

    Parameters
    ----------
    path
        The zip file.
    error
        The error type to raise (the caller's: area file or records file).
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            packed = max(sum(i.compress_size for i in infos), 1)
            if total > MAX_UNZIPPED_BYTES or total / packed > MAX_ZIP_RATIO:
                raise error(
                    f"{path.name}: unpacks to {total / 2**20:.0f} MB from {packed / 2**20:.1f} MB; "
                    "refusing a file that expands this much (a zip bomb?)"
                )
            shps = [i.filename for i in infos if i.filename.lower().endswith(".shp")]
            if not shps:
                raise error(
                    f"{path.name}: the zip holds no shapefile (.shp); "
                    "zip the .shp together with its .shx, .dbf and .prj files"
                )
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp).resolve()
                if any(not (root / i.filename).resolve().is_relative_to(root) for i in infos):
                    raise error(f"{path.name}: the zip holds a file outside its own folder; refusing it")
                zf.extractall(tmp)
                return gpd.read_file(root / shps[0], engine="pyogrio")
    except zipfile.BadZipFile as exc:
        raise error(f"{path.name}: not a valid zip file") from exc
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise error(f"{path.name}: the shapefile could not be read ({exc})") from exc


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
    if gdf.crs is None:
        raise AreaFileError(
            f"{label}: the file has no coordinate reference system; "
            "save it with one (British National Grid, EPSG:27700, or WGS84)"
        )
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
RECORD_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".geojson", ".json", ".gpkg", ".zip")


def read_record_table(path: Path | str, *, max_bytes: int = MAX_RECORD_FILE_BYTES) -> pd.DataFrame:
    """Read a council's records file into a table of raw cells.

    CSV text encoding is detected, not guessed: UTF-8 (with or without a byte-order mark),
    UTF-16 (Excel's "Unicode text"), else Windows-1252 (Excel's default "CSV" on Windows). CSV
    cells are kept as text for the validator to parse; Excel cells keep their types (dates
    stay dates). Spatial files (GeoJSON, GeoPackage, zipped shapefile) of points give
    ``easting``/``northing`` columns in British National Grid.

    Parameters
    ----------
    path
        The file.
    max_bytes
        Size limit.

    Returns
    -------
    pandas.DataFrame
        One row per data row, in file order, columns as headed in the file.

    Raises
    ------
    ProviderFileError
        When the file is too big, of an unknown type, or cannot be read at all.
    """
    path = Path(path)
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
    if suffix in (".csv", ".txt"):
        return _read_csv_text(path)
    if suffix in (".xlsx", ".xlsm"):
        try:
            table = pd.read_excel(path, dtype=object, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many types for corrupt files
            raise ProviderFileError(f"{path.name}: could not be read as an Excel workbook ({exc})") from exc
        return table.astype(object).where(table.notna(), None)
    if suffix == ".zip":
        gdf = read_zipped_shapefile(path, ProviderFileError)
    else:
        try:
            gdf = gpd.read_file(path, engine="pyogrio")
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
            raise ProviderFileError(f"{path.name}: could not be read ({exc})") from exc
    return _points_to_table(gdf, path.name)


def _read_csv_text(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    import io as _io  # the stdlib module; this module is gapmap.io

    try:
        table = pd.read_csv(
            _io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            sep=None,
            engine="python",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ProviderFileError(f"{path.name}: could not be read as CSV ({exc})") from exc
    return table


def _points_to_table(gdf: gpd.GeoDataFrame, label: str) -> pd.DataFrame:
    if gdf.crs is None:
        raise ProviderFileError(f"{label}: no coordinate reference system; save it with one (EPSG:27700 or WGS84)")
    geom = gdf.geometry
    kinds = set(geom.geom_type.dropna())
    if not kinds <= {"Point"}:
        raise ProviderFileError(f"{label}: expected points, found {', '.join(sorted(kinds)) or 'no geometry'}")
    bng = geom.to_crs(BNG)
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
    table = table.drop(columns=[c for c in table.columns if str(c).lower() in ("easting", "northing")])
    table["easting"] = [None if g is None or g.is_empty else round(g.x, 1) for g in bng]
    table["northing"] = [None if g is None or g.is_empty else round(g.y, 1) for g in bng]
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


def write_atomic(path: Path | str, payload: bytes, *, mode: int = 0o644) -> None:
    """Write ``payload`` to ``path`` all or nothing.

    The bytes go to a temporary file in the same folder, are flushed to disk (fsync) and the
    file is renamed over ``path``; on any failure the temporary file is removed, so a crash
    never leaves half a file under the real name nor a stray copy beside it.

    Raises
    ------
    OutputError
        When the folder cannot be made or written to.
    """
    import os

    from gapmap.errors import OutputError

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


SHIPPED_PROJECTIONS = Path("projections") / "snpp2022_65plus.csv"
MAX_PROJECTION_FILE_BYTES = 200 * 1024 * 1024


def read_projections(path: Path | str | None = None, *, paths: DataPaths | None = None) -> Projections:
    """Read population projections: the shipped table, or a user's ONS SNPP file.

    Parameters
    ----------
    path
        A CSV either as ONS publishes SNPP tables (``AREA_CODE, AREA_NAME, COMPONENT, SEX,
        AGE_GROUP, 2022, 2023, …``; any councils, all ages or just 65+) or in the compact
        layout of :data:`gapmap.projections.PROJECTION_COLUMNS`. ``None``: the shipped
        ``data/projections/snpp2022_65plus.csv`` (Somerset and Thurrock).
    paths
        Where the shipped data is.

    Returns
    -------
    gapmap.projections.Projections

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
