"""Older population by area: choropleth, headline figures, table and downloads."""

import streamlit as st
from streamlit_folium import st_folium

from gapmap.areas import OUTSIDE_CODE
from gapmap.errors import GapmapError
from gapmap.export import population_table, to_csv_bytes, to_geojson_bytes
from gapmap.maps import Field, area_layer, base_map, choropleth, standalone_html
from gapmap.population import BAND_LABELS, LEVEL_LABELS, LEVELS, MEASURE_LABELS, measure
from pages import _shared

_shared.ensure_router()

HEX_SIZES = {500: "500 m", 1000: "1 km", 2000: "2 km", 5000: "5 km"}

code = st.session_state.get("council", _shared.DEFAULT_COUNCIL)
data = _shared.council_data(code)
council = data.council

st.title(f"Older population — {council.name}")
st.caption(
    "Census 2021 residents, shared across live postcodes within each LSOA and added up to the "
    "areas you choose. Totals match the Census at every level."
)

c1, c2, c3, c4 = st.columns([1.3, 1, 1, 1])
level = c1.selectbox(
    "Areas",
    LEVELS,
    format_func=LEVEL_LABELS.get,
    key="level",
    help="Wards and LSOAs are ONS boundaries. Hexes are an even grid for "
    "comparing like with like. 'Your own areas' takes a parish or patch file.",
)
band = c2.selectbox("Age band", list(BAND_LABELS), format_func=BAND_LABELS.get, key="band")
kind = c3.selectbox("Show", list(MEASURE_LABELS), format_func=MEASURE_LABELS.get, key="measure")
basemap = c4.toggle(
    "Street basemap",
    value=False,
    key="basemap",
    help="OpenStreetMap tiles need internet access. Off: boundaries only, works offline.",
)

hex_size = 1000
if level == "hex":
    hex_size = st.select_slider(
        "Hex width", options=list(HEX_SIZES), value=1000, format_func=HEX_SIZES.get, key="hex_size"
    )
areas_gdf, areas_digest = _shared.area_file_input(level)

try:
    areas = _shared.population(code, level, float(hex_size), areas_digest, areas_gdf)
except GapmapError as exc:
    st.error(str(exc))
    st.stop()

values = measure(areas, band, kind)
areas = areas.assign(**{values.name: values})
fmt = {"count": ",.0f", "share": ".1%", "density": ",.1f"}[kind]
field = Field(values.name, f"{BAND_LABELS[band]}: {MEASURE_LABELS[kind].lower()}", fmt)

m1, m2, m3, m4 = st.columns(4)
m1.metric("Residents", f"{areas.pop_total.sum():,.0f}")
m2.metric("Aged 65+", f"{areas.pop_65plus.sum():,.0f}")
m3.metric("Aged 75+", f"{areas.pop_75plus.sum():,.0f}")
m4.metric("Aged 85+", f"{areas.pop_85plus.sum():,.0f}")

outside = areas[areas.area_code == OUTSIDE_CODE]
if len(outside) and outside.pop_total.iloc[0] > 0:
    st.warning(
        f"{outside.pop_total.iloc[0]:,.0f} residents ({outside.pop_65plus.iloc[0]:,.0f} "
        "aged 65+) live outside the areas in your file (for parishes: the "
        "unparished areas). They are listed as a separate row so totals still add up."
    )

tooltip = [
    Field("pop_total", "All residents"),
    Field("pop_65plus", "Aged 65+"),
    Field("pop_75plus", "Aged 75+"),
    Field("pop_85plus", "Aged 85+"),
    Field("share_65plus", "Aged 65+: share of residents", ".1%"),
    Field("share_85plus", "Aged 85+: share of residents", ".1%"),
    Field("imd_decile", "IMD decile (pop.-weighted, 1 = most deprived)", ".1f"),
    Field("rural_share", "Living in rural LSOAs", ".0%"),
]
note = f"{council.name} · {LEVEL_LABELS[level]} · Census 2021"
# One map per council (never remounted); each setting sends only colours and figures over
# outlines the browser fetched once.
outlines = _shared.area_outlines(code, level, float(hex_size), areas_digest, areas_gdf)
st_folium(
    base_map(_shared.council_bounds(code), basemap=basemap),
    feature_group_to_add=area_layer(outlines.url, outlines.codes, areas, field, tooltip=tooltip, note=note),
    height=620,
    use_container_width=True,
    returned_objects=[],
    key=f"map-{code}",
)

st.subheader("Areas")
table = population_table(areas)
# Highest first on the mapped measure (same index as the areas).
show = table.drop(columns=table.geometry.name).loc[values.sort_values(ascending=False).index]
st.dataframe(
    show,
    hide_index=True,
    width="stretch",
    column_config={
        "area_code": "Code",
        "area_name": "Area",
        **{
            c: st.column_config.NumberColumn(c, format="%.0f")
            for c in (
                "pop_total",
                "pop_65plus",
                "pop_75plus",
                "pop_85plus",
                "pop_65_69",
                "pop_70_74",
                "pop_75_79",
                "pop_80_84",
                "older_income_deprived",
                "density_per_km2",
            )
        },
        **{
            c: st.column_config.NumberColumn(c, format="percent")
            for c in (
                "share_65plus",
                "share_75plus",
                "share_85plus",
                "older_income_deprived_rate",
                "rural_share",
                "disabled_share",
            )
        },
    },
)
stem = f"gapmap-{council.code}-{level}"
d1, d2, d3 = st.columns(3)
# Built only when asked for (deferred data), not on every rerun.
d1.download_button("Download table (CSV)", lambda: to_csv_bytes(table), f"{stem}.csv", "text/csv", on_click="ignore")
d2.download_button(
    "Download areas (GeoJSON)",
    lambda: to_geojson_bytes(table),
    f"{stem}.geojson",
    "application/geo+json",
    on_click="ignore",
)
d3.download_button(
    "Download map (HTML, works offline)",
    lambda: standalone_html(choropleth(areas, field, tooltip=tooltip, note=note)),
    f"{stem}-map.html",
    "text/html",
    help="A single file with the map and its legend, for hand-outs and slides.",
    on_click="ignore",
)
