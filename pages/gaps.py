"""Where care is short: access, unmet need and ranked priority areas.

A short script of named views: :func:`controls` reads the settings into one :class:`Choice`;
:func:`analyse` runs the analysis core on them; :func:`headline_tiles`, :func:`gap_map`,
:func:`area_detail`, :func:`priority_table`, :func:`downloads` and
:func:`where_the_straight_line_misleads` each draw one part of the page; :func:`main` runs them.
"""

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
import streamlit as st

from gapmap.analysis import Analysis, AnalysisRequest
from gapmap.demand import BANDS
from gapmap.downloads import gaps_download
from gapmap.errors import GapmapError
from gapmap.export import for_display, to_csv_bytes, to_geojson_bytes
from gapmap.gap_map import gap_layers, gap_legend_html, gap_map_parts, handout_map
from gapmap.gaps import DEFAULT_TARGET_PER_1000, GAP_METRICS, ScoreWeights
from gapmap.labels import column_header, metric_label, reach, readable_table
from gapmap.maps import standalone_html
from gapmap.population import BAND_LABELS, LEVEL_LABELS, LEVELS
from gapmap.roads import ByRoad, straight_line_misleads
from gapmap.schema import KIND_LABELS, KINDS
from gapmap.story import ReportInputs, gaps_view, priority_view
from pages import _a11y, _present, _shared, _state
from pages._live_map import live_map


@st.cache_resource(show_spinner=False, max_entries=32, ttl=_shared.CACHE_TTL)
def _map_parts(result_key: str, metric: str, privacy: str, illustrative: bool, _result, _secret: bytes):
    """:func:`gapmap.gap_map.gap_map_parts` of the analysis ``result_key`` names (read, never changed)."""
    return gap_map_parts(_result, metric, privacy=privacy, secret=_secret, illustrative=illustrative)


@st.cache_resource(show_spinner=False, max_entries=32, ttl=_shared.CACHE_TTL)
def _download_table(result_key: str, privacy: str, illustrative: bool, _result):
    """:func:`gapmap.downloads.gaps_download` of the analysis ``result_key`` names (read, never changed)."""
    return gaps_download(_result.areas, privacy=privacy, illustrative=illustrative)


@dataclass(frozen=True)
class Choice:
    """What the controls chose: the analysis settings and how the page shows them."""

    level: str
    band: str
    kinds: list[str]
    as_at: date
    roads: ByRoad | None
    radius: float
    """Kilometres, or minutes by road."""
    metric: str
    basemap: bool
    hex_size: int
    areas_gdf: object
    areas_digest: str | None
    circuity: float
    target: float
    weights: ScoreWeights

    @property
    def unit(self) -> str:
        return "km" if self.roads is None else "minutes"

    @property
    def within(self) -> str:
        """The catchment in words: ``"5 km"`` or ``"15 minutes by road"``."""
        return reach(self.radius, self.unit)

    @property
    def road_key(self) -> str:
        return self.roads.network.key if self.roads else ""


def remembered(sizes: dict[int, str]) -> None:
    """Each setting kept between visits (pages/_state.py), or restored from a shared link."""
    _present.restore(
        {
            "level": ("gap_level", LEVELS),
            "band": ("gap_band", tuple(BANDS)),
            "radius": ("gap_radius", (1.0, 20.0)),
            "kinds": ("gap_kinds", KINDS),
            "date": ("gap_as_at", None),
        }
    )
    # The widgets take their value from the kept setting.
    _state.setting("gap_level", "ward", allowed=LEVELS)
    _state.setting("gap_band", "65plus", allowed=tuple(BANDS))
    _state.setting("gap_kinds", list(KINDS), allowed=KINDS)
    _state.setting("gap_as_at", date.today(), allowed=lambda d: isinstance(d, date) and date(2000, 1, 1) <= d)
    _state.setting("gap_radius", 5.0, allowed=lambda r: isinstance(r, float) and 1.0 <= r <= 20.0)
    _state.setting("gap_metric", next(iter(GAP_METRICS)), allowed=tuple(GAP_METRICS))
    _state.setting("gap_basemap", False)
    _state.setting("gap_hex", 1000, allowed=tuple(sizes))
    _state.setting("gap_circuity", 1.0)
    for w, value in (("w_need", 0.4), ("w_access", 0.3), ("w_dep", 0.2), ("w_rural", 0.1)):
        _state.setting(w, value)


def controls(code: str, sizes: dict[int, str]) -> Choice:
    """The settings row, the hex width, own areas and the assumptions expander."""
    c1, c2, c4, c5 = st.columns([1.2, 1, 1, 1.4])
    c3, c6, c7 = st.columns([2.4, 1.8, 1])  # the kinds chips and every label fit at 1440 px
    level = c1.selectbox("Areas", LEVELS, format_func=LEVEL_LABELS.get, key="gap_level")
    band = c2.selectbox(
        "Age band",
        list(BANDS),
        format_func=BAND_LABELS.get,
        key="gap_band",
        help="Whose need is measured: places are shared among people of this age.",
    )
    kinds = c3.multiselect("Providers that count", list(KINDS), format_func=KIND_LABELS.get, key="gap_kinds")
    as_at = c4.date_input(
        "As at",
        min_value=date(2000, 1, 1),
        max_value=date(2035, 12, 31),
        format="DD/MM/YYYY",
        key="gap_as_at",
        help="Only providers open on this date count. Move it back to see what a closure did.",
    )
    roads = _shared.distance_control(code, c5, "gap_distance")
    unit = "km" if roads is None else "minutes"
    if roads is not None:
        radius = _shared.minutes_slider(c5, "gap_minutes")
    else:
        radius = c5.slider(
            "Catchment radius (km)",
            1.0,
            20.0,
            step=0.5,
            key="gap_radius",
            help="How far people can reasonably get to a provider (straight line, times the road factor).",
        )
    metric = c6.selectbox(
        "Map shows", list(GAP_METRICS), format_func=lambda m: metric_label(m, band, radius, unit=unit), key="gap_metric"
    )
    # The URL's radius is km (restored into the km slider); minutes by road are not written there.
    _present.remember(level=level, band=band, kinds=kinds, date=as_at, **({"radius": radius} if roads is None else {}))
    basemap = c7.toggle("Street basemap", key="gap_basemap", help="OpenStreetMap tiles need internet access.")
    hex_size = 1000
    if level == "hex":
        hex_size = st.select_slider("Hex width", options=list(sizes), format_func=sizes.get, key="gap_hex")
    areas_gdf, areas_digest = _shared.area_file_input(level)
    circuity, target, weights = assumptions(band)
    return Choice(
        level=level,
        band=band,
        kinds=kinds,
        as_at=as_at,
        roads=roads,
        radius=radius,
        metric=metric,
        basemap=basemap,
        hex_size=hex_size,
        areas_gdf=areas_gdf,
        areas_digest=areas_digest,
        circuity=circuity,
        target=target,
        weights=weights,
    )


def assumptions(band: str) -> tuple[float, float, ScoreWeights]:
    """The expander of assumptions: road factor, target places and the score's weights."""
    with st.expander("Assumptions: road distance, target, score weights"):
        a1, a2 = st.columns(2)
        circuity = a1.number_input(
            "Road/straight-line factor",
            1.0,
            2.0,
            step=0.05,
            key="gap_circuity",
            help="1.0 = straight line. About 1.3 approximates road distance in rural England.",
        )
        _state.setting(f"gap_target_{band}", DEFAULT_TARGET_PER_1000[band])
        target = a2.number_input(
            f"Target places per 1,000 people {BAND_LABELS[band].lower()}",
            0.0,
            1000.0,
            step=1.0,
            key=f"gap_target_{band}",
            help="Default: the level Somerset reached in 2020 (about 4,000 people supported). Set your own.",
        )
        w1, w2, w3, w4 = st.columns(4)
        weights = ScoreWeights(
            need=w1.number_input("Weight: need", 0.0, 10.0, step=0.05, key="w_need"),
            access=w2.number_input("Weight: access", 0.0, 10.0, step=0.05, key="w_access"),
            deprivation=w3.number_input("Weight: deprivation", 0.0, 10.0, step=0.05, key="w_dep"),
            rurality=w4.number_input("Weight: rurality", 0.0, 10.0, step=0.05, key="w_rural"),
        )
    return circuity, target, weights


def analyse(code: str, source: _shared.ProviderSource, choice: Choice) -> tuple[AnalysisRequest, Analysis]:
    """The one typed request and the analysis core's result (the page stops with a message on bad settings)."""
    if not choice.kinds:
        st.error("Choose at least one kind of provider.")
        st.stop()
    try:
        request = AnalysisRequest(
            band=choice.band,
            radius_km=choice.radius,
            kinds=tuple(choice.kinds),
            as_at=choice.as_at,
            circuity=choice.circuity if choice.roads is None else 1.0,
            level=choice.level,
            hex_size_m=float(choice.hex_size),
            target_per_1000=choice.target,
            weights=choice.weights,
        )
        result = _shared.analysis(
            code,
            source.key,
            request,
            choice.areas_digest,
            source.providers,
            choice.areas_gdf,
            choice.road_key,
            choice.roads,
        )
    except (GapmapError, ValueError) as exc:
        st.error(str(exc))
        st.stop()
    return request, result


def headline_tiles(request: AnalysisRequest, result: Analysis, choice: Choice) -> None:
    """Providers open, support places, people beyond reach and people without a place."""
    areas, active, band = result.areas, result.supply, choice.band
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Providers open", f"{len(active):,}", help=f"Open on {choice.as_at:%d %b %Y}, of the chosen kinds")
    m2.metric("Support places", f"{active.capacity.sum():,.0f}")
    m3.metric(
        # By road the words "from support" would not fit the tile at 1440 px; its help says them.
        f"More than {choice.within}" + (" from support" if choice.roads is None else ""),
        f"{areas.pop_beyond_radius.sum():,.0f}",
        help=f"People {BAND_LABELS[band].lower()} with no open provider within {choice.within}",
    )
    m4.metric(
        "People without a support place",
        f"{areas.unmet_need.sum():,.0f}",
        help=f"Short of {request.params.target:g} places per 1,000 people {BAND_LABELS[band].lower()}, "
        "after sharing out the places within reach",
    )


def gap_map(code: str, choice: Choice, parts, privacy: str) -> str | None:
    """The live map, its legend and the privacy caption; the area clicked on it, if any."""
    # The map is kept per council (no remount; pan and zoom cause no rerun); each setting sends
    # only the layers: a colour and figures per area over outlines the browser fetched once (a
    # content-hashed file under static/cache/), and the markers.
    outlines = _shared.area_outlines(code, choice.level, float(choice.hex_size), choice.areas_digest, choice.areas_gdf)
    picked = live_map(
        _shared.council_bounds(code),
        gap_layers(parts, outlines.url, outlines.codes),
        key=f"gapmap-{code}",
        height=_present.map_height(620),
        basemap=choice.basemap,
        label=parts.field.label,
    ).area
    st.html(gap_legend_html(parts))  # below the map, never over it
    if privacy != "exact":
        st.caption(
            "Micro-provider locations are "
            + ("moved a random 250 m to 2 km" if privacy == "displaced" else "shown only as counts per area")
            + ", with no names; counts below 3 are not shown (privacy setting in the sidebar)."
        )
    return picked


def area_detail(areas: pd.DataFrame, clicked: str | None, choice: Choice) -> None:
    """Detail of an area: clicked on the map, or chosen from the list (the keyboard's way in)."""
    band, within_text = choice.band, choice.within
    by_name = areas.sort_values("area_name")
    names = dict(zip(by_name.area_code, by_name.area_name, strict=True))
    if st.session_state.get("gap_area") not in names:
        st.session_state.pop("gap_area", None)
    if clicked in names and clicked != st.session_state.get("gap_area_clicked"):
        st.session_state["gap_area_clicked"] = st.session_state["gap_area"] = clicked
    picked = st.selectbox(
        "Area to explain",
        list(names),
        index=None,
        format_func=names.get,
        key="gap_area",
        placeholder="Choose an area (or click one on the map)",
    )
    if not picked:
        st.caption("Choose an area above, or click one on the map, to see why it scores as it does.")
        return
    row = areas.set_index("area_code").loc[picked]
    st.subheader(_shared.plain(row.area_name))
    d1, d2 = st.columns([1, 1.2])
    d1.markdown(
        f"**Priority score {row.gap_score:.0f}** (rank {row.gap_rank} of {int(areas.gap_rank.max())})  \n"
        f"{BAND_LABELS[band]}: {row[f'pop_{band}']:,.0f} · without a support place: {row.unmet_need:,.0f} people  \n"
        f"Nearest provider {row.nearest_km:.1f} {'minutes by road' if choice.roads else 'km'} on average · "
        f"{row.providers_within:.1f} within {within_text}  \n"
        f"Access {row.access_e2sfca:.1f} places per 1,000 · {row.pop_beyond_radius:,.0f} people beyond {within_text}"
    )
    d1.caption("Why: " + row.gap_reasons)
    points = pd.DataFrame(
        {
            "part": ["Need", "Access", "Deprivation", "Rurality"],
            "points": [row.gap_need, row.gap_access, row.gap_deprivation, row.gap_rurality],
        }
    )
    _a11y.bar_chart(
        points,
        label="part",
        value="points",
        x_label="Points of the priority score",
        where=d2,
        description="Points of the priority score: "
        + ", ".join(f"{p} {v:.0f}" for p, v in zip(points.part, points.points, strict=True)),
    )


def priority_table(table: pd.DataFrame, choice: Choice, illustrative: bool) -> None:
    """Every area, highest priority first, with the reasons in full for the chosen row."""
    band, radius, unit = choice.band, choice.radius, choice.unit
    st.subheader("Priority areas")
    if illustrative:
        st.caption(f"{_shared.ILLUSTRATIVE}: rankings show how the tool works, not real need.")
    # Every figure behind an area's reasons has its own column (sortable, and few bytes for the
    # browser: a radius step at LSOA level sends these 339 rows again); the reasons in words are in
    # the panel below for the chosen row, and in the downloads.
    shown_cols = [
        "gap_rank",
        "area_name",
        "gap_score",
        "unmet_need",
        f"pop_{band}",
        "pop_beyond_radius",
        "access_e2sfca",
        "nearest_km",
        "older_income_deprived_rate",
        "rural_share",
    ]
    one_decimal = ("access_e2sfca", "nearest_km")
    shares = ("older_income_deprived_rate", "rural_share")
    chosen = st.dataframe(
        for_display(
            table[shown_cols].assign(**{c: table[c] * 100 for c in shares}),  # shares as whole percentages
            {c: 1 if c in one_decimal else 0 for c in shown_cols if c != "area_name"},
        ),
        hide_index=True,
        width="stretch",
        height=420 if not _present.presenting() else 700,
        column_config={
            **{
                c: st.column_config.NumberColumn(
                    column_header(c, band=band, radius_km=radius, unit=unit),
                    format="%.1f" if c in one_decimal else "%.0f%%" if c in shares else "localized",
                )
                for c in shown_cols
                if c not in ("area_name", "gap_score")
            },
            "area_name": column_header("area_name"),
            "gap_score": st.column_config.ProgressColumn(
                column_header("gap_score", band=band, radius_km=radius, unit=unit),
                min_value=0,
                max_value=100,
                format="%.0f",
            ),
        },
        on_select="rerun",
        selection_mode="single-row",
        key="gap_table",
    )
    # The reasons in full, for the chosen row (the top area until one is chosen): readable in place.
    rows = chosen.selection.rows if chosen is not None else []
    why = table.iloc[rows[0] if rows and rows[0] < len(table) else 0] if len(table) else None
    if why is not None:
        with st.container(border=True, key="gap-why"):
            ranked = "is not ranked"
            if pd.notna(why.gap_rank):
                ranked = f"ranks {why.gap_rank:.0f} of {int(table.gap_rank.max()):,}"
            st.markdown(f"**Why {_shared.plain(why.area_name)} {ranked}** (priority score {why.gap_score:.0f})")
            st.markdown(
                "\n".join(f"- {_shared.plain(r.strip())}" for r in str(why.gap_reasons).split(";") if r.strip())
            )
    st.caption(
        f"All {len(table):,} areas, highest priority first; scroll the table for the rest. "
        "Choose a row (the box at its left) to read why it ranks where it does."
    )


def downloads(table: pd.DataFrame, parts, choice: Choice, stem: str, privacy: str) -> None:
    """The areas as CSV (readable and column codes) and GeoJSON, and the map as offline HTML."""
    band, radius, unit = choice.band, choice.radius, choice.unit
    if privacy == "exact":
        st.warning(
            "Exact mode: the map and its download hold sole traders' home locations and names. For anything you "
            "show or hand out, switch the sidebar to counts or moved points.",
            icon=":material/lock_open:",
        )
    b1, b2 = st.columns(2)  # two a row: every label fits at 1440 px
    b3, b4 = st.columns(2)
    # Downloads are built only when clicked (deferred data), not on every rerun.
    b1.download_button(
        "Download all areas (CSV)",
        lambda: to_csv_bytes(readable_table(table, band=band, radius_km=radius, unit=unit)),
        f"{stem}.csv",
        "text/csv",
        help="Readable headings, whole people, km to one decimal.",
        on_click="ignore",
    )
    b2.download_button(
        "Download all areas, column codes (CSV)",
        lambda: to_csv_bytes(table),
        f"{stem}-codes.csv",
        "text/csv",
        help="The same figures with the column codes of `python -m gapmap gaps`, unrounded, for other software.",
        on_click="ignore",
    )
    b3.download_button(
        "Download all areas (GeoJSON)",
        lambda: to_geojson_bytes(table),
        f"{stem}.geojson",
        "application/geo+json",
        on_click="ignore",
    )
    b4.download_button(
        "Download map (HTML, works offline)",
        lambda: standalone_html(handout_map(parts)),
        f"{stem}-map.html",
        "text/html",
        on_click="ignore",
    )


def where_the_straight_line_misleads(
    code: str, source: _shared.ProviderSource, request: AnalysisRequest, result: Analysis, choice: Choice
) -> None:
    """By road: the areas whose road minutes are furthest above what the straight line suggests."""
    with st.expander("Where the straight line misleads"):
        straight = _shared.analysis(
            code,
            source.key,
            replace(request, radius_km=min(choice.radius, 20.0)),
            choice.areas_digest,
            source.providers,
            choice.areas_gdf,
        )
        misled = straight_line_misleads(result.areas, straight.areas)
        st.caption(
            "Areas whose minutes by road to the nearest provider are furthest above what the straight line "
            "suggests (at 40 km/h): rivers with few bridges, estuaries, moors and coasts."
        )
        st.dataframe(
            misled.head(15).drop(columns="area_code"),
            hide_index=True,
            column_config={
                "area_name": "Area",
                "nearest_km": st.column_config.NumberColumn("Nearest, straight line (km)", format="%.1f"),
                "nearest_minutes": st.column_config.NumberColumn("Nearest by road (minutes)", format="%.0f"),
                "suggested_minutes": st.column_config.NumberColumn("The line suggests (minutes)", format="%.0f"),
                "times": st.column_config.NumberColumn("Times longer", format="%.1f"),
            },
        )


def main() -> None:
    """The page: settings, the analysis, then its tiles, map, detail, table, downloads and hand-outs."""
    _shared.ensure_router()
    privacy = _shared.privacy_setting()  # enforced from the role
    sizes = _shared.hex_sizes(privacy)
    code, _, source = _shared.page_header(
        "Where care is short",
        no_records="Import your list of micro-providers, day centres and closures on the **Provider records** "
        "page; an illustrative sample is available for Somerset.",
        sample_note="Generated for demonstration; load your own records on the Provider records page.",
    )
    remembered(sizes)
    choice = controls(code, sizes)
    request, result = analyse(code, source, choice)
    headline_tiles(request, result, choice)
    view = _present.current_view("gaps")
    words = priority_view(result) if view == "priority" else gaps_view(result)
    _present.header(words.title, words.takeaway, illustrative=source.illustrative)
    metric = "gap_score" if view == "priority" and _present.presenting() else choice.metric
    # One description of the map for the live layer, its legend and the offline download — the
    # same as `python -m gapmap gaps --out FILE.html` (gapmap.gap_map). Unless "exact", providers
    # are the public layer (`python -m gapmap public-layer`) and small counts are suppressed.
    # Everything below is worked out from the analysis, which the settings decide: kept once for
    # all sessions with the same settings (a room of thirty on one link changes the same few).
    result_key = f"{code}|{source.key}|{request!r}|{choice.areas_digest}|{choice.road_key}"
    parts = _map_parts(result_key, metric, privacy, source.illustrative, result, _shared.install_secret())
    clicked = gap_map(code, choice, parts, privacy)
    area_detail(parts.areas, clicked, choice)
    table = _download_table(result_key, privacy, source.illustrative, result)  # = `gaps --privacy`
    priority_table(table, choice, source.illustrative)
    stem = f"gapmap-gaps-{code}-{choice.level}-{choice.band}" + ("-ILLUSTRATIVE" if source.illustrative else "")
    downloads(table, parts, choice, stem, privacy)
    story = _state.story_state(code)  # read during the run (a click's download runs outside it)
    _present.handouts(
        lambda: ReportInputs(result, illustrative=source.illustrative, **_state.story_parts(code, result, story)),
        stem=stem,
        view=view,
        state=f"{source.key}|{request!r}|{choice.road_key}",
    )
    if choice.roads is not None and not _present.presenting():
        where_the_straight_line_misleads(code, source, request, result, choice)
    _present.glossary()
    _present.footer(view, illustrative=source.illustrative)


main()
