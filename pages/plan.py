"""Plan recruitment: where K new micro-providers would bring the most people within reach.

A short script of named views: :func:`controls` reads the settings into one :class:`Choice`;
:func:`own_files` reads the candidate sites and areas given; :func:`make_plan` runs the planner;
:func:`edited` applies the sites removed and added on the map; :func:`headline`,
:func:`plan_map`, :func:`keyboard_edits`, :func:`map_click`, :func:`sites_table`,
:func:`keep_and_download` and :func:`how_sites_are_chosen` each draw or handle one part;
:func:`main` runs them.
"""

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st

from gapmap.analysis import AnalysisRequest
from gapmap.config import BNG, WGS84
from gapmap.demand import BANDS
from gapmap.errors import GapmapError, NothingToPlanError
from gapmap.export import to_csv_bytes, to_geojson_bytes
from gapmap.labels import reach
from gapmap.maps import Field, outline_layer, provider_layers, provider_legend
from gapmap.places import PlaceNotFoundError, find_place
from gapmap.plan import RecruitmentPlan
from gapmap.population import BAND_LABELS
from gapmap.privacy import shown_kinds, visible_providers
from gapmap.records import load_providers
from gapmap.reproject import transformer
from gapmap.roads import ByRoad, catchment_hulls
from gapmap.schema import KIND_LABELS, KINDS, SITE_COLUMNS
from gapmap.siting import (
    MAX_SITES,
    PEOPLE_PER_SITE,
    SitePlan,
    WhatIf,
    plan_sites,
    plan_table,
    what_if,
    with_user_areas,
)
from gapmap.siting_map import site_layer, site_legend
from gapmap.story import ReportInputs
from pages import _present, _shared, _state
from pages._live_map import area_map

CLICK_REMOVE_M = 600.0  # a click this close to a site removes it; elsewhere it adds a provider
SHADING = {
    "pop_beyond_radius": ("People beyond the radius", ",.0f", False),
    "unmet_need": ("Unmet need (people)", ",.0f", False),
    "gap_score": ("Gap score (0–100)", ",.0f", False),
}


@st.cache_resource(show_spinner="Reading your candidate sites…", max_entries=4, ttl=_shared.CACHE_TTL)
def candidate_sites(code: str, name: str, key: str, payload: bytes):
    """Candidate sites from an uploaded file (any format the provider import accepts)."""
    del key  # cache key only
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(payload)
        return load_providers(path, outline=_shared.council_data(code).outline())


@st.cache_resource(show_spinner="Choosing sites…", max_entries=16, ttl=_shared.CACHE_TTL)
def cached_plan(
    code: str,
    source_key: str,
    request: AnalysisRequest,
    k: int,
    capacity_aware: bool,
    people_per_site: float,
    candidates_key: str | None,
    _providers,
    _candidates,
    road_key: str = "",
    _roads=None,
) -> SitePlan:
    """The greedy plan for one set of inputs (by road: ``_roads``, cached under ``road_key``)."""
    result = _shared.analysis(code, source_key, request, None, _providers, None, road_key, _roads)
    return plan_sites(result, k, candidates=_candidates, capacity_aware=capacity_aware, people_per_site=people_per_site)


@st.cache_resource(show_spinner=False, max_entries=16, ttl=_shared.CACHE_TTL)
def road_catchments(code: str, road_key: str, minutes: float, sites_key: str, _xy: np.ndarray, _roads) -> tuple:
    """The sites' catchments by road as one outline layer (``sites_key``: a digest of their coordinates)."""
    del road_key, sites_key  # cache keys only
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(_xy[:, 0], _xy[:, 1]), crs=BNG)
    hulls = catchment_hulls(_roads, _shared.council_data(code).points, sites, max_minutes=minutes)
    return outline_layer(hulls, label=f"Catchments: postcodes within {minutes:g} minutes by road")


@dataclass(frozen=True)
class Choice:
    """What the controls chose."""

    k: int
    roads: ByRoad | None
    radius: float
    """Kilometres, or minutes by road."""
    band: str
    as_at: date
    kinds: list[str]
    capacity_aware: bool
    people_per_site: float
    shading: str
    upload: object
    areas_upload: object
    circuity: float

    @property
    def road_key(self) -> str:
        return self.roads.network.key if self.roads else ""

    @property
    def within(self) -> str:
        """The catchment in words: ``"5 km"`` or ``"15 minutes by road"``."""
        return reach(self.radius, "minutes" if self.roads else "km")

    @property
    def who(self) -> str:
        return f"people {BAND_LABELS[self.band].lower()}"


@dataclass(frozen=True)
class Edited:
    """The plan as edited on the map: the suggested sites kept, the user's own, and the figures with them."""

    state: dict
    """``removed`` suggested ranks and ``added`` (easting, northing) sites, kept per plan in the session."""
    suggested: pd.DataFrame
    kept: pd.DataFrame
    xy: np.ndarray
    mine: np.ndarray
    after: WhatIf
    sites: pd.DataFrame


def remembered() -> None:
    """The view in the URL (bookmarks, presentation mode), else the settings kept from an earlier visit."""
    _present.restore(
        {
            "band": ("plan_band", tuple(BANDS)),
            "radius": ("plan_radius", (1.0, 20.0)),
            "kinds": ("plan_kinds", KINDS),
            "date": ("plan_as_at", None),
        }
    )
    _state.setting("plan_k", 10, allowed=range(1, MAX_SITES + 1))
    _state.setting("plan_radius", 5.0, allowed=lambda r: isinstance(r, float) and 1.0 <= r <= 20.0)
    _state.setting("plan_band", "75plus", allowed=tuple(BANDS))
    _state.setting("plan_as_at", date.today(), allowed=lambda d: isinstance(d, date))
    _state.setting("plan_kinds", list(KINDS), allowed=KINDS)
    _state.setting("plan_capacity", False)
    _state.setting("plan_pps", PEOPLE_PER_SITE)
    _state.setting("plan_shading", next(iter(SHADING)), allowed=tuple(SHADING))
    _state.setting("plan_circuity", 1.0)


def controls(code: str) -> Choice:
    """The two settings rows and the expander of the user's own files and road distance."""
    c1, c2, c3, c4 = st.columns([1, 1, 1.4, 1.1])
    k = c1.slider("New micro-providers (K)", 1, MAX_SITES, key="plan_k")
    roads = _shared.distance_control(code, c2, "plan_distance")
    if roads is not None:
        radius = _shared.minutes_slider(c2, "plan_minutes")
    else:
        radius = c2.slider("Catchment radius (km)", 1.0, 20.0, step=0.5, key="plan_radius")
    band = c3.selectbox("Age band", list(BANDS), format_func=BAND_LABELS.get, key="plan_band")
    as_at = c4.date_input(
        "Providers open on",
        min_value=date(2000, 1, 1),
        max_value=date(2035, 12, 31),
        format="DD/MM/YYYY",
        key="plan_as_at",
    )
    c5, c6, c7, c8 = st.columns([2.6, 1.1, 0.9, 1.1])  # the kinds chips fit at 1440 px
    kinds = c5.multiselect("Existing providers that count", list(KINDS), format_func=KIND_LABELS.get, key="plan_kinds")
    capacity_aware = c6.toggle(
        "Capacity-aware",
        key="plan_capacity",
        help="Rank sites by the unmet need a recruit can take up (each supports a few people) instead of by "
        "people brought within reach.",
    )
    people_per_site = c7.number_input(
        "People per recruit",
        1.0,
        50.0,
        step=1.0,
        key="plan_pps",
        help="About 4,000 people were supported by about 600 Somerset micro-providers in 2020: about 7 each.",
    )
    shading = c8.selectbox("Areas shaded by", list(SHADING), format_func=lambda m: SHADING[m][0], key="plan_shading")
    with st.expander("Your own candidate sites, your own areas and road distance"):
        upload = st.file_uploader(
            "Candidate sites (village halls, community buildings, volunteers' postcodes)",
            type=["csv", "txt", "xlsx", "xlsm", "geojson", "json", "gpkg", "zip"],
            key="plan_candidates",
            help="Any format the provider import accepts, located by postcode, easting/northing or lat/lon. "
            "Without a file, every postcode not yet within reach is a candidate (a sole trader works from home).",
        )
        circuity = (
            st.number_input("Road/straight-line factor", 1.0, 2.0, step=0.05, key="plan_circuity")
            if roads is None
            else 1.0
        )
        areas_upload = st.file_uploader(
            "Your own areas (parishes, patches)",
            type=["gpkg", "geojson", "json", "zip"],
            key="plan_areas",
            help="An ONS parish boundaries file (PARxxCD/PARxxNM columns, any vintage), or your own village-agent "
            "patches: GeoPackage, GeoJSON or a zipped shapefile. Each site then shows the area it lies in.",
        )
    _present.remember(band=band, radius=radius, kinds=kinds, date=as_at)
    if not kinds:
        st.error("Choose at least one kind of existing provider.")
        st.stop()
    return Choice(
        k=k,
        roads=roads,
        radius=radius,
        band=band,
        as_at=as_at,
        kinds=kinds,
        capacity_aware=capacity_aware,
        people_per_site=people_per_site,
        shading=shading,
        upload=upload,
        areas_upload=areas_upload,
        circuity=1.0 if roads is not None else circuity,  # by road the times are the road's own
    )


def own_files(code: str, choice: Choice):
    """The user's own areas and candidate sites, if given: ``(areas, candidates, candidates_key)``."""
    user_areas = None
    if choice.areas_upload is not None:
        areas_payload = choice.areas_upload.getvalue()
        try:
            user_areas = _shared.user_areas(choice.areas_upload.name, _shared.digest(areas_payload), areas_payload)
        except GapmapError as exc:
            st.error(f"Could not use **{_shared.plain(choice.areas_upload.name)}**: {_shared.plain(exc)}")
            st.stop()
    candidates, candidates_key = None, None
    if choice.upload is not None:
        payload = choice.upload.getvalue()
        candidates_key = _shared.digest(payload)
        try:
            loaded = candidate_sites(code, choice.upload.name, candidates_key, payload)
        except GapmapError as exc:
            st.error(f"Could not use **{_shared.plain(choice.upload.name)}**: {_shared.plain(exc)}")
            st.stop()
        candidates = loaded.accepted
        if loaded.rejected:
            st.caption(f"{len(loaded.rejected)} candidate rows could not be located and are left out.")
    return user_areas, candidates, candidates_key


def make_plan(code: str, source: _shared.ProviderSource, choice: Choice, candidates, candidates_key):
    """The request, the analysis without the plan, and the planner's suggested sites (cached)."""
    try:
        request = AnalysisRequest(
            band=choice.band,
            radius_km=choice.radius,
            kinds=tuple(choice.kinds),
            as_at=choice.as_at,
            circuity=choice.circuity,
        )
        base = _shared.analysis(code, source.key, request, None, source.providers, None, choice.road_key, choice.roads)
        plan = cached_plan(
            code,
            source.key,
            request,
            choice.k,
            choice.capacity_aware,
            choice.people_per_site,
            candidates_key,
            source.providers,
            candidates,
            choice.road_key,
            choice.roads,
        )
    except NothingToPlanError:
        council, aged = _shared.council_data(code).council.name, BAND_LABELS[choice.band].lower()
        st.info(
            (
                f"No postcode in {council} is short of support places for {choice.who} at this target, so a "
                "new recruit would take up no unmet need. Turn off Capacity-aware to plan by distance instead."
            )
            if choice.capacity_aware
            else (
                f"Everyone {aged} in {council} already lives within {choice.within} of support, so no new site "
                "would bring anyone within reach. Choose a shorter catchment, or turn on Capacity-aware to place "
                "recruits where support places are short."
            ),
            icon=":material/check_circle:",
        )
        st.stop()
    except GapmapError as exc:
        st.error(_shared.plain(str(exc)).capitalize() + ".")
        st.stop()
    return request, base, plan


def edited(plan_key: tuple, plan: SitePlan, base, choice: Choice) -> Edited:
    """The suggested plan with the sites the user removed and added (kept per plan in the session)."""
    state = st.session_state.get("plan_whatif")
    if not state or state.get("key") != plan_key:
        state = {"key": plan_key, "removed": [], "added": []}
        st.session_state["plan_whatif"] = state
    suggested = plan.sites
    kept = suggested[~suggested["rank"].isin(state["removed"])]
    xy = np.vstack(
        [kept[["easting", "northing"]].to_numpy(float), np.array(state["added"], dtype=float).reshape(-1, 2)]
    )
    mine = np.r_[np.zeros(len(kept), bool), np.ones(len(state["added"]), bool)]
    try:
        after = what_if(base, xy, people_per_site=choice.people_per_site, capacity_aware=choice.capacity_aware)
    except GapmapError as exc:
        st.error(str(exc))
        st.stop()
    sites = after.sites.assign(source=np.where(mine, "your site", "suggested"))
    return Edited(state, suggested, kept, xy, mine, after, sites)


def headline(plan: Edited, base, choice: Choice, illustrative: bool) -> None:
    """What the recruits would do, in a sentence and four tiles."""
    after, who, within_text = plan.after, choice.who, choice.within
    added = plan.state["added"]
    without = after.band_population - after.covered_before
    share = after.gain / without if without > 0 else 0.0
    n = len(plan.sites)
    if _present.presenting():  # the view's title and takeaway, large
        _present.header(
            "Recruitment plan",
            f"These {n} recruit{'s' if n != 1 else ''} would bring {after.gain:,.0f} {who} within {within_text} of "
            "support.",
            illustrative=illustrative,
        )
    else:  # the headline once, with the share and the user's own sites
        st.success(
            f"**These {n} recruit{'s' if n != 1 else ''} would bring {after.gain:,.0f} {who} within {within_text} "
            f"of support ({share:.0%} of the {without:,.0f} now without support).**"
            + (
                (
                    " The site you added is included."
                    if len(added) == 1
                    else f" The {len(added)} sites you added are included."
                )
                if added
                else ""
            ),
            icon=":material/person_add:",
        )
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(f"Within reach now ({who})", f"{after.covered_before:,.0f}")
    m2.metric("With these recruits", f"{after.covered_after:,.0f}", f"+{after.gain:,.0f}")
    m3.metric("Still beyond reach", f"{after.band_population - after.covered_after:,.0f}")
    m4.metric(
        "Unmet need (people)",
        f"{after.analysis.areas.unmet_need.sum():,.0f}",
        f"{after.analysis.areas.unmet_need.sum() - base.areas.unmet_need.sum():,.0f}",
        delta_color="inverse",
    )
    if choice.capacity_aware:
        st.caption(
            f"Capacity-aware: these sites take up {plan.sites.places.sum():,.0f} places of unmet need "
            f"({choice.people_per_site:g} people each at most); the suggested plan's places per area are below "
            "the table."
        )
    if len(plan.suggested) < choice.k:
        st.info(f"Only {len(plan.suggested)} sites add anyone; more would reach no one new within {within_text}.")


def plan_map(code: str, data, source: _shared.ProviderSource, request: AnalysisRequest, plan: Edited, choice: Choice):
    """Areas after the plan, existing providers under the privacy setting, sites and catchments."""
    band, radius, roads = choice.band, choice.radius, choice.roads
    label, fmt, low_is_bad = SHADING[choice.shading]
    privacy = _shared.privacy_setting()  # enforced from the role
    # The one rule (gapmap.privacy.visible_providers): the public layer unless exact (editors).
    shown, _ = visible_providers(
        source.given, mode=privacy, secret=_shared.install_secret(), as_at=choice.as_at, kinds=choice.kinds
    )
    note = f"{data.council.name} · providers open {choice.as_at:%d/%m/%Y} · radius {choice.within} · with the plan"
    if source.illustrative:
        note = f"{_shared.ILLUSTRATIVE} · {note}"
    map_spec = {
        "field": Field(choice.shading, label, fmt),
        "tooltip": [
            Field(f"pop_{band}", BAND_LABELS[band]),
            Field("pop_beyond_radius", "Beyond the radius (with plan)"),
            Field("unmet_need", "Unmet need (with plan)"),
        ],
        "note": note,
        "reverse": low_is_bad,
        "extra_legend": [
            *provider_legend(shown_kinds(choice.kinds, privacy), closed=False),
            *site_legend(hypothetical=bool(plan.state["added"])),
        ],
    }
    # The live map, kept per council: each click sends back only the new areas' colours and the sites.
    outlines = _shared.area_outlines(code, request.level, float(request.hex_size_m), None)
    xy = plan.xy
    events = area_map(
        _shared.council_bounds(code),
        outlines,
        plan.after.analysis.areas,
        map_spec,
        layers=[
            *provider_layers(shown, show_names=privacy == "exact", label="Existing providers"),
            # By road a circle would mislead: each site's catchment is the hull of the postcodes it reaches.
            *(
                [road_catchments(code, choice.road_key, radius, _shared.digest(xy.tobytes()), xy, roads)]
                if roads
                else []
            ),
            site_layer(
                plan.sites,
                radius_km=0.0 if roads else radius,
                circuity=choice.circuity,
                hypothetical=plan.mine,
                band_label=choice.who,
            ),
        ],
        key=f"plan-map-{code}",
        height=600,
        clicks=True,
    )
    st.caption(
        "Click the map to add a hypothetical provider there; click a numbered site to remove it (or use the "
        "boxes below the map). "
        + ("Existing micro-providers are moved a random 250 m to 2 km, with no names" if privacy == "displaced" else "")
        + ("Existing micro-providers are not shown (counts per area only)" if privacy == "counts" else "")
        + (" (privacy setting in the sidebar)." if privacy != "exact" else "")
    )
    return events


def keyboard_edits(data, plan: Edited) -> None:
    """The keyboard's way to do what a click does: add a site by postcode or ward name; remove one from the list."""
    sites, mine, state = plan.sites, plan.mine, plan.state
    with st.container(key="plan-keyboard"):
        k1, k2, k3 = st.columns([2, 2, 1], vertical_alignment="bottom")
        with k1.form("plan_add_place", clear_on_submit=True, border=False):
            place = st.text_input(
                "Add a site by postcode or ward name", placeholder="a postcode, or a ward such as Frome"
            )
            adding = st.form_submit_button("Add this site", icon=":material/add_location_alt:")
        site_names = {
            i: f"{'Your site' if mine[i] else 'Suggested site'} {sites['rank'].iloc[i]}: {sites.postcode.iloc[i]}, "
            f"{sites.area_name.iloc[i]}"
            for i in range(len(sites))
        }
        dropping = k2.selectbox(
            "Remove a site", list(site_names), index=None, format_func=site_names.get, placeholder="Choose a site"
        )
        remove = k3.button("Remove this site", icon=":material/remove:", disabled=dropping is None)
    if adding:
        try:
            found = find_place(data, place)
        except PlaceNotFoundError as exc:
            st.error(f"Could not add a site: {exc}.")
        else:
            state["added"].append((round(found.easting), round(found.northing)))
            st.rerun()
    if remove and dropping is not None:
        if mine[dropping]:
            state["added"].pop(dropping - len(plan.kept))
        else:
            state["removed"].append(int(plan.kept["rank"].iloc[dropping]))
        st.rerun()


def map_click(events, data, plan: Edited) -> None:
    """A new click, once: near a site removes it, elsewhere adds a provider; then the undo button.

    The map keeps reporting its last click, so the click seen is kept apart from the plan (a new
    plan must not take an old click again).
    """
    state, xy, mine = plan.state, plan.xy, plan.mine
    click = events.click
    if click is not None and click.n != st.session_state.get("plan_click_seen"):
        st.session_state["plan_click_seen"] = click.n
        x, y = transformer(WGS84, BNG).transform(click.lng, click.lat)
        dist = np.hypot(xy[:, 0] - x, xy[:, 1] - y) if len(xy) else np.array([])
        if len(dist) and dist.min() <= CLICK_REMOVE_M:
            i = int(dist.argmin())
            if mine[i]:
                state["added"].pop(i - len(plan.kept))
            else:
                state["removed"].append(int(plan.kept["rank"].iloc[i]))
        elif data.outline().buffer(2000).contains(shapely.Point(x, y)):
            state["added"].append((round(x), round(y)))
        st.rerun()
    if (state["removed"] or state["added"]) and st.button("Back to the suggested plan", icon=":material/undo:"):
        state["removed"], state["added"] = [], []
        st.rerun()


def sites_table(plan: Edited, suggested: SitePlan, user_areas, band: str) -> pd.DataFrame:
    """The sites, with why each is there (and the area of the user's own each lies in); the table shown."""
    st.subheader("Sites")
    table = plan.sites if user_areas is None else with_user_areas(plan.sites, user_areas)
    parish = ["parish_name"] if "parish_name" in table else []
    st.dataframe(
        table[
            ["rank", "source", "postcode", "area_name", *parish, "people_reached", "people_85plus_reached"]
            + (["places"] if "places" in table else [])
            + ["reason"]
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "rank": st.column_config.NumberColumn("Rank"),
            "source": "Site",
            "postcode": "Postcode",
            "area_name": "Ward",
            "parish_name": "Your area",
            "people_reached": st.column_config.NumberColumn(f"{BAND_LABELS[band]} newly within reach", format="%.0f"),
            "people_85plus_reached": st.column_config.NumberColumn("Aged 85+ newly within reach", format="%.0f"),
            "places": st.column_config.NumberColumn("Places of unmet need taken up", format="%.1f"),
            "reason": st.column_config.TextColumn("Why here", width="large"),
        },
    )
    if suggested.places_by_area is not None:
        with st.expander("Places added per area (capacity-aware)"):
            st.dataframe(
                suggested.places_by_area,
                hide_index=True,
                column_config={
                    "area_code": "Code",
                    "area_name": "Area",
                    "unmet_need": st.column_config.NumberColumn("Unmet need now", format="%.1f"),
                    "places_added": st.column_config.NumberColumn("Places added", format="%.1f"),
                },
            )
    return table


def keep_and_download(
    code: str,
    source: _shared.ProviderSource,
    request: AnalysisRequest,
    base,
    plan: Edited,
    table: pd.DataFrame,
    choice: Choice,
    candidates_key: str | None,
) -> None:
    """Keep the plan (typed) for the economy page, the deck and presentation mode; its downloads and hand-outs."""
    parish = "parish_name" in table
    recruitment = RecruitmentPlan(
        council=code,
        band=choice.band,
        radius_km=choice.radius,
        minutes=choice.radius if choice.roads else None,
        sites=table[[*SITE_COLUMNS, *(["parish_code", "parish_name"] if parish else []), "reason", "source"]],
        covered_before=plan.after.covered_before,
        covered_after=plan.after.covered_after,
        people_per_recruit=choice.people_per_site,
        illustrative=source.illustrative,
        as_at=choice.as_at,
        kinds=tuple(choice.kinds),
    )
    _state.keep_plan(recruitment)
    download = plan_table(
        recruitment.sites, data_note=_shared.ILLUSTRATIVE if source.illustrative else None, as_shown=True
    )
    stem = f"gapmap-plan-{code}-{choice.band}-{choice.k}" + ("-ILLUSTRATIVE" if source.illustrative else "")
    d1, d2 = st.columns(2)
    d1.download_button("Download the plan (CSV)", to_csv_bytes(download), f"{stem}.csv", "text/csv")
    d2.download_button(
        "Download the plan (GeoJSON)", to_geojson_bytes(download), f"{stem}.geojson", "application/geo+json"
    )
    # Slides, report and map picture of this plan (as changed on the map), made only when asked for.
    # Like every hand-out they draw day centres and venues only: micro-providers are counted, never placed.
    story = _state.story_state(code)  # read during the run (a click's download runs outside it)
    state = plan.state
    _present.handouts(
        lambda: ReportInputs(base, illustrative=source.illustrative, **_state.story_parts(code, base, story)),
        stem=stem,
        view="plan",
        state=f"{source.key}|{request!r}|{choice.road_key}|{choice.k}|{choice.capacity_aware}|"
        f"{choice.people_per_site:g}|{candidates_key}|{sorted(state['removed'])}|{state['added']}",
    )


def how_sites_are_chosen(suggested: SitePlan, choice: Choice, candidates) -> None:
    """The method in plain words."""
    roads = choice.roads
    distance_words = (
        f"Times are minutes by road on the council's OpenStreetMap roads ({roads.network.info.get('source', '')}); "
        "catchments by road are not drawn as circles"
        if roads
        else f"Distances are straight lines × the road factor ({choice.circuity:g})"
    )
    with st.expander("How the sites are chosen"):
        st.markdown(
            f"""
- **Goal**: bring the most {choice.who} within {choice.within} of support, keeping every existing provider where it is
  (the *maximal covering* problem with fixed facilities).
- **Candidates**: {"your file's sites" if candidates is not None else "every postcode not yet within reach"}
  ({suggested.n_candidates:,} sites).
- **Method**: a greedy choice — each site in turn is the one that adds the most people not yet within reach.
  It is within a few per cent of the best possible on real councils (the command line's `--exact` checks it
  against an optimal solver).
- **People newly within reach** for a site counts only people reached by no earlier site or existing provider.
- **Capacity-aware**: sites are ranked by the unmet need (people short of the target) a recruit supporting
  {choice.people_per_site:g} people could take up within reach.
- {distance_words}; the gap figures are recomputed with your
  sites added as micro-providers of {choice.people_per_site:g} places each.
"""
        )


def main() -> None:
    """The page: settings and files, the plan, then its headline, map, edits, table, downloads and method."""
    _shared.ensure_router()
    code, data, source = _shared.page_header(
        "Plan recruitment",
        no_records="Import your micro-providers and day centres on the **Provider records** page; an illustrative "
        "sample is available for Somerset.",
        sample_note="The suggested sites show how the planner works, not where to recruit.",
    )
    remembered()
    choice = controls(code)
    user_areas, candidates, candidates_key = own_files(code, choice)
    request, base, suggested = make_plan(code, source, choice, candidates, candidates_key)
    plan_key = (
        code,
        source.key,
        request,
        choice.k,
        choice.capacity_aware,
        choice.people_per_site,
        candidates_key,
        choice.road_key,
    )
    plan = edited(plan_key, suggested, base, choice)
    headline(plan, base, choice, source.illustrative)
    events = plan_map(code, data, source, request, plan, choice)
    keyboard_edits(data, plan)
    map_click(events, data, plan)
    table = sites_table(plan, suggested, user_areas, choice.band)
    keep_and_download(code, source, request, base, plan, table, choice, candidates_key)
    how_sites_are_chosen(suggested, choice, candidates)
    _present.footer("plan", illustrative=source.illustrative)  # presentation mode: next/previous


main()
