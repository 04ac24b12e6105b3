"""Validating a council's provider table row by row and locating each provider.

:func:`validate_providers` takes a table as read from the user's file (any common header
spelling) and returns the accepted providers in EPSG:27700, every rejected row with the
field, the problem and how to fix it, and warnings. No row is dropped without a reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gapmap.cells import HYPERLINK_RE, blank, normalise_postcode, number, parse_dates, vocab
from gapmap.config import BNG, WGS84
from gapmap.errors import ProviderFileError
from gapmap.reproject import transformer
from gapmap.schema import (
    ACCEPTED_COLUMNS,
    DEFAULT_CAPACITY,
    GB_BNG,
    GB_LONLAT,
    GROUP_WORDS,
    ILLUSTRATIVE_MARK,
    KIND_WORDS,
    KINDS,
    SERVICE_WORDS,
    map_columns,
)


@dataclass(frozen=True)
class Problem:
    """One reason a row was rejected.

    Attributes
    ----------
    row
        Row number as the user sees it in Excel (header = row 1).
    field
        The column at fault (canonical name).
    problem
        What is wrong.
    fix
        What to do about it.
    """

    row: int
    field: str
    problem: str
    fix: str


@dataclass(frozen=True)
class ValidationResult:
    """What :func:`validate_providers` made of a table.

    Attributes
    ----------
    accepted
        Accepted providers (EPSG:27700 points) with the canonical columns plus ``row``,
        ``located_by``, ``capacity_assumed`` and ``outside_council``.
    rejected
        One :class:`Problem` per rejected row (the first problem found in it).
    warnings
        Messages about accepted rows that were repaired or assumed, each naming its row.
    rejected_rows
        The rejected rows as the user supplied them, with ``row`` and ``reason`` columns,
        ready to fix and upload again.
    mapping
        Which user column was read as which canonical field.
    """

    accepted: gpd.GeoDataFrame
    rejected: list[Problem]
    warnings: list[str]
    rejected_rows: pd.DataFrame
    mapping: dict[str, str] = field(default_factory=dict)
    illustrative: bool = False

    def to_dict(self) -> dict[str, object]:
        """The JSON report: ``{"accepted": N, "rejected": [...], "warnings": [...]}``."""
        return {
            "accepted": len(self.accepted),
            "rejected": [p.__dict__ for p in self.rejected],
            "warnings": list(self.warnings),
        }


class _RowRejectedError(Exception):
    def __init__(self, field_: str, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.field = field_
        self.problem = problem
        self.fix = fix


def validate_providers(
    table: pd.DataFrame,
    *,
    postcodes: pd.DataFrame,
    council_area: shapely.Geometry | None = None,
    overrides: dict[str, str] | None = None,
    first_row: int = 2,
    default_kind: str = "micro_enterprise",
    require_end_date: bool = False,
) -> ValidationResult:
    """Check a provider table row by row and locate each provider.

    Location comes from, in order: ``lat``/``lon``, ``easting``/``northing``, ``postcode``
    (geocoded offline from the shipped Code-Point Open table).

    Parameters
    ----------
    table
        The file's rows, all columns as read (strings or Excel values).
    postcodes
        ``postcode`` (normalised, e.g. ``"TA1 1AA"``), ``easting``, ``northing``.
    council_area
        The council's outline (EPSG:27700); providers outside it are kept and flagged.
    overrides
        ``{canonical field: user column}`` chosen by the user where guessing is unsure.
    first_row
        Spreadsheet row number of ``table``'s first row (2 when row 1 is the header).
    default_kind
        Kind given to rows with none (e.g. ``"day_centre"`` for a list of day centres).
    require_end_date
        Reject rows without an end date (a list of closures).

    Returns
    -------
    ValidationResult

    Raises
    ------
    ProviderFileError
        When the table cannot be used at all (no location column, no rows).
    """
    mapping = map_columns([str(c) for c in table.columns], overrides)
    has_location = {"lat", "lon"} <= set(mapping) or {"easting", "northing"} <= set(mapping) or ("postcode" in mapping)
    if not has_location:
        raise ProviderFileError(
            "no location column found: add either 'postcode', or 'lat' and 'lon', or 'easting' and "
            f"'northing' (found columns: {', '.join(map(str, table.columns)) or 'none'})"
        )
    lookup = dict(
        zip(
            postcodes.postcode,
            zip(postcodes.easting.astype(float), postcodes.northing.astype(float), strict=True),
            strict=True,
        )
    )
    warnings: list[str] = []
    missing_cols = [c for c in ("id", "name", "kind", "capacity") if c not in mapping]
    if default_kind not in KINDS:
        raise ValueError(f"unknown default kind {default_kind!r}")
    if "kind" in missing_cols:
        warnings.append(f"no 'kind' column: every provider is taken to be a {default_kind}")
    if "capacity" in missing_cols:
        warnings.append(f"no 'capacity' column: each provider is assumed to support {DEFAULT_CAPACITY:g} people")

    columns = _Columns.read(table, mapping)
    records, problems, bad_rows = [], [], []
    seen_ids: dict[str, int] = {}
    empty = 0
    names = list(table.columns)
    position = {col: names.index(col) for col in mapping.values()}
    # Plain Python rows: pandas per-row access (iterrows, .loc) cost more than the checks themselves.
    for i, values in enumerate(table.to_numpy(dtype=object)):
        row_no = first_row + i
        cells = {canon: values[position[col]] for canon, col in mapping.items()}
        if all(blank(v) for v in values):
            empty += 1
            continue
        try:
            row_warnings: list[str] = []
            rec = _check_row(cells, row_no, lookup, row_warnings, default_kind, columns.row(i))
            if require_end_date and rec["end_date"] is None:
                raise _RowRejectedError("end_date", "no closure date", "give the date the service closed")
            if rec["id"] in seen_ids:
                raise _RowRejectedError(
                    "id",
                    f"id {rec['id']!r} is already used on row {seen_ids[rec['id']]}",
                    "give each provider its own id",
                )
            seen_ids[rec["id"]] = row_no
            records.append(rec)
            warnings.extend(row_warnings)  # only for rows that were kept
        except _RowRejectedError as r:
            problems.append(Problem(row=row_no, field=r.field, problem=r.problem, fix=r.fix))
            raw = dict(zip(names, values, strict=True))
            bad_rows.append({"row": row_no, "reason": f"{r.field}: {r.problem} — {r.fix}", **raw})
    if empty:
        warnings.append(f"{empty} empty row{'s' if empty > 1 else ''} skipped")
    if not records and not problems:
        raise ProviderFileError("the file has a header but no provider rows")

    accepted = _to_frame(records)
    if council_area is not None and len(accepted):
        outside = ~shapely.contains_xy(council_area, accepted.easting, accepted.northing)
        accepted["outside_council"] = outside
        for r in accepted.loc[outside, "row"]:
            warnings.append(f"row {r}: location is outside the council's area (kept and flagged)")
    rejected_rows = pd.DataFrame(bad_rows)
    illustrative = bool(
        table.astype("str").apply(lambda col: col.str.contains(ILLUSTRATIVE_MARK, case=False, regex=False)).any().any()
    )
    if illustrative:
        warnings.insert(0, "this file is an illustrative sample — not real providers")
    return ValidationResult(accepted, problems, warnings, rejected_rows, mapping, illustrative)


@dataclass(frozen=True)
class _Columns:
    """What is parsed for every row at once: dates (pandas) and lat/lon → BNG (one pyproj call)."""

    dates: dict[str, tuple[list[object], np.ndarray]]
    easting: np.ndarray
    northing: np.ndarray

    @classmethod
    def read(cls, table: pd.DataFrame, mapping: dict[str, str]) -> _Columns:
        n = len(table)
        dates = {}
        for name in ("start_date", "end_date"):
            if name in mapping:
                parsed, bad = parse_dates(table[mapping[name]].reset_index(drop=True))
                days = [None if pd.isna(t) else t.date() for t in parsed]
                dates[name] = (days, bad.to_numpy())
        easting, northing = np.full(n, np.nan), np.full(n, np.nan)
        if {"lat", "lon"} <= set(mapping):
            lat = np.array([_finite(number(v)) for v in table[mapping["lat"]]], dtype="float64")
            lon = np.array([_finite(number(v)) for v in table[mapping["lon"]]], dtype="float64")
            both = ~(np.isnan(lat) | np.isnan(lon))
            if both.any():
                easting[both], northing[both] = transformer(WGS84, BNG).transform(lon[both], lat[both])
        return cls(dates, easting, northing)

    def row(self, i: int) -> dict[str, object]:
        """The pre-parsed values of row ``i`` (position in the table)."""
        out: dict[str, object] = {"bng": (float(self.easting[i]), float(self.northing[i]))}
        for name, (parsed, bad) in self.dates.items():
            out[name] = _BAD if bad[i] else parsed[i]
        return out


_BAD = object()


def _finite(value: float | None) -> float:
    return np.nan if value is None else value


def _check_row(
    cells: dict[str, object],
    row: int,
    lookup: dict[str, tuple[float, float]],
    warnings: list[str],
    default_kind: str,
    parsed: dict[str, object],
) -> dict:
    for name, value in cells.items():
        # NFKC folds look-alikes a spreadsheet also treats as formulas (full-width ＝ → =).
        folded = unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""
        if folded.startswith("="):
            m = HYPERLINK_RE.match(folded)
            if m and name in ("name", "id"):
                cells[name] = m.group(1)
                warnings.append(f"row {row}: {name} was a HYPERLINK formula; its text {m.group(1)!r} was used")
            else:
                raise _RowRejectedError(
                    name,
                    f"the cell holds a formula ({folded[:40]}) with no value saved",
                    "paste the values (Paste Special → Values) instead of formulas",
                )

    rec: dict[str, object] = {"row": row}
    rec["id"] = str(cells["id"]).strip() if not blank(cells.get("id")) else f"row-{row}"
    if blank(cells.get("id")) and "id" in cells:
        warnings.append(f"row {row}: no id, so it was given the id 'row-{row}'")
    rec["name"] = str(cells["name"]).strip() if not blank(cells.get("name")) else ""
    if not rec["name"]:
        warnings.append(f"row {row}: no name")

    kind_raw = cells.get("kind")
    if blank(kind_raw):
        rec["kind"] = default_kind
        if "kind" in cells:
            warnings.append(f"row {row}: no kind given, taken to be a {default_kind}")
    else:
        key = re.sub(r"[^a-z]", "", str(kind_raw).lower())
        if key not in KIND_WORDS:
            raise _RowRejectedError(
                "kind", f"unknown kind {str(kind_raw)!r}", "use micro_enterprise, day_centre or other"
            )
        rec["kind"] = KIND_WORDS[key]

    services, unknown = vocab(cells.get("services"), SERVICE_WORDS)
    if unknown:
        services.append("other")
        warnings.append(f"row {row}: services {', '.join(map(repr, unknown))} not recognised, counted as 'other'")
    rec["services"] = "; ".join(dict.fromkeys(services))
    groups, unknown = vocab(cells.get("client_groups"), GROUP_WORDS)
    if unknown:
        warnings.append(f"row {row}: client groups {', '.join(map(repr, unknown))} not recognised, left out")
    rec["client_groups"] = "; ".join(groups)

    cap = number(cells.get("capacity"))
    if cap is None:
        rec["capacity"], rec["capacity_assumed"] = DEFAULT_CAPACITY, True
        if "capacity" in cells:
            warnings.append(f"row {row}: no capacity, assumed {DEFAULT_CAPACITY:g} people")
    elif np.isnan(cap):
        raise _RowRejectedError(
            "capacity",
            f"capacity {str(cells['capacity'])!r} is not a number",
            "give the number of people supported, e.g. 12",
        )
    elif cap < 0:
        raise _RowRejectedError(
            "capacity", f"capacity {cap:g} is negative", "give the number of people supported (0 or more)"
        )
    else:
        rec["capacity"], rec["capacity_assumed"] = cap, False

    for name in ("start_date", "end_date"):
        rec[name] = parsed.get(name)
        if rec[name] is _BAD:
            raise _RowRejectedError(
                name,
                f"date {str(cells.get(name))!r} not understood",
                "write dates as 31/01/2024, 2024-01-31 or Jan 2024",
            ) from None
    if rec["start_date"] and rec["end_date"] and rec["end_date"] < rec["start_date"]:
        raise _RowRejectedError(
            "end_date",
            f"end date {rec['end_date']:%d/%m/%Y} is before start date {rec['start_date']:%d/%m/%Y}",
            "check the two dates",
        )

    rec.update(_locate(cells, lookup, parsed["bng"]))
    return rec


def _locate(
    cells: dict[str, object], lookup: dict[str, tuple[float, float]], bng: tuple[float, float]
) -> dict[str, object]:
    lat, lon = number(cells.get("lat")), number(cells.get("lon"))
    if lat is not None or lon is not None:
        if lat is None or lon is None or np.isnan(lat) or np.isnan(lon):
            raise _RowRejectedError(
                "lat" if lat is None or np.isnan(lat) else "lon",
                "latitude and longitude must both be numbers",
                "give both, in decimal degrees (e.g. 51.015, -3.101)",
            )
        x0, y0, x1, y1 = GB_LONLAT
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            if x0 <= lat <= x1 and y0 <= lon <= y1:
                raise _RowRejectedError(
                    "lat",
                    f"latitude {lat:g} and longitude {lon:g} look swapped",
                    "swap the two columns: latitude is about 50–56 in England, longitude about -6 to 2",
                )
            raise _RowRejectedError(
                "lat",
                f"({lat:g}, {lon:g}) is outside Great Britain",
                "check the coordinates are decimal degrees (WGS84)",
            )
        e, n = bng  # transformed for every row at once in _Columns.read
        return {"easting": e, "northing": n, "located_by": "lat/lon", "postcode": _pc(cells)}
    e, n = number(cells.get("easting")), number(cells.get("northing"))
    if e is not None or n is not None:
        if e is None or n is None or np.isnan(e) or np.isnan(n):
            raise _RowRejectedError(
                "easting",
                "easting and northing must both be numbers",
                "give both, in metres on the British National Grid",
            )
        x0, y0, x1, y1 = GB_BNG
        if not (x0 <= e <= x1 and y0 <= n <= y1):
            raise _RowRejectedError(
                "easting",
                f"({e:g}, {n:g}) is outside Great Britain",
                "check they are British National Grid metres (6 digits each)",
            )
        return {"easting": e, "northing": n, "located_by": "easting/northing", "postcode": _pc(cells)}
    raw = cells.get("postcode")
    if blank(raw):
        raise _RowRejectedError(
            "postcode",
            "no location: postcode, lat/lon and easting/northing are all empty",
            "add the provider's postcode",
        )
    pc = normalise_postcode(raw)
    if pc is None:
        raise _RowRejectedError("postcode", f"{str(raw)!r} is not a UK postcode", "check it, e.g. TA1 1AA")
    if pc not in lookup:
        raise _RowRejectedError(
            "postcode",
            f"{pc} is not a live English postcode in Code-Point Open (Oct 2025)",
            "check it, or give lat/lon or easting/northing instead (terminated postcodes are not held)",
        )
    e, n = lookup[pc]
    return {
        "easting": e,
        "northing": n,
        "located_by": "postcode",
        "postcode": pc,
    }


def _pc(cells: dict[str, object]) -> str:
    raw = cells.get("postcode")
    return (normalise_postcode(raw) or str(raw).strip()) if not blank(raw) else ""


def _to_frame(records: list[dict]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(records, columns=list(ACCEPTED_COLUMNS))
    for col in ("start_date", "end_date"):
        frame[col] = pd.to_datetime(frame[col])
    frame["capacity"] = frame.capacity.astype("float64")
    frame["capacity_assumed"] = frame.capacity_assumed.astype(bool)
    frame["row"] = frame.row.astype("int64")
    frame["outside_council"] = False
    geometry = gpd.points_from_xy(frame.easting.astype(float), frame.northing.astype(float))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=BNG)
