"""Map legends: the box of colours and labels, and the attribution every map carries.

Two ways onto a map, one look: :class:`Legend` is written into a map's HTML (hand-outs, static
pages); :func:`legend_html` gives the same markup for a legend drawn by script (the app's
map, whose legend changes with each setting while the map itself stays put). Both use
:data:`LEGEND_CSS`, which :class:`LegendStyle` puts in a map's header.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from branca.element import MacroElement
from jinja2 import Template

from gapmap.schema import KIND_LABELS

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

KIND_COLOURS = {"micro_enterprise": "#1f78b4", "day_centre": "#33a02c", "other": "#6a3d9a"}
"""Marker colour per provider kind."""

CLOSED_COLOUR = "#000000"

LEGEND_CSS = """
.gapmap-legend { position: absolute; z-index: 999; bottom: 18px; right: 10px;
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
"""


def legend_html(title: str, rows: Sequence[tuple[str, str]], note: str = "") -> str:
    """The legend box as HTML; every text is escaped, colours must be ``#rrggbb``.

    Examples
    --------
    >>> "<b>A &amp; B</b>" in legend_html("A & B", [("#ffffff", "none")])
    True
    """
    lines = [f'<div class="gapmap-legend" role="img" aria-label="{html.escape(title)} legend">']
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
        rows.append(("#ffffff", "Closed day centre (○, closure date on hover)"))
    return rows


class LegendStyle(MacroElement):
    """The legend and tooltip style sheet, in a map's header."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "LegendStyle"
        self.css = LEGEND_CSS


class Legend(MacroElement):
    """A plain-HTML legend box written into the map's page (no scripts needed)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
        {% macro html(this, kwargs) %}{{ this.box }}{% endmacro %}
        """
    )

    def __init__(self, title: str, rows: Sequence[tuple[str, str]], note: str = "") -> None:
        super().__init__()
        self._name = "Legend"
        self.css = LEGEND_CSS
        self.box = legend_html(title, rows, note)
