"""Text alternatives to the maps (WCAG 2.2 AA): an area table for hand-outs, alt text, labels.

A map is exempt from the accessibility rules only where its essential information is also
given in an accessible way. Every map gapmap draws therefore has: the same figures as a
sortable table (:func:`area_table_html`, in the offline HTML hand-out under the map), a
one-sentence takeaway (:mod:`gapmap.story`), and alt text on its pictures
(:func:`picture_alt_text`, in the PowerPoint deck).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

MAP_LABEL = "Map: {title}. Use the arrow keys to move and + and - to zoom; the same figures are in the table below."
"""The live map's and the hand-out map's accessible name (``title``: what it shows)."""

_SORT_SCRIPT = """
<script>
(function () {
  // Sort the area table by a column: each heading is a button (keyboard and screen readers).
  document.querySelectorAll("table.gapmap-areas").forEach(function (table) {
    table.querySelectorAll("thead button").forEach(function (button, c) {
      button.addEventListener("click", function () {
        var th = button.parentElement, up = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[c].getAttribute("data-v"), y = b.cells[c].getAttribute("data-v");
          var nx = parseFloat(x), ny = parseFloat(y);
          var d = (isNaN(nx) || isNaN(ny)) ? String(x).localeCompare(String(y)) : nx - ny;
          return up ? d : -d;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
</script>
"""

TABLE_CSS = """
.gapmap-table { font: 14px/1.4 system-ui, sans-serif; color: #1a1a1a; padding: 4px 10px 10px; }
.gapmap-table summary { cursor: pointer; padding: 6px 0; font-weight: 600; min-height: 24px; }
.gapmap-table .scroll { max-height: 60vh; overflow: auto; }
.gapmap-table table { border-collapse: collapse; width: 100%; }
.gapmap-table th, .gapmap-table td { border-bottom: 1px solid #ccc; padding: 3px 8px; text-align: right; }
.gapmap-table th:first-child, .gapmap-table td:first-child { text-align: left; }
.gapmap-table thead th { position: sticky; top: 0; background: #fff; }
.gapmap-table thead button { font: inherit; font-weight: 600; background: none; border: 0; padding: 2px 0;
  min-height: 24px; cursor: pointer; color: #1a1a1a; text-align: inherit; }
.gapmap-table thead button:focus-visible, .gapmap-table summary:focus-visible { outline: 3px solid #1d1d1b; }
"""


def area_table_html(areas: pd.DataFrame, columns: Sequence[tuple[str, str, str]], *, caption: str) -> str:
    """Every area as an HTML table sortable by any column (headings are buttons), folded away.

    Parameters
    ----------
    areas
        One row per area with ``area_name`` and the columns named in ``columns``.
    columns
        ``(column, heading, format)`` per figure, e.g. ``("pop_75plus", "Aged 75+", ",.0f")``.
    caption
        What the table shows (also the text of the fold's summary).

    Returns
    -------
    str
        A ``<details>`` block with the table, its style and a few lines of sorting script.
    """
    heads = ["Area", *[h for _, h, _ in columns]]
    head = "".join(f'<th scope="col"><button type="button">{html.escape(h)}</button></th>' for h in heads)
    rows = []
    for _, row in pd.DataFrame(areas).sort_values("area_name").iterrows():
        name = html.escape(str(row["area_name"]))
        cells = [f'<th scope="row" data-v="{name}">{name}</th>']
        for column, _, fmt in columns:
            value = row[column]
            missing = value is None or (isinstance(value, float | np.floating) and np.isnan(value))
            if missing:
                cells.append('<td data-v="">–</td>')
            elif isinstance(value, int | float | np.number):
                cells.append(f'<td data-v="{float(value)!r}">{html.escape(format(value, fmt))}</td>')
            else:
                text = html.escape(str(value))
                cells.append(f'<td data-v="{text}">{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    n = len(rows)
    summary = html.escape(f"{caption}: all {n:,} areas as a table")
    return (
        f"<style>{TABLE_CSS}</style>"
        f'<details class="gapmap-table"><summary>{summary}</summary><div class="scroll">'
        f'<table class="gapmap-areas"><caption>{html.escape(caption)} (choose a heading to sort)</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></details>"
        f"{_SORT_SCRIPT}"
    )


class AreaTable(MacroElement):
    """:func:`area_table_html` on a folium page, after the map and its legend."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}{{ this.block }}{% endmacro %}
        """
    )

    def __init__(self, block: str) -> None:
        super().__init__()
        self._name = "AreaTable"
        # Folium passes the rendered page through Jinja again: braces and "%" in area names
        # become character references, which read back the same in HTML but are no template tags.
        self.block = block.replace("{", "&#123;").replace("}", "&#125;").replace("%", "&#37;")


def picture_alt_text(title: str, takeaway: str, what: str = "") -> str:
    """Alt text for a map picture: what the map shows and its takeaway, in one or two sentences."""
    parts = [f"Map: {title.rstrip('.')}."]
    if what:
        parts.append(what.rstrip(".") + ".")
    if takeaway:
        parts.append(takeaway.rstrip(".") + ".")
    return " ".join(parts)
