"""Cached loaders and widgets shared by the pages (the only place that caches)."""

from __future__ import annotations

import gc
import hashlib
import inspect
import re
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from gapmap import auth, io, privacy, registry
from gapmap.analysis import MAX_RADIUS_KM, Analysis, AnalysisRequest, analyse, build_costs, zones_for
from gapmap.config import PACKAGE_ROOT, WGS84, DataPaths
from gapmap.costs import within
from gapmap.errors import GapmapError
from gapmap.gaps import supply_at
from gapmap.geometry_cache import DisplayGeometry, display_geometry, publish
from gapmap.maps import ATTRIBUTION
from gapmap.population import CouncilData, load_council, population_by_area
from gapmap.privacy import DEFAULT_PRIVACY, PRIVACY_MODES, SAFE_MODES
from gapmap.projection import reproject
from gapmap.projections import Projections
from gapmap.records import load_providers
from gapmap.roads import ByRoad, RoadNetwork, latest_stored
from gapmap.timeline import Timeline, build_timeline

DEFAULT_COUNCIL = "E06000066"  # Somerset: the worked example in the README


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


@st.cache_resource(show_spinner="Loading the council's postcodes and boundaries…", max_entries=6)
def council_data(code: str) -> CouncilData:
    """One council's demand points and boundaries (shared, never mutated)."""
    return load_council(code)


@st.cache_resource(show_spinner="Reading your boundary file…", max_entries=4)
def user_areas(name: str, key: str, payload: bytes) -> gpd.GeoDataFrame:
    """Polygons from an uploaded file, keyed on its content hash (``key``)."""
    del key  # part of the cache key only
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


# --- Provider records -------------------------------------------------------------------

SAMPLE_COUNCIL = "E06000066"
SAMPLE_PATH = PACKAGE_ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"
ILLUSTRATIVE = "Illustrative sample — not real providers"


@dataclass(frozen=True)
class ProviderSource:
    """Where the providers on a page come from."""

    key: str
    label: str
    illustrative: bool
    providers: gpd.GeoDataFrame


@st.cache_resource(show_spinner="Reading the illustrative sample…")
def sample_providers(code: str) -> gpd.GeoDataFrame:
    """The generated Somerset sample (see scripts/make_sample.py)."""
    return load_providers(SAMPLE_PATH, outline=council_data(code).outline()).accepted


def provider_source(code: str) -> ProviderSource | None:
    """The council's providers: its own records if imported, else the sample (Somerset only)."""
    own = registry_providers(code)
    if own is not None and len(own):
        if own.illustrative.any():  # someone saved the sample itself: it stays labelled
            return ProviderSource(f"registry:{code}:{registry_version()}", ILLUSTRATIVE, True, own)
        return ProviderSource(f"registry:{code}:{registry_version()}", "Your council's records", False, own)
    if code == SAMPLE_COUNCIL:
        return ProviderSource("sample", ILLUSTRATIVE, True, sample_providers(code))
    return None


def registry_location() -> registry.RegistryBackend:
    """The registry: $GAPMAP_REGISTRY (a file or a postgresql:// URL), else $GAPMAP_HOME/registry.gpkg."""
    return registry.open_registry()


def registry_version() -> str:
    """Changes whenever the registry is written (part of cache keys, and the editor's conflict check)."""
    return registry_location().token()


@st.cache_resource(show_spinner="Reading the registry…", max_entries=4)
def registry_contents(location: str, version: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """All registry records and the import log, re-read whenever the registry changes."""
    del location, version  # cache keys only
    return registry.load(registry_location())


_AUTOLINK = re.compile(r"(?i)\b(?:https?|ftp|mailto|www)|@")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def plain(text: object) -> str:
    """User text made safe for Streamlit markdown: every markup character escaped, one line.

    File names, cell values and names typed by users reach messages; unescaped, ``![x](url)``
    would fetch an image, ``[x](url)`` would render a link and ``:red[x]`` would style text.
    """
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    # Escapes do not stop GitHub-style autolinks (http://…, www.…, a@b.org): a zero-width space does.
    return _AUTOLINK.sub(lambda m: m.group(0) + "\u200b", text)


def registry_providers(code: str) -> gpd.GeoDataFrame | None:
    """Providers saved in the registry for this council (None until records are imported)."""
    records, _ = registry_contents(registry_location().location, registry_version())
    mine = registry.council_records(records, code)
    return mine if len(mine) else None


@st.cache_resource(show_spinner="Measuring distances to providers…", max_entries=8)
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


@st.cache_resource(show_spinner=False, max_entries=16)
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


@st.cache_resource(show_spinner="Adding up by area…", max_entries=24)
def zones(code: str, level: str, hex_size_m: float, areas_digest: str | None, _areas: gpd.GeoDataFrame | None = None):
    """The areas of one level and their population (independent of the providers)."""
    return zones_for(council_data(code), level, hex_size_m=hex_size_m, areas=_areas)


@st.cache_resource(show_spinner="Computing access for every postcode…", max_entries=16)
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


@st.cache_resource(show_spinner=False, max_entries=24)
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
    return Outlines(url=f"/app/static/cache/{geo.name}", codes=geo.codes)


@st.cache_resource(show_spinner=False, max_entries=16)
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
        "(fewer than 3 not shown) or points moved a random distance are safe to show and hand out.",
    )


@st.cache_resource(show_spinner=False)
def _install_secret(home: str) -> bytes:
    return privacy.load_or_create_secret(Path(home))


def install_secret() -> bytes:
    """This install's displacement key ($GAPMAP_HOME/secret.key, created on first use)."""
    return _install_secret(str(auth.home_from_environment()))


# --- Sign-in and roles --------------------------------------------------------------------

LOOPBACK = ("127.0.0.1", "localhost", "::1")
SESSION_USER = "_gapmap_user"
"""Session-state key holding the name of a user signed in with a local password."""


@dataclass(frozen=True)
class Session:
    """Who is using the app and with which role.

    ``method`` is ``"oidc"`` (st.login), ``"password"`` (local users file) or ``"local"``
    (no sign-in configured; the app then serves 127.0.0.1 only).
    """

    user: str
    role: str
    method: str


NOBODY = Session("", "", "none")
"""Not signed in: no role, so no permission."""


def _gapmap_secrets() -> dict:
    try:
        return dict(st.secrets.get("gapmap", {}))
    except (FileNotFoundError, KeyError, AttributeError, st.errors.StreamlitSecretNotFoundError):
        return {}


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return False


def local_users() -> dict[str, auth.User]:
    """Accounts in $GAPMAP_HOME/users.toml (re-read every run, so removals take effect)."""
    return auth.read_users(auth.users_path(auth.home_from_environment()))


def signin_method() -> str | None:
    """"oidc" when secrets.toml has an [auth] section, "password" when the users file has users, else None."""
    if _oidc_configured():
        return "oidc"
    if local_users():
        return "password"
    return None


def address_refused() -> bool:
    """True when no sign-in is configured and the server listens beyond this computer."""
    return signin_method() is None and st.get_option("server.address") not in LOOPBACK


def refusal_page() -> None:
    """The only page served when :func:`address_refused`: why, and what to do."""
    address = st.get_option("server.address")
    st.title("gapmap")
    st.error(
        f"gapmap will not start on address {address or 'every network interface'!r} without sign-in. "
        "Anyone who can reach the server could see and change personal data. Either run it on this "
        "computer only (`--server.address 127.0.0.1`, the default in .streamlit/config.toml), or set up "
        "sign-in: add users with `python -m gapmap users add NAME --role viewer`, or configure "
        "`st.login` (OpenID Connect) in .streamlit/secrets.toml. See the README, *Sign-in, roles and privacy*.",
        icon=":material/lock:",
    )


def _oidc_session() -> Session | None:
    if not st.user.get("is_logged_in", False):
        return None
    email = str(st.user.get("email") or "").lower()
    settings = _gapmap_secrets()
    roles = {str(k).lower(): str(v) for k, v in dict(settings.get("roles", {})).items()}
    role = roles.get(email) or settings.get("default_role")
    if role not in auth.ROLES:
        st.error(f"{email or 'This account'} has no role in gapmap. Ask an administrator to add you.")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    return Session(email, role, "oidc")


MAX_FAILURES = 5
LOCKOUT_S = 900


@st.cache_resource(show_spinner=False)
def _failed_sign_ins() -> dict[str, list[float]]:
    """Times of recent wrong passwords per user name, shared by all sessions of this server."""
    return {}


def sign_in_page() -> None:
    """The local-password sign-in form (the only page until someone signs in)."""
    users = local_users()
    st.title("gapmap")
    with st.form("sign_in"):
        st.write("Sign in to continue.")
        who = st.text_input("User name", key="_signin_name")
        password = st.text_input("Password", type="password", key="_signin_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        name = who.strip()
        failures = _failed_sign_ins()
        recent = [t for t in failures.get(name, []) if time.monotonic() - t < LOCKOUT_S]
        if len(recent) >= MAX_FAILURES:
            st.error(f"Too many wrong passwords for this name. Try again in {LOCKOUT_S // 60} minutes.")
            st.stop()
        try:
            user = auth.verify(users, name, password)
        except auth.SignInError as exc:
            failures[name] = [*recent, time.monotonic()]
            st.error(str(exc).capitalize() + ".")
        else:
            failures.pop(name, None)
            st.session_state[SESSION_USER] = user.name
            st.rerun()


def oidc_sign_in_page() -> None:
    """The single sign-on button (st.login)."""
    provider = _gapmap_secrets().get("oidc_provider")
    st.title("gapmap")
    st.write("Sign in with your organisation account to continue.")
    st.button("Sign in", type="primary", on_click=st.login, args=(provider,) if provider else ())


def current_session() -> Session:
    """Who is signed in for this run; :data:`NOBODY` (no permission at all) when nobody is.

    Local mode (no sign-in configured, the app on 127.0.0.1 only) is an editor: the person at
    the computer owns the data. The map still starts in the aggregated view.
    """
    method = signin_method()
    if method == "oidc":
        return _oidc_session() or NOBODY
    if method == "password":
        name = st.session_state.get(SESSION_USER)
        users = local_users()
        if name in users:
            return Session(name, users[name].role, "password")
        st.session_state.pop(SESSION_USER, None)  # removed since: signed out
        return NOBODY
    if address_refused():
        return NOBODY
    return Session(f"{registry.current_user()} (this computer)", "editor", "local")


def sign_in() -> Session:
    """The signed-in session; until there is one, the only page is the sign-in (or refusal) page.

    Those pages go through ``st.navigation`` too, so the page files are never listed or run
    before someone has signed in.
    """
    if address_refused():
        page = refusal_page
    else:
        who = current_session()
        if who is not NOBODY:
            return who
        page = oidc_sign_in_page if signin_method() == "oidc" else sign_in_page
    st.navigation([st.Page(page, title="Sign in", url_path="sign-in")], position="hidden").run()
    st.stop()


def role() -> str:
    """The signed-in role ("" when nobody is signed in: no permission at all)."""
    return current_session().role


def may(action: str) -> bool:
    """Whether the signed-in role may do ``action`` (see :data:`gapmap.auth.ACTIONS`)."""
    return auth.can(role(), action)


def require(action: str) -> Session:
    """Stop the page with a message unless the signed-in role may do ``action``."""
    who = current_session()
    if not auth.can(who.role, action):
        st.error("Your role does not give access to this page. Ask an administrator if you need it.")
        st.stop()
    return who


def signed_in_box(who: Session) -> None:
    """Sidebar line with the user and role, and a sign-out button."""
    if who.method == "local":
        st.caption("Local mode: this computer only, no sign-in.")
        return
    st.caption(f"Signed in as **{who.user}** ({who.role})")
    if st.button("Sign out", key="_sign_out"):
        if who.method == "oidc":
            st.logout()
        st.session_state.pop(SESSION_USER, None)
        st.rerun()


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
        return user_areas(upload.name, key, payload), key
    except GapmapError as exc:
        st.error(f"Could not use **{upload.name}**: {exc}")
        st.stop()


# --- Change over time -------------------------------------------------------------------


@st.cache_resource(show_spinner="Reading the population projections…", max_entries=4)
def projections(name: str | None, key: str, payload: bytes | None) -> Projections:
    """The shipped projections (``payload`` None) or an uploaded ONS SNPP table, keyed on its hash."""
    del key  # cache key only
    if payload is None:
        return io.read_projections()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name or "snpp.csv").name
        path.write_bytes(payload)
        return io.read_projections(path)


@st.cache_resource(show_spinner="Replaying the providers over time…", max_entries=8)
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
) -> Timeline:
    """Every frame of the replay in one incremental pass (a slider step is then a lookup)."""
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
