"""Cached loaders and widgets shared by the pages (the only place that caches)."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from gapmap import io
from gapmap.config import DataPaths
from gapmap.maps import ATTRIBUTION
from gapmap.population import CouncilData, load_council, population_by_area

DEFAULT_COUNCIL = "E06000066"  # Somerset: the worked example in the README


@st.cache_data(show_spinner=False)
def councils() -> pd.DataFrame:
    """The council list."""
    return io.read_councils(DataPaths())


@st.cache_data(show_spinner=False)
def manifest() -> dict:
    """The data build's provenance manifest."""
    return io.read_manifest(DataPaths())


@st.cache_resource(show_spinner="Loading the council's postcodes and boundaries…", max_entries=6)
def council_data(code: str) -> CouncilData:
    """One council's demand points and boundaries (shared, never mutated)."""
    return load_council(code)


@st.cache_resource(show_spinner="Reading your boundary file…", max_entries=4)
def user_areas(name: str, digest: str, payload: bytes) -> gpd.GeoDataFrame:
    """Polygons from an uploaded file, keyed on its content hash."""
    del digest  # part of the cache key only
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(payload)
        return io.read_area_file(path)


@st.cache_resource(show_spinner="Adding up population by area…", max_entries=24)
def population(
    code: str,
    level: str,
    hex_size_m: float,
    areas_digest: str | None,
    _areas: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Population by area; ``_areas`` (user polygons) is keyed by ``areas_digest``."""
    return population_by_area(council_data(code), level, hex_size_m=hex_size_m, areas=_areas)


def digest(payload: bytes) -> str:
    """Short content hash used as a cache key."""
    return hashlib.sha256(payload).hexdigest()[:16]


def council_picker() -> str:
    """Sidebar council selector; remembers the choice across pages and in the URL."""
    table = councils()
    include_districts = st.toggle(
        "Include districts",
        key="include_districts",
        help="Adult social care is commissioned by upper-tier councils (counties, unitaries, "
        "metropolitan and London boroughs). Districts are offered for finer planning.",
    )
    shown = table if include_districts else table[table.tier == "upper"]
    codes = shown.code.tolist()
    labels = dict(zip(table.code, table.name, strict=True))
    # First visit: take the council from the URL (shareable links), else the default.
    if st.session_state.get("council") not in codes:
        from_url = st.query_params.get("council", DEFAULT_COUNCIL)
        st.session_state["council"] = from_url if from_url in codes else DEFAULT_COUNCIL
    code = st.selectbox(
        "Council",
        codes,
        key="council",
        format_func=lambda c: f"{labels[c]} ({c})",
        help="Type to search by name or ONS code.",
    )
    st.query_params["council"] = code
    return code


def show_attribution() -> None:
    """The licence and attribution lines the data requires."""
    st.caption("  \n".join(ATTRIBUTION))
