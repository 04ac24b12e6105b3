"""Static, print-quality maps and pages with matplotlib (no tiles, no network, no browser).

Every map uses :func:`gapmap.classes.classify`, so its colours and class bounds match the web
map; the legend sits beside the map, never over it; every figure carries a scale bar, a north
arrow, the data attribution and, for the illustrative sample, its label. Figures are built on
``matplotlib.figure.Figure`` directly (no pyplot state), so they are safe in a server.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke
from matplotlib_scalebar.scalebar import ScaleBar

from gapmap._validate import require_crs
from gapmap.classes import NO_DATA_TEXT, Classes, classify
from gapmap.config import BNG
from gapmap.labels import ILLUSTRATIVE, SOURCES_LINE

PAGE_SIZE_IN = (13.333, 7.5)
"""A 16:9 page (the size of a PowerPoint widescreen slide)."""
PNG_DPI = 150
"""Resolution of PNG exports: 13.3 in × 150 = 2,000 px wide."""
INK = "#222222"
ILLUSTRATIVE_RED = "#b00020"


@dataclass(frozen=True)
class MapLayer:
    """One mapped measure.

    Attributes
    ----------
    column
        Column of the area frame.
    legend_title
        Plain-English name shown above the legend.
    fmt
        ``format`` spec of the class bounds (``",.0f"``, ``",.1f"``, ``".0%"``).
    reverse
        Darkest colour for the lowest values (low is bad, e.g. access).
    missing
        Legend text for areas without a value (e.g. hidden for privacy).
    """

    column: str
    legend_title: str
    fmt: str = ",.0f"
    reverse: bool = False
    missing: str = NO_DATA_TEXT


@dataclass(frozen=True)
class Marks:
    """Points drawn over a map (day centres, proposed sites), with a legend entry.

    Attributes
    ----------
    points
        Points in EPSG:27700.
    label
        Legend text.
    colour
        Marker colour.
    numbers
        Text drawn beside each point (e.g. the site's rank), or empty.
    marker
        Matplotlib marker.
    """

    points: gpd.GeoSeries
    label: str
    colour: str = "#1f78b4"
    numbers: tuple[str, ...] = ()
    marker: str = "o"


def _check(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    require_crs(areas, "areas")
    shown = areas[areas.geometry.notna() & ~areas.geometry.is_empty]
    return shown.to_crs(BNG) if shown.crs.to_epsg() != 27700 else shown


def draw_map(
    ax: Axes,
    areas: gpd.GeoDataFrame,
    layer: MapLayer,
    classes: Classes,
    *,
    outline: shapely.Geometry | None = None,
    marks: Sequence[Marks] = (),
    scalebar: bool = True,
) -> None:
    """Draw a choropleth on ``ax`` in British National Grid, with scale bar and north arrow.

    Parameters
    ----------
    ax
        The axes to draw on (its frame is hidden).
    areas
        Polygons with ``layer.column``.
    layer
        What is mapped.
    classes
        Classes from :func:`gapmap.classes.classify` (shared with other maps of the same measure).
    outline
        The council boundary, drawn on top.
    marks
        Points drawn over the areas.
    scalebar
        Add a scale bar and north arrow.
    """
    shown = _check(areas)
    colours = classes.colours_of(shown[layer.column])
    shown.plot(ax=ax, color=colours, edgecolor="#6b6b6b", linewidth=0.25)
    if outline is not None:
        gpd.GeoSeries([outline], crs=BNG).boundary.plot(ax=ax, color=INK, linewidth=1.0)
    for mark in marks:
        if len(mark.points) == 0:
            continue
        pts = mark.points.to_crs(BNG)
        ax.scatter(pts.x, pts.y, s=46, c=mark.colour, marker=mark.marker, edgecolors="white", linewidths=0.8, zorder=5)
        for (x, y), text in zip(zip(pts.x, pts.y, strict=True), mark.numbers, strict=False):
            ax.annotate(
                text,
                (x, y),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=10,
                weight="bold",
                color=INK,
                zorder=6,
                path_effects=[withStroke(linewidth=3, foreground="white")],  # readable on dark classes
            )
    ax.set_aspect("equal")
    ax.set_axis_off()
    if scalebar:
        ax.add_artist(ScaleBar(1.0, "m", location="lower left", box_alpha=0.8, font_properties={"size": 9}))
        ax.annotate(
            "N",
            xy=(0.97, 0.97),
            xytext=(0.97, 0.86),
            xycoords="axes fraction",
            ha="center",
            va="center",
            fontsize=12,
            weight="bold",
            arrowprops={"facecolor": INK, "width": 4, "headwidth": 11, "headlength": 10},
        )


def draw_legend(
    ax: Axes, layer: MapLayer, classes: Classes, marks: Sequence[Marks] = (), *, fontsize: int = 11
) -> None:
    """The legend of a map in its own axes (beside the map, never over it)."""
    rows = classes.legend(layer.fmt, missing=layer.missing)
    handles = [Patch(facecolor=c, edgecolor="#777777", label=t) for c, t in rows]
    seen: set[str] = set()
    for mark in marks:
        if mark.label in seen:
            continue
        seen.add(mark.label)
        label = "\n".join(textwrap.wrap(mark.label, 30))
        handles.append(ax.scatter([], [], s=46, c=mark.colour, marker=mark.marker, edgecolors="white", label=label))
    ax.set_axis_off()
    ax.legend(
        handles=handles,
        title="\n".join(textwrap.wrap(layer.legend_title, 30)),
        loc="upper left",
        frameon=False,
        fontsize=fontsize,
        title_fontsize=fontsize + 1,
        alignment="left",
    )


def _footer(fig: Figure, *, illustrative: bool, note: str = "") -> None:
    text = "\n".join(textwrap.wrap(SOURCES_LINE + (f" {note}" if note else ""), 190))
    fig.text(0.02, 0.015, text, fontsize=7.5, color="#555555", va="bottom", ha="left")
    if illustrative:
        fig.text(
            0.98,
            0.985,
            ILLUSTRATIVE,
            fontsize=11,
            color="white",
            weight="bold",
            ha="right",
            va="top",
            bbox={"facecolor": ILLUSTRATIVE_RED, "edgecolor": "none", "pad": 4},
        )


def _heading(fig: Figure, title: str | None, takeaway: str | None) -> float:
    """Title and takeaway at the top; returns the top of the space left for the map."""
    top = 0.97
    if title:
        fig.text(0.02, top, title, fontsize=24, weight="bold", color=INK, va="top")
        top -= 0.085
    if takeaway:
        lines = textwrap.wrap(takeaway, 110)
        fig.text(0.02, top, "\n".join(lines), fontsize=15, color=INK, va="top")
        top -= 0.045 * len(lines) + 0.02
    return top


def map_figure(
    areas: gpd.GeoDataFrame,
    layer: MapLayer,
    *,
    title: str | None = None,
    takeaway: str | None = None,
    classes: Classes | None = None,
    outline: shapely.Geometry | None = None,
    marks: Sequence[Marks] = (),
    illustrative: bool = False,
    note: str = "",
    size_in: tuple[float, float] = PAGE_SIZE_IN,
) -> Figure:
    """A one-map figure: (title, takeaway,) map, legend beside it, attribution and labels.

    Parameters
    ----------
    areas
        Polygons with ``layer.column`` (any CRS; drawn in British National Grid).
    layer
        What is mapped.
    title, takeaway
        Printed at the top when given (a slide has its own editable title instead).
    classes
        Shared classes; computed from the values when omitted.
    outline
        Council boundary.
    marks
        Points over the map.
    illustrative
        Print the illustrative-sample label.
    note
        Extra small print after the sources (e.g. the as-at date and radius).
    size_in
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    shown = _check(areas)
    classes = classes or classify(shown[layer.column], reverse=layer.reverse, fmt=layer.fmt)
    fig = Figure(figsize=size_in)
    FigureCanvasAgg(fig)
    top = _heading(fig, title, takeaway)
    map_ax = fig.add_axes((0.01, 0.08, 0.66, top - 0.09))
    draw_map(map_ax, shown, layer, classes, outline=outline, marks=marks)
    draw_legend(fig.add_axes((0.69, 0.1, 0.29, top - 0.14)), layer, classes, marks)
    _footer(fig, illustrative=illustrative, note=note)
    return fig


def pair_figure(
    left: gpd.GeoDataFrame,
    right: gpd.GeoDataFrame,
    layer: MapLayer,
    *,
    captions: tuple[str, str],
    title: str | None = None,
    takeaway: str | None = None,
    outline: shapely.Geometry | None = None,
    marks: tuple[Sequence[Marks], Sequence[Marks]] = ((), ()),
    illustrative: bool = False,
    note: str = "",
    size_in: tuple[float, float] = PAGE_SIZE_IN,
) -> Figure:
    """Two maps of the same measure side by side with the SAME classes (e.g. before and after).

    Returns
    -------
    matplotlib.figure.Figure
    """
    a, b = _check(left), _check(right)
    both = pd.concat([a[layer.column], b[layer.column]], ignore_index=True)
    classes = classify(both, reverse=layer.reverse, fmt=layer.fmt)
    fig = Figure(figsize=size_in)
    FigureCanvasAgg(fig)
    top = _heading(fig, title, takeaway)
    for i, (frame, caption) in enumerate(zip((a, b), captions, strict=True)):
        ax = fig.add_axes((0.01 + i * 0.37, 0.08, 0.36, top - 0.13))
        draw_map(ax, frame, layer, classes, outline=outline, marks=marks[i], scalebar=True)
        fig.text(0.01 + i * 0.37 + 0.18, top - 0.02, caption, ha="center", va="top", fontsize=14, weight="bold")
    draw_legend(fig.add_axes((0.76, 0.1, 0.23, top - 0.14)), layer, classes, [*marks[0], *marks[1]], fontsize=10)
    _footer(fig, illustrative=illustrative, note=note)
    return fig


def text_figure(
    *,
    title: str,
    takeaway: str | None = None,
    lines: Sequence[str] = (),
    table: pd.DataFrame | None = None,
    col_widths: Sequence[float] | None = None,
    illustrative: bool = False,
    note: str = "",
    size_in: tuple[float, float] = PAGE_SIZE_IN,
) -> Figure:
    """A page of text and/or a table (title slide, priority table, sources) for the PDF.

    Parameters
    ----------
    title, takeaway
        Heading.
    lines
        Paragraphs or bullet lines below the heading.
    table
        A small table of strings (its columns are the headers).
    col_widths
        Relative column widths of ``table``.
    illustrative, note, size_in
        As for :func:`map_figure`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = Figure(figsize=size_in)
    FigureCanvasAgg(fig)
    top = _heading(fig, title, takeaway)
    y = top - 0.01
    for line in lines:
        wrapped = textwrap.wrap(line, 150) or [""]
        fig.text(0.03, y, "\n".join(wrapped), fontsize=11.5, color=INK, va="top")
        y -= 0.034 * len(wrapped) + 0.012
    if table is not None and len(table.columns):
        widths = np.asarray(col_widths if col_widths is not None else [1.0] * len(table.columns), dtype=float)
        widths = widths / widths.sum()
        chars = np.maximum((widths * 150).astype(int), 6)

        def wrap(row: Sequence[object]) -> list[str]:
            return ["\n".join(textwrap.wrap(str(v), int(w)) or [""]) for v, w in zip(row, chars, strict=True)]

        header = wrap(list(table.columns))
        cells = [wrap(list(row)) for row in table.itertuples(index=False)]
        n_lines = [max(c.count("\n") + 1 for c in row) for row in [header, *cells]]
        ax = fig.add_axes((0.01, 0.08, 0.94, y - 0.09))
        ax.set_axis_off()
        tab = ax.table(
            cellText=cells, colLabels=header, colWidths=list(widths), loc="upper left", cellLoc="left", colLoc="left"
        )
        tab.auto_set_font_size(False)
        tab.set_fontsize(9)
        # Cell heights are fractions of the axes: share the height out by lines of text (capped for short tables).
        unit = min(0.045, 1.0 / (sum(n_lines) + 0.4 * len(n_lines)))
        for (r, _c), cell in tab.get_celld().items():
            cell.set_height(unit * (n_lines[r] + 0.4))
            cell.set_edgecolor("#bbbbbb")
            if r == 0:
                cell.set_text_props(weight="bold")
                cell.set_facecolor("#eeeeee")
    _footer(fig, illustrative=illustrative, note=note)
    return fig


def to_png(fig: Figure, *, dpi: int = PNG_DPI) -> bytes:
    """PNG bytes of a figure (13.3 in × 150 dpi = 2,000 px wide by default)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()
