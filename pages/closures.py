"""Closures and change: before and after, what if this closes, and the replay over time.

A short script of named views: :func:`settings` reads the controls every view shares into one
:class:`Page`; :func:`before_and_after`, :func:`what_if` and :func:`over_time` each draw one
view from it; :func:`main` runs them.
"""

from dataclasses import dataclass, replace
from datetime import date

import geopandas as gpd
import pandas as pd
import streamlit as st

from gapmap.analysis import Analysis, AnalysisRequest
from gapmap.classes import MINUTES_FORMAT, minute_breaks
from gapmap.closures import ClosureImpact, closure_impact, costs_for_subset
from gapmap.config import WGS84
from gapmap.demand import BANDS
from gapmap.downloads import closure_download, timeline_download
from gapmap.errors import GapmapError
from gapmap.export import to_csv_bytes
from gapmap.gaps import GAP_METRICS
from gapmap.labels import metric_label, reach
from gapmap.maps import (
    Field,
    change_breaks,
    class_breaks,
    is_percent,
    provider_layers,
    provider_legend,
    unit_of,
)
from gapmap.population import BAND_LABELS, LEVEL_LABELS, CouncilData
from gapmap.privacy import shown_kinds, visible_providers
from gapmap.providers import KIND_LABELS, KINDS
from gapmap.replay import animation_gif, frame_layers, slider_html
from gapmap.reproject import reproject
from gapmap.roads import ByRoad
from gapmap.story import Closures, ReportInputs, closures_view
from gapmap.timeline import STEPS, outlook
from pages import _a11y, _present, _shared, _state
from pages._live_map import area_map, live_map

LEVELS_HERE = ("ward", "lsoa", "msoa")
MAP_METRICS = ("nearest_km", "pop_beyond_radius", "access_e2sfca", "gap_score")
# One view at a time (a segmented control rather than st.tabs): a map drawn in a hidden tab
# gets no size and opens zoomed out to the whole world, and only the chosen view is computed.
VIEWS = ("Before and after", "What if this closes?", "Over time")
BAND_WORD = {"65plus": "aged 65+", "75plus": "aged 75+", "85plus": "aged 85+"}


@dataclass(frozen=True)
class Page:
    """The council, its providers, the viewer's privacy and the shared settings: all a view reads."""

    code: str
    data: CouncilData
    source: _shared.ProviderSource
    privacy: str
    secret: bytes
    request: AnalysisRequest
    roads: ByRoad | None = None
    """The road network when Distance is by road (``request.radius_km`` is then minutes)."""

    @property
    def providers(self) -> gpd.GeoDataFrame:
        return self.source.providers

    @property
    def illustrative(self) -> bool:
        return self.source.illustrative

    @property
    def band(self) -> str:
        return self.request.band

    @property
    def kinds(self) -> list[str]:
        return list(self.request.kinds)

    @property
    def radius(self) -> float:
        return self.request.radius_km

    @property
    def exact(self) -> bool:
        return self.privacy == "exact"

    @property
    def unit(self) -> str:
        """``"minutes"`` by road, else ``"km"``."""
        return "km" if self.roads is None else "minutes"

    @property
    def road_key(self) -> str:
        return "" if self.roads is None else self.roads.network.key

    @property
    def within(self) -> str:
        """The catchment in words: ``"5 km"`` or ``"15 minutes by road"``."""
        return reach(self.radius, self.unit)

    def amount(self, value: float) -> str:
        """A distance (or, by road, a time) as shown on the tiles."""
        return f"{value:,.1f} km" if self.roads is None else f"{value:,.0f} minutes"

    def measure(self, metric: str) -> str:
        """The name of a mapped measure (in minutes by road)."""
        if self.roads is None:
            return GAP_METRICS[metric][0]
        return metric_label(metric, self.band, self.radius, unit="minutes")

    def minutes_bands(self, metric: str) -> bool:
        """The measure is mapped in the fixed 15/30/45/60-minute bands (minutes by road to the nearest)."""
        return self.roads is not None and metric == "nearest_km"

    def analysis_on(self, when: date) -> Analysis:
        """The cached analysis of the providers open on ``when`` (by road when chosen)."""
        return _shared.analysis(
            self.code,
            self.source.key,
            replace(self.request, as_at=when),
            None,
            self.providers,
            None,
            self.road_key,
            self.roads,
        )

    def points_for(self, given: gpd.GeoDataFrame, when: date):
        """The provider points (open, closed) this session may see on ``when``: the one rule,
        :func:`gapmap.privacy.visible_providers` (the public layer unless exact mode)."""
        return visible_providers(given, mode=self.privacy, secret=self.secret, as_at=when, kinds=self.request.kinds)

    def outlines(self) -> _shared.Outlines:
        """The chosen level's area outlines, as a file the browser fetches once."""
        return _shared.area_outlines(self.code, self.request.level, self.request.hex_size_m, None)

    def bounds(self):
        return _shared.council_bounds(self.code)

    def note(self, text: str) -> str:
        return f"{_shared.ILLUSTRATIVE} · {text}" if self.illustrative else text

    def legend(self, *, closed: bool):
        return provider_legend(shown_kinds(self.kinds, self.privacy), closed=closed)


def settings(code: str) -> tuple[AnalysisRequest, ByRoad | None]:
    """Age band, kinds, distance, catchment and areas, shared by the three views (stops when no
    kind is chosen); the road network too when Distance is by road (the catchment is then minutes)."""
    _present.restore(
        {
            "band": ("chg_band", tuple(BANDS)),
            "radius": ("chg_radius", (1.0, 20.0)),
            "kinds": ("chg_kinds", KINDS),
            "level": ("chg_level", LEVELS_HERE),
        }
    )
    # Each setting is kept between visits (pages/_state.py); the widgets take their value from it.
    _state.setting("chg_band", "75plus", allowed=tuple(BANDS))
    _state.setting("chg_kinds", ["day_centre"], allowed=KINDS)
    _state.setting("chg_radius", 5.0, allowed=lambda r: isinstance(r, float) and 1.0 <= r <= 20.0)
    _state.setting("chg_level", LEVELS_HERE[0], allowed=LEVELS_HERE)
    c1, c2, c3, c4 = st.columns([0.9, 2.5, 1, 1.3])  # the kinds chips and the areas' names fit at 1440 px
    band = c1.selectbox("Age band", list(BANDS), format_func=BAND_LABELS.get, key="chg_band")
    kinds = c2.multiselect("Providers that count", list(KINDS), format_func=KIND_LABELS.get, key="chg_kinds")
    roads = _shared.distance_control(code, c3, "chg_distance")  # the gaps and plan pages' control
    if roads is None:
        radius = c3.slider("Catchment radius (km)", 1.0, 20.0, step=0.5, key="chg_radius")
    else:
        radius = _shared.minutes_slider(c3, "chg_minutes")
    level = c4.selectbox("Areas", LEVELS_HERE, format_func=LEVEL_LABELS.get, key="chg_level")
    # The URL's radius is km (restored into the km slider); minutes by road are not written there.
    _present.remember(band=band, kinds=kinds, level=level, **({"radius": radius} if roads is None else {}))
    if not kinds:
        st.error("Choose at least one kind of provider.")
        st.stop()
    return AnalysisRequest(band=band, radius_km=radius, kinds=tuple(kinds), level=level), roads


def tiles(page: Page, summary: dict) -> None:
    """The impact figures as headline tiles, and one sentence linking them to the headline."""
    t = [*st.columns(3), *st.columns(3)]  # three a row: every label fits at 1440 px
    displaced, lost = summary["people_displaced"], summary["people_losing_coverage"]
    t[0].metric(
        "Nearest provider closed",
        f"{displaced:,.0f}",
        help="People whose nearest open provider closed (most still have another within reach, further away).",
    )
    mean = summary["extra_km_mean"]
    extra = "Extra distance" if page.roads is None else "Extra time"
    t[1].metric(f"{extra}, mean", "no provider left" if mean == float("inf") else page.amount(mean))
    p90 = summary["extra_km_p90"]
    t[2].metric("Extra, 90% within", "no provider left" if p90 == float("inf") else page.amount(p90))
    mx = summary["extra_km_max"]
    t[3].metric("Extra, worst case", "no provider left" if mx == float("inf") else page.amount(mx))
    t[4].metric(f"Lost support within {page.within}", f"{lost:,.0f}")
    t[5].metric(f"Gained support within {page.within}", f"{summary['people_gaining_coverage']:,.0f}")
    if displaced >= 0.5:
        further = f", on average {page.amount(mean)} further than before" if 0 < mean < float("inf") else ""
        st.caption(
            f"Of the {displaced:,.0f} people whose nearest provider closed, {lost:,.0f} now have none within "
            f"{page.within} (the figure in the headline); the other {max(displaced - lost, 0):,.0f} still have one "
            f"within reach{further}."
        )


def hardest_hit(page: Page, impact: ClosureImpact) -> None:
    """The table of hardest-hit areas, in plain words."""
    hit = impact.by_area[(impact.by_area.people_displaced >= 0.5) | (impact.by_area.people_gaining_coverage >= 0.5)]
    if hit.empty:
        st.caption("No area's people change their nearest provider.")
        return
    extra = "Extra km" if page.roads is None else "Extra minutes"
    st.dataframe(
        hit[
            ["headline", "people_displaced", "extra_km_mean", "extra_km_p90", "people_losing_coverage", "access_change"]
        ].head(15),
        hide_index=True,
        width="stretch",
        column_config={
            "headline": st.column_config.TextColumn("Hardest hit", width="large"),
            "people_displaced": st.column_config.NumberColumn("Displaced", format="%.0f"),
            "extra_km_mean": st.column_config.NumberColumn(f"{extra} (mean)", format="%.1f"),
            "extra_km_p90": st.column_config.NumberColumn(f"{extra} (90th pct)", format="%.1f"),
            "people_losing_coverage": st.column_config.NumberColumn(f"Lose cover ({page.within})", format="%.0f"),
            "access_change": st.column_config.NumberColumn("Access change (per 1,000)", format="%+.1f"),
        },
    )


def impact_downloads(page: Page, impact: ClosureImpact, stem: str) -> None:
    """The impact table as CSV, labelled when the sample is used."""
    table = closure_download(
        impact, illustrative=page.illustrative, internal=page.privacy == "exact"
    )  # = `closure --privacy`
    if page.illustrative:
        stem += "-ILLUSTRATIVE"
    st.download_button("Download impact per area (CSV)", to_csv_bytes(table), f"{stem}.csv", "text/csv")


def before_and_after(page: Page) -> None:
    """Two dates side by side: the maps, the change between them and the hardest-hit areas."""
    code, source, kinds, band = page.code, page.source, page.kinds, page.band
    earliest = page.providers.start_date.min()
    d1, d2, d3 = st.columns([1, 1, 1.4])
    _state.setting("chg_before", date(2016, 1, 1), allowed=lambda d: isinstance(d, date) and d <= date.today())
    _state.setting("chg_after", date.today(), allowed=lambda d: isinstance(d, date) and d <= date.today())
    _state.setting("chg_metric", MAP_METRICS[0], allowed=MAP_METRICS)
    before_date = d1.date_input(
        "Before", min_value=date(2000, 1, 1), max_value=date.today(), format="DD/MM/YYYY", key="chg_before"
    )
    after_date = d2.date_input(
        "After", min_value=date(2000, 1, 1), max_value=date.today(), format="DD/MM/YYYY", key="chg_after"
    )
    metric = d3.selectbox("Maps show", MAP_METRICS, format_func=page.measure, key="chg_metric")
    if after_date < before_date:
        st.error("The after date is before the before date.")
        return
    try:
        before = page.analysis_on(before_date)
        after = page.analysis_on(after_date)
        impact = closure_impact(before, after.supply, after_costs=after.costs)
    except GapmapError as exc:
        st.error(str(exc))
        st.stop()
    s = impact.summary
    # The deck's other views read the later date's analysis; its closures view both dates.
    deck_inputs = ReportInputs(
        after,
        illustrative=source.illustrative,
        closures=Closures(before, after, s, (before_date, after_date)),
        **_state.story_parts(code, after),
    )
    words = closures_view(deck_inputs)
    _present.header(words.title, words.takeaway, illustrative=source.illustrative)
    st.markdown(
        f"**{len(s['providers_closed'])} closed and {len(s['providers_opened'])} opened** between "
        f"{before_date:%d %b %Y} and {after_date:%d %b %Y} ({', '.join(KIND_LABELS[k].lower() for k in kinds)}). "
        f"People {BAND_WORD[band]}, within {page.within}."
    )
    tiles(page, s)
    _, fmt, low_bad = GAP_METRICS[metric]
    label = page.measure(metric)
    both = pd.concat([before.areas[metric], after.areas[metric]])
    if page.minutes_bands(metric):  # by road: the 15/30/45/60-minute bands
        fmt, breaks = MINUTES_FORMAT, minute_breaks(both)
    else:  # shared by both maps, in the measure's unit
        breaks = class_breaks(both, unit=unit_of(fmt), percent=is_percent(fmt))
    outlines = page.outlines()
    nearest = Field("nearest_km", "Nearest (km)", ",.1f")
    if page.roads is not None:
        nearest = Field("nearest_km", "Nearest (minutes by road)", MINUTES_FORMAT)
    m1, m2 = st.columns(2)
    for col, res, when, title in ((m1, before, before_date, "Before"), (m2, after, after_date, "After")):
        spec = {
            "field": Field(metric, label, fmt),
            "tooltip": [nearest, Field("pop_beyond_radius", "Beyond radius")],
            "note": page.note(f"{title}: open on {when:%d/%m/%Y}"),
            "reverse": low_bad,
            "breaks": breaks,
            "extra_legend": page.legend(closed=title == "After"),
        }
        shown_open, shown_closed = page.points_for(source.given, when)
        with col:
            st.markdown(f"**{title}** — {when:%d %b %Y}: {len(res.supply):,} providers")
            area_map(
                page.bounds(),
                outlines,
                res.areas,
                spec,
                layers=provider_layers(
                    shown_open, closed=shown_closed if title == "After" else None, show_names=page.exact
                ),
                key=f"ba-{title}-{code}",
                height=520,
            )
    diff = after.areas[["area_code", "area_name"]].copy()
    diff["change"] = after.areas[metric].to_numpy() - before.areas[metric].to_numpy()
    diff = diff[diff.area_code.isin(outlines.codes)]
    st.markdown(f"**Difference** (after − before): {label.lower()}")
    # Unchanged areas get a class of their own, so a few changes are not lost among zeros.
    diff_spec = {
        "field": Field("change", f"Change in {label.lower()}", "+,.1f"),
        "note": page.note("after − before"),
        "reverse": low_bad,
        "breaks": change_breaks(diff.change, fmt="+,.1f"),
    }
    area_map(page.bounds(), outlines, diff, diff_spec, key=f"ba-diff-{code}", height=420)
    st.subheader("Hardest hit")
    hardest_hit(page, impact)
    impact_downloads(page, impact, f"gapmap-change-{code}-{before_date}-{after_date}")
    # Slides, report and the before/after picture, made only when asked for (day centres and
    # venues drawn, micro-providers only counted, whatever the privacy setting).
    _present.handouts(
        lambda: deck_inputs,
        stem=f"gapmap-closures-{code}-{band}-{before_date}-{after_date}"
        + ("-ILLUSTRATIVE" if source.illustrative else ""),
        view="closures",
        state=f"{source.key}|{page.request!r}|{page.road_key}|{before_date}|{after_date}",
    )
    if pd.notna(earliest):
        st.caption(f"Records start {earliest:%b %Y}. Closed providers are drawn as rings with their closure date.")


def what_if(page: Page) -> None:
    """Pick an open provider (on the map or from the list) and see who loses their nearest one."""
    code, source, supply_all, band, radius = page.code, page.source, page.providers, page.band, page.radius
    _state.setting("what_as_at", date.today(), allowed=lambda d: isinstance(d, date))
    as_at = st.date_input(
        "Providers open on",
        min_value=date(2000, 1, 1),
        max_value=date(2040, 12, 31),
        format="DD/MM/YYYY",
        key="what_as_at",
    )
    try:
        now = page.analysis_on(as_at)
    except GapmapError as exc:
        st.error(str(exc))
        st.stop()
    supply = now.supply
    if supply.empty:
        st.info("No provider of the chosen kinds is open on that date.")
        return
    area_name = dict(zip(now.areas.area_code, now.areas.area_name, strict=False))
    point_area = now.zones.codes
    # Names only in exact mode (editors); otherwise kind and area.
    nearest_point = page.data.points.sindex.nearest(supply.geometry.values, return_all=False)[1]
    where = [area_name.get(point_area.iloc[i], "") for i in nearest_point]

    def option_label(label: object) -> str:
        row = supply.loc[label]
        pos = supply.index.get_loc(label)
        if not page.exact:  # no names outside exact mode (editors), as on the other pages
            return f"{KIND_LABELS[row.kind]} in {where[pos]} (#{pos + 1})"
        return f"{row['name']} ({KIND_LABELS[row.kind].lower()}, {where[pos]})"

    options = sorted(supply.index, key=lambda lab: (supply.loc[lab].kind != "day_centre", option_label(lab)))
    if not page.exact:
        # Closing one sole trader maps the people who lose their nearest provider: the streets
        # round their home. Outside exact mode, what-ifs are for day centres and other venues.
        options = [lab for lab in options if supply.loc[lab].kind != "micro_enterprise"]
        if not options:
            st.info("No day centre or other venue is open on that date. What-ifs on micro-providers need "
                    "exact mode (editors).")  # fmt: skip
            st.stop()
    outlines = page.outlines()
    pick_spec = {
        "field": Field("nearest_km", "Nearest provider (km)", ",.1f"),
        "note": page.note(f"open on {as_at:%d/%m/%Y} · click a provider"),
        "extra_legend": page.legend(closed=False),
    }
    if page.minutes_bands("nearest_km"):  # by road: the 15/30/45/60-minute bands
        pick_spec["field"] = Field("nearest_km", page.measure("nearest_km"), MINUTES_FORMAT)
        pick_spec["breaks"] = minute_breaks(now.areas.nearest_km)
    events = area_map(
        page.bounds(),
        outlines,
        now.areas,
        pick_spec,
        layers=provider_layers(page.points_for(source.given, as_at)[0], show_names=page.exact),
        key=f"what-{code}",
        height=440,
        clicks=True,
        focus_markers=True,  # Tab to a day centre, Enter picks it (or choose from the list below)
    )
    # Clicks are matched on the server to the points as drawn (outside exact mode the supply
    # is the public form already: its points are the public layer's); the browser never gets ids.
    spot = events.click
    # Act on a new click only: the map keeps reporting its last click, which must not undo a
    # later choice from the list.
    if spot is not None and spot.marker and not supply.empty and spot.n != st.session_state.get("what_click"):
        st.session_state["what_click"] = spot.n
        at = reproject(gpd.GeoSeries(gpd.points_from_xy([spot.lng], [spot.lat]), crs=WGS84), supply.crs)
        dist = supply.geometry.distance(at.iloc[0])
        if dist.min() < 200:
            st.session_state["what_pick"] = dist.idxmin()
    if st.session_state.get("what_pick") not in options:
        st.session_state["what_pick"] = options[0]
    picked = st.selectbox("Provider", options, format_func=option_label, key="what_pick")
    st.button(
        "What if this closes?",
        type="primary",
        icon=":material/block:",
        key="what_go",
        # A callback (not the return value) so the request survives a router rerun.
        on_click=st.session_state.__setitem__,
        args=("what_run", (code, source.key, page.road_key, picked, as_at)),
    )
    if st.session_state.get("what_run") != (code, source.key, page.road_key, picked, as_at):
        return
    after_supply = supply.drop(index=[picked])
    after_costs = costs_for_subset(
        page.data, now.costs, after_supply, circuity=page.request.circuity, max_km=radius, roads=page.roads
    )
    impact = closure_impact(now, after_supply, after_costs=after_costs)
    heading = _shared.plain(option_label(picked))  # names and area names are never markdown
    st.markdown(f"**If {heading} closes** (people {BAND_WORD[band]}, {page.within}):")
    tiles(page, impact.summary)
    hit = impact.by_area[impact.by_area.area_code.isin(outlines.codes)]
    hit_spec = {
        "field": Field("people_displaced", "People whose nearest provider closes", ",.0f"),
        "tooltip": [
            Field("extra_km_mean", "Extra km (mean)" if page.roads is None else "Extra minutes (mean)", ",.1f")
        ],
        "note": page.note("what-if closure"),
        "breaks": change_breaks(hit.people_displaced, fmt=",.0f"),
    }
    remaining = supply_all.drop(index=[picked])
    points = provider_layers(page.points_for(remaining, as_at)[0], show_names=page.exact)
    closing = supply.loc[[picked]].assign(end_date=pd.Timestamp(as_at))
    if page.exact or closing.kind.iloc[0] != "micro_enterprise":
        points += provider_layers(closing.iloc[:0], closed=closing, show_names=page.exact, label="Closing")
    area_map(page.bounds(), outlines, hit, hit_spec, layers=points, key=f"what-impact-{code}", height=420)
    hardest_hit(page, impact)
    impact_downloads(page, impact, f"gapmap-whatif-{code}-{as_at}")


def projections_input(code: str):
    """The ONS projections the replay uses after today: the shipped ones, or a table loaded here."""
    with st.expander("Population projections (for dates after today)"):
        st.caption(
            "Each postcode's Census 2021 band population is scaled by the council's projected growth from the ONS "
            "2022-based subnational population projections (the small-area pattern is held). Load any council's SNPP "
            "table as ONS publishes it (AREA_CODE, AREA_NAME, COMPONENT, SEX, AGE_GROUP, 2022 … 2047)."
        )
        snpp = st.file_uploader("ONS SNPP table (CSV)", type=["csv"], key="time_snpp")
    proj_key = _shared.digest(snpp.getvalue()) if snpp else "shipped"
    try:
        return proj_key, _shared.projections(snpp.name if snpp else None, proj_key, snpp.getvalue() if snpp else None)
    except GapmapError as exc:
        st.error(f"Could not use the projections file: {_shared.plain(exc)}")
        return "shipped", _shared.projections(None, "shipped", None)


def standing_still(page: Page, projections) -> None:
    """Today's providers in 2030, 2035 and 2040, when the council has projections."""
    if not projections.has(page.code):
        st.caption(
            f"No population projections for {page.data.council.name}: figures after today are left blank. "
            "Load the council's ONS SNPP table above."
        )
        return
    table = outlook(page.analysis_on(date.today()), projections).table
    if table.empty:
        return
    st.subheader("Standing still: today's providers in 2030, 2035 and 2040")
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "year": st.column_config.NumberColumn("Year", format="%d"),
            "growth": st.column_config.NumberColumn("Growth since 2022", format="×%.2f"),
            "band_population": st.column_config.NumberColumn(BAND_LABELS[page.band], format="%.0f"),
            "people_beyond_reach": st.column_config.NumberColumn(f"Beyond {page.within}", format="%.0f"),
            "unmet_need": st.column_config.NumberColumn("Unmet need (people)", format="%.0f"),
            "extra_places_to_stand_still": st.column_config.NumberColumn("Extra places to stand still", format="%.0f"),
            "recruits_to_stand_still": st.column_config.NumberColumn("Micro-providers to recruit", format="%d"),
        },
    )
    st.caption(
        f"Source: {projections.source}. Census 2021 band population × projected growth; the pattern "
        "within the council is held. 'Stand still' keeps today's places per 1,000 people."
    )


def over_time(page: Page) -> None:
    """The replay: providers and people within reach on every date, the charts, the outlook, the hand-outs."""
    code, source, data, kinds, band, radius = page.code, page.source, page.data, page.kinds, page.band, page.radius
    privacy, secret = page.privacy, page.secret
    first = page.providers.start_date.min()
    start_default = date(first.year, 1, 1) if pd.notna(first) else date(2010, 1, 1)
    o1, o2, o3 = st.columns(3)
    _state.setting("time_step", list(STEPS)[2], allowed=tuple(STEPS))
    # The first year of records differs between councils: the start is re-checked against them.
    _state.setting("time_from", start_default, allowed=lambda d: isinstance(d, date) and d >= date(1990, 1, 1))
    _state.setting("time_to", date(date.today().year, 1, 1), allowed=lambda d: isinstance(d, date))
    step = o1.selectbox("Step", list(STEPS), key="time_step")
    t_from = o2.date_input("From", min_value=date(1990, 1, 1), format="DD/MM/YYYY", key="time_from")
    t_to = o3.date_input(
        "To",
        min_value=date(1990, 1, 1),
        max_value=date(2047, 12, 31),
        format="DD/MM/YYYY",
        key="time_to",
        help="Past today, people figures use ONS projected growth (Somerset and Thurrock shipped; "
        "load your council's SNPP table below).",
    )
    proj_key, projections = projections_input(code)
    try:
        timeline = _shared.timeline(
            code, source.key, band, tuple(kinds), radius, step, t_from, t_to, proj_key, page.providers, projections,
            page.road_key, page.roads,
        )  # fmt: skip
    except GapmapError as exc:
        st.error(str(exc))
        st.stop()
    labels = [f"{d:%b %Y}" for d in timeline.dates]
    k = st.select_slider(
        "Date",
        options=list(range(len(labels))),
        value=len(labels) - 1,
        format_func=lambda i: labels[i],
        key=f"time_k-{len(labels)}",
    )
    frame = timeline.frame(k)
    f1, f2, f3, f4 = st.columns(4)
    f1.metric(
        "Micro-providers", f"{frame['providers'].get('micro_enterprise', 0):,}" if "micro_enterprise" in kinds else "—"
    )
    f2.metric("Day centres", f"{frame['providers'].get('day_centre', 0):,}" if "day_centre" in kinds else "—")
    within = frame["people_within_reach"]
    f3.metric(
        f"Within {page.within}",
        "no projection" if within != within else f"{within:,.0f}",
        help=f"People {BAND_WORD[band]} with a provider of the chosen kinds within {page.within}",
    )
    beyond = frame["people_beyond_reach"]
    f4.metric(f"Beyond {page.within}", "no projection" if beyond != beyond else f"{beyond:,.0f}")
    st.caption(f"Population: {frame['population_basis']}.")
    time_layers, time_legend = frame_layers(
        timeline, k, data.outline(), note=page.note("providers open on this date"), privacy=privacy, secret=secret
    )
    live_map(page.bounds(), time_layers, key=f"time-map-{code}", height=460)
    st.html(time_legend)

    st.subheader("Growth and closures")
    counts = timeline.counts.assign(kind=timeline.counts.kind.map(KIND_LABELS))
    wide = counts.pivot(index="date", columns="kind", values="active")
    wide.index = pd.to_datetime(wide.index)
    g1, g2 = st.columns(2)
    g1.markdown("**Active providers by kind**")
    _a11y.line_chart(wide.reset_index(), x="date", y=list(wide.columns), where=g1,
                     description="Active providers of each kind on each date")  # fmt: skip
    g2.markdown(f"**People {BAND_WORD[band]} within {page.within}**")
    people = timeline.people.assign(date=pd.to_datetime(timeline.people.date)).rename(
        columns={"people_within_reach": "Within reach", "band_population": "All people in the band"}
    )
    _a11y.line_chart(
        people,
        x="date",
        y=["Within reach", "All people in the band"],
        where=g2,
        description=f"People {BAND_WORD[band]} within {page.within} of support, and all in the band",
    )

    standing_still(page, projections)

    st.subheader("Hand-outs")
    stem = f"gapmap-timeline-{code}-{band}" + ("-ILLUSTRATIVE" if source.illustrative else "")
    table = timeline_download(
        timeline, illustrative=source.illustrative, internal=privacy == "exact"
    )  # = `timeline --privacy`
    hand_privacy = privacy if privacy == "counts" else "displaced"  # never exact homes in a hand-out
    h1, h2, h3 = st.columns(3)
    h1.download_button("Timeline table (CSV)", to_csv_bytes(table), f"{stem}.csv", "text/csv")
    html = slider_html(
        timeline, data.outline(), title=data.council.name, illustrative=source.illustrative,
        privacy=hand_privacy, secret=secret,
    )  # fmt: skip
    h2.download_button("Replay with a slider (HTML, offline)", html.encode("utf-8"), f"{stem}.html", "text/html")
    gif_key = (code, source.key, band, tuple(kinds), radius, page.road_key, step, t_from, t_to, proj_key, hand_privacy)
    if h3.button("Make the animated GIF", icon=":material/movie:"):
        with st.spinner("Drawing the frames…"):
            gif = animation_gif(
                timeline, data.outline(), title=data.council.name, illustrative=source.illustrative,
                privacy=hand_privacy, secret=secret,
            )  # fmt: skip
        st.session_state["time_gif"] = (gif_key, gif)
    made = st.session_state.get("time_gif")
    if made and made[0] == gif_key:
        h3.download_button("Download the GIF", made[1], f"{stem}.gif", "image/gif")


def main() -> None:
    """The page: council and providers, the shared settings, then the chosen view."""
    _shared.ensure_router()
    code, data, source = _shared.page_header(
        "Closures and change",
        no_records="Import providers, day centres and closures (end dates) on the **Provider records** page; an "
        "illustrative sample is available for Somerset.",
        sample_note="Generated for demonstration; the closures and openings are invented.",
    )
    request, roads = settings(code)
    page = Page(
        code=code,
        data=data,
        source=source,
        privacy=_shared.privacy_setting(),  # enforced from the role
        secret=_shared.install_secret(),
        request=request,
        roads=roads,
    )
    # Required: clicking the chosen view again keeps it (it would otherwise show no view chosen).
    _state.setting("chg_view", VIEWS[0], allowed=VIEWS)
    view = st.segmented_control("View", VIEWS, required=True, key="chg_view", label_visibility="collapsed")
    {VIEWS[0]: before_and_after, VIEWS[1]: what_if, VIEWS[2]: over_time}[view or VIEWS[0]](page)
    _present.footer("closures", illustrative=source.illustrative)  # presentation mode: next/previous


main()
