"""Reading single cells of a council's spreadsheet: postcodes, dates, numbers, lists of words."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

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
