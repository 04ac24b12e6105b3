"""Folium map builders that work offline.

Folium points at CDN copies of Leaflet, jQuery and Bootstrap by default. These builders replace
them with the Leaflet copy vendored in ``static/vendor`` (served by Streamlit's static file
serving), and use only plain Leaflet layers, so a map renders with no internet access. Basemap
tiles are optional. For a hand-out, :func:`standalone_html` inlines Leaflet into one HTML file.
"""

from __future__ import annotations

import html
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

from gapmap.config import PACKAGE_ROOT, WGS84
from gapmap.errors import CrsError
from gapmap.legend import (  # noqa: F401 - ATTRIBUTION, MAP_SOURCES, provider_legend re-exported
    ATTRIBUTION,
    CLOSED_COLOUR,
    KIND_COLOURS,
    MAP_SOURCES,
    Legend,
    LegendStyle,
    legend_html,
    provider_legend,
)
from gapmap.schema import KIND_LABELS

LEAFLET_DIR = PACKAGE_ROOT / "static" / "vendor" / "leaflet-1.9.4"
STREAMLIT_ASSET_URL = "/app/static/vendor/leaflet-1.9.4"
"""Where Streamlit serves the vendored Leaflet (``server.enableStaticServing``)."""

# ColorBrewer YlOrRd (sequential), light to dark; 7 is the most classes we draw.
PALETTE = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026", "#800026")
NO_DATA = "#d9d9d9"

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
    """

    column: str
    label: str
    fmt: str = ",.0f"

    def format(self, value: object) -> str:
        """Format one value for display (``–`` for missing)."""
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "–"
        if isinstance(value, int | float | np.number):
            return format(value, self.fmt)
        return str(value)


def class_breaks(values: pd.Series, n_classes: int = 6) -> list[float]:
    """Quantile class breaks (upper bounds) for a choropleth, duplicates removed.

    Parameters
    ----------
    values
        The mapped values; missing values are ignored.
    n_classes
        Wanted number of classes (fewer are returned when values repeat).

    Returns
    -------
    list of float
        Increasing upper bounds; the last is the maximum.

    Examples
    --------
    >>> class_breaks(pd.Series([1.0, 2.0, 3.0, 4.0]), 2)
    [2.5, 4.0]
    """
    v = values.dropna().to_numpy(dtype=float)
    if len(v) == 0:
        return []
    n = max(1, min(n_classes, len(PALETTE)))
    qs = np.quantile(v, np.linspace(0, 1, n + 1)[1:])
    return sorted({float(q) for q in qs})


def _colour(value: float, breaks: Sequence[float], reverse: bool = False) -> str:
    if value is None or np.isnan(value) or not breaks:
        return NO_DATA
    i = int(np.searchsorted(breaks, value, side="left"))
    # Spread the classes over the palette so 3 classes still run light to dark.
    idx = min(round(i * (len(PALETTE) - 1) / max(len(breaks) - 1, 1)), len(PALETTE) - 1)
    return PALETTE[len(PALETTE) - 1 - idx] if reverse else PALETTE[idx]


def _distinct_format(field: Field, breaks: list[float]) -> Field:
    """The field with just enough decimals that the legend's class bounds read differently."""
    m = re.fullmatch(r"(,?)\.(\d)([f%])", field.fmt)
    if not m or len(breaks) < 2:
        return field
    comma, digits, kind = m.group(1), int(m.group(2)), m.group(3)
    for d in range(digits, digits + 3):
        candidate = Field(field.column, field.label, f"{comma}.{d}{kind}")
        if len({candidate.format(b) for b in breaks}) == len(breaks):
            return candidate
    return candidate


def _legend_rows(breaks: list[float], field: Field, values: pd.Series, reverse: bool = False) -> list[tuple[str, str]]:
    field = _distinct_format(field, breaks)
    rows = []
    lo = float(values.min()) if values.notna().any() else 0.0
    for hi in breaks:
        rows.append((_colour(hi, breaks, reverse), f"{field.format(lo)} – {field.format(hi)}"))
        lo = hi
    if values.isna().any():
        rows.append((NO_DATA, "no residents / no data"))
    return rows


def base_map(
    bounds_wgs84: Sequence[float],
    *,
    basemap: bool = False,
    asset_url: str = STREAMLIT_ASSET_URL,
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
    m.default_js = [("leaflet", f"{asset_url}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{asset_url}/leaflet.css")]
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    LegendStyle().add_to(m)
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
) -> folium.Map:
    """Choropleth of ``field`` over ``areas`` with tooltip and legend.

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

    Returns
    -------
    folium.Map

    Raises
    ------
    CrsError
        If ``areas`` has no CRS.
    """
    if areas.crs is None:
        raise CrsError("areas have no CRS; set one before mapping")
    shown = areas[areas.geometry.notna() & ~areas.geometry.is_empty]
    values = shown[field.column].astype(float)
    breaks = class_breaks(values, n_classes)
    wgs = shown.to_crs(WGS84)
    # Round to ~1 m: smaller HTML, no visible change.
    geoms = shapely.set_precision(wgs.geometry.values, 1e-5)
    props = pd.DataFrame(
        {
            "name": [html.escape(str(n)) for n in shown.area_name],
            "code": [html.escape(str(c)) for c in shown.area_code],
            "_fill": [_colour(v, breaks, reverse) for v in values],
        }
    )
    fields = [field, *[f for f in tooltip if f.column != field.column]]
    for i, f in enumerate(fields):
        props[f"f{i}"] = [html.escape(f.format(v)) for v in shown[f.column]]
    layer = gpd.GeoDataFrame(props, geometry=geoms, crs=WGS84)
    m = base_map(wgs.total_bounds, basemap=basemap, asset_url=asset_url)
    folium.GeoJson(
        layer.to_json(drop_id=True),
        name=field.label,
        style_function=lambda feat: {
            "fillColor": feat["properties"]["_fill"],
            "color": "#555555",
            "weight": 0.6,
            "fillOpacity": 0.78,
        },
        highlight_function=lambda _: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "code", *[f"f{i}" for i in range(len(fields))]],
            aliases=["Area", "Code", *[f.label for f in fields]],
            sticky=True,
        ),
    ).add_to(m)
    Legend(title or field.label, [*_legend_rows(breaks, field, values, reverse), *extra_legend], note).add_to(m)
    return m


def add_providers(
    m: folium.Map | folium.FeatureGroup,
    providers: gpd.GeoDataFrame,
    *,
    closed: gpd.GeoDataFrame | None = None,
    show_names: bool = True,
    label: str = "Providers",
) -> folium.Map:
    """Draw providers as circle markers coloured by kind, and closed day centres as rings.

    Parameters
    ----------
    m
        The map (or layer group) to draw on.
    providers
        Active providers (any CRS) with ``kind``, and ``capacity`` and ``name`` if they may be shown.
    closed
        Closed providers with ``end_date`` (or ``closed_on``), drawn as hollow black rings.
    show_names
        Show names in tooltips; off for privacy (sole traders' homes).
    label
        Layer name.
    """

    def layer(frame: gpd.GeoDataFrame, closed_layer: bool) -> None:
        if frame.empty:
            return
        wgs = frame.to_crs(WGS84)
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
        _Markers(spec).add_to(m)

    layer(providers, False)
    if closed is not None:
        layer(closed, True)
    return m


class _Markers(MacroElement):
    """Circle markers from coordinate arrays (a few bytes per provider, not a GeoJSON feature)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var parent = {{ this._parent.get_name() }};
          var spec = {{ this.spec|tojson }};
          function esc(s) {
            return String(s).replace(/[&<>"']/g, function (c) {
              return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
            });
          }
          var group = L.featureGroup();
          spec.lat.forEach(function (lat, i) {
            var colour = spec.closed ? spec.closedColour : spec.colours[spec.kind[i]];
            var m = L.circleMarker([lat, spec.lon[i]], {
              radius: spec.closed ? 6 : 4, color: colour, weight: spec.closed ? 2 : 1,
              fillColor: spec.closed ? "#ffffff" : colour, fillOpacity: spec.closed ? 0.2 : 0.85
            });
            m.bindTooltip(function () {
              var rows = "";
              spec.labels.forEach(function (label, c) {
                var v = Array.isArray(spec.values[c]) ? spec.values[c][i] : spec.values[c];
                rows += "<tr><th>" + esc(label) + "</th><td>" + esc(v) + "</td></tr>";
              });
              return "<table>" + rows + "</table>";
            });
            group.addLayer(m);
          });
          parent.addLayer(group);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, spec: dict) -> None:
        super().__init__()
        self._name = "Markers"
        self.spec = spec


class _AreaValues(MacroElement):
    """Colours, tooltips and legend for outlines fetched from a URL (see :func:`area_layer`)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var group = {{ this._parent.get_name() }};
          var spec = {{ this.spec|tojson }};
          var cache = window.__gapmapGeometry = window.__gapmapGeometry || {};
          if (!cache[spec.url]) {
            cache[spec.url] = fetch(spec.url).then(function (r) {
              if (!r.ok) { throw new Error("area outlines: HTTP " + r.status); }
              return r.json();
            });
          }
          function esc(s) {
            return String(s).replace(/[&<>"']/g, function (c) {
              return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
            });
          }
          var Box = L.Layer.extend({
            onAdd: function (map) {
              this._div = L.DomUtil.create("div", "", map.getContainer());
              this._div.innerHTML = spec.legend;
              L.DomEvent.disableClickPropagation(this._div);
            },
            onRemove: function () { L.DomUtil.remove(this._div); }
          });
          group.addLayer(new Box());
          cache[spec.url].then(function (geo) {
            var at = {};
            geo.features.forEach(function (f, k) { at[f.properties.code] = k; });
            var style = function (f) {
              var k = spec.index[at[f.properties.code]];
              return {fillColor: k === undefined ? spec.palette[spec.palette.length - 1] : spec.palette[k],
                      color: "#555555", weight: 0.6, fillOpacity: 0.78};
            };
            var layer = L.geoJSON(geo, {
              style: style,
              onEachFeature: function (f, l) {
                l.bindTooltip(function () {
                  var k = at[f.properties.code];
                  var rows = "<tr><th>Area</th><td>" + esc(f.properties.name) + "</td></tr>"
                    + "<tr><th>Code</th><td>" + esc(f.properties.code) + "</td></tr>";
                  spec.labels.forEach(function (label, c) {
                    rows += "<tr><th>" + esc(label) + "</th><td>" + esc(spec.values[c][k]) + "</td></tr>";
                  });
                  return "<table>" + rows + "</table>";
                }, {sticky: true});
                l.on("mouseover", function () { l.setStyle({weight: 2.5, color: "#000000"}); });
                l.on("mouseout", function () { layer.resetStyle(l); });
              }
            });
            group.addLayer(layer);
            layer.bringToBack();
          });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, spec: dict) -> None:
        super().__init__()
        self._name = "AreaValues"
        self.spec = spec


def area_layer(
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
) -> folium.FeatureGroup:
    """A choropleth whose outlines the browser fetches from ``url``; only values travel.

    The same classes, colours, tooltip figures and legend as :func:`choropleth`, but the
    polygons come from a GeoJSON file written once per council and level
    (:mod:`gapmap.geometry_cache`), so a change of setting sends a colour index and the
    formatted figures per area — not the geometry. Drawn on the map's canvas.

    Parameters
    ----------
    url
        Where the browser fetches the outlines (features with ``code`` and ``name``).
    codes
        The ``area_code`` of each feature in that file, in file order.
    areas
        One row per area with ``area_code`` and the columns in ``field`` and ``tooltip``;
        areas missing from it show as no data.
    field, tooltip, title, note, n_classes, reverse, extra_legend
        As :func:`choropleth`.

    Returns
    -------
    folium.FeatureGroup
        Add it to a :func:`base_map` (or hand it to ``st_folium(feature_group_to_add=...)``
        so the map is not rebuilt); add provider markers to it with :func:`add_providers`.
    """
    table = pd.DataFrame(areas).set_index("area_code").reindex(list(codes))
    values = table[field.column].astype(float)
    breaks = class_breaks(values, n_classes)
    palette = [*PALETTE, NO_DATA]
    index = [palette.index(_colour(v, breaks, reverse)) for v in values]
    fields = [field, *[f for f in tooltip if f.column != field.column]]
    spec = {
        "url": url,
        "palette": palette,
        "index": index,
        "labels": [f.label for f in fields],
        "values": [[f.format(v) for v in table[f.column]] for f in fields],
        "legend": legend_html(
            title or field.label, [*_legend_rows(breaks, field, values, reverse), *extra_legend], note
        ),
    }
    group = folium.FeatureGroup(name=field.label)
    _AreaValues(spec).add_to(group)
    return group


def standalone_html(m: folium.Map, *, leaflet_dir: Path = LEAFLET_DIR) -> str:
    """Render a map as one self-contained HTML file with Leaflet inlined (works offline).

    Parameters
    ----------
    m
        A map from :func:`choropleth` or :func:`base_map`.
    leaflet_dir
        Folder with the vendored ``leaflet.js`` and ``leaflet.css``.
    """
    page = m.get_root().render()
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
    return page


def map_bytes(m: folium.Map) -> int:
    """Size in bytes of the map's own HTML and script (what the browser receives)."""
    return len(m.get_root().render().encode("utf-8"))
