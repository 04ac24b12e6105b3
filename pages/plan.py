"""Plan recruitment: where K new micro-providers would bring the most people within reach."""

import tempfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import streamlit as st

from gapmap.analysis import AnalysisRequest
from gapmap.config import BNG, WGS84
from gapmap.demand import BANDS
from gapmap.errors import GapmapError
from gapmap.export import to_csv_bytes, to_geojson_bytes
from gapmap.labels import reach
from gapmap.maps import Field, outline_layer, provider_layers, provider_legend
from gapmap.places import PlaceNotFoundError, find_place
from gapmap.plan import RecruitmentPlan
from gapmap.population import BAND_LABELS
from gapmap.privacy import shown_kinds, visible_providers
from gapmap.records import load_providers
from gapmap.reproject import transformer
from gapmap.roads import catchment_hulls
from gapmap.schema import KIND_LABELS, KINDS, SITE_COLUMNS
from gapmap.siting import MAX_SITES, PEOPLE_PER_SITE, SitePlan, plan_sites, plan_table, what_if, with_user_areas
from gapmap.siting_map import site_layer, site_legend
from gapmap.story import ReportInputs
from pages import _present, _shared, _state
from pages._live_map import area_map

_shared.ensure_router()

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


code, data, source = _shared.page_header(
    "Plan recruitment",
    no_records="Import your micro-providers and day centres on the **Provider records** page; an illustrative "
    "sample is available for Somerset.",
    sample_note="The suggested sites show how the planner works, not where to recruit.",
)

# The view in the URL (bookmarks, presentation mode), else the settings kept from an earlier visit.
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
c1, c2, c3, c4 = st.columns([1, 1, 1.4, 1.1])
k = c1.slider("New micro-providers (K)", 1, MAX_SITES, key="plan_k")
roads = _shared.distance_control(code, c2, "plan_distance")
road_key = roads.network.key if roads else ""
if roads is not None:
    radius = _shared.minutes_slider(c2, "plan_minutes")
else:
    radius = c2.slider("Catchment radius (km)", 1.0, 20.0, step=0.5, key="plan_radius")
within_text = reach(radius, "minutes" if roads else "km")
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
        st.number_input("Road/straight-line factor", 1.0, 2.0, step=0.05, key="plan_circuity") if roads is None else 1.0
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

user_areas = None
if areas_upload is not None:
    areas_payload = areas_upload.getvalue()
    try:
        user_areas = _shared.user_areas(areas_upload.name, _shared.digest(areas_payload), areas_payload)
    except GapmapError as exc:
        st.error(f"Could not use **{_shared.plain(areas_upload.name)}**: {_shared.plain(exc)}")
        st.stop()

candidates, candidates_key = None, None
if upload is not None:
    payload = upload.getvalue()
    candidates_key = _shared.digest(payload)
    try:
        loaded = candidate_sites(code, upload.name, candidates_key, payload)
    except GapmapError as exc:
        st.error(f"Could not use **{_shared.plain(upload.name)}**: {_shared.plain(exc)}")
        st.stop()
    candidates = loaded.accepted
    if loaded.rejected:
        st.caption(f"{len(loaded.rejected)} candidate rows could not be located and are left out.")

try:
    if roads is not None:
        circuity = 1.0  # by road the times are the road's own
    request = AnalysisRequest(band=band, radius_km=radius, kinds=tuple(kinds), as_at=as_at, circuity=circuity)
    base = _shared.analysis(code, source.key, request, None, source.providers, None, road_key, roads)
    plan = cached_plan(
        code,
        source.key,
        request,
        k,
        capacity_aware,
        people_per_site,
        candidates_key,
        source.providers,
        candidates,
        road_key,
        roads,
    )
except GapmapError as exc:
    st.error(str(exc))
    st.stop()

# What-if state: which suggested sites the user removed and which sites they added, per plan.
plan_key = (code, source.key, request, k, capacity_aware, people_per_site, candidates_key, road_key)
state = st.session_state.get("plan_whatif")
if not state or state.get("key") != plan_key:
    state = {"key": plan_key, "removed": [], "added": []}
    st.session_state["plan_whatif"] = state

suggested = plan.sites
kept = suggested[~suggested["rank"].isin(state["removed"])]
xy = np.vstack([kept[["easting", "northing"]].to_numpy(float), np.array(state["added"], dtype=float).reshape(-1, 2)])
mine = np.r_[np.zeros(len(kept), bool), np.ones(len(state["added"]), bool)]
try:
    after = what_if(base, xy, people_per_site=people_per_site, capacity_aware=capacity_aware)
except GapmapError as exc:
    st.error(str(exc))
    st.stop()
sites = after.sites.assign(source=np.where(mine, "your site", "suggested"))
who = f"people {BAND_LABELS[band].lower()}"
without = after.band_population - after.covered_before
share = after.gain / without if without > 0 else 0.0
n = len(sites)
if _present.presenting():  # the view's title and takeaway, large
    _present.header(
        "Recruitment plan",
        f"These {n} recruit{'s' if n != 1 else ''} would bring {after.gain:,.0f} {who} within {within_text} of "
        "support.",
        illustrative=source.illustrative,
    )
else:  # the headline once, with the share and the user's own sites
    st.success(
        f"**These {n} recruit{'s' if n != 1 else ''} would bring {after.gain:,.0f} {who} within {within_text} of "
        f"support ({share:.0%} of the {without:,.0f} now without support).**"
        + (
            (
                " The site you added is included."
                if len(state["added"]) == 1
                else f" The {len(state['added'])} sites you added are included."
            )
            if state["added"]
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
if capacity_aware:
    st.caption(
        f"Capacity-aware: these sites take up {sites.places.sum():,.0f} places of unmet need "
        f"({people_per_site:g} people each at most); the suggested plan's places per area are below the table."
    )
if len(suggested) < k:
    st.info(f"Only {len(suggested)} sites add anyone; more would reach no one new within {within_text}.")

# Map: areas after the plan, existing providers under the privacy setting, sites and catchments.
label, fmt, low_is_bad = SHADING[shading]
privacy = _shared.privacy_setting()  # enforced from the role
# The one rule (gapmap.privacy.visible_providers): the public layer unless exact (editors).
shown, _ = visible_providers(source.given, mode=privacy, secret=_shared.install_secret(), as_at=as_at, kinds=kinds)
note = f"{data.council.name} · providers open {as_at:%d/%m/%Y} · radius {within_text} · with the plan"
if source.illustrative:
    note = f"{_shared.ILLUSTRATIVE} · {note}"
map_spec = {
    "field": Field(shading, label, fmt),
    "tooltip": [
        Field(f"pop_{band}", BAND_LABELS[band]),
        Field("pop_beyond_radius", "Beyond the radius (with plan)"),
        Field("unmet_need", "Unmet need (with plan)"),
    ],
    "note": note,
    "reverse": low_is_bad,
    "extra_legend": [
        *provider_legend(shown_kinds(kinds, privacy), closed=False),
        *site_legend(hypothetical=bool(state["added"])),
    ],
}
# The live map, kept per council: each click sends back only the new areas' colours and the sites.
outlines = _shared.area_outlines(code, request.level, float(request.hex_size_m), None)
events = area_map(
    _shared.council_bounds(code),
    outlines,
    after.analysis.areas,
    map_spec,
    layers=[
        *provider_layers(shown, show_names=privacy == "exact", label="Existing providers"),
        # By road a circle would mislead: each site's catchment is the hull of the postcodes it reaches.
        *([road_catchments(code, road_key, radius, _shared.digest(xy.tobytes()), xy, roads)] if roads else []),
        site_layer(sites, radius_km=0.0 if roads else radius, circuity=circuity, hypothetical=mine, band_label=who),
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

# The keyboard's way to do what a click does: add a site by postcode or ward name; remove one
# from the list.
with st.container(key="plan-keyboard"):
    k1, k2, k3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    with k1.form("plan_add_place", clear_on_submit=True, border=False):
        place = st.text_input("Add a site by postcode or ward name", placeholder="a postcode, or a ward such as Frome")
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
        state["added"].pop(dropping - len(kept))
    else:
        state["removed"].append(int(kept["rank"].iloc[dropping]))
    st.rerun()

# Handle a new click once: near a site removes it, elsewhere adds a provider. The map keeps
# reporting its last click, so the click seen is kept apart from the plan (a new plan must not
# take an old click again).
click = events.click
if click is not None and click.n != st.session_state.get("plan_click_seen"):
    st.session_state["plan_click_seen"] = click.n
    x, y = transformer(WGS84, BNG).transform(click.lng, click.lat)
    dist = np.hypot(xy[:, 0] - x, xy[:, 1] - y) if len(xy) else np.array([])
    if len(dist) and dist.min() <= CLICK_REMOVE_M:
        i = int(dist.argmin())
        if mine[i]:
            state["added"].pop(i - len(kept))
        else:
            state["removed"].append(int(kept["rank"].iloc[i]))
    elif data.outline().buffer(2000).contains(shapely.Point(x, y)):
        state["added"].append((round(x), round(y)))
    st.rerun()

if (state["removed"] or state["added"]) and st.button("Back to the suggested plan", icon=":material/undo:"):
    state["removed"], state["added"] = [], []
    st.rerun()

st.subheader("Sites")
table = sites if user_areas is None else with_user_areas(sites, user_areas)
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
if plan.places_by_area is not None:
    with st.expander("Places added per area (capacity-aware)"):
        st.dataframe(
            plan.places_by_area,
            hide_index=True,
            column_config={
                "area_code": "Code",
                "area_name": "Area",
                "unmet_need": st.column_config.NumberColumn("Unmet need now", format="%.1f"),
                "places_added": st.column_config.NumberColumn("Places added", format="%.1f"),
            },
        )

# Keep the plan (typed) for the economy page, the workshop deck and presentation mode.
recruitment = RecruitmentPlan(
    council=code,
    band=band,
    radius_km=radius,
    minutes=radius if roads else None,
    sites=table[[*SITE_COLUMNS, *(["parish_code", "parish_name"] if parish else []), "reason", "source"]],
    covered_before=after.covered_before,
    covered_after=after.covered_after,
    people_per_recruit=people_per_site,
    illustrative=source.illustrative,
    as_at=as_at,
    kinds=tuple(kinds),
)
_state.keep_plan(recruitment)
kept_plan = recruitment.sites

download = plan_table(kept_plan, data_note=_shared.ILLUSTRATIVE if source.illustrative else None, as_shown=True)
stem = f"gapmap-plan-{code}-{band}-{k}" + ("-ILLUSTRATIVE" if source.illustrative else "")
d1, d2 = st.columns(2)
d1.download_button("Download the plan (CSV)", to_csv_bytes(download), f"{stem}.csv", "text/csv")
d2.download_button("Download the plan (GeoJSON)", to_geojson_bytes(download), f"{stem}.geojson", "application/geo+json")
# Slides, report and map picture of this plan (as changed on the map), made only when asked for.
# Like every hand-out they draw day centres and venues only: micro-providers are counted, never placed.
story = _state.story_state(code)  # read during the run (a click's download runs outside it)
_present.handouts(
    lambda: ReportInputs(base, illustrative=source.illustrative, **_state.story_parts(code, base, story)),
    stem=stem,
    view="plan",
    state=f"{source.key}|{request!r}|{road_key}|{k}|{capacity_aware}|{people_per_site:g}|{candidates_key}|"
    f"{sorted(state['removed'])}|{state['added']}",
)
distance_words = (
    f"Times are minutes by road on the council's OpenStreetMap roads ({roads.network.info.get('source', '')}); "
    "catchments by road are not drawn as circles"
    if roads
    else f"Distances are straight lines × the road factor ({circuity:g})"
)
with st.expander("How the sites are chosen"):
    st.markdown(
        f"""
- **Goal**: bring the most {who} within {within_text} of support, keeping every existing provider where it is
  (the *maximal covering* problem with fixed facilities).
- **Candidates**: {"your file's sites" if candidates is not None else "every postcode not yet within reach"}
  ({plan.n_candidates:,} sites).
- **Method**: a greedy choice — each site in turn is the one that adds the most people not yet within reach.
  It is within a few per cent of the best possible on real councils (the command line's `--exact` checks it
  against an optimal solver).
- **People newly within reach** for a site counts only people reached by no earlier site or existing provider.
- **Capacity-aware**: sites are ranked by the unmet need (people short of the target) a recruit supporting
  {people_per_site:g} people could take up within reach.
- {distance_words}; the gap figures are recomputed with your
  sites added as micro-providers of {people_per_site:g} places each.
"""
    )
_present.footer("plan", illustrative=source.illustrative)  # presentation mode: next/previous
