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
from gapmap.schema import KIND_LABELS

LEAFLET_DIR = PACKAGE_ROOT / "static" / "vendor" / "leaflet-1.9.4"
STREAMLIT_ASSET_URL = "/app/static/vendor/leaflet-1.9.4"
"""Where Streamlit serves the vendored Leaflet (``server.enableStaticServing``)."""

# ColorBrewer YlOrRd (sequential), light to dark; 7 is the most classes we draw.
PALETTE = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026", "#800026")
NO_DATA = "#d9d9d9"

ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0.",
    "Contains OS data © Crown copyright and database right 2025.",
    "Contains Royal Mail data © Royal Mail copyright and database right 2025.",
    "Contains National Statistics data © Crown copyright and database right 2025.",
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(MHCLG, English Indices of Deprivation 2025).",
)


MAP_SOURCES = (
    "Sources: ONS, MHCLG (OGL v3.0). Contains OS data © Crown copyright and database right 2025; "
    "Royal Mail data © Royal Mail copyright and database right 2025; National Statistics data © Crown "
    "copyright and database right 2025."
)
"""The attribution printed on every map (and so on every hand-out made from one)."""


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


class _Legend(MacroElement):
    """A plain-HTML legend box (no JS dependencies)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .gapmap-legend { position: absolute; z-index: 9999; bottom: 18px; right: 10px;
            background: rgba(255,255,255,0.94); padding: 8px 10px; border-radius: 4px;
            font: 12px/1.35 system-ui, sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,.3);
            max-width: 260px; }
          .gapmap-legend b { display: block; margin-bottom: 4px; }
          .gapmap-legend i { display: inline-block; width: 16px; height: 12px;
            margin-right: 6px; vertical-align: middle; border: 1px solid #999; }
          .gapmap-legend .note { color: #555; font-size: 10px; margin-top: 4px; }
          .leaflet-tooltip { font: 12px/1.3 system-ui, sans-serif; }
          .leaflet-tooltip table { margin: 0; font-size: 12px; }
          .leaflet-tooltip th { font-weight: 600; padding-right: 8px; text-align: left; }
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="gapmap-legend" role="img" aria-label="{{ this.title }} legend">
          <b>{{ this.title }}</b>
          {% for colour, text in this.rows %}
          <div><i style="background:{{ colour }}"></i>{{ text }}</div>
          {% endfor %}
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
    """
    minx, miny, maxx, maxy = bounds_wgs84
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        tiles="OpenStreetMap" if basemap else None,
        control_scale=True,
        zoom_snap=0.25,
    )
    # Instance attributes shadow folium's CDN lists: only the vendored Leaflet is loaded.
    m.default_js = [("leaflet", f"{asset_url}/leaflet.js")]
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
    _Legend(title or field.label, [*_legend_rows(breaks, field, values, reverse), *extra_legend], note).add_to(m)
    return m


KIND_COLOURS = {"micro_enterprise": "#1f78b4", "day_centre": "#33a02c", "other": "#6a3d9a"}
CLOSED_COLOUR = "#000000"


def provider_legend(kinds: Sequence[str], *, closed: bool) -> list[tuple[str, str]]:
    """Legend rows for :func:`add_providers` markers."""
    rows = [(KIND_COLOURS[k], KIND_LABELS[k]) for k in kinds]
    if closed:
        rows.append(("#ffffff", "Closed day centre (○, closure date on hover)"))
    return rows


def add_providers(
    m: folium.Map,
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
        The map to draw on.
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
        props = pd.DataFrame(
            {
                "kind": [KIND_LABELS.get(k, k) for k in frame.kind],
                "_colour": [CLOSED_COLOUR if closed_layer else KIND_COLOURS.get(k, "#999999") for k in frame.kind],
            }
        )
        fields, aliases = ["kind"], ["Kind"]
        # A public layer (gapmap.privacy.public_layer) has no name or capacity: nothing to show.
        if show_names and "name" in frame:
            props["name"] = [html.escape(str(n)) for n in frame.name]
            fields.append("name")
            aliases.append("Name")
        if "capacity" in frame:
            props["places"] = [Field("capacity", "").format(c) for c in frame.capacity]
            fields.append("places")
            aliases.append("Places")
        if closed_layer:
            dates = pd.to_datetime(frame.get("closed_on", frame.get("end_date")))
            props["closed"] = [d.strftime("%d %b %Y") for d in dates]
            fields.append("closed")
            aliases.append("Closed on")
        gj = gpd.GeoDataFrame(props, geometry=shapely.set_precision(wgs.geometry.values, 1e-5), crs=WGS84)
        folium.GeoJson(
            gj.to_json(drop_id=True),
            name=f"{label} (closed)" if closed_layer else label,
            marker=folium.CircleMarker(radius=6 if closed_layer else 4, fill=True),
            style_function=lambda f, closed_layer=closed_layer: {
                "color": f["properties"]["_colour"],
                "weight": 2 if closed_layer else 1,
                "fillColor": "#ffffff" if closed_layer else f["properties"]["_colour"],
                "fillOpacity": 0.2 if closed_layer else 0.85,
            },
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
        ).add_to(m)

    layer(providers, False)
    if closed is not None:
        layer(closed, True)
    return m


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
