"""Reading single cells of a council's spreadsheet: postcodes, dates, numbers, lists of words."""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pandas as pd

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
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
HYPERLINK_RE = re.compile(r'^=\s*HYPERLINK\(\s*"[^"]*"\s*[,;]\s*"([^"]*)"\s*\)\s*$', re.IGNORECASE)


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
    m = POSTCODE_RE.match(s)
    return f"{m.group(1)} {m.group(2)}" if m else None


def parse_date(value: object) -> date | None:
    """Read a UK-style date: 31/01/2024, 2024-01-31, 31 Jan 2024, Jan 2024 (→ the 1st).

    Day-first throughout (31/01/2024 is 31 January), as in UK spreadsheets. Excel serial
    numbers and date cells are accepted too. Raises ``ValueError`` when unreadable. One cell
    of :func:`parse_dates`.

    Examples
    --------
    >>> parse_date("03/04/2021"), parse_date("Jan 2024"), parse_date("2024-01-31")
    (datetime.date(2021, 4, 3), datetime.date(2024, 1, 1), datetime.date(2024, 1, 31))
    """
    parsed, bad = parse_dates(pd.Series([value], dtype=object))
    if bad.iloc[0]:
        raise ValueError(str(value).strip())
    return None if pd.isna(parsed.iloc[0]) else parsed.iloc[0].date()


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read a column of UK-style dates at once (see :func:`parse_date` for what is understood).

    Each format is tried on the whole column with :func:`pandas.to_datetime` (day-first formats
    first, then month-and-year ones, which give the 1st of the month), instead of row by row.

    Parameters
    ----------
    values
        Cells as read: text, dates/datetimes, Excel serial numbers, or blanks.

    Returns
    -------
    (dates, bad)
        ``datetime64`` Series (NaT where blank or unreadable) and a boolean Series that is
        True where a cell was not blank but could not be read; both indexed like ``values``.

    Examples
    --------
    >>> d, bad = parse_dates(pd.Series(["31/01/2024", "", "soon", 45000]))
    >>> [x.date().isoformat() if pd.notna(x) else None for x in d], bad.tolist()
    (['2024-01-31', None, None, '2023-03-15'], [False, False, True, False])
    """
    index = values.index if isinstance(values, pd.Series) else None
    cells = pd.Series(values, dtype=object).reset_index(drop=True)  # labels may repeat; positions do not
    out = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns]")
    kind = cells.map(_cell_kind)
    stamps = kind == "date"
    if stamps.any():
        out[stamps] = pd.to_datetime(cells[stamps].map(_as_timestamp), errors="coerce")
    serial = kind == "number"
    if serial.any():
        days = cells[serial].astype("float64")
        ok = (days >= 1) & (days < 80000)
        out[days[ok].index] = pd.to_datetime(days[ok], unit="D", origin="1899-12-30").dt.floor("D")
    text = cells[kind == "text"].astype("str").str.strip()
    for fmt in _DATE_FORMATS + _MONTH_FORMATS:
        todo = text[out[text.index].isna()]
        if todo.empty:
            break
        parsed = pd.to_datetime(todo, format=fmt, errors="coerce")
        out[parsed.index[parsed.notna()]] = parsed[parsed.notna()].dt.normalize()
    bad = (kind != "blank") & out.isna()
    if index is not None:
        out.index, bad.index = index, index
    return out, bad


def _cell_kind(value: object) -> str:
    if blank(value):
        return "blank"
    if isinstance(value, datetime | date | pd.Timestamp | np.datetime64):
        return "date"
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        return "number"
    return "text"


def _as_timestamp(value: object) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


def vocab(value: object, words: dict[str, str]) -> tuple[list[str], list[str]]:
    """Split a multi-valued cell and map each part to the vocabulary."""
    if blank(value):
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


def blank(value: object) -> bool:
    """True for None, NaN and whitespace-only text."""
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def number(value: object) -> float | None:
    """A cell as a number: None when blank, NaN when not a number (``"1,200"`` reads as 1200)."""
    if blank(value):
        return None
    if isinstance(value, int | float | np.number):
        return float(value)
    s = str(value).strip().replace(",", "")
    try:
        return float(s)
    except ValueError:
        return np.nan
