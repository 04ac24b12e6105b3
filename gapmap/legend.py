"""Map legends: the attribution every map carries, provider marker colours, the live legend.

A hand-out map writes its legend into the page below the map (:func:`gapmap.maps.choropleth`).
The app's map stays mounted while its settings change, so its legend is drawn by the layer's
script (:func:`live_legend_html`, styled by :data:`LIVE_LEGEND_CSS`) and replaced with it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from gapmap.labels import SOURCES_LINE
from gapmap.schema import KIND_LABELS

ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0.",
    "Contains OS data © Crown copyright and database right 2025.",
    "Contains Royal Mail data © Royal Mail copyright and database right 2025.",
    "Contains National Statistics data © Crown copyright and database right 2025.",
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(MHCLG, English Indices of Deprivation 2025).",
)

MAP_SOURCES = SOURCES_LINE
"""The attribution printed on every map (and so on every hand-out made from one)."""

KIND_COLOURS = {"micro_enterprise": "#1f78b4", "day_centre": "#33a02c", "other": "#6a3d9a"}
"""Marker colour per provider kind."""

CLOSED_COLOUR = "#000000"

LIVE_LEGEND_CSS = """
.gapmap-live-legend { position: absolute; z-index: 999; bottom: 18px; right: 10px;
  background: rgba(255,255,255,0.94); padding: 8px 10px; border-radius: 4px;
  font: 12px/1.35 system-ui, sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,.3);
  max-width: 260px; }
.gapmap-live-legend b { display: block; margin-bottom: 4px; }
.gapmap-live-legend i { display: inline-block; width: 16px; height: 12px;
  margin-right: 6px; vertical-align: middle; border: 1px solid #999; }
.gapmap-live-legend .note { color: #555; font-size: 10px; margin-top: 4px; }
.leaflet-tooltip { font: 12px/1.3 system-ui, sans-serif; }
.leaflet-tooltip table { margin: 0; font-size: 12px; }
.leaflet-tooltip th { font-weight: 600; padding-right: 8px; text-align: left; }
"""


def live_legend_html(title: str, rows: Sequence[tuple[str, str]], note: str = "") -> str:
    """The app map's legend box as HTML; every text is escaped, colours must be ``#rrggbb``.

    Examples
    --------
    >>> "<b>A &amp; B</b>" in live_legend_html("A & B", [("#ffffff", "none")])
    True
    """
    lines = [f'<div class="gapmap-live-legend gapmap-legend" role="img" aria-label="{html.escape(title)} legend">']
    lines.append(f"<b>{html.escape(title)}</b>")
    lines += [
        f'<div><i style="background:{html.escape(colour)}"></i>{html.escape(text)}</div>' for colour, text in rows
    ]
    if note:
        lines.append(f'<div class="note">{html.escape(note)}</div>')
    lines.append(f'<div class="note">{html.escape(MAP_SOURCES)}</div>')
    lines.append("</div>")
    return "\n".join(lines)


def provider_legend(kinds: Sequence[str], *, closed: bool) -> list[tuple[str, str]]:
    """Legend rows for provider markers (:func:`gapmap.maps.add_providers`)."""
    rows = [(KIND_COLOURS[k], KIND_LABELS[k]) for k in kinds]
    if closed:
        rows.append(("#ffffff", "Closed day centre (×, closure date on hover)"))
    return rows
