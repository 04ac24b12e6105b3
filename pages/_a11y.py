"""Accessibility helpers shared by the pages (WCAG 2.2 AA; README "Accessibility statement").

- :func:`style` puts the app-wide CSS on every page: target sizes of Streamlit's date
  fields (24 px, WCAG 2.5.8) and a visible keyboard focus ring on the live map and its markers.
  Colours come from ``.streamlit/config.toml`` (text and primary colour at 4.5:1 or more).
- :func:`line_chart` and :func:`bar_chart` draw charts whose SVG has a text description and
  no unnamed parts, with lines told apart by dash as well as colour, and the figures as a table.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

CSS = """
<style>
  /* Day and month boxes of a date field: at least 24 x 24 px to aim at (WCAG 2.5.8). */
  [data-testid="stDateInput"] [role="spinbutton"] { display: inline-block; min-width: 24px;
    min-height: 24px; line-height: 24px; text-align: center; }
  /* Chosen values of a multiselect wrap onto more lines rather than scroll out of sight (WCAG 1.4.10). */
  [data-testid="stMultiSelectTagsContainer"] { flex-wrap: wrap !important; overflow: visible !important;
    height: auto !important; max-height: none !important; }
  [data-testid="stMultiSelect"] div:has(> [data-testid="stMultiSelectTagsContainer"]) { height: auto !important;
    max-height: none !important; min-height: 2.5rem; }
  /* Its typing box keeps a 24 px target when the chosen values fill the line (WCAG 2.5.8). */
  [data-testid="stMultiSelect"] input[role="combobox"] { min-width: 24px !important; }
  /* The page list's icons read at 4.5:1 or more on the sidebar (WCAG 1.4.3; Streamlit draws them at 60%). */
  [data-testid="stSidebarNavLink"] [data-testid="stIconMaterial"] { color: #4a4a4a !important; }
  /* Links (the page list in the sidebar too) and folds show where the keyboard is (WCAG 2.4.7). */
  a:focus-visible, summary:focus-visible, [data-testid="stElementToolbar"] button:focus-visible {
    outline: 2px solid #1a1a1a !important; outline-offset: 2px; }
  /* The main area takes the focus from "Skip to main content" (and scrolls with the arrow keys). */
  [data-testid="stMain"]:focus-visible { outline: 2px solid #1a1a1a; outline-offset: -2px; }
  /* Streamlit's table grid is a canvas: a ring round it while it has the keyboard. */
  [data-testid="stDataFrame"] canvas:focus-visible { outline: 2px solid #1a1a1a; outline-offset: -2px; }
  /* Text and number fields: a clear ring round the focused box, not only a thin coloured border (WCAG 2.4.7). */
  div:has(> input:focus-visible), div:has(> textarea:focus-visible) { outline: 2px solid #1a1a1a;
    outline-offset: 2px; }
  /* The live map and its markers show where the keyboard is (WCAG 2.4.7). */
  .gapmap-live-map:focus-visible, .gapmap-live-map .leaflet-marker-icon:focus-visible,
  .gapmap-live-map a:focus-visible { outline: 3px solid #1d1d1b !important; outline-offset: 2px; }
  /* Keyboard stops over the canvas dots: the mouse clicks the dot itself, under them. */
  .gapmap-live-map .gapmap-focus-marker { pointer-events: none; }
  .gapmap-live-map .leaflet-control-zoom a { width: 30px; height: 30px; line-height: 30px; }
</style>
"""

DASHES = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3])
"""Line dashes: solid, dashed, dotted, dash-dot (lines differ by more than colour)."""
COLOURS = ("#0b5fa5", "#a8192e", "#1b7a3d", "#5d3a9b")
"""Line colours, each at least 4.5:1 on white."""


def style() -> None:
    """The app-wide accessibility CSS (once per run, from ``app.py``)."""
    st.html(CSS)


def line_chart(
    frame: pd.DataFrame,
    *,
    x: str,
    y: Sequence[str],
    description: str,
    x_label: str = "",
    y_label: str = "",
    height: int = 260,
    where: object = st,
) -> None:
    """Lines of columns ``y`` against ``x``; series differ by colour and dash.

    ``description`` names the chart for screen readers (the SVG's label); the same figures are
    in a table under it. ``where`` is the container to draw in (``st`` or a column).
    """
    long = frame[[x, *y]].melt(id_vars=x, var_name="series", value_name="value")
    series = list(y)
    spec = {
        "description": description,
        "height": height,
        "mark": {"type": "line", "strokeWidth": 2.5, "aria": False},
        "encoding": {
            "x": {"field": x, "type": "temporal", "title": x_label or None},
            "y": {"field": "value", "type": "quantitative", "title": y_label or None},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": series, "range": list(COLOURS[: len(series)])},
                "legend": {"orient": "bottom"} if len(series) > 1 else None,
            },
            "strokeDash": {
                "field": "series",
                "type": "nominal",
                "scale": {"domain": series, "range": [list(d) for d in DASHES[: len(series)]]},
                "legend": None,
            },
            "tooltip": [{"field": x, "type": "temporal"}, {"field": "series"}, {"field": "value", "format": ",.1f"}],
        },
        "config": {"aria": False},
    }
    where.vega_lite_chart(long, spec, width="stretch", alt=description)  # type: ignore[attr-defined]
    with where.expander("The figures as a table"):  # type: ignore[attr-defined]
        st.dataframe(frame[[x, *y]], hide_index=True, width="stretch")


def bar_chart(
    frame: pd.DataFrame, *, label: str, value: str, description: str, x_label: str, where: object = st
) -> None:
    """Horizontal bars of ``value`` per ``label``, each bar labelled with its figure."""
    spec = {
        "description": description,
        "height": 30 * len(frame),
        "layer": [
            {"mark": {"type": "bar", "aria": False}},
            {
                "mark": {"type": "text", "align": "left", "dx": 4, "aria": False},
                "encoding": {"text": {"field": value, "format": ".0f"}},
            },
        ],
        "encoding": {
            "y": {"field": label, "type": "nominal", "title": None, "sort": None},
            "x": {"field": value, "type": "quantitative", "title": x_label},
        },
        "config": {"aria": False},
    }
    where.vega_lite_chart(frame, spec, width="stretch", alt=description)  # type: ignore[attr-defined]
