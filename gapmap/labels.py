"""Plain-English names, column headers, a glossary and number/date formatting, defined once.

Pages, downloads, static maps and slide decks all read their wording from here, so a
commissioner sees "older people per support place" or "neighbourhood (LSOA)" everywhere and
the method terms appear only in the glossary, spelled out. Machine-readable exports
keep the raw column codes; :func:`readable_table` turns a table into the human version.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime

import pandas as pd

from gapmap.schema import (
    ILLUSTRATIVE_MARK,
    KIND_LABELS,  # noqa: F401 - provider kinds are named with their schema
)

ILLUSTRATIVE = f"{ILLUSTRATIVE_MARK} — not real providers"
"""The label every view, download, slide and CLI output that uses the sample carries."""

LEVEL_LABELS = {
    "ward": "Electoral wards (May 2025)",
    "lsoa": "Neighbourhoods (LSOA 2021)",
    "msoa": "Larger neighbourhoods (MSOA 2021)",
    "hex": "Hex grid",
    "parish": "Your own areas (parishes, patches, PCNs)",
}
"""Area levels as a commissioner would name them."""

LEVEL_NOUNS = {
    "ward": "ward",
    "lsoa": "neighbourhood",
    "msoa": "larger neighbourhood",
    "hex": "hex",
    "parish": "area",
}
"""One area of each level, for sentences ("the ward with …")."""

BAND_AGES = {"65plus": "65+", "75plus": "75+", "85plus": "85+"}
"""Age bands as ages ("75+"), the one wording the labels below and every sentence build on."""

BAND_LABELS = {**{band: f"Aged {ages}" for band, ages in BAND_AGES.items()}, "total": "All ages"}
"""Age bands as column and axis labels."""

BAND_PEOPLE = {band: f"people aged {ages}" for band, ages in BAND_AGES.items()}
"""Age bands for sentences."""


def band_ages(band: str) -> str:
    """An age band as ages, for sentences ("people aged 75+").

    Examples
    --------
    >>> band_ages("75plus")
    '75+'
    """
    return BAND_AGES.get(band, band)


MEASURE_LABELS = {"count": "Number of people", "share": "Share of residents", "density": "People per km²"}
"""How the older population can be mapped."""


SOURCES_LINE = (
    "Sources: ONS, MHCLG (OGL v3.0). Contains OS data © Crown copyright and database right 2025; "
    "Royal Mail data © Royal Mail copyright and database right 2025; National Statistics data © Crown "
    "copyright and database right 2025."
)
"""The attribution printed on every map, figure and slide."""

SUPPORT = "support"
"""What providers offer, in the sentences below (a place with a micro-provider or day centre)."""


METRIC_NAMES = {
    "gap_score": "Priority score (0–100, higher = act first)",
    "unmet_need": "Older people without a support place",
    "access_e2sfca": "Support places per 1,000 older people (nearer places count more)",
    "access_2sfca": "Support places per 1,000 older people within reach",
    "nearest_km": "Distance to the nearest support (km)",
    "pop_beyond_radius": "Older people beyond reach of support",
    "providers_within": "Providers within reach (average per person)",
    "capacity_within": "Support places within reach",
}
"""The gap measures' names when the band and radius are not known (see :func:`metric_label`)."""


def reach(radius: float, unit: str = "km") -> str:
    """The catchment in words: ``"5 km"`` for the straight line, ``"15 minutes by road"`` by road.

    Examples
    --------
    >>> reach(5), reach(15, "minutes"), reach(1, "minutes")
    ('5 km', '15 minutes by road', '1 minute by road')
    """
    if unit == "minutes":
        return f"{radius:g} minute{'' if radius == 1 else 's'} by road"
    return f"{radius:g} km"


def metric_label(metric: str, band: str, radius_km: float, *, unit: str = "km") -> str:
    """The plain-English name of a gap measure for the chosen band and radius.

    Parameters
    ----------
    metric
        A column of the gap engine's area table (``gap_score``, ``unmet_need`` …).
    band
        ``"65plus"``, ``"75plus"`` or ``"85plus"``.
    radius_km
        Catchment radius in km (in minutes when ``unit="minutes"``).
    unit
        ``"km"`` (straight line) or ``"minutes"`` (by road): see :func:`reach`.

    Returns
    -------
    str
        For example ``"people aged 75+ more than 5 km from support"``, or ``"... more than
        15 minutes by road from support"``.

    Examples
    --------
    >>> metric_label("pop_beyond_radius", "75plus", 5.0)
    'People aged 75+ more than 5 km from support'
    """
    people = BAND_PEOPLE.get(band, "older people")
    r = reach(radius_km, unit)
    labels = {
        "gap_score": "Priority score (0–100, higher = act first)",
        "gap_rank": "Priority rank",
        "unmet_need": f"{people.capitalize()} without a support place",
        "access_e2sfca": f"Support places per 1,000 {people} (nearer places count more)",
        "access_2sfca": f"Support places per 1,000 {people} within {r}",
        "nearest_km": (
            "Minutes by road to the nearest support" if unit == "minutes" else "Distance to the nearest support (km)"
        ),
        "nearest_minutes": "Minutes by road to the nearest support",
        "pop_beyond_radius": f"{people.capitalize()} more than {r} from support",
        "providers_within": f"Providers within {r} (average per person)",
        "capacity_within": f"Support places within {r}",
        "people_per_place": f"{people.capitalize()} per support place",
    }
    if metric not in labels:
        return column_header(metric, band=band, radius_km=radius_km, unit=unit)
    return labels[metric]


_HEADERS = {
    "area_code": "Area code",
    "area_name": "Area",
    "pop_total": "All residents",
    "pop_65plus": "People aged 65+",
    "pop_75plus": "People aged 75+",
    "pop_85plus": "People aged 85+",
    "pop_65_69": "People aged 65–69",
    "pop_70_74": "People aged 70–74",
    "pop_75_79": "People aged 75–79",
    "pop_80_84": "People aged 80–84",
    "share_65plus": "Share aged 65+",
    "share_75plus": "Share aged 75+",
    "share_85plus": "Share aged 85+",
    "imd_score": "Deprivation score (IoD 2025)",
    "imd_decile": "Deprivation decile (1 = most deprived)",
    "older_income_deprived": "People 60+ on low incomes",
    "older_income_deprived_rate": "Share of people 60+ on low incomes",
    "rural_share": "Share living in rural areas",
    "disabled_share": "Share disabled",
    "area_km2": "Area (km²)",
    "density_per_km2": "Residents per km²",
    "n_points": "Postcodes",
    "gap_need": "Priority points: need",
    "gap_access": "Priority points: access",
    "gap_deprivation": "Priority points: deprivation",
    "gap_rurality": "Priority points: rurality",
    "gap_reasons": "Why",
    "allocated": "Support places shared to the area",
    "target_places": "Support places needed (target)",
    "n_micro_enterprise": "Micro-enterprises here",
    "n_day_centre": "Day centres here",
    "n_other": "Other providers here",
    "capacity_in_area": "Support places here",
    "data_note": "Note",
    "id": "Reference",
    "name": "Name",
    "kind": "Kind",
    "services": "Services",
    "client_groups": "Client groups",
    "capacity": "People supported",
    "start_date": "Opened",
    "end_date": "Closed",
    "postcode": "Postcode",
    "easting": "Easting (m)",
    "northing": "Northing (m)",
    "council_code": "Council code",
    "source_file": "File",
    "imported_by": "Imported by",
    "imported_at": "Imported (UTC)",
    "updated_by": "Last changed by",
    "updated_at": "Last changed (UTC)",
    "mode": "Replace or update",
    "accepted": "Rows accepted",
    "rejected": "Rows rejected",
    "rank": "Order",
    "people_reached": "People reached",
    "people_reached_cumulative": "People reached (running total)",
    "people_85plus_reached": "People aged 85+ reached",
    "reason": "Why here",
}


def column_header(column: str, *, band: str = "65plus", radius_km: float = 5.0, unit: str = "km") -> str:
    """A readable header for a column code (the code itself, tidied, when unknown).

    Examples
    --------
    >>> column_header("pop_85plus")
    'People aged 85+'
    >>> column_header("pop_beyond_radius", band="75plus", radius_km=5)
    'People aged 75+ more than 5 km from support'
    """
    if column in _HEADERS:
        return _HEADERS[column]
    if column in {
        "gap_score",
        "gap_rank",
        "unmet_need",
        "access_e2sfca",
        "access_2sfca",
        "nearest_km",
        "nearest_minutes",
        "pop_beyond_radius",
        "providers_within",
        "capacity_within",
        "people_per_place",
    }:
        return metric_label(column, band, radius_km, unit=unit)
    return column.replace("_", " ").capitalize()


PEOPLE_COLUMNS = frozenset(
    {
        "pop_total",
        "pop_65plus",
        "pop_75plus",
        "pop_85plus",
        "pop_65_69",
        "pop_70_74",
        "pop_75_79",
        "pop_80_84",
        "older_income_deprived",
        "pop_beyond_radius",
        "unmet_need",
        "allocated",
        "target_places",
        "capacity_within",
        "capacity_in_area",
        "capacity",
        "people_reached",
        "people_reached_cumulative",
        "people_85plus_reached",
        "density_per_km2",
        "n_points",
        "n_micro_enterprise",
        "n_day_centre",
        "n_other",
        "gap_score",
        "gap_rank",
        "rank",
        "accepted",
        "rejected",
    }
)
"""Columns counted in people or things: shown as whole numbers."""

SHARE_COLUMNS = frozenset(
    {"share_65plus", "share_75plus", "share_85plus", "older_income_deprived_rate", "rural_share", "disabled_share"}
)
"""Columns holding a share 0–1: shown as whole percentages."""

KM_COLUMNS = frozenset({"nearest_km", "area_km2"})
"""Distances and areas: one decimal."""

DATE_COLUMNS = frozenset({"start_date", "end_date", "as_at", "last_changed"})
"""Date columns: ``DD Mon YYYY`` or blank."""

TIME_COLUMNS = frozenset({"imported_at", "updated_at"})
"""Moments: ``DD Mon YYYY, HH:MM`` (:func:`moment`) or blank; the registry stores them in UTC."""

GLOSSARY = {
    "Neighbourhood (LSOA)": "A Lower layer Super Output Area: the smallest area with published Census "
    "counts, about 1,500 residents. A larger neighbourhood (MSOA) groups about five of them.",
    "Support place": "One person a provider can support at a time (its capacity).",
    "Support places per 1,000 people": "Each provider's places are shared among the older people within "
    "reach of it; a postcode's figure is the sum of the shares it can reach, per 1,000 people (the "
    "two-step floating catchment area method). The 'nearer places count more' version weights nearby "
    "places more, fading with distance.",
    "People without a support place (unmet need)": "People of the age band times the target places per "
    "1,000, minus the places shared out to the area; never below zero.",
    "Priority score": "0–100: a weighted mix of unmet need, poor access, older people's income "
    "deprivation (IoD 2025) and rurality, each ranked across the council's areas.",
    "Catchment radius": "How far people can reasonably get to a provider, in km.",
    "Road/straight-line factor": "Distances are measured in a straight line; multiplying by a factor "
    "(about 1.3 in rural England) approximates the road distance.",
    "Care bought": "What the providers are paid for their hours of care in a year (hours a week × 52 × the "
    "price of an hour of care): the micro-enterprises' income.",
    "Price of an hour of care": "What an hour of care is bought for (by the council or the person), not what "
    "the person giving the care is paid; their pay is the care worker's pay per hour.",
    "Money kept local (LM3 total)": "Care bought multiplied by the Local Multiplier 3 (New Economics "
    "Foundation): the income itself, plus the part the providers spend locally, plus the part of that "
    "re-spent locally. It includes the care bought, so it is always larger; it is not extra income.",
    "People whose nearest provider closed": "Everyone whose nearest open provider closed between the two "
    "dates. Most still have another provider within reach, further away; those left with none within the "
    "radius are the people who lost support.",
    "Illustrative sample": "Generated providers for Somerset that show how the tool works. They are not "
    "real providers; rankings made with them are not real need.",
}
"""Method terms in plain English; the only place the raw method names appear."""


def _missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def people(value: object) -> str:
    """People as a whole number with thousands separators, blank when missing.

    Examples
    --------
    >>> people(1234.4), people(0.4), people(None)
    ('1,234', '0', '')
    """
    if _missing(value):
        return ""
    return f"{round(float(value)):,}"


def km(value: object) -> str:
    """Kilometres to one decimal, blank when missing.

    Examples
    --------
    >>> km(3.14159), km(float("nan"))
    ('3.1', '')
    """
    if _missing(value):
        return ""
    return f"{float(value):,.1f}"


def share(value: object) -> str:
    """A 0–1 share as a whole percentage, blank when missing.

    Examples
    --------
    >>> share(0.256)
    '26%'
    """
    if _missing(value):
        return ""
    return f"{float(value):.0%}"


def day(value: object) -> str:
    """A date as ``DD Mon YYYY`` (no time), blank when missing.

    Examples
    --------
    >>> day(date(2024, 6, 30)), day(pd.Timestamp("2024-06-30 00:00:00")), day(None)
    ('30 Jun 2024', '30 Jun 2024', '')
    """
    if _missing(value):
        return ""
    if isinstance(value, str):
        value = pd.Timestamp(value)
    if isinstance(value, datetime | pd.Timestamp):
        value = value.date()
    if not isinstance(value, date):
        return str(value)
    return value.strftime("%d %b %Y")


def moment(value: object) -> str:
    """A date and time as ``DD Mon YYYY, HH:MM`` (no seconds), blank when missing.

    Examples
    --------
    >>> moment("2026-11-23T14:05:31.123456"), moment(pd.Timestamp("2026-11-23 09:00")), moment(None)
    ('23 Nov 2026, 14:05', '23 Nov 2026, 09:00', '')
    """
    if _missing(value):
        return ""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    return stamp.strftime("%d %b %Y, %H:%M")


def money(value: object) -> str:
    """Pounds for a sentence: ``£16.9 million`` from a million up, else whole pounds; blank when missing.

    Examples
    --------
    >>> money(16_939_254), money(4209.4), money(None)
    ('£16.9 million', '£4,209', '')
    """
    if _missing(value):
        return ""
    v = float(value)
    return f"£{v / 1e6:,.1f} million" if abs(v) >= 1e6 else f"£{v:,.0f}"


def number(value: object) -> str:
    """A parameter value as typed: up to two decimals, no trailing zeros, thousands separators.

    Examples
    --------
    >>> number(4209.0), number(24.1), number(0.0)
    ('4,209', '24.1', '0')
    """
    if _missing(value):
        return ""
    try:
        text = f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def one_in(part: float, whole: float) -> str:
    """A share in words: ``"1 in 4"`` for small shares, a percentage from a half up.

    Examples
    --------
    >>> one_in(25, 100), one_in(0, 100), one_in(60, 100), one_in(1, 269), one_in(1, 1234)
    ('1 in 4', 'none', '60%', '1 in 270', '1 in 1,200')
    """
    if whole <= 0 or part <= 0:
        return "none"
    ratio = part / whole
    if ratio >= 0.5:
        return f"{ratio:.0%}"
    n = round(whole / part)
    if n >= 20:  # two significant figures: "1 in 270", not "1 in 269"
        n = int(round(n, 2 - len(str(n))))
    return f"1 in {n:,}"


def format_value(column: str, value: object) -> str:
    """One cell as shown to a person, by the kind of its column."""
    if column in TIME_COLUMNS:
        return moment(value)
    if column in DATE_COLUMNS:
        return day(value)
    if _missing(value):
        return ""
    if column in PEOPLE_COLUMNS:
        return people(value)
    if column in SHARE_COLUMNS:
        return share(value)
    if column in KM_COLUMNS:
        return km(value)
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def readable_table(
    frame: pd.DataFrame,
    columns: list[str] | None = None,
    *,
    band: str = "65plus",
    radius_km: float = 5.0,
    headers: Mapping[str, str] | None = None,
    unit: str = "km",
) -> pd.DataFrame:
    """A copy of ``frame`` for people: readable headers, whole people, km to 1 dp, dates, no blanks as "None".

    Numbers stay numbers (rounded) so a spreadsheet can still add them up; dates become
    ``DD Mon YYYY`` text; missing values become empty cells. Geometry is dropped.

    Parameters
    ----------
    frame
        A table with the library's column codes.
    columns
        Which columns, in order (default: all but geometry).
    band, radius_km, unit
        For the headers that name the age band or radius (``unit="minutes"`` by road).
    headers
        Overrides of :func:`column_header`.

    Returns
    -------
    pandas.DataFrame
        A new frame with the same index.
    """
    columns = list(columns) if columns is not None else [c for c in frame.columns if c != "geometry"]
    out = {}
    headers = dict(headers or {})
    for col in columns:
        s = frame[col]
        if col in TIME_COLUMNS:
            values = pd.Series([moment(v) for v in s], index=frame.index, dtype=object)
        elif col in DATE_COLUMNS or pd.api.types.is_datetime64_any_dtype(s):
            values = pd.Series([day(v) for v in s], index=frame.index, dtype=object)
        elif col in PEOPLE_COLUMNS and pd.api.types.is_numeric_dtype(s):
            values = s.astype("Float64").round(0).astype("Int64")
        elif col in SHARE_COLUMNS and pd.api.types.is_numeric_dtype(s):
            values = (s.astype("Float64") * 100).round(0).astype("Int64")
            headers.setdefault(col, column_header(col, band=band, radius_km=radius_km, unit=unit) + " (%)")
        elif pd.api.types.is_numeric_dtype(s):
            values = s.astype("Float64").round(1)
        else:
            values = pd.Series(["" if _missing(v) else str(v) for v in s], index=frame.index, dtype=object)
        out[headers.get(col) or column_header(col, band=band, radius_km=radius_km, unit=unit)] = values
    return pd.DataFrame(out, index=frame.index)


def is_finite(value: object) -> bool:
    """True for a real, finite number."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
