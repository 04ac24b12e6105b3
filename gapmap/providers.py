"""Provider records: the schema, and turning a council's table into checked points.

A provider is a point with an id, name, kind (``micro_enterprise``, ``day_centre``,
``other``), services, client groups, capacity (people supported), a start date and an end or
closure date (empty while active). :func:`validate_providers` takes a table as read from the
user's file (any common header spelling) and returns the accepted providers in EPSG:27700,
every rejected row with the field, the problem and how to fix it, and warnings. No row is
dropped without a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from gapmap.config import BNG
from gapmap.errors import ProviderFileError

KINDS = ("micro_enterprise", "day_centre", "other")
KIND_LABELS = {"micro_enterprise": "Micro-enterprise", "day_centre": "Day centre", "other": "Other"}
SERVICES = (
    "home care",
    "home help",
    "personal care",
    "day activities",
    "socialising and fun",
    "peer support",
    "arts and crafts",
    "transport",
    "other",
)
CLIENT_GROUPS = ("older people", "physical disability", "learning disability", "mental health", "carers")
ILLUSTRATIVE_MARK = "Illustrative sample"
"""Text that marks a generated sample file (every row of data/sample carries it)."""
DEFAULT_CAPACITY = 10.0
"""People supported assumed when capacity is blank (a micro-provider typically supports 10–15)."""

FIELDS = (
    "id",
    "name",
    "kind",
    "services",
    "client_groups",
    "capacity",
    "start_date",
    "end_date",
    "lat",
    "lon",
    "easting",
    "northing",
    "postcode",
)
"""Canonical columns of a provider file (see the README's template)."""

# Header spellings seen in council spreadsheets, compared after lower-casing and removing
# everything but letters and digits ("Post Code" -> "postcode").
_ALIASES = {
    "id": ("id", "providerid", "ref", "reference", "providerref", "recordid", "code"),
    "name": (
        "name",
        "providername",
        "businessname",
        "business",
        "organisation",
        "organization",
        "tradingname",
        "provider",
    ),
    "kind": ("kind", "type", "providertype", "category", "kindofprovider"),
    "services": ("services", "service", "servicesoffered", "whattheyoffer", "offer"),
    "client_groups": (
        "clientgroups",
        "clientgroup",
        "clients",
        "whotheysupport",
        "supports",
        "usergroups",
        "customergroups",
    ),
    "capacity": (
        "capacity",
        "peoplesupported",
        "numberofpeoplesupported",
        "places",
        "clientcount",
        "noofclients",
        "numberofclients",
        "peoplesupportedcount",
    ),
    "start_date": (
        "startdate",
        "start",
        "started",
        "opened",
        "dateopened",
        "opendate",
        "datestarted",
        "registered",
        "registrationdate",
    ),
    "end_date": (
        "enddate",
        "end",
        "closed",
        "closuredate",
        "dateclosed",
        "closedate",
        "ceased",
        "datecease",
        "dateceased",
        "closedon",
    ),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "easting": ("easting", "eastings", "east", "x", "osgbeasting"),
    "northing": ("northing", "northings", "north", "y", "osgbnorthing"),
    "postcode": ("postcode", "postalcode", "pcd", "pcds", "pcode", "zip", "zipcode", "postcodeunit"),
}
_LOOKUP = {alias: canon for canon, aliases in _ALIASES.items() for alias in aliases}

_KIND_WORDS = {
    "microenterprise": "micro_enterprise",
    "communitymicroenterprise": "micro_enterprise",
    "micro": "micro_enterprise",
    "microprovider": "micro_enterprise",
    "me": "micro_enterprise",
    "soletrader": "micro_enterprise",
    "daycentre": "day_centre",
    "daycenter": "day_centre",
    "dayservice": "day_centre",
    "dayservices": "day_centre",
    "other": "other",
}
_SERVICE_WORDS = {re.sub(r"[^a-z]", "", s): s for s in SERVICES} | {
    "homecare": "home care",
    "domiciliarycare": "home care",
    "help": "home help",
    "cleaning": "home help",
    "daycare": "day activities",
    "dayactivity": "day activities",
    "activities": "day activities",
    "socialising": "socialising and fun",
    "socialisingandfun": "socialising and fun",
    "social": "socialising and fun",
    "companionship": "socialising and fun",
    "arts": "arts and crafts",
    "crafts": "arts and crafts",
    "peer": "peer support",
}
_GROUP_WORDS = {re.sub(r"[^a-z]", "", g): g for g in CLIENT_GROUPS} | {
    "older": "older people",
    "olderpeople": "older people",
    "elderly": "older people",
    "physical": "physical disability",
    "pd": "physical disability",
    "ld": "learning disability",
    "learning": "learning disability",
    "mh": "mental health",
    "carer": "carers",
}

_DATE_FORMATS = (
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d %b %Y",
    "%d %B %Y",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
)
_MONTH_FORMATS = ("%b %Y", "%B %Y", "%b-%Y", "%B-%Y", "%m/%Y", "%Y-%m", "%b %y", "%b-%y")
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_HYPERLINK = re.compile(r'^=\s*HYPERLINK\(\s*"[^"]*"\s*[,;]\s*"([^"]*)"\s*\)\s*$', re.IGNORECASE)
_TO_BNG = Transformer.from_crs("EPSG:4326", BNG, always_xy=True)

# Great Britain on the National Grid, and in longitude/latitude.
GB_BNG = (0.0, 0.0, 700_000.0, 1_300_000.0)
GB_LONLAT = (-8.7, 49.8, 1.9, 60.9)


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


def normalise_header(name: object) -> str:
    """Lower-case a header and keep only letters and digits (``"Post Code"`` → ``"postcode"``)."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def map_columns(columns: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Match user headers to canonical fields.

    Parameters
    ----------
    columns
        Headers as they appear in the file.
    overrides
        ``{canonical field: user column}`` chosen by the user; wins over guessing.

    Returns
    -------
    dict
        ``{canonical field: user column}`` for each field found.

    Examples
    --------
    >>> map_columns(["Provider Name", "Post Code", "Lat", "Longitude"])
    {'name': 'Provider Name', 'postcode': 'Post Code', 'lat': 'Lat', 'lon': 'Longitude'}
    """
    out: dict[str, str] = {}
    for col in columns:
        canon = _LOOKUP.get(normalise_header(col))
        if canon and canon not in out:
            out[canon] = col
    for canon, col in (overrides or {}).items():
        if canon not in FIELDS:
            raise ValueError(f"unknown provider field {canon!r}")
        if col:
            out = {k: v for k, v in out.items() if v != col}
            out[canon] = col
        else:  # the user said this field is in no column
            out.pop(canon, None)
    return out


def normalise_postcode(value: object) -> str | None:
    """Upper-case a postcode and put one space before the inward code; None if malformed.

    Examples
    --------
    >>> normalise_postcode(" ta11aa ")
    'TA1 1AA'
    >>> normalise_postcode("not a postcode") is None
    True
    """
    s = re.sub(r"\s+", "", str(value)).upper()
    m = _POSTCODE.match(s)
    return f"{m.group(1)} {m.group(2)}" if m else None


def parse_date(value: object) -> date | None:
    """Read a UK-style date: 31/01/2024, 2024-01-31, 31 Jan 2024, Jan 2024 (→ the 1st).

    Day-first throughout (31/01/2024 is 31 January), as in UK spreadsheets. Excel serial
    numbers and date cells are accepted too. Raises ``ValueError`` when unreadable.

    Examples
    --------
    >>> parse_date("03/04/2021"), parse_date("Jan 2024"), parse_date("2024-01-31")
    (datetime.date(2021, 4, 3), datetime.date(2024, 1, 1), datetime.date(2024, 1, 31))
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float | np.number) and 1 <= float(value) < 80000:
        return (datetime(1899, 12, 30) + timedelta(days=float(value))).date()  # Excel serial
    s = str(value).strip()
    if not s:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            pass
    for fmt in _MONTH_FORMATS:
        try:
            return datetime.strptime(s, fmt).date().replace(day=1)
        except ValueError:
            pass
    raise ValueError(s)


def _vocab(value: object, words: dict[str, str]) -> tuple[list[str], list[str]]:
    """Split a multi-valued cell and map each part to the vocabulary."""
    if _blank(value):
        return [], []
    known, unknown = [], []
    for part in re.split(r"[;,/|\n]+", str(value)):
        key = re.sub(r"[^a-z]", "", part.lower())
        if not key:
            continue
        if key in words:
            known.append(words[key])
        else:
            unknown.append(part.strip())
    return list(dict.fromkeys(known)), unknown


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _number(value: object) -> float | None:
    if _blank(value):
        return None
    if isinstance(value, int | float | np.number):
        return float(value)
    s = str(value).strip().replace(",", "")
    try:
        return float(s)
    except ValueError:
        return np.nan


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
    lookup = postcodes.set_index("postcode")[["easting", "northing"]]
    warnings: list[str] = []
    missing_cols = [c for c in ("id", "name", "kind", "capacity") if c not in mapping]
    if default_kind not in KINDS:
        raise ValueError(f"unknown default kind {default_kind!r}")
    if "kind" in missing_cols:
        warnings.append(f"no 'kind' column: every provider is taken to be a {default_kind}")
    if "capacity" in missing_cols:
        warnings.append(f"no 'capacity' column: each provider is assumed to support {DEFAULT_CAPACITY:g} people")

    records, problems, bad_rows = [], [], []
    seen_ids: dict[str, int] = {}
    empty = 0
    for i, (_, raw) in enumerate(table.iterrows()):
        row_no = first_row + i
        cells = {canon: raw[col] for canon, col in mapping.items()}
        if all(_blank(v) for v in raw.to_numpy()):
            empty += 1
            continue
        try:
            row_warnings: list[str] = []
            rec = _check_row(cells, row_no, lookup, row_warnings, default_kind)
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
            bad_rows.append({"row": row_no, "reason": f"{r.field}: {r.problem} — {r.fix}", **raw.to_dict()})
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


def _check_row(
    cells: dict[str, object], row: int, lookup: pd.DataFrame, warnings: list[str], default_kind: str
) -> dict:
    for name, value in cells.items():
        if isinstance(value, str) and value.strip().startswith("="):
            m = _HYPERLINK.match(value.strip())
            if m and name in ("name", "id"):
                cells[name] = m.group(1)
                warnings.append(f"row {row}: {name} was a HYPERLINK formula; its text {m.group(1)!r} was used")
            else:
                raise _RowRejectedError(
                    name,
                    f"the cell holds a formula ({value.strip()[:40]})",
                    "paste the values (Paste Special → Values) instead of formulas",
                )

    rec: dict[str, object] = {"row": row}
    rec["id"] = str(cells["id"]).strip() if not _blank(cells.get("id")) else f"row-{row}"
    if _blank(cells.get("id")) and "id" in cells:
        warnings.append(f"row {row}: no id, so it was given the id 'row-{row}'")
    rec["name"] = str(cells["name"]).strip() if not _blank(cells.get("name")) else ""
    if not rec["name"]:
        warnings.append(f"row {row}: no name")

    kind_raw = cells.get("kind")
    if _blank(kind_raw):
        rec["kind"] = default_kind
        if "kind" in cells:
            warnings.append(f"row {row}: no kind given, taken to be a {default_kind}")
    else:
        key = re.sub(r"[^a-z]", "", str(kind_raw).lower())
        if key not in _KIND_WORDS:
            raise _RowRejectedError(
                "kind", f"unknown kind {str(kind_raw)!r}", "use micro_enterprise, day_centre or other"
            )
        rec["kind"] = _KIND_WORDS[key]

    services, unknown = _vocab(cells.get("services"), _SERVICE_WORDS)
    if unknown:
        services.append("other")
        warnings.append(f"row {row}: services {', '.join(map(repr, unknown))} not recognised, counted as 'other'")
    rec["services"] = "; ".join(dict.fromkeys(services))
    groups, unknown = _vocab(cells.get("client_groups"), _GROUP_WORDS)
    if unknown:
        warnings.append(f"row {row}: client groups {', '.join(map(repr, unknown))} not recognised, left out")
    rec["client_groups"] = "; ".join(groups)

    cap = _number(cells.get("capacity"))
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
        try:
            rec[name] = parse_date(cells.get(name))
        except ValueError:
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

    rec.update(_locate(cells, lookup))
    return rec


def _locate(cells: dict[str, object], lookup: pd.DataFrame) -> dict[str, object]:
    lat, lon = _number(cells.get("lat")), _number(cells.get("lon"))
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
        e, n = _TO_BNG.transform(lon, lat)
        return {"easting": float(e), "northing": float(n), "located_by": "lat/lon", "postcode": _pc(cells)}
    e, n = _number(cells.get("easting")), _number(cells.get("northing"))
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
    if _blank(raw):
        raise _RowRejectedError(
            "postcode",
            "no location: postcode, lat/lon and easting/northing are all empty",
            "add the provider's postcode",
        )
    pc = normalise_postcode(raw)
    if pc is None:
        raise _RowRejectedError("postcode", f"{str(raw)!r} is not a UK postcode", "check it, e.g. TA1 1AA")
    if pc not in lookup.index:
        raise _RowRejectedError(
            "postcode",
            f"{pc} is not a live English postcode in Code-Point Open (Oct 2025)",
            "check it, or give lat/lon or easting/northing instead (terminated postcodes are not held)",
        )
    hit = lookup.loc[pc]
    return {
        "easting": float(hit.easting),
        "northing": float(hit.northing),
        "located_by": "postcode",
        "postcode": pc,
    }


def _pc(cells: dict[str, object]) -> str:
    raw = cells.get("postcode")
    return (normalise_postcode(raw) or str(raw).strip()) if not _blank(raw) else ""


ACCEPTED_COLUMNS = (
    "id",
    "name",
    "kind",
    "services",
    "client_groups",
    "capacity",
    "capacity_assumed",
    "start_date",
    "end_date",
    "postcode",
    "easting",
    "northing",
    "located_by",
    "row",
)
"""Columns of :attr:`ValidationResult.accepted` (plus ``outside_council`` and geometry)."""


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


def active_at(providers: pd.DataFrame, when: date | pd.Timestamp) -> pd.Series:
    """Which providers were active on ``when``: started on or before it, not yet ended.

    A provider with an end date is active up to the day before it (it closed on that date).
    A blank start date counts as active since before records began.

    Examples
    --------
    >>> p = pd.DataFrame({"start_date": pd.to_datetime(["2015-01-01", None]),
    ...                   "end_date": pd.to_datetime([None, "2020-06-30"])})
    >>> active_at(p, date(2020, 6, 30)).tolist()
    [True, False]
    """
    t = pd.Timestamp(when)
    started = providers.start_date.isna() | (providers.start_date <= t)
    running = providers.end_date.isna() | (providers.end_date > t)
    return (started & running).rename("active")
