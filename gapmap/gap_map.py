"""The gap map: what the app's map and the offline hand-out show for one analysis.

One description (:func:`gap_map_parts`) read by two builders, so the app's map and the hand-out
(``python -m gapmap gaps --out map.html`` and the app's *Download map*) cannot drift apart:
:func:`gap_layers` draws it over outlines the browser already has (only values travel), and
:func:`handout_html` writes it as one self-contained HTML file that opens offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import folium
import geopandas as gpd

from gapmap.analysis import Analysis
from gapmap.classes import MINUTES_FORMAT, minute_breaks
from gapmap.downloads import viewer_areas
from gapmap.gaps import GAP_METRICS
from gapmap.labels import ILLUSTRATIVE, metric_label, reach
from gapmap.legend import provider_legend
from gapmap.maps import (
    Field,
    LayerCall,
    add_providers,
    area_legend_html,
    area_values,
    choropleth,
    provider_layers,
    standalone_html,
)
from gapmap.population import BAND_LABELS, LEVEL_LABELS
from gapmap.privacy import INTERNAL_NOTE, shown_kinds, visible_providers


@dataclass(frozen=True)
class GapMapParts:
    """Everything one gap map shows.

    Attributes
    ----------
    field
        The mapped measure.
    tooltip
        The figures shown on hover.
    note
        Small print under the legend (council, level, date, radius; the illustrative label).
    reverse
        Darkest colour for low values (access measures).
    legend_extra
        Legend rows for the provider markers.
    providers
        The open providers as the privacy mode allows them to be drawn.
    closed
        Closed day centres (rings with their closure date).
    show_names
        Provider names in tooltips (``"exact"`` mode only).
    areas
        The area table as shown: small micro-enterprise counts suppressed unless ``"exact"``.
    breaks
        Fixed class breaks, or ``None`` for quantiles of the values: minutes by road to the
        nearest provider use the 15/30/45/60-minute bands (:func:`gapmap.classes.minute_breaks`).
    """

    field: Field
    tooltip: tuple[Field, ...]
    note: str
    reverse: bool
    legend_extra: tuple[tuple[str, str], ...]
    providers: gpd.GeoDataFrame
    closed: gpd.GeoDataFrame
    show_names: bool
    areas: gpd.GeoDataFrame
    breaks: tuple[float, ...] | None = None


def gap_map_parts(analysis: Analysis, metric: str, *, privacy: str, secret: bytes, illustrative: bool) -> GapMapParts:
    """Describe the map of ``metric`` for ``analysis`` under a privacy mode.

    Parameters
    ----------
    analysis
        From :func:`gapmap.analysis.analyse`.
    metric
        A key of :data:`gapmap.gaps.GAP_METRICS`.
    privacy
        A mode of :data:`gapmap.privacy.PRIVACY_MODES`; decides what of the micro-providers
        is drawn: unless ``"exact"``, only :func:`gapmap.privacy.public_layer` (nothing
        personal) and suppressed small counts.
    secret
        The install's key (:func:`gapmap.privacy.load_or_create_secret`), for displacement.
    illustrative
        The providers are the illustrative sample: the legend says so.

    Raises
    ------
    ValueError
        For an unknown metric or privacy mode.
    """
    if metric not in GAP_METRICS:
        raise ValueError(f"unknown measure {metric!r}; choose one of {', '.join(GAP_METRICS)}")
    request = analysis.request
    _, fmt, low_is_bad = GAP_METRICS[metric]
    as_at = request.date
    band = request.band
    areas = analysis.areas
    # The one rule (gapmap.privacy.visible_providers): the public layer unless "exact".
    shown, closed = visible_providers(
        analysis.providers, mode=privacy, secret=secret, as_at=as_at, kinds=tuple(request.kinds)
    )
    areas = viewer_areas(areas, privacy)
    note = (
        f"{analysis.data.council.name} · {LEVEL_LABELS[request.level]} · providers open {as_at:%d/%m/%Y} · "
        f"radius {reach(request.radius_km, request.unit)}"
    )
    if privacy == "exact":  # an editor's own map, from the homes themselves
        note = f"{INTERNAL_NOTE} · {note}"
    if illustrative:
        note = f"{ILLUSTRATIVE} · {note}"
    kinds = shown_kinds(request.kinds, privacy)
    breaks = None
    if metric == "nearest_km" and request.unit == "minutes":  # 15/30/45/60-minute bands by road
        fmt = MINUTES_FORMAT
        breaks = tuple(minute_breaks(areas[metric]))
    return GapMapParts(
        field=Field(metric, metric_label(metric, band, request.radius_km, unit=request.unit), fmt),
        tooltip=(
            Field(f"pop_{band}", BAND_LABELS[band]),
            Field("gap_score", metric_label("gap_score", band, request.radius_km, unit=request.unit), ",.0f"),
            Field("unmet_need", metric_label("unmet_need", band, request.radius_km, unit=request.unit)),
            Field("access_e2sfca", metric_label("access_e2sfca", band, request.radius_km, unit=request.unit), ",.1f"),
            Field("nearest_km", metric_label("nearest_km", band, request.radius_km, unit=request.unit), ",.1f"),
            Field("n_micro_enterprise", "Micro-enterprises here"),
        ),
        note=note,
        reverse=low_is_bad,
        legend_extra=tuple(provider_legend(kinds, closed=not closed.empty)),
        providers=shown,
        closed=closed,
        show_names=privacy == "exact",
        areas=areas,
        breaks=breaks,
    )


def gap_layers(parts: GapMapParts, url: str, codes: Sequence[str]) -> list[LayerCall]:
    """The app's live layers: values and colours over the outlines at ``url``, then the markers.

    The legend is left out of the map (the page shows :func:`gap_legend_html` under it).
    """
    areas = area_values(url, codes, parts.areas, **_legend_args(parts))
    return [areas, *provider_layers(parts.providers, closed=parts.closed, show_names=parts.show_names)]


def gap_legend_html(parts: GapMapParts) -> str:
    """The map's legend as HTML for below the map (:func:`gapmap.maps.area_legend_html`)."""
    return area_legend_html(parts.areas, **_legend_args(parts))


def _legend_args(parts: GapMapParts) -> dict:
    return {
        "field": parts.field,
        "tooltip": parts.tooltip,
        "note": parts.note,
        "reverse": parts.reverse,
        "extra_legend": parts.legend_extra,
        "breaks": parts.breaks,
    }


def handout_map(parts: GapMapParts) -> folium.Map:
    """The map with outlines and values embedded (for :func:`handout_html` or a notebook)."""
    m = choropleth(parts.areas, **_legend_args(parts))
    return add_providers(m, parts.providers, closed=parts.closed, show_names=parts.show_names)


def handout_html(
    analysis: Analysis, metric: str = "gap_score", *, privacy: str, secret: bytes, illustrative: bool
) -> str:
    """The offline hand-out: one HTML file with Leaflet inlined, no network needed.

    The same file the app's *Download map* gives for the same settings.
    """
    parts = gap_map_parts(analysis, metric, privacy=privacy, secret=secret, illustrative=illustrative)
    return standalone_html(handout_map(parts))
