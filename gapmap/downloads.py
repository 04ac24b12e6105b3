"""The tables a page offers for download, one function each, shared with the command line.

With ``--privacy counts`` or ``--privacy displaced``, ``python -m gapmap gaps|economy|closure|
timeline|site`` write exactly what a viewer of the app downloads with the same settings, because
both call these functions on an analysis of the same providers: the public form
(:func:`gapmap.privacy.providers_for`) for a viewer, the records themselves in ``exact`` mode.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd

from gapmap.closures import ClosureImpact
from gapmap.economy import ECONOMY_KEYS, EconomyParams, economy_by_area, with_parameters
from gapmap.export import gaps_table
from gapmap.labels import ILLUSTRATIVE
from gapmap.privacy import INTERNAL_NOTE, check_mode, suppress_counts, suppress_small_areas
from gapmap.timeline import Timeline, timeline_table


def _noted(table: pd.DataFrame, illustrative: bool, internal: bool = False) -> pd.DataFrame:
    """``table`` with its labels on every row: what it is made from.

    ``data_note`` holds the illustrative label (sample data); ``internal_note`` says the figures
    come from the exact homes of sole traders (an editor's exact mode, or the command line
    without ``--privacy``), so the file is for internal use only.
    """
    out = table.assign(data_note=ILLUSTRATIVE) if illustrative else table
    return out.assign(internal_note=INTERNAL_NOTE) if internal else out


def viewer_areas(areas: gpd.GeoDataFrame, privacy: str) -> gpd.GeoDataFrame:
    """A gap analysis's area table as shown under ``privacy``.

    Small micro-enterprise counts are suppressed (:func:`gapmap.privacy.suppress_counts`) unless
    ``"exact"``.
    """
    if check_mode(privacy) == "exact":
        return areas
    return areas.assign(n_micro_enterprise=suppress_counts(areas.n_micro_enterprise))


def gaps_download(areas: gpd.GeoDataFrame, *, privacy: str, illustrative: bool, unit: str = "km") -> gpd.GeoDataFrame:
    """The gaps page's table (column codes; the CSV and GeoJSON downloads and ``gaps --out``).

    By road (``unit="minutes"``) the nearest cost is minutes, and its column is
    ``nearest_minutes`` (a contract) instead of ``nearest_km``.
    """
    table = gaps_table(viewer_areas(areas, privacy))
    if unit == "minutes":
        table = table.rename(columns={"nearest_km": "nearest_minutes"})
    return _noted(table, illustrative, internal=privacy == "exact")


def economy_areas(
    supply: pd.DataFrame,
    polygons: gpd.GeoDataFrame,
    population: pd.DataFrame,
    params: EconomyParams,
    *,
    privacy: str,
) -> gpd.GeoDataFrame:
    """The economy per area as shown under ``privacy`` (small areas hidden unless ``"exact"``)."""
    by_area = economy_by_area(supply, polygons, population, params)
    if check_mode(privacy) == "exact":
        return by_area
    # Figures that follow from the few providers of a hidden area go with its count.
    figures = (*ECONOMY_KEYS, "jobs_fte_per_1000", "hours_per_1000")
    derived = tuple(c for c in figures if c in by_area and c not in ("providers", "lm3"))
    return suppress_small_areas(by_area, count="providers", derived=derived)


def economy_areas_download(
    by_area: gpd.GeoDataFrame, params: EconomyParams, *, illustrative: bool, internal: bool = False
) -> gpd.GeoDataFrame:
    """The Local economy page's per-area download (``economy --areas-out``).

    ``internal`` when computed from the exact records.
    """
    return _noted(with_parameters(by_area, params), illustrative, internal)


def economy_json_bytes(report: dict) -> bytes:
    """The Local economy page's JSON download (``economy --out``)."""
    return (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def closure_download(impact: ClosureImpact, *, illustrative: bool, internal: bool = False) -> pd.DataFrame:
    """The closures page's impact per area (``closure --out`` as CSV).

    ``internal`` when computed from the exact records.
    """
    return _noted(impact.by_area.drop(columns="person_km"), illustrative, internal)


def timeline_download(timeline: Timeline, *, illustrative: bool, internal: bool = False) -> pd.DataFrame:
    """The Over time view's table (``timeline --out``).

    ``internal`` when computed from the exact records.
    """
    return _noted(timeline_table(timeline), illustrative, internal)
