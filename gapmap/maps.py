"""Map layers for the app's live map, and folium hand-outs drawn with the same script.

The layer calls (:data:`LayerCall`: :func:`area_values`, :func:`provider_layers`,
:func:`outline_layer`) are what ``static/gapmap/map-layers.js`` draws, in the app's live map
and in the offline hand-outs alike. Folium points at CDN copies of Leaflet, jQuery and
Bootstrap by default; these builders replace them with the Leaflet copy vendored in
``static/vendor``, so a map renders with no internet access. Basemap tiles are optional. For a
hand-out, :func:`choropleth` embeds the encoded outlines (:mod:`gapmap.geometry_cache`) in the
page and :func:`standalone_html` inlines Leaflet and the layer script into one HTML file.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from gapmap._validate import require_crs

# NO_DATA, PALETTE and class_breaks are re-exported for callers that import them from here.
from gapmap.alternatives import MAP_LABEL, AreaTable, area_table_html
from gapmap.classes import NO_DATA, NO_DATA_TEXT, PALETTE, class_breaks, classify, is_percent, snap, unit_of  # noqa: F401
from gapmap.config import PACKAGE_ROOT, WGS84
from gapmap.geometry_cache import DisplayGeometry, display_geometry
from gapmap.legend import (  # noqa: F401 - ATTRIBUTION, MAP_SOURCES, provider_legend re-exported
    ATTRIBUTION,
    CLOSED_COLOUR,
    KIND_COLOURS,
    LIVE_LEGEND_CSS,
    MAP_SOURCES,
    live_legend_html,
    provider_legend,
)
from gapmap.reproject import reproject
from gapmap.schema import KIND_LABELS

LEAFLET_DIR = PACKAGE_ROOT / "static" / "vendor" / "leaflet-1.9.4"
STREAMLIT_ASSET_URL = "/app/static/vendor/leaflet-1.9.4"
SCRIPT_DIR = PACKAGE_ROOT / "static" / "gapmap"
"""gapmap's own browser code (served by Streamlit as ``/app/static/gapmap/``)."""
STREAMLIT_SCRIPT_URL = "/app/static/gapmap"
MAP_SCRIPT = "map-layers.js"
"""Where Streamlit serves the vendored Leaflet (``server.enableStaticServing``)."""


@dataclass(frozen=True)
class Field:
    """A column shown in tooltips and tables.

    Attributes
    ----------
    column
        Column name in the area frame.
    label
        Human label.
    fmt
        ``format`` spec for numbers, e.g. ``",.0f"`` or ``".1%"``.
    missing
        Legend text for areas without a value, when mapped (e.g. hidden for privacy).
    """

    column: str
    label: str
    fmt: str = ",.0f"
    missing: str = NO_DATA_TEXT

    def format(self, value: object) -> str:
        """Format one value for display (``–`` for missing)."""
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "–"
        if isinstance(value, int | float | np.number):
            return format(value, self.fmt)
        return str(value)


def change_breaks(values: pd.Series, n_classes: int = 5, *, fmt: str | None = None) -> list[float] | None:
    """Class breaks for a change or count map where most areas are 0: zero gets a class of its own.

    With ``fmt`` (how the change is shown, e.g. ``"+,.1f"``) a change that rounds to zero is no
    change, and the classes are in that unit (:func:`gapmap.classes.unit_of`).

    Examples
    --------
    >>> change_breaks(pd.Series([0.0, 0.0, 0.0, 2.0, 4.0]), 2)
    [0.0, 3.0, 4.0]
    >>> change_breaks(pd.Series([0.0, 0.04, -0.02, 0.3, 2.0]), 2, fmt="+,.1f")
    [0.0, 1.1, 2.0]
    """
    unit = unit_of(fmt)
    percent = is_percent(fmt)
    v = pd.Series(snap(values, unit, percent=percent), index=values.index)
    changed = v[v.abs() > (unit / 2 if unit else 1e-9)]
    if not len(changed):
        return None
    falls, rises = changed[changed < 0], changed[changed > 0]
    each = max(1, n_classes // 2) if len(falls) and len(rises) else n_classes
    below = class_breaks(falls, each, unit=unit, percent=percent) if len(falls) else []
    if below:
        # Falls and rises are classed apart, and the top of the falls is just below zero (no value
        # lies between them), so "no change" is a class of its own: "0.0", not "-0.9 – 0.0".
        below[-1] = -unit if unit else float(np.nextafter(0.0, -1.0))
    return sorted({*below, 0.0, *(class_breaks(rises, each, unit=unit, percent=percent) if len(rises) else [])})


LEGEND_NAME = "gapmap_legend"
"""Name of the legend element on a choropleth's page."""

_LEGEND_CSS = """
.gapmap-legend { position: static; flex: 0 0 auto; background: #ffffff;
  padding: 6px 10px 8px; font: 13px/1.4 system-ui, sans-serif; color: #222;
  border-top: 1px solid #ccc; }
.gapmap-legend b { margin-right: 10px; }
.gapmap-legend .rows { display: flex; flex-wrap: wrap; gap: 2px 14px; align-items: center; }
.gapmap-legend i { display: inline-block; width: 16px; height: 12px;
  margin-right: 5px; vertical-align: middle; border: 1px solid #999; }
.gapmap-legend .note { color: #555; font-size: 11px; margin-top: 3px; }
"""


class _Legend(MacroElement):
    """A plain-HTML legend placed below the map, never over it (no JS dependencies).

    It is added to the page (the folium ``Figure``), not to the map pane: in a standalone
    hand-out the page is a column (map, then legend).
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          html, body { height: 100%; display: flex; flex-direction: column; }
          .folium-map { flex: 1 1 auto; min-height: 320px; height: auto !important; }
          {{ this.css }}
          .leaflet-tooltip { font: 12px/1.3 system-ui, sans-serif; }
          .leaflet-tooltip table { margin: 0; font-size: 12px; }
          .leaflet-tooltip th { font-weight: 600; padding-right: 8px; text-align: left; }
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="gapmap-legend" role="img" aria-label="{{ this.title }} legend">
          <div class="rows"><b>{{ this.title }}</b>
          {% for colour, text in this.rows %}
          <span><i style="background:{{ colour }}"></i>{{ text }}</span>
          {% endfor %}
          </div>
          {% if this.note %}<div class="note">{{ this.note }}</div>{% endif %}
          <div class="note">{{ this.sources }}</div>
        </div>
        {% endmacro %}
        """
    )

    def __init__(self, title: str, rows: list[tuple[str, str]], note: str = "") -> None:
        super().__init__()
        self._name = "Legend"
        self.title = html.escape(title)
        self.rows = [(c, html.escape(t)) for c, t in rows]
        self.note = html.escape(note)
        self.sources = html.escape(MAP_SOURCES)
        self.css = _LEGEND_CSS


def base_map(
    bounds_wgs84: Sequence[float],
    *,
    basemap: bool = False,
    asset_url: str = STREAMLIT_ASSET_URL,
    script_url: str = STREAMLIT_SCRIPT_URL,
    canvas: bool = True,
) -> folium.Map:
    """An empty map fitted to ``bounds_wgs84`` (minx, miny, maxx, maxy) using local Leaflet.

    Parameters
    ----------
    bounds_wgs84
        Longitude/latitude bounds to fit.
    basemap
        Add OpenStreetMap tiles (needs internet access); off means a plain background.
    asset_url
        URL folder holding the vendored ``leaflet.js`` and ``leaflet.css``.
    script_url
        URL folder holding gapmap's own map script (``static/gapmap/``; runs the layer calls).
    canvas
        Draw polygons and markers on one canvas rather than as one SVG element each (much
        faster with thousands of areas; hover and click work the same).
    """
    minx, miny, maxx, maxy = bounds_wgs84
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        tiles="OpenStreetMap" if basemap else None,
        control_scale=True,
        zoom_snap=0.25,
        prefer_canvas=canvas,
    )
    # Instance attributes shadow folium's CDN lists: only the vendored Leaflet is loaded.
    m.default_js = [("leaflet", f"{asset_url}/leaflet.js"), ("gapmap_areas", f"{script_url}/{MAP_SCRIPT}")]
    m.default_css = [("leaflet_css", f"{asset_url}/leaflet.css")]
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def choropleth(
    areas: gpd.GeoDataFrame,
    field: Field,
    *,
    tooltip: Sequence[Field] = (),
    title: str | None = None,
    note: str = "",
    basemap: bool = False,
    asset_url: str = STREAMLIT_ASSET_URL,
    n_classes: int = 6,
    reverse: bool = False,
    extra_legend: Sequence[tuple[str, str]] = (),
    breaks: Sequence[float] | None = None,
    geometry: DisplayGeometry | None = None,
) -> folium.Map:
    """Choropleth of ``field`` over ``areas`` with tooltip and legend, for a hand-out.

    Drawn as the app's live map draws it: the outlines as encoded polylines
    (:mod:`gapmap.geometry_cache`, embedded in the page instead of fetched) and one
    :func:`area_values` call into ``static/gapmap/map-layers.js``; a fifth of the size of
    the same outlines as GeoJSON.

    Parameters
    ----------
    areas
        Polygons in a projected or geographic CRS, with ``area_code``, ``area_name`` and
        the columns named in ``field`` and ``tooltip``. Rows without geometry are skipped.
    field
        The mapped column.
    tooltip
        Extra columns shown on hover, after the area name.
    title
        Legend title (defaults to ``field.label``).
    note
        Small print under the legend (e.g. data source).
    basemap, asset_url
        See :func:`base_map`.
    n_classes
        Quantile classes.
    reverse
        Darkest colour for the lowest values (for measures where low is bad, like access).
    extra_legend
        More ``(colour, text)`` rows for the legend (e.g. provider markers).
    breaks
        Class breaks to use instead of the quantiles of ``field`` (e.g. from
        :func:`class_breaks` over two maps' values, so before and after share colours).
    geometry
        The outlines of ``areas`` from :func:`gapmap.geometry_cache.display_geometry` (the
        app's own, where it has them); made here when not given.

    Returns
    -------
    folium.Map

    Raises
    ------
    CrsError
        If ``areas`` has no CRS.
    """
    require_crs(areas, "areas")
    shown = areas[areas.geometry.notna() & ~areas.geometry.is_empty]
    values = shown[field.column].astype(float)
    classes = classify(
        values, n_classes, reverse=reverse, breaks=list(breaks) if breaks is not None else None, fmt=field.fmt
    )
    geometry = geometry if geometry is not None else display_geometry(shown)
    m = base_map(geometry.bounds, basemap=basemap, asset_url=asset_url)
    outlines = _Outlines(geometry)
    m.get_root().add_child(outlines)
    options = {"tooltip": tooltip, "n_classes": n_classes, "reverse": reverse, "breaks": breaks}
    _LayerCall(*area_values(f"#{outlines.element_id}", geometry.codes, shown, field, **options)).add_to(m)
    rows = classes.legend(field.fmt, missing=field.missing)
    m.get_root().add_child(_Legend(title or field.label, [*rows, *extra_legend], note), name=LEGEND_NAME)
    # The same figures as a sortable table under the legend (the map's text alternative).
    fields = [field, *[f for f in tooltip if f.column != field.column]]
    table = area_table_html(shown, [(f.column, f.label, f.fmt) for f in fields], caption=title or field.label)
    m.get_root().add_child(AreaTable(table), name="gapmap_area_table")
    return m


class _Outlines(MacroElement):
    """An outlines file (:mod:`gapmap.geometry_cache`) embedded in a hand-out's page as JSON.

    :func:`area_values` reads it when its ``url`` is ``#`` and this element's id, instead of
    fetching a file: a hand-out opened from disk has no server to fetch from.
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <script type="application/json" id="{{ this.element_id }}">{{ this.payload }}</script>
        {% endmacro %}
        """
    )

    def __init__(self, geometry: DisplayGeometry) -> None:
        super().__init__()
        self._name = "Outlines"
        self.element_id = geometry.name.split(".")[0]
        # These characters occur only inside JSON strings, where an escape reads back the same:
        # "<", ">", "&" so nothing closes the <script>; "%" so nothing closes the raw block that
        # keeps folium's second pass through Jinja off the polylines (which may hold "{{" or "{#").
        text = geometry.payload.decode("utf-8")
        for char in "<>&%":
            text = text.replace(char, f"\\u{ord(char):04x}")
        self.payload = "{% raw %}" + text + "{% endraw %}"


LayerCall = tuple[str, dict]
"""One call into ``static/gapmap/map-layers.js``: its function name and its spec (plain JSON).

The app's live map (``pages/_live_map.py``) runs these calls on a map it keeps; folium maps
run them through :class:`_LayerCall`. Both draw with the same script.
"""


def provider_layers(
    providers: gpd.GeoDataFrame,
    *,
    closed: gpd.GeoDataFrame | None = None,
    show_names: bool = True,
    label: str = "Providers",
) -> list[LayerCall]:
    """Provider markers coloured by kind, and closed day centres as rings, as layer calls.

    Parameters
    ----------
    providers
        Active providers (any CRS) with ``kind``, and ``capacity`` and ``name`` if they may be shown.
    closed
        Closed providers with ``end_date`` (or ``closed_on``), drawn as hollow black rings.
    show_names
        Show names in tooltips; off for privacy (sole traders' homes).
    label
        Layer name.

    Returns
    -------
    list of LayerCall
        ``("gapmapMarkers", spec)`` for the open providers and for the closed ones (each only
        when there are any): coordinates and tooltip figures, a few bytes per provider.
    """

    def layer(frame: gpd.GeoDataFrame, closed_layer: bool) -> LayerCall:
        wgs = reproject(frame, WGS84)
        kinds = list(KIND_COLOURS)
        # A column that is the same for every marker travels once (a string, not a list).
        labels: dict[str, list[str] | str] = {"Kind": [KIND_LABELS.get(k, str(k)) for k in frame.kind]}
        if frame.kind.nunique() == 1:
            labels["Kind"] = labels["Kind"][0]
        # A public layer (gapmap.privacy.public_layer) has no name or capacity: nothing to show.
        if show_names and "name" in frame:
            labels["Name"] = [str(n) for n in frame.name]
        if "capacity" in frame:
            labels["Places"] = [Field("capacity", "").format(c) for c in frame.capacity]
        if closed_layer:
            dates = pd.to_datetime(frame.get("closed_on", frame.get("end_date")))
            labels["Closed on"] = [d.strftime("%d %b %Y") for d in dates]
        spec = {
            "name": f"{label} (closed)" if closed_layer else label,
            "lat": np.round(wgs.geometry.y.to_numpy(), 5).tolist(),
            "lon": np.round(wgs.geometry.x.to_numpy(), 5).tolist(),
            "colours": [*KIND_COLOURS.values(), "#999999"],
            "kind": [kinds.index(k) if k in kinds else len(kinds) for k in frame.kind],
            "closed": closed_layer,
            "closedColour": CLOSED_COLOUR,
            "labels": list(labels),
            "values": list(labels.values()),
        }
        return ("gapmapMarkers", spec)

    calls = [layer(providers, False)] if not providers.empty else []
    if closed is not None and not closed.empty:
        calls.append(layer(closed, True))
    return calls


def add_providers(
    m: folium.Map | folium.FeatureGroup,
    providers: gpd.GeoDataFrame,
    *,
    closed: gpd.GeoDataFrame | None = None,
    show_names: bool = True,
    label: str = "Providers",
) -> folium.Map:
    """Draw :func:`provider_layers` on a folium map (or layer group); the arguments are the same."""
    for function, spec in provider_layers(providers, closed=closed, show_names=show_names, label=label):
        _LayerCall(function, spec).add_to(m)
    return m


def outline_layer(
    outline: shapely.Geometry,
    *,
    crs: str = "EPSG:27700",
    fill: str | None = None,
    simplify_m: float = 20.0,
    label: str = "Council boundary",
) -> LayerCall:
    """A council boundary as a layer call: a line (and a light fill, if given), not clickable.

    Parameters
    ----------
    outline
        The council's area, in ``crs`` (British National Grid by default).
    crs
        CRS of ``outline``.
    fill
        Fill colour; ``None`` draws the line only (points inside and outside stay visible).
    simplify_m
        Simplify to this many metres first (in ``crs`` units; a display line, not a boundary to
        measure with), then round to about 1 m.
    label
        Layer name.
    """
    shape = shapely.simplify(outline, simplify_m) if simplify_m > 0 else outline
    wgs = reproject(gpd.GeoSeries([shape], crs=crs), WGS84)
    geometry = shapely.set_precision(wgs.values, 1e-5)[0]
    style = {"color": "#222222", "weight": 2, "fill": False}
    if fill is not None:
        style = {"color": "#555555", "weight": 1.2, "fill": True, "fillColor": fill, "fillOpacity": 0.4}
    return ("gapmapShape", {"name": label, "geometry": shapely.geometry.mapping(geometry), "style": style})


class _LayerCall(MacroElement):
    """One call into ``static/gapmap/map-layers.js`` (loaded once per map by :func:`base_map`).

    Folium maps (the offline hand-outs) draw provider markers this way: ``gapmapMarkers``
    takes coordinate arrays, a few bytes per provider, not a GeoJSON feature each.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.function }}({{ this._parent.get_name() }}, {{ this.spec|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, function: str, spec: dict) -> None:
        super().__init__()
        self._name = function
        self.function = function
        self.spec = spec


def area_values(
    url: str,
    codes: Sequence[str],
    areas: pd.DataFrame,
    field: Field,
    *,
    tooltip: Sequence[Field] = (),
    title: str | None = None,
    note: str = "",
    n_classes: int = 6,
    reverse: bool = False,
    extra_legend: Sequence[tuple[str, str]] = (),
    breaks: Sequence[float] | None = None,
) -> LayerCall:
    """A choropleth whose outlines the browser fetches from ``url``; only values travel.

    The same classes, colours and tooltip figures as :func:`choropleth`, but the polygons come
    from a file written once per council and level (:mod:`gapmap.geometry_cache`; decoded to
    GeoJSON in the browser), so a change of setting sends a colour index and the figures per
    area — not the geometry. Drawn on the map's canvas. The legend is not drawn on the map: the
    page shows :func:`area_legend_html` (same arguments) under it, never over an area.

    Parameters
    ----------
    url
        Where the browser fetches the outlines file (:func:`gapmap.geometry_cache.display_geometry`).
    codes
        The ``area_code`` of each feature in that file, in file order.
    areas
        One row per area with ``area_code`` and the columns in ``field`` and ``tooltip``;
        areas missing from it show as no data.
    field, tooltip, n_classes, reverse, breaks
        As :func:`choropleth`.
    title, note, extra_legend
        Accepted so that one description serves :func:`area_legend_html` too; not used here.

    Returns
    -------
    LayerCall
        ``("gapmapAreaValues", spec)``, for the app's live map (``pages/_live_map.py``).
    """
    table = pd.DataFrame(areas).set_index("area_code").reindex(list(codes))
    values = table[field.column].astype(float)
    del title, note, extra_legend  # the legend is drawn under the map (area_legend_html)
    classes = classify(
        values, n_classes, reverse=reverse, breaks=list(breaks) if breaks is not None else None, fmt=field.fmt
    )
    palette = [*PALETTE, NO_DATA]
    index = [palette.index(c) for c in classes.colours_of(values)]
    fields = [field, *[f for f in tooltip if f.column != field.column]]
    spec = {
        "url": url,
        "palette": palette,
        "index": index,
        "labels": [f.label for f in fields],
        "digits": [_digits(f, table[f.column]) for f in fields],
        "values": [_travelling(f, table[f.column]) for f in fields],
    }
    return ("gapmapAreaValues", spec)


_PLAIN_NUMBER = re.compile(r",\.(\d)f")


def _digits(field: Field, values: pd.Series) -> int | None:
    """Decimals of a column sent as numbers (``,.Nf`` formats of numeric columns), else None."""
    match = _PLAIN_NUMBER.fullmatch(field.fmt)
    if match is None or not pd.api.types.is_numeric_dtype(values):
        return None
    return int(match.group(1))


def _travelling(field: Field, values: pd.Series) -> list | dict[str, list]:
    """A column as the browser gets it: rounded numbers (None for missing) or formatted text.

    Numbers are shorter than their formatted text; the browser formats them with the same
    decimals and thousands separators as :meth:`Field.format`. Text with few distinct values
    is sent as ``{"labels": [...], "codes": [...]}`` (each text once, then an index per area).
    """
    digits = _digits(field, values)
    if digits is None:
        text = [field.format(v) for v in values]
        labels = list(dict.fromkeys(text))
        if len(labels) <= len(text) // 4:  # e.g. "fewer than 3" in most areas: send each text once
            at = {label: i for i, label in enumerate(labels)}
            return {"labels": labels, "codes": [at[t] for t in text]}
        return text
    rounded = np.round(values.astype(float).to_numpy(), digits)
    if digits == 0:
        return [None if np.isnan(v) else int(v) for v in rounded]
    return [None if np.isnan(v) else float(v) for v in rounded]


def area_legend_html(
    areas: pd.DataFrame,
    field: Field,
    *,
    tooltip: Sequence[Field] = (),
    title: str | None = None,
    note: str = "",
    n_classes: int = 6,
    reverse: bool = False,
    extra_legend: Sequence[tuple[str, str]] = (),
    breaks: Sequence[float] | None = None,
) -> str:
    """The legend of :func:`area_values` as a block to show under the map (same classes).

    Takes the same arguments as :func:`area_values` (``tooltip`` is accepted and ignored), so a
    page can pass one description to both.
    """
    del tooltip
    classes = classify(
        pd.DataFrame(areas)[field.column].astype(float),
        n_classes,
        reverse=reverse,
        breaks=list(breaks) if breaks is not None else None,
        fmt=field.fmt,
    )
    rows = [*classes.legend(field.fmt, missing=field.missing), *extra_legend]
    return legend_below_html(title or field.label, rows, note)


def legend_below_html(title: str, rows: Sequence[tuple[str, str]], note: str = "") -> str:
    """A legend of ``(colour, text)`` rows as a block to show under a live map."""
    box = live_legend_html(title, list(rows), note)
    return f'<style>{LIVE_LEGEND_CSS}{_BELOW_CSS}</style><div class="gapmap-below">{box}</div>'


_BELOW_CSS = """
.gapmap-below .gapmap-live-legend { position: static; max-width: none; box-shadow: none;
  border-top: 1px solid #ddd; border-radius: 0; padding: 6px 8px; }
.gapmap-below .gapmap-live-legend div { display: inline-block; margin-right: 12px; }
.gapmap-below .gapmap-live-legend .note { display: block; }
"""


def standalone_html(m: folium.Map, *, leaflet_dir: Path = LEAFLET_DIR, title: str | None = None) -> str:
    """Render a map as one self-contained HTML file with Leaflet inlined (works offline).

    The page has a language, a title, zoom allowed and a labelled, keyboard-focusable map.

    Parameters
    ----------
    m
        A map from :func:`choropleth` or :func:`base_map`.
    title
        The page title; default: the legend's title.
    leaflet_dir
        Folder with the vendored ``leaflet.js`` and ``leaflet.css``.
    """
    page = m.get_root().render()
    legend = m.get_root()._children.get(LEGEND_NAME)
    title = title or (html.unescape(legend.title) if legend is not None else "Map")
    # A language, a title and zoom left to the reader (WCAG 3.1.1, 2.4.2, 1.4.4).
    page = page.replace("<html>", '<html lang="en-GB">', 1)
    page = page.replace("<head>", f"<head>\n    <title>{html.escape(title)} (gapmap)</title>", 1)
    page = re.sub(r",\s*maximum-scale=1\.0,\s*user-scalable=no", "", page)
    # The map's name for screen readers; Leaflet makes it focusable for keyboard pan and zoom.
    label = json.dumps(MAP_LABEL.format(title=title))
    page = page.replace(
        "</body>",
        "<script>document.querySelectorAll('.folium-map').forEach(function (el) {"
        f"el.setAttribute('role', 'region'); el.setAttribute('aria-label', {label}); }});</script>\n</body>",
        1,
    )
    js = (leaflet_dir / "leaflet.js").read_text(encoding="utf-8")
    css = (leaflet_dir / "leaflet.css").read_text(encoding="utf-8")
    page = re.sub(
        r'<script src="[^"]*/leaflet\.js"></script>',
        lambda _: f"<script>{js}</script>",
        page,
    )
    page = re.sub(
        r'<link rel="stylesheet" href="[^"]*/leaflet\.css"/>',
        lambda _: f"<style>{css}</style>",
        page,
    )
    own = (SCRIPT_DIR / MAP_SCRIPT).read_text(encoding="utf-8")
    page = re.sub(
        rf'<script src="[^"]*/{re.escape(MAP_SCRIPT)}"></script>',
        lambda _: f"<script>{own}</script>",
        page,
    )
    return page


def map_bytes(m: folium.Map) -> int:
    """Size in bytes of the map's own HTML and script (what the browser receives)."""
    return len(m.get_root().render().encode("utf-8"))
