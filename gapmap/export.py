"""Tables for download: column order, rounding, CSV and GeoJSON bytes."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from gapmap.config import WGS84
from gapmap.gaps import GAP_COLUMNS
from gapmap.reproject import reproject

POPULATION_COLUMNS = (
    "area_code",
    "area_name",
    "pop_total",
    "pop_65plus",
    "pop_75plus",
    "pop_85plus",
    "pop_65_69",
    "pop_70_74",
    "pop_75_79",
    "pop_80_84",
    "share_65plus",
    "share_75plus",
    "share_85plus",
    "imd_score",
    "imd_decile",
    "older_income_deprived",
    "older_income_deprived_rate",
    "rural_share",
    "disabled_share",
    "area_km2",
    "density_per_km2",
    "n_points",
)
"""Columns of ``python -m gapmap population`` output, in order."""

GAPS_COLUMNS = (
    *POPULATION_COLUMNS[:6],
    *GAP_COLUMNS,
    "gap_need",
    "gap_access",
    "gap_deprivation",
    "gap_rurality",
    "gap_reasons",
    "allocated",
    "target_places",
    "older_income_deprived_rate",
    "rural_share",
    "imd_decile",
)
"""Columns of ``python -m gapmap gaps`` output, in order (the first 15 as the spec lists)."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def population_table(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Select and order the population columns, rounding numbers to 6 decimals.

    Counts are fractional below LSOA level (equal shares per postcode); 6 decimals keep
    column sums within a millionth per row of the exact totals.
    """
    out = areas[[*POPULATION_COLUMNS, areas.geometry.name]].copy()
    numeric = out.select_dtypes("number").columns
    out[numeric] = out[numeric].round(6)
    return out


def gaps_table(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Select and order the gap columns, rounding numbers to 6 decimals, best rank first."""
    out = areas[[*GAPS_COLUMNS, areas.geometry.name]].copy()
    numeric = out.select_dtypes("number").columns
    out[numeric] = out[numeric].round(6)
    return out.sort_values("gap_rank", na_position="last")


def for_display(frame: pd.DataFrame, decimals: Mapping[str, int]) -> pd.DataFrame:
    """A table as the app's browser grid gets it: less to send, the same to read.

    Rows are renumbered (the grid hides the index, but a shuffled one would still travel) and
    each column in ``decimals`` is rounded to that many places and stored as float32, which
    holds every such figure of a council's areas exactly as shown. The input is not changed.

    Examples
    --------
    >>> t = pd.DataFrame({"km": [1.26, 3.0]}, index=[7, 2])
    >>> out = for_display(t, {"km": 1})
    >>> out.index.tolist(), out.km.dtype.name, [f"{v:.1f}" for v in out.km]
    ([0, 1], 'float32', ['1.3', '3.0'])
    """
    out = pd.DataFrame(frame).reset_index(drop=True)
    for column, places in decimals.items():
        out[column] = out[column].astype(float).round(places).astype("float32")
    return out


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix with a quote every text cell and header a spreadsheet would run as a formula.

    A cell is risky when it starts with ``= + - @``, a tab or a carriage return, after
    Unicode NFKC folding, so the full-width ``＝ ＋ － ＠`` that spreadsheets also accept are
    caught. Column headers are user text too (a file's own headers reach the rejected-rows
    download) and are treated the same way.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"a": ["=1+1", "ok", "＝1+1"]})).a.tolist()
    ["'=1+1", 'ok', "'＝1+1"]
    >>> neutralise_formulas(pd.DataFrame({"=cmd": [1]})).columns.tolist()
    ["'=cmd"]
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            s = out[col]
            text = s.astype("str")
            mask = s.notna() & text.str.normalize("NFKC").str.startswith(_FORMULA_START)
            out[col] = s.where(~mask, "'" + text)
    out.columns = [_neutral_header(c) for c in out.columns]
    return out


def _neutral_header(name: object) -> object:
    if isinstance(name, str) and unicodedata.normalize("NFKC", name).startswith(_FORMULA_START):
        return "'" + name
    return name


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV (UTF-8 with BOM so Excel reads accents) without geometry, formula-safe."""
    plain = pd.DataFrame(frame.drop(columns=frame.geometry.name) if isinstance(frame, gpd.GeoDataFrame) else frame)
    return neutralise_formulas(plain).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def to_geojson_bytes(frame: gpd.GeoDataFrame) -> bytes:
    """GeoJSON in WGS84 (RFC 7946), rows without geometry kept with a null geometry.

    Dates are written as ISO 8601 text (``"2024-01-31"``), blank dates as null.
    """
    out = reproject(frame, WGS84)
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = [None if pd.isna(v) else v.isoformat().removesuffix("T00:00:00") for v in out[col]]
    return out.to_json(drop_id=True, na="null").encode("utf-8")
