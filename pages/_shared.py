"""Cached loaders and widgets shared by the pages (the only place that caches)."""

from __future__ import annotations

import gc
import hashlib
import inspect
import logging
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple, NoReturn

import geopandas as gpd
import pandas as pd
import streamlit as st

from gapmap import auth, io, privacy, registry
from gapmap.analysis import MAX_RADIUS_KM, Analysis, AnalysisRequest, analyse, build_costs, zones_for
from gapmap.config import PACKAGE_ROOT, WGS84, DataPaths
from gapmap.costs import within
from gapmap.errors import GapmapError, RegistryError
from gapmap.gaps import supply_at
from gapmap.geometry_cache import DisplayGeometry, display_geometry, publish
from gapmap.labels import ILLUSTRATIVE
from gapmap.maps import ATTRIBUTION
from gapmap.population import CouncilData, load_council, population_by_area
from gapmap.population_projections import Projections
from gapmap.privacy import DEFAULT_PRIVACY, PRIVACY_MODES, SAFE_MODES
from gapmap.records import load_providers
from gapmap.reproject import reproject
from gapmap.roads import ByRoad, RoadNetwork, latest_stored
from gapmap.timeline import Timeline, build_timeline
from pages._markdown import plain  # noqa: F401 - pages call _shared.plain
from pages._signin import (  # noqa: F401 - sign-in lives in pages/_signin.py; the pages call it from here
    LOCKOUT_S,
    LOOPBACK,
    MAX_FAILURES,
    NOBODY,
    SESSION_USER,
    Session,
    _failed_sign_ins,
    _gapmap_secrets,
    _oidc_configured,
    _oidc_session,
    address_refused,
    current_session,
    local_users,
    may,
    oidc_sign_in_page,
    refusal_page,
    require,
    role,
    sign_in,
    sign_in_page,
    signed_in_box,
    signin_method,
)

_LOG = logging.getLogger("gapmap")
DEFAULT_COUNCIL = "E06000066"  # Somerset: the worked example in the README

COUNCILS_KEPT = 6
"""Councils whose postcodes and boundaries stay loaded at once (the rest are loaded again when asked)."""

CACHE_TTL = "2h"
"""How long a cached council, table or analysis is kept (also bounded in number by ``max_entries``).

Every cache holding per-council data has both, so a server that many visitors take through
many councils stays under a ceiling: at most 6 councils' data (``council_data``) and the
tables built on them; ``bench/bench_load.py`` visits 20 councils in turn and reports the
server's memory beside the ceiling stated there.
"""

HEX_SIZES = {500: "500 m", 1000: "1 km", 2000: "2 km", 5000: "5 km"}
"""Hex widths the pages offer (metres: label)."""


def hex_sizes(privacy: str) -> dict[int, str]:
    """The hex widths a session may choose: no 500 m hexes outside exact mode.

    Averaged distances or provider counts over 500 m hexes come too close to single homes.
    """
    return HEX_SIZES if privacy == "exact" else {k: v for k, v in HEX_SIZES.items() if k != 500}


ROUTER_RAN = "_gapmap_router"
"""Session-state marker app.py sets while it runs a page (set at its top, removed at its end)."""
SESSION_STARTED = "_gapmap_session"


def mark_router() -> bool:
    """Called by app.py on every run, before the page: this run goes through the router.

    Returns True on the session's first run, which app.py reruns once its navigation is set
    (on a fresh server that first run is Streamlit's legacy ``pages/`` mode; see
    :func:`ensure_router`).
    """
    first = not st.session_state.get(SESSION_STARTED)
    st.session_state[SESSION_STARTED] = True
    st.session_state[ROUTER_RAN] = True
    return first


def unmark_router() -> None:
    """Called by app.py when its run ends (however it ends): the next run must set it again."""
    st.session_state.pop(ROUTER_RAN, None)


_REROUTED = "_gapmap_rerouted"


@st.cache_resource(show_spinner=False)
def _server() -> dict[str, bool]:
    """Facts about this server process (one dict shared by every session)."""
    return {}


def freeze_long_lived() -> None:
    """Called by app.py after a run: once per server, move what is loaded by then out of the
    garbage collector's sight (``gc.freeze``).

    By the end of the first run the libraries are imported and a council is loaded: several
    hundred thousand long-lived objects that every full collection would walk again, at 40–130 ms
    a time in the middle of someone's script run. Frozen objects are still freed when nothing
    refers to them; only their reference cycles would never be collected, and the first run
    leaves few.
    """
    server = _server()
    if not server.get("frozen"):
        server["frozen"] = True
        gc.freeze()


def navigation_was_set() -> bool:
    """Called by app.py after ``st.navigation``: had any session of this server set it before?

    Only a freshly started server is in Streamlit's legacy ``pages/`` mode, so only the first
    session's first run needs app.py's extra rerun; later sessions start through the router
    and skip it (their first map comes one script run sooner).
    """
    server = _server()
    before = server.get("navigation", False)
    server["navigation"] = True
    return before


def ensure_router() -> None:
    """Send a run that skipped app.py back through the router (public API only).

    Streamlit treats a folder called ``pages/`` beside the main script as a legacy
    ("multipage v1") app until ``st.navigation`` has been called once in the server. So on a
    freshly started server a deep link (``/records``) runs the page file on its own, without
    app.py's sidebar. A page that finds no router marker in the session calls
    ``st.navigation`` itself — which turns the legacy mode off for the server, as documented —
    with the calling page (same URL, so the same page hash) and reruns; the rerun goes
    through app.py's router to that page.
    """
    if not st.session_state.get(ROUTER_RAN) and not st.session_state.get(_REROUTED):
        # Once per session only: if the rerun still skips app.py (a page run on its own, as
        # in a test harness), the page goes on and guards itself rather than loop forever.
        st.session_state[_REROUTED] = True
        # The calling page under its own URL, so the requested page is found and kept (a lone
        # page would be the default one, whose URL is the root); the placeholder never runs.
        page = Path(inspect.stack()[1].filename)
        st.navigation([st.Page(_placeholder, url_path="gapmap-start", default=True), st.Page(page)], position="hidden")
        st.rerun()


def _placeholder() -> None:
    """Default page of :func:`ensure_router`'s one-off navigation (never run)."""


@st.cache_data(show_spinner=False)
def councils() -> pd.DataFrame:
    """The council list."""
    return io.read_councils(DataPaths())


@st.cache_data(show_spinner=False)
def manifest() -> dict:
    """The data build's provenance manifest."""
    return io.read_manifest(DataPaths())


@st.cache_resource(
    show_spinner="Loading the council's postcodes and boundaries…", max_entries=COUNCILS_KEPT, ttl=CACHE_TTL
)
def council_data(code: str) -> CouncilData:
    """One council's demand points and boundaries (shared, never mutated)."""
    return load_council(code)


@st.cache_resource(show_spinner="Reading your boundary file…", max_entries=4, ttl=CACHE_TTL)
def user_areas(name: str, key: str, payload: bytes) -> gpd.GeoDataFrame:
    """Polygons from an uploaded file, keyed on its content hash (``key``)."""
    del key  # part of the cache key only
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(payload)
        return io.read_area_file(path)


@st.cache_resource(show_spinner="Adding up population by area…", max_entries=24, ttl=CACHE_TTL)
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


# --- Provider records -------------------------------------------------------------------

SAMPLE_COUNCIL = "E06000066"
SAMPLE_PATH = PACKAGE_ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"


@dataclass(frozen=True)
class ProviderSource:
    """Where the providers on a page come from, in the form this session may use.

    ``given`` is the records themselves only in "exact" mode (editors); in every other mode it is
    :class:`gapmap.privacy.PublicProviders` (micro-providers at their displaced points, standard
    capacity, no ids or names), so every figure, table, map and hand-out a viewer gets is made
    from public information (:func:`gapmap.privacy.providers_for`, the one decision).
    """

    key: str
    label: str
    illustrative: bool
    given: gpd.GeoDataFrame | privacy.PublicProviders

    @property
    def providers(self) -> gpd.GeoDataFrame:
        """What the analysis reads: the public frame, or the records in exact mode."""
        return privacy.frame_of(self.given)

    @property
    def public(self) -> bool:
        """True unless the records themselves (exact mode)."""
        return isinstance(self.given, privacy.PublicProviders)


@st.cache_resource(show_spinner="Reading the illustrative sample…", max_entries=1, ttl=CACHE_TTL)
def sample_providers(code: str) -> gpd.GeoDataFrame:
    """The generated Somerset sample (see scripts/make_sample.py)."""
    return load_providers(SAMPLE_PATH, outline=council_data(code).outline()).accepted


def provider_records(code: str) -> ProviderSource | None:
    """The council's records (exact): its own if imported, else the sample (Somerset only).

    Pages never call this: they call :func:`provider_source`, which applies the privacy rule.
    """
    own = registry_providers(code)
    if own is not None and len(own):
        if own.illustrative.any():  # someone saved the sample itself: it stays labelled
            return ProviderSource(f"registry:{code}:{registry_version()}", ILLUSTRATIVE, True, own)
        return ProviderSource(f"registry:{code}:{registry_version()}", "Your council's records", False, own)
    if code == SAMPLE_COUNCIL:
        return ProviderSource("sample", ILLUSTRATIVE, True, sample_providers(code))
    return None


@st.cache_resource(show_spinner=False, max_entries=8, ttl=CACHE_TTL)
def _session_input(source_key: str, mode: str, key_id: str, _records, _secret: bytes):
    """:func:`gapmap.privacy.providers_for` of one source and mode (cached: it hashes every point).

    ``key_id`` names the install's key (a digest of it), so a new key (the old one deleted, or
    another ``GAPMAP_HOME`` in the same process) never serves points moved with the old one.
    """
    return privacy.providers_for(_records, mode=mode, secret=_secret)


def provider_source(code: str) -> ProviderSource | None:
    """The providers every page computes and draws from, decided by the session's privacy mode.

    "exact" (editors only, enforced from the role) gives the records; "counts" and "displaced"
    give their public form (:func:`gapmap.privacy.providers_for`), under their own cache key,
    so no figure cached for one is ever served to the other.
    """
    records = provider_records(code)
    if records is None:
        return None
    mode = privacy_setting()
    secret = install_secret()
    given = _session_input(records.key, mode, digest(secret), records.given, secret)
    # Every figure made from the public form is cached under the key it was moved with.
    key = records.key if mode == "exact" else f"{records.key}|public|{digest(secret)}"
    return ProviderSource(key, records.label, records.illustrative, given)


class PageStart(NamedTuple):
    """What a page opens on: the chosen council, its data, and its providers (when it needs them)."""

    code: str
    data: CouncilData
    source: ProviderSource | None


def page_header(
    title: str, *, caption: str | None = None, no_records: str | None = None, sample_note: str = ""
) -> PageStart:
    """The opening every page shares: the council, its title (and caption), and its providers.

    Parameters
    ----------
    title
        The page's title; `` — `` and the council's name follow it.
    caption
        A line under the title.
    no_records
        For a page that needs providers: what to do when the council has none yet (after "No
        provider records for <council> yet."). The page then stops there, with a link to the
        records page for those who may import. ``None``: the page needs no providers.
    sample_note
        What the illustrative sample means on this page, after its label.
    """
    code = st.session_state.get("council", DEFAULT_COUNCIL)
    data = council_data(code)
    st.title(f"{title} — {data.council.name}")
    if caption:
        st.caption(caption)
    if no_records is None:
        return PageStart(code, data, None)
    source = provider_source(code)
    if source is None:
        st.info(f"No provider records for {data.council.name} yet. {no_records}")
        if may("import"):  # viewers have no records page to go to
            st.page_link("pages/records.py", label="Go to Provider records", icon=":material/upload_file:")
        st.stop()
    if source.illustrative:
        st.warning(f"**{ILLUSTRATIVE}.** {sample_note}", icon=":material/science:")
    return PageStart(code, data, source)


def registry_location() -> registry.RegistryBackend:
    """The registry: $GAPMAP_REGISTRY (a file or a postgresql:// URL), else $GAPMAP_HOME/registry.gpkg."""
    return registry.open_registry()


def registry_version() -> str:
    """Changes whenever the registry is written (part of cache keys, and the editor's conflict check)."""
    try:
        return registry_location().token()
    except RegistryError as exc:
        registry_unavailable(exc)


def registry_unavailable(exc: Exception, what: str = "The provider records are") -> NoReturn:
    """Stop the page with a plain message when the registry cannot be read (its database is down).

    Nothing is cached from a failed read, so the next run (any click) tries again: when the
    database is back the page recovers by itself, without restarting the server. The error
    (which names the database) goes to the server log, not to the browser.
    """
    _LOG.warning("registry unavailable: %s", exc)
    st.error(
        f"{what} unavailable just now: the registry cannot be reached. Nothing has been lost; "
        "try again in a minute (any click does). If it lasts, tell whoever runs the gapmap server.",
        icon=":material/cloud_off:",
    )
    st.stop()


@st.cache_resource(show_spinner="Reading the registry…", max_entries=4, ttl=CACHE_TTL)
def registry_contents(location: str, version: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """All registry records and the import log, re-read whenever the registry changes."""
    del location, version  # cache keys only
    return registry.load(registry_location())


def registry_providers(code: str) -> gpd.GeoDataFrame | None:
    """Providers saved in the registry for this council (None until records are imported)."""
    version = registry_version()
    try:
        records, _ = registry_contents(registry_location().location, version)
    except RegistryError as exc:
        registry_unavailable(exc)
    mine = registry.council_records(records, code)
    return mine if len(mine) else None


@st.cache_resource(show_spinner="Measuring distances to providers…", max_entries=8, ttl=CACHE_TTL)
def cost_table(
    code: str,
    source_key: str,
    supply_key: str,
    circuity: float,
    _supply: gpd.GeoDataFrame,
    road_key: str = "",
    _roads: ByRoad | None = None,
):
    """The cost table for one supply (``supply_key``: which providers count) at the largest radius.

    Every radius up to :data:`gapmap.analysis.MAX_RADIUS_KM` reads it, so moving the radius
    slider never rebuilds it, and neither does a date change that opens or closes nothing.
    By road (``_roads``, cached under ``road_key``) it is minutes up to :data:`MAX_MINUTES`.
    """
    if _roads is not None:
        return build_costs(council_data(code), _supply, max_km=MAX_MINUTES, roads=_roads)
    return build_costs(council_data(code), _supply, circuity=circuity, max_km=MAX_RADIUS_KM)


@st.cache_resource(show_spinner=False, max_entries=16, ttl=CACHE_TTL)
def costs_within(
    code: str,
    source_key: str,
    supply_key: str,
    circuity: float,
    radius_km: float,
    _supply,
    road_key: str = "",
    _roads: ByRoad | None = None,
):
    """The cached cost table cut at one radius (each postcode's nearest provider kept)."""
    return within(cost_table(code, source_key, supply_key, circuity, _supply, road_key, _roads), radius_km)


@st.cache_resource(show_spinner="Adding up by area…", max_entries=24, ttl=CACHE_TTL)
def zones(code: str, level: str, hex_size_m: float, areas_digest: str | None, _areas: gpd.GeoDataFrame | None = None):
    """The areas of one level and their population (independent of the providers)."""
    return zones_for(council_data(code), level, hex_size_m=hex_size_m, areas=_areas)


@st.cache_resource(show_spinner="Computing access for every postcode…", max_entries=16, ttl=CACHE_TTL)
def analysis(
    code: str,
    source_key: str,
    request: AnalysisRequest,
    areas_digest: str | None,
    _providers: gpd.GeoDataFrame,
    _areas: gpd.GeoDataFrame | None = None,
    road_key: str = "",
    _roads: ByRoad | None = None,
) -> Analysis:
    """The one analysis every page reads (cost table and zones come from their own caches).

    By road, pass ``request`` without ``roads`` (it is cached by value) and the network as
    ``_roads`` with its ``road_key`` (:func:`distance_control`); ``radius_km`` is then minutes.
    """
    if _roads is not None:
        request = replace(request, roads=_roads)
    supply = supply_at(_providers, request.params)
    supply_key = digest(",".join(map(str, supply.index)).encode())
    costs = costs_within(
        code, source_key, supply_key, request.circuity, request.radius_km, supply, road_key, request.roads
    )
    z = zones(code, request.level, request.hex_size_m, areas_digest, _areas)
    return analyse(council_data(code), _providers, request, costs=costs, zones=z)


STATIC_CACHE = PACKAGE_ROOT / "static" / "cache"
"""Where content-hashed area outlines are written (served at /app/static/cache/)."""


@dataclass(frozen=True)
class Outlines:
    """Area outlines published for the browser: where, and the feature order."""

    url: str
    codes: tuple[str, ...]


@st.cache_resource(show_spinner=False, max_entries=24, ttl=CACHE_TTL)
def _display_geometry(
    code: str, level: str, hex_size_m: float, areas_digest: str | None, _areas: gpd.GeoDataFrame | None = None
) -> DisplayGeometry:
    z = zones(code, level, hex_size_m, areas_digest, _areas)
    # Uploaded areas are drawn simplified as a coverage (10 m); shipped ones already are.
    return display_geometry(z.polygons, simplify_m=10.0 if level == "parish" else 0.0)


def area_outlines(
    code: str, level: str, hex_size_m: float, areas_digest: str | None, _areas: gpd.GeoDataFrame | None = None
) -> Outlines:
    """The outlines of one council and level as a static file the browser fetches once."""
    geo = _display_geometry(code, level, hex_size_m, areas_digest, _areas)
    publish(geo, STATIC_CACHE)  # cheap when the file is there; rewritten if someone removed it
    return Outlines(url=f"{static_root()}/cache/{geo.name}", codes=geo.codes)


def static_root() -> str:
    """Where Streamlit serves ``static/`` for the browser, under ``server.baseUrlPath`` if one is set.

    Behind a proxy at a sub-path (``/gapmap/``) the app's own files are at ``/gapmap/app/static``;
    addresses from the site root would miss them.
    """
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/app/static" if base else "/app/static"


@st.cache_resource(show_spinner=False, max_entries=16, ttl=CACHE_TTL)
def council_bounds(code: str) -> tuple[float, float, float, float]:
    """The council's extent in WGS84 (fixes the map view, so the map never remounts)."""
    outline = gpd.GeoSeries([council_data(code).outline()], crs=council_data(code).points.crs)
    return tuple(float(v) for v in reproject(outline, WGS84).total_bounds)


def privacy_setting() -> str:
    """The session's privacy mode, enforced from the signed-in role (never from the widget alone).

    A viewer whose session state claims "exact" (a stale value, a crafted request) gets the
    default, aggregated view.
    """
    mode = st.session_state.get("privacy", DEFAULT_PRIVACY)
    return mode if mode in allowed_privacy_modes() else DEFAULT_PRIVACY


def allowed_privacy_modes() -> list[str]:
    """The privacy modes the signed-in role may choose (exact for editors and admins only)."""
    return [m for m in PRIVACY_MODES if m in SAFE_MODES or auth.can(role(), "exact")]


def privacy_picker() -> None:
    """Sidebar control for how micro-providers are shown (safe modes only, for viewers)."""
    options = allowed_privacy_modes()
    if st.session_state.get("privacy") not in options:
        st.session_state["privacy"] = DEFAULT_PRIVACY
    st.radio(
        "Micro-provider locations",
        options,
        format_func=PRIVACY_MODES.get,
        key="privacy",
        help="Sole traders often work from home, so their locations are personal data. Counts per area "
        "(fewer than 3 not shown) or points moved a random distance are safe to show and hand out. Every "
        "figure, table and hand-out is then computed from the moved points, never from homes.",
    )
    if privacy_setting() == "exact":
        st.warning(privacy.INTERNAL_NOTE, icon=":material/lock_open:")


@st.cache_resource(show_spinner=False)
def _install_secret(home: str) -> bytes:
    return privacy.load_or_create_secret(Path(home))


def install_secret() -> bytes:
    """This install's displacement key ($GAPMAP_HOME/secret.key, created on first use)."""
    try:
        return _install_secret(str(auth.home_from_environment()))
    except RegistryError as exc:  # a PostgreSQL registry keeps the key: down, so is the key
        registry_unavailable(exc, "The maps of providers are")


def area_file_input(level: str) -> tuple[gpd.GeoDataFrame | None, str | None]:
    """File uploader for the 'your own areas' level; stops the page until a usable file is given."""
    if level != "parish":
        return None, None
    upload = st.file_uploader(
        "Boundary file of your areas",
        type=["gpkg", "geojson", "json", "zip"],
        key="areas_upload",
        help="An ONS parish boundaries file (PARxxCD/PARxxNM columns, any vintage), or your own "
        "village-agent patches or PCN areas: GeoPackage, GeoJSON or a zipped shapefile.",
    )
    if upload is None:
        st.info("Upload a parish or patch boundary file to see your own areas.")
        st.stop()
    payload = upload.getvalue()
    key = digest(payload)
    try:
        areas = user_areas(upload.name, key, payload)
    except GapmapError as exc:
        st.error(f"Could not use **{plain(upload.name)}**: {plain(exc)}")
        st.stop()
    if privacy_setting() == "exact":
        return areas, key
    # Outside exact mode, no figure is shown for an area too small to protect anyone in it.
    code = st.session_state.get("council", DEFAULT_COUNCIL)
    kept, dropped = _viewer_areas(code, key, areas)
    if dropped:
        message = (
            f"{dropped:,} of your {len(areas):,} areas hold fewer than {privacy.MIN_AREA_POSTCODES} postcodes "
            "(about 300 homes): too small to show figures for without pointing at a household. Their "
            'postcodes count under "Outside the supplied areas".'
        )
        if kept.empty:
            st.error(message + " None of the areas is large enough: use larger areas, such as parishes or wards.")
            st.stop()
        st.info(message)
    return kept, f"{key}:min{privacy.MIN_AREA_POSTCODES}"


@st.cache_resource(show_spinner=False, max_entries=4, ttl=CACHE_TTL)
def _viewer_areas(code: str, key: str, _areas: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """:func:`gapmap.privacy.large_enough_areas` of one upload (keyed on its hash)."""
    return privacy.large_enough_areas(council_data(code).points, _areas)


# --- Change over time -------------------------------------------------------------------


@st.cache_resource(show_spinner="Reading the population projections…", max_entries=4, ttl=CACHE_TTL)
def projections(name: str | None, key: str, payload: bytes | None) -> Projections:
    """The shipped projections (``payload`` None) or an uploaded ONS SNPP table, keyed on its hash."""
    del key  # cache key only
    if payload is None:
        return io.read_projections()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name or "snpp.csv").name
        path.write_bytes(payload)
        return io.read_projections(path)


@st.cache_resource(show_spinner="Replaying the providers over time…", max_entries=8, ttl=CACHE_TTL)
def timeline(
    code: str,
    source_key: str,
    band: str,
    kinds: tuple[str, ...],
    radius_km: float,
    step: str,
    start,
    end,
    projections_key: str,
    _providers: gpd.GeoDataFrame,
    _projections: Projections,
    road_key: str = "",
    _roads: ByRoad | None = None,
) -> Timeline:
    """Every frame of the replay in one incremental pass (a slider step is then a lookup).

    By road (``_roads``, cached under ``road_key``) ``radius_km`` is minutes.
    """
    return build_timeline(
        council_data(code),
        _providers,
        start=start,
        end=end,
        step=step,
        band=band,
        kinds=kinds,
        radius_km=radius_km,
        projections=_projections,
        roads=_roads,
    )


# --- travel time by road (issue #20) ---------------------------------------------------------

MAX_MINUTES = 60.0
"""The largest catchment by road the app offers; road cost tables are cached at it."""


@st.cache_resource(show_spinner="Loading the road network…", max_entries=4)
def _road_model(path: str, mtime_ns: int) -> ByRoad:
    return ByRoad(RoadNetwork.load(Path(path)))


def road_model(code: str) -> ByRoad | None:
    """The council's stored road network (built on Data and sources or with ``roads build``)."""
    stored = latest_stored(auth.home_from_environment(), code)
    return None if stored is None else _road_model(str(stored), stored.stat().st_mtime_ns)


def distance_control(code: str, container, key: str) -> ByRoad | None:
    """The "Distance: straight line / by road" choice; the road network when by road is chosen.

    Without a stored network for the council the straight line is the only choice, and the
    page says so.
    """
    roads = road_model(code)
    if roads is None:
        container.caption(
            "Distance: straight line. An editor can load the council's road map (OpenStreetMap) on "
            "Data and sources to measure minutes by road."
        )
        return None
    choice = container.radio(
        "Distance",
        ["Straight line", "By road"],
        horizontal=True,
        key=key,
        help="By road: minutes of driving on the council's OpenStreetMap roads "
        f"({roads.network.info.get('source', 'extract')}), one-way streets and speed limits included.",
    )
    return roads if choice == "By road" else None


def minutes_slider(container, key: str) -> float:
    """The catchment by road, 5 to 60 minutes."""
    return float(
        container.slider(
            "Catchment (minutes by road)",
            5,
            int(MAX_MINUTES),
            15,
            5,
            key=key,
            help="How long people can reasonably travel to a provider, by road.",
        )
    )


def road_network_box(code: str) -> None:
    """For editors: build the council's road network from an OpenStreetMap extract on this computer."""
    if not may("import"):
        return
    from gapmap.roads import network_for

    st.subheader("Road network (travel time by road)")
    stored = road_model(code)
    if stored is not None:
        net = stored.network
        st.caption(
            f"Loaded: {plain(net.info.get('source', ''))}, {net.n_nodes:,} junctions, {net.n_edges:,} road links. "
            "Pages offer Distance: by road."
        )
        left = list(net.info.get("left_off", []))
        if left:
            st.warning(f"These areas are off the road network: {plain(', '.join(left))}")
    path = st.text_input(
        "Path to the council's OpenStreetMap extract (.osm.pbf) on the server",
        key="roads_pbf",
        help="Download a county or England extract from any OpenStreetMap mirror; gapmap never downloads it. "
        "It is read once and stored compactly.",
    )
    if st.button("Build road network", key="roads_build", disabled=not path.strip()):
        data = council_data(code)
        bar = st.progress(0.0, text="Reading the extract…")
        try:
            network_for(
                Path(path.strip()),
                code,
                data.outline(),
                home=auth.home_from_environment(),
                areas=data.boundaries["wards"],
                progress=lambda step, done, total: bar.progress(done / total, text=step.capitalize()),
            )
        except GapmapError as exc:
            st.error(plain(str(exc)))
        else:
            st.success("Road network built. Choose Distance: by road on any page.")
