"""Privacy for sole traders: their business address is often their home.

Micro-provider locations are personal data. Anything shown to a viewer or handed out shows
them in one of two safe ways (see the README's threat model):

- **counts** (the default): not drawn; counted per area, with 0, 1 and 2 all shown as
  "fewer than 3" (:func:`suppress_counts`);
- **displaced**: each drawn at a point moved a *random* distance (250 m to 2 km) in a
  *random* direction, both drawn from an HMAC of a secret generated for this install and the
  record's location (:func:`displace`), with no id, name or capacity (:func:`public_layer`).

"exact" (true places and names) is for editors only; :func:`public_layer` refuses it.
Day centres are public venues and stay where they are.

The secret is a parameter here; :func:`load_or_create_secret` is the one function that reads
or creates it on disk (``$GAPMAP_HOME/secret.key``, mode 0600).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gapmap import io, shared
from gapmap._validate import require_bng
from gapmap.errors import GapmapError
from gapmap.providers import KINDS, active_at
from gapmap.schema import DEFAULT_CAPACITY

PRIVACY_MODES = {
    "counts": "Micro-providers as counts per area (fewer than 3 not shown)",
    "displaced": "Micro-providers moved a random 250 m–2 km, no names",
    "exact": "Exact locations and names (editors only, internal use)",
}
SAFE_MODES = ("counts", "displaced")
"""Modes whose output may reach a viewer or a hand-out."""
DEFAULT_PRIVACY = "counts"
PERSONAL_KINDS = ("micro_enterprise",)
"""Kinds whose locations are treated as personal data (sole traders' homes)."""
MIN_DISPLACEMENT_M = 250.0
MAX_DISPLACEMENT_M = 2000.0
SMALL_COUNT = 3
"""Counts below this are not shown."""
FEWER_THAN = f"fewer than {SMALL_COUNT}"
NOT_SHOWN = "not shown"
HIDDEN_OR_NO_DATA = "hidden for privacy (few providers), or no data"
"""Legend text for areas whose figures :func:`suppress_small_areas` blanked."""
PUBLIC_COLUMNS = ("kind", "status", "closed_on")
"""The only attributes of the public provider layer (besides the point)."""
SECRET_BYTES = 32
DISPLACED = "displaced"
"""Column of :class:`PublicProviders` marking rows already moved (never moved twice)."""
STANDARD_CAPACITY = {"micro_enterprise": DEFAULT_CAPACITY}
"""Capacity a viewer's figures assume for each personal kind: one sole trader's own number of
clients is personal, so every micro-provider counts as the typical one (10 people supported)."""
PUBLIC_PROVIDER_COLUMNS = ("id", "kind", "capacity", "start_date", "end_date", DISPLACED)
"""Columns of :attr:`PublicProviders.frame` besides the point (``id`` of venues only)."""
CLOSED_SHOWN_KINDS = ("day_centre",)
"""The one rule for closed providers on any map: day centres (public venues) closed by the date,
drawn as rings with their closure date, in every mode. Closed micro-providers are never drawn."""
INTERNAL_NOTE = "Internal: computed from exact locations of sole traders' homes. Do not share."
"""Marks every figure an editor sees in "exact" mode."""


class PrivacyError(GapmapError, ValueError):
    """An unknown privacy mode, or a request that would reveal personal data."""


class SecretError(GapmapError, OSError):
    """The install's secret key cannot be read or created."""


def check_mode(mode: str) -> str:
    """Return ``mode`` if it is one of :data:`PRIVACY_MODES`, else raise :class:`PrivacyError`."""
    if mode not in PRIVACY_MODES:
        raise PrivacyError(f"unknown privacy mode {mode!r}; choose one of {', '.join(PRIVACY_MODES)}")
    return mode


# --- The per-install secret -------------------------------------------------------------


def load_or_create_secret(home: Path) -> bytes:
    """The install's displacement secret: ``home/secret.key``, created on first use.

    With ``GAPMAP_REGISTRY=postgresql://…`` the key lives in the registry's database instead
    (:func:`gapmap.shared.shared_secret`), so every server of that registry uses the same one.

    The key is :data:`SECRET_BYTES` random bytes from :func:`secrets.token_bytes`, written
    with mode 0600 in a folder made 0700. Whoever holds it can undo the displacement, so it
    must never leave the server (back it up with the registry, not with hand-outs).

    Parameters
    ----------
    home
        The gapmap data folder (``$GAPMAP_HOME``).

    Returns
    -------
    bytes

    Raises
    ------
    SecretError
        If the file cannot be created or holds something other than a key.
    """
    path = Path(home) / "secret.key"
    url = shared.registry_url()
    if url:  # a PostgreSQL registry: one key for every server of it, kept in the database
        seed = path.read_bytes() if path.is_file() else None
        return shared.shared_secret(url, make=secrets.token_bytes(SECRET_BYTES), seed=seed)
    try:
        if not path.exists():
            # Written whole or not at all, and never over a key: two first runs at once keep one key.
            io.write_new(path, secrets.token_bytes(SECRET_BYTES))
        key = path.read_bytes()
    except (OSError, GapmapError) as exc:
        raise SecretError(f"cannot read or create the privacy key {path}: {exc.strerror or exc}") from exc
    if len(key) < 16:
        raise SecretError(f"the privacy key {path} is damaged (too short); restore it from a backup")
    return key


# --- Displacement ---------------------------------------------------------------------


def _uniforms(key: bytes, x: float, y: float) -> tuple[float, float]:
    """Two independent uniforms in [0, 1) from an HMAC of the record's location."""
    message = f"{round(x)}:{round(y)}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64, int.from_bytes(digest[8:16], "big") / 2**64


def offsets(
    x: np.ndarray,
    y: np.ndarray,
    secret: bytes,
    *,
    min_m: float = MIN_DISPLACEMENT_M,
    max_m: float = MAX_DISPLACEMENT_M,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Displacement vectors (metres) for points at ``x``, ``y``: a keyed random donut.

    The distance is drawn uniformly *in area* over the ring between ``min_m`` and
    ``max_m`` (:math:`r = \sqrt{r_0^2 + u (r_1^2 - r_0^2)}`) and the direction uniformly,
    so that, seen from a displaced point, every place in the ring is equally likely to be the
    home: an attacker's best guess is no better than picking one of the homes in about
    :math:`\pi (r_1^2 - r_0^2)` ≈ 12.4 km² at random. The inner radius keeps the point off the
    home's own street; a fixed distance (the old 500 m) would leave a thin ring that often
    holds a single postcode. The outer radius is set by the attack test
    (``tests/test_privacy.py``): on the Somerset sample, 2 km keeps the attacker's exact-postcode
    hits near 2% (1 km gave about 6%).

    The two uniforms come from an HMAC-SHA256 of the secret and the point rounded to the
    metre, so the same home is always moved the same way: repeated views, re-imports with new
    ids and other councils' files cannot be averaged back to it. Without the secret the
    offsets are unpredictable; no public data (ids, row numbers, names) enters them.

    Parameters
    ----------
    x, y
        British National Grid coordinates.
    secret
        The install's key (:func:`load_or_create_secret`).
    min_m, max_m
        Inner and outer radius of the ring.

    Returns
    -------
    tuple of numpy.ndarray
        ``dx``, ``dy``.

    Examples
    --------
    >>> dx, dy = offsets(np.array([300000.0]), np.array([100000.0]), b"k" * 32)
    >>> bool(250 <= float(np.hypot(dx, dy)[0]) <= 2000)
    True
    """
    if not 0 <= min_m < max_m:
        raise PrivacyError(f"need 0 <= min_m < max_m, got {min_m} and {max_m}")
    if len(secret) < 16:
        raise PrivacyError("the displacement secret must be at least 16 bytes")
    u = np.array([_uniforms(secret, a, b) for a, b in zip(x, y, strict=True)]).reshape(-1, 2)
    r = np.sqrt(min_m**2 + u[:, 0] * (max_m**2 - min_m**2))
    theta = 2 * np.pi * u[:, 1]
    return r * np.cos(theta), r * np.sin(theta)


def _check_bng(providers: gpd.GeoDataFrame) -> None:
    require_bng(providers, "providers", PrivacyError)


def displace(providers: gpd.GeoDataFrame, secret: bytes) -> gpd.GeoDataFrame:
    """Move each micro-provider by its keyed random offset (see :func:`offsets`).

    Other kinds (day centres: public venues) stay where they are, and so do rows already moved
    (``displaced`` true, as in :class:`PublicProviders`). Every other column is kept,
    so this is **not** safe to publish on its own: use :func:`public_layer` for that.

    Parameters
    ----------
    providers
        Providers in EPSG:27700 with ``kind``.
    secret
        The install's key.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with moved points (and ``easting``/``northing`` updated when present).
    """
    _check_bng(providers)
    out = providers.copy()
    x, y = out.geometry.x.to_numpy(), out.geometry.y.to_numpy()
    personal = out.kind.isin(PERSONAL_KINDS).to_numpy()
    if DISPLACED in out:  # rows of PublicProviders are moved already: never twice
        personal = personal & ~out[DISPLACED].fillna(False).astype(bool).to_numpy()
    dx, dy = offsets(x[personal], y[personal], secret)
    x, y = x.copy(), y.copy()
    x[personal] += dx
    y[personal] += dy
    out["geometry"] = gpd.points_from_xy(x, y, crs=out.crs)
    if "easting" in out:
        out["easting"], out["northing"] = x, y
    return out


def public_layer(
    providers: gpd.GeoDataFrame,
    *,
    mode: str,
    secret: bytes,
    as_at: date | pd.Timestamp,
    kinds: tuple[str, ...] = KINDS,
) -> gpd.GeoDataFrame:
    """The provider points a viewer's map and every hand-out may hold.

    Open providers of ``kinds`` on ``as_at`` (status ``open``) and day centres closed by then
    (status ``closed``, with ``closed_on``). Micro-providers are moved (``displaced``) or left
    out (``counts``); nothing else about them is kept: no id, name, capacity, dates or row
    order (rows are sorted by kind and place, so the file order says nothing of the upload).

    Parameters
    ----------
    providers
        All of a council's providers (EPSG:27700) with ``kind``, ``start_date``, ``end_date``.
    mode
        ``"counts"`` or ``"displaced"``; ``"exact"`` raises.
    secret
        The install's key (not used by ``"counts"``, which moves nothing).
    as_at
        The date the map shows.
    kinds
        Kinds of open provider to include.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`PUBLIC_COLUMNS` and ``geometry`` (EPSG:27700).

    Raises
    ------
    PrivacyError
        For ``"exact"`` or an unknown mode.
    """
    if check_mode(mode) not in SAFE_MODES:
        raise PrivacyError("exact locations are never part of the public layer; choose counts or displaced")
    _check_bng(providers)
    when = pd.Timestamp(as_at)
    is_open = active_at(providers, when) & providers.kind.isin(kinds)
    is_closed = providers.kind.isin(CLOSED_SHOWN_KINDS) & providers.end_date.notna() & (providers.end_date <= when)
    if mode == "counts":
        is_open &= ~providers.kind.isin(PERSONAL_KINDS)
    chosen = providers[is_open | is_closed]
    kept = chosen[["kind", "end_date", *([DISPLACED] if DISPLACED in chosen else []), chosen.geometry.name]]
    # Counts mode holds no micro-provider, so nothing is moved and no install key is needed.
    moved = kept if mode == "counts" else displace(kept, secret)
    status = np.where(is_open[chosen.index], "open", "closed")
    closed_on = [d.date().isoformat() if s == "closed" else None for d, s in zip(moved.end_date, status, strict=True)]
    out = gpd.GeoDataFrame(
        {"kind": moved.kind.to_numpy(), "status": status, "closed_on": closed_on},
        geometry=moved.geometry.to_numpy(),
        crs=providers.crs,
    )
    out = out.assign(_x=out.geometry.x, _y=out.geometry.y).sort_values(["kind", "status", "_x", "_y"])
    return out.drop(columns=["_x", "_y"]).reset_index(drop=True)


# --- Counts ---------------------------------------------------------------------------


def suppress_counts(counts: pd.Series) -> pd.Series:
    """Counts as text for a viewer: 0, 1 and 2 all read "fewer than 3", and no sum gives them away.

    Zero is suppressed too, so a reader cannot tell an empty area from one with a single
    sole trader. The council total is always published (and a table's rows, the "Outside the
    supplied areas" row included, add up to it), so the hidden cells' sum is known: total minus
    the shown counts. Hiding only the small cells would then pin them down (one small cell: its
    value; two tiny areas and the outside row: their sum). So larger cells are also withheld
    ("not shown") until the hidden sum cannot place any small cell: a reader knows each small
    cell is 0–2 and each withheld larger cell at least 3, and every small cell can still be any
    of 0, 1 or 2 when the withheld larger cells' surplus over 3 plus the small cells' sum is at
    least 2. The smallest cells that achieve this are withheld (all, if none does).

    Parameters
    ----------
    counts
        Whole-number counts per area (any index).

    Returns
    -------
    pandas.Series
        Text, same index.

    Examples
    --------
    >>> suppress_counts(pd.Series([0, 1, 2, 3, 12])).tolist()
    ['fewer than 3', 'fewer than 3', 'fewer than 3', 'not shown', '12']
    >>> suppress_counts(pd.Series([1, 4, 9])).tolist()
    ['fewer than 3', 'not shown', '9']
    >>> suppress_counts(pd.Series([0, 3, 3, 7])).tolist()
    ['fewer than 3', '3', '3', 'not shown']
    """
    values = counts.fillna(0).round().astype(int)
    small = values < SMALL_COUNT
    out = values.map(lambda v: f"{v:,}").where(~small, FEWER_THAN)
    for label in secondary_cells(values):
        out[label] = NOT_SHOWN
    return out.astype(object)


def secondary_cells(values: pd.Series) -> list:
    """Labels of the larger cells :func:`suppress_counts` withholds beside the small ones."""
    small = values < SMALL_COUNT
    if not small.any() or small.all():
        return []
    need = 2 - int(values[small].sum())  # surplus over 3 the withheld larger cells must bring
    larger = values[~small].sort_values(kind="stable")
    if need <= 0:
        return [larger.index[0]]  # one larger cell: the small ones can no longer be told apart
    one = larger[larger - SMALL_COUNT >= need]
    if len(one):
        return [one.index[0]]
    chosen, surplus = [], 0
    for label, v in larger.items():  # several together (or all, if the table holds no more)
        chosen.append(label)
        surplus += int(v) - SMALL_COUNT
        if surplus >= need:
            break
    return chosen


def for_display(providers: gpd.GeoDataFrame, mode: str, *, secret: bytes) -> gpd.GeoDataFrame:
    """All providers (any dates) as an editor's preview map may draw them under ``mode``.

    ``exact`` returns the input; ``displaced`` moves micro-providers (:func:`displace`);
    ``counts`` leaves them out. Other columns are kept: for editors' screens only. Viewers and
    hand-outs get :func:`public_layer`.
    """
    if check_mode(mode) == "exact":
        return providers
    if mode == "displaced":
        return displace(providers, secret)
    return providers[~providers.kind.isin(PERSONAL_KINDS)]


def suppress_small_areas(table: pd.DataFrame, *, count: str, derived: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy of a per-area table safe for viewers: small counts hidden, with what they imply.

    ``count`` becomes text as in :func:`suppress_counts`; in every row where it is not shown,
    the ``derived`` columns (figures that follow from those few providers: places, hours, jobs,
    money) are blanked too, since one sole trader's hours are as personal as their address.

    Parameters
    ----------
    table
        One row per area.
    count
        The column counting micro-providers.
    derived
        Columns computed from the same providers.

    Returns
    -------
    pandas.DataFrame
        Same index and columns; ``count`` as text, hidden ``derived`` cells missing.

    Examples
    --------
    >>> t = pd.DataFrame({"providers": [1, 4, 6], "hours": [20.0, 90.0, 130.0]})
    >>> out = suppress_small_areas(t, count="providers", derived=("hours",))
    >>> out.providers.tolist(), out.hours.tolist()
    (['fewer than 3', 'not shown', '6'], [nan, nan, 130.0])
    """
    out = table.copy()
    shown = suppress_counts(table[count])
    hidden = shown.isin([FEWER_THAN, NOT_SHOWN])
    out[count] = shown
    for col in derived:
        out[col] = out[col].astype(float).where(~hidden)
    return out


# --- The one rule: what a viewer's figures and maps are made from -------------------------

_MADE_HERE = object()


@dataclass(frozen=True, eq=False)
class PublicProviders:
    """Providers as public information: the only input of anything a viewer receives.

    Made only by :func:`public_providers`. Micro-providers are at their displaced points (the
    same keyed displacement as :func:`public_layer`, so a map of these is the public layer),
    with the standard capacity of their kind (:data:`STANDARD_CAPACITY`) and no id, name,
    postcode or any other field. Day centres and other venues are public and keep their place,
    capacity and id. Columns: :data:`PUBLIC_PROVIDER_COLUMNS` and the point (EPSG:27700);
    rows in kind and place order, so the order says nothing of the upload.

    Every analysis (:func:`gapmap.analysis.analyse`, the timeline, closures, the planner, the
    economy) runs unchanged on :attr:`frame`; inverting any of its figures gives back, at best,
    the displaced points.
    """

    frame: gpd.GeoDataFrame
    _made_by: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self._made_by is not _MADE_HERE:
            raise PrivacyError("PublicProviders are made by gapmap.privacy.public_providers only")

    def __len__(self) -> int:
        return len(self.frame)


def public_providers(providers: gpd.GeoDataFrame | PublicProviders, *, secret: bytes) -> PublicProviders:
    """The public form of a provider list (see :class:`PublicProviders`); idempotent.

    Idempotent on its own frame too: ``public_providers(public_providers(r).frame)`` holds the
    same rows as ``public_providers(r)`` (rows marked ``displaced`` are not moved again).

    Parameters
    ----------
    providers
        Records in EPSG:27700 with ``kind``, ``capacity``, ``start_date``, ``end_date``, or a
        :class:`PublicProviders` (returned as it is).
    secret
        The install's key (:func:`load_or_create_secret`).

    Returns
    -------
    PublicProviders
    """
    if isinstance(providers, PublicProviders):
        return providers
    _check_bng(providers)
    personal = providers.kind.isin(PERSONAL_KINDS).to_numpy()
    capacity = pd.to_numeric(providers.get("capacity", pd.Series(np.nan, index=providers.index)), errors="coerce")
    standard = providers.kind.map(STANDARD_CAPACITY)
    capacity = capacity.where(~personal, standard).fillna(DEFAULT_CAPACITY).astype(float)
    ids = providers["id"].astype(str) if "id" in providers else pd.Series(providers.index.astype(str), providers.index)
    frame = gpd.GeoDataFrame(
        {
            "id": ids.where(~personal, None).to_numpy(dtype=object),
            "kind": providers.kind.to_numpy(),
            "capacity": capacity.to_numpy(),
            "start_date": pd.to_datetime(providers.start_date).to_numpy(),
            "end_date": pd.to_datetime(providers.end_date).to_numpy(),
            # Rows already moved (a PublicProviders frame given back) are never moved twice.
            DISPLACED: (
                providers[DISPLACED].fillna(False).astype(bool).to_numpy()
                if DISPLACED in providers
                else np.zeros(len(providers), dtype=bool)
            ),
        },
        geometry=providers.geometry.to_numpy(),
        crs=providers.crs,
    )
    frame = displace(frame, secret)
    frame[DISPLACED] = personal
    order = np.lexsort((frame.geometry.y.to_numpy(), frame.geometry.x.to_numpy(), frame.kind.to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    return PublicProviders(frame, _MADE_HERE)


def providers_for(
    providers: gpd.GeoDataFrame | PublicProviders, *, mode: str, secret: bytes
) -> gpd.GeoDataFrame | PublicProviders:
    """The one decision: what every figure, table, map and hand-out of a session is made from.

    ``"exact"`` (editors only; callers enforce the role) gives the records themselves; the safe
    modes (``"counts"``, ``"displaced"``) give :func:`public_providers`, whatever else differs
    between them is only what is *drawn* (:func:`visible_providers`).

    Raises
    ------
    PrivacyError
        For an unknown mode, or exact records asked for from a public list.
    """
    if check_mode(mode) == "exact":
        if isinstance(providers, PublicProviders):
            raise PrivacyError("exact mode needs the records themselves, not their public form")
        return providers
    return public_providers(providers, secret=secret)


def frame_of(providers: gpd.GeoDataFrame | PublicProviders) -> gpd.GeoDataFrame:
    """The GeoDataFrame the analysis reads (:attr:`PublicProviders.frame`, or the records)."""
    return providers.frame if isinstance(providers, PublicProviders) else providers


def is_public(providers: gpd.GeoDataFrame | PublicProviders) -> bool:
    """True for a :class:`PublicProviders` or its frame (or anything cut from it)."""
    if isinstance(providers, PublicProviders):
        return True
    if DISPLACED not in providers.columns:
        return False
    unmoved = providers.kind.isin(PERSONAL_KINDS) & ~providers[DISPLACED].fillna(False).astype(bool)
    return not unmoved.any()


def shown_kinds(kinds, mode: str) -> list[str]:
    """The kinds a map's legend lists under ``mode`` (micro-providers not drawn in ``counts``).

    Examples
    --------
    >>> shown_kinds(("micro_enterprise", "day_centre"), "counts")
    ['day_centre']
    """
    check_mode(mode)
    return [k for k in kinds if mode != "counts" or k not in PERSONAL_KINDS]


def visible_providers(
    providers: gpd.GeoDataFrame | PublicProviders,
    *,
    mode: str,
    secret: bytes,
    as_at: date | pd.Timestamp,
    kinds: tuple[str, ...] = KINDS,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The one rule for what a map draws: the open providers and the closed ones (rings).

    Open: providers of ``kinds`` active on ``as_at``. Closed: day centres closed by then
    (:data:`CLOSED_SHOWN_KINDS`), in every mode. Under ``counts`` or ``displaced`` this is the
    public layer (:func:`public_layer`: micro-providers moved or left out, no names); under
    ``"exact"`` (editors) the records themselves, names included.

    Returns
    -------
    tuple of geopandas.GeoDataFrame
        ``open``, ``closed``.
    """
    frame = frame_of(providers)
    if check_mode(mode) == "exact":
        if is_public(frame):
            raise PrivacyError("exact mode needs the records themselves, not their public form")
        when = pd.Timestamp(as_at)
        opened = frame[active_at(frame, when) & frame.kind.isin(kinds)]
        closed = frame[frame.kind.isin(CLOSED_SHOWN_KINDS) & frame.end_date.notna() & (frame.end_date <= when)]
        return opened, closed
    layer = public_layer(frame, mode=mode, secret=secret, as_at=as_at, kinds=tuple(kinds))
    return layer[layer.status == "open"], layer[layer.status == "closed"]


# --- A viewer's own areas ----------------------------------------------------------------

MIN_AREA_POSTCODES = 20
"""Each of a viewer's own areas must hold at least this many postcodes (about 300 homes); smaller
ones are counted under "Outside the supplied areas" (:func:`large_enough_areas`)."""


def large_enough_areas(
    points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, min_postcodes: int = MIN_AREA_POSTCODES
) -> tuple[gpd.GeoDataFrame, int]:
    """A viewer's own areas without those too small to show figures for.

    A 4 m square round one postcode would report that postcode's figures alone; an area must
    hold at least ``min_postcodes`` of the council's postcodes, at as many different places.
    Smaller ones are left out, so their postcodes count under "Outside the supplied areas" with everything else outside.

    Parameters
    ----------
    points
        The council's postcode points (EPSG:27700).
    areas
        Polygons with ``area_code`` (:func:`gapmap.io.read_area_file`).
    min_postcodes
        The stated minimum.

    Returns
    -------
    tuple
        The areas kept (same columns) and how many were left out.
    """
    from gapmap.areas import assign_user_areas

    codes = assign_user_areas(points, areas)
    # Postcodes at one point (the same building, or placed on a shared centroid) count once.
    where = pd.DataFrame({"code": codes, "x": points.geometry.x.round(), "y": points.geometry.y.round()})
    held = where.drop_duplicates().code.value_counts()
    keep = areas.area_code.map(held).fillna(0).to_numpy() >= min_postcodes
    return areas[keep], int((~keep).sum())
