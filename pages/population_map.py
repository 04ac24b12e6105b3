"""Older population by area: choropleth, headline figures, table and downloads."""

import streamlit as st

from gapmap.analysis import AnalysisRequest
from gapmap.areas import OUTSIDE_CODE
from gapmap.errors import GapmapError
from gapmap.export import population_table, to_csv_bytes, to_geojson_bytes
from gapmap.figures import MapLayer, map_figure, to_png
from gapmap.labels import BAND_PEOPLE, readable_table
from gapmap.maps import Field, choropleth, standalone_html
from gapmap.population import BAND_LABELS, LEVEL_LABELS, LEVELS, MEASURE_LABELS, measure
from gapmap.story import ReportInputs, population_words
from pages import _present, _shared, _state
from pages._live_map import area_map

_shared.ensure_router()


code, data, _ = _shared.page_header(
    "Older population",
    caption="Census 2021 residents, shared across live postcodes within each neighbourhood (LSOA) and added up "
    "to the areas you choose. Totals match the Census at every level.",
)
council = data.council
_present.restore({"level": ("level", LEVELS), "band": ("band", tuple(BAND_LABELS))})
# Each setting is kept between visits (pages/_state.py); the widgets take their value from it.
_state.setting("level", LEVELS[0], allowed=LEVELS)
_state.setting("band", "65plus", allowed=tuple(BAND_LABELS))
_state.setting("measure", next(iter(MEASURE_LABELS)), allowed=tuple(MEASURE_LABELS))
_state.setting("basemap", False)
_state.setting("hex_size", 1000, allowed=tuple(_shared.HEX_SIZES))

c1, c2, c3, c4 = st.columns([1.3, 1, 1, 1])
level = c1.selectbox(
    "Areas",
    LEVELS,
    format_func=LEVEL_LABELS.get,
    key="level",
    help="Wards and neighbourhoods (LSOAs) are ONS boundaries. Hexes are an even grid for "
    "comparing like with like. 'Your own areas' takes a parish or patch file.",
)
band = c2.selectbox("Age band", list(BAND_LABELS), format_func=BAND_LABELS.get, key="band")
kind = c3.selectbox("Show", list(MEASURE_LABELS), format_func=MEASURE_LABELS.get, key="measure")
basemap = c4.toggle(
    "Street basemap",
    key="basemap",
    help="OpenStreetMap tiles need internet access. Off: boundaries only, works offline.",
)

hex_size = 1000
if level == "hex":
    hex_size = st.select_slider(
        "Hex width", options=list(_shared.HEX_SIZES), format_func=_shared.HEX_SIZES.get, key="hex_size"
    )
areas_gdf, areas_digest = _shared.area_file_input(level)
_present.remember(level=level, band=band)

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
    Field("rural_share", "Living in rural areas", ".0%"),
]
map_spec = {
    "field": field,
    "tooltip": tooltip,
    "note": f"{council.name} · {LEVEL_LABELS[level]} · Census 2021",
}
words = population_words(areas, band=band, level=level, council=council.name)
_present.header(words.title, words.takeaway)
# As on the gaps page: the map is kept per council, the outlines are a file the browser
# fetched once, and a change of level, band or measure sends only values.
outlines = _shared.area_outlines(code, level, float(hex_size), areas_digest, areas_gdf)
mapped = areas[areas.area_code.isin(outlines.codes)]  # not the row of residents outside your areas
area_map(
    _shared.council_bounds(code),
    outlines,
    areas,
    map_spec,
    key=f"popmap-{code}",
    height=_present.map_height(620),
    basemap=basemap,
)

st.subheader("Areas")
table = population_table(areas)
# Highest first on the mapped measure (same index as the areas); readable headers, whole people.
show = readable_table(table.drop(columns=table.geometry.name).loc[values.sort_values(ascending=False).index])
st.dataframe(show, hide_index=True, width="stretch", height=420)
stem = f"gapmap-{council.code}-{level}"
d1, d2, d3 = st.columns(3)
# Built only when clicked (deferred data), not on every rerun, as on the gaps page.
d1.download_button(
    "Download table (CSV)",
    lambda: to_csv_bytes(readable_table(table)),
    f"{stem}.csv",
    "text/csv",
    help="Readable headings and whole people. `python -m gapmap population` gives the column codes.",
    on_click="ignore",
)
d2.download_button(
    "Download areas (GeoJSON)",
    lambda: to_geojson_bytes(table),
    f"{stem}.geojson",
    "application/geo+json",
    on_click="ignore",
)
d3.download_button(
    "Download map (HTML, works offline)",
    data=lambda: standalone_html(choropleth(mapped, **map_spec, basemap=basemap)),
    file_name=f"{stem}-map.html",
    mime="text/html",
    on_click="ignore",
    help="A single file with the map and its legend, for hand-outs and slides. Made when you click.",
)


def population_png() -> bytes:
    """This map as a print-quality picture (Census figures only: no providers on it)."""
    return to_png(
        map_figure(
            areas,
            MapLayer(values.name, field.label, fmt),
            title=f"{words.title} — {council.name}",
            takeaway=words.takeaway,
            outline=data.outline(),
            note=f"{council.name} · {LEVEL_LABELS[level]} · Census 2021.",
        )
    )


# Slides and report: the whole story (it needs the council's providers for the later views);
# the deck's population slide uses this page's areas and age band (65+ when all ages are shown).
source = _shared.provider_source(code)
deck_request = AnalysisRequest(band=band if band in BAND_PEOPLE else "65plus", level=level, hex_size_m=float(hex_size))
build_inputs = None
if source is not None:
    deck_source = source
    story = _state.story_state(code)  # read during the run (a click's download runs outside it)

    def build_inputs() -> ReportInputs:
        """The deck's inputs (the analysis is computed only when a deck or report is asked for)."""
        analysis = _shared.analysis(code, deck_source.key, deck_request, areas_digest, deck_source.providers, areas_gdf)
        return ReportInputs(
            analysis, illustrative=deck_source.illustrative, **_state.story_parts(code, analysis, story)
        )


_present.handouts(
    build_inputs,
    stem=stem,
    view="population",
    state=f"{source.key if source else None}|{deck_request!r}|{areas_digest}",
    png=population_png,
)
_present.glossary()
_present.footer("population")
