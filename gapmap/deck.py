"""Hand-outs: a PowerPoint deck, a PDF with the same pages, and one PNG per map.

All three are built from one list of :class:`Page` (the story's words from :mod:`gapmap.story`,
the maps from :mod:`gapmap.figures`, the tables from the gap engine's results), offline: no
tiles, no network, no browser. The deck's titles, takeaways and tables are real, editable
PowerPoint text; each slide has speaker notes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import matplotlib
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.presentation import Presentation as PptxPresentation
from pptx.shapes.base import BaseShape
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt
from pypdf import PdfWriter
from pypdf.generic import NameObject, TextStringObject

from gapmap.alternatives import picture_alt_text
from gapmap.errors import ReportError
from gapmap.figures import PAGE_SIZE_IN, MapLayer, Marks, map_figure, pair_figure, text_figure, to_png
from gapmap.labels import (
    BAND_LABELS,
    BAND_PEOPLE,
    GLOSSARY,
    ILLUSTRATIVE,
    LEVEL_LABELS,
    SOURCES_LINE,
    day,
    metric_label,
    people,
)
from gapmap.maps import ATTRIBUTION
from gapmap.story import (
    ReportInputs,
    View,
    economy_table,
    priority_table,
    supply_for_display,
    title_view,
    views,
)

Progress = Callable[[float, str], None]
"""Called with the fraction done (0–1) and what is being made."""

FORMATS = ("pptx", "pdf", "png")


@dataclass(frozen=True)
class Page:
    """One slide / PDF page.

    Attributes
    ----------
    view
        Title, takeaway and notes.
    figure
        Builds the map picture: ``figure(title, takeaway, size_in)``; ``None`` for text pages.
    table
        A table of display strings (columns are the headers).
    col_widths
        Relative column widths of ``table``.
    lines
        Paragraphs for text pages.
    name
        File stem of the page's PNG.
    alt
        What the picture shows, for its alt text (with the title and takeaway,
        :func:`gapmap.alternatives.picture_alt_text`).
    """

    view: View
    figure: Callable[[str | None, str | None, tuple[float, float]], Figure] | None = None
    table: pd.DataFrame | None = None
    col_widths: tuple[float, ...] = ()
    lines: tuple[str, ...] = ()
    name: str = ""
    extra: dict = field(default_factory=dict)
    alt: str = ""


def _note(inputs: ReportInputs, when: date | None = None) -> str:
    a = inputs.analysis
    req = a.request
    return (
        f"{inputs.council} · {LEVEL_LABELS[req.level]} · providers open on {day(when or req.date)} · "
        f"support within {inputs.reach}."
    )


def _venues(analysis: object) -> list[Marks]:
    layer = supply_for_display(analysis)
    opened, closed = layer[layer.status == "open"], layer[layer.status == "closed"]
    marks = []
    if len(opened):
        label = "Day centre or other venue (micro-providers are not shown: privacy)"
        marks.append(Marks(opened.geometry, label, "#33a02c"))
    if len(closed):
        marks.append(Marks(closed.geometry, "Day centre closed by this date", "#000000", marker="X"))
    return marks


def _what_map_shows(inputs: ReportInputs, layer: MapLayer, marks: list[Marks]) -> str:
    """The alt text's middle: the measure, the areas and the marks, as the legend names them."""
    level = LEVEL_LABELS[inputs.analysis.request.level]
    what = f"{layer.legend_title} in each area ({level}), in classes named in the legend"
    return "; ".join([what, *(m.label for m in marks)])


def _map_page(inputs: ReportInputs, view: View, layer: MapLayer, *, marks: list[Marks], name: str) -> Page:
    a = inputs.analysis
    outline = a.data.outline()

    def draw(title: str | None, takeaway: str | None, size_in: tuple[float, float]) -> Figure:
        return map_figure(
            a.areas,
            layer,
            title=title,
            takeaway=takeaway,
            outline=outline,
            marks=marks,
            illustrative=inputs.illustrative,
            note=_note(inputs),
            size_in=size_in,
        )

    return Page(view, figure=draw, name=name, alt=_what_map_shows(inputs, layer, marks))


def priority_rows(inputs: ReportInputs, n: int = 10) -> pd.DataFrame:
    """The priority table as printed: whole people, full reasons (numbers from the gap engine)."""
    top = priority_table(inputs.analysis, n)
    return pd.DataFrame(
        {
            "Rank": [people(v) for v in top.gap_rank],
            "Area": top.area_name.astype(str),
            "Priority score": [people(v) for v in top.gap_score],
            "People without a support place": [people(v) for v in top.unmet_need],
            f"People more than {inputs.reach} from support": [people(v) for v in top.pop_beyond_radius],
            "Why": top.gap_reasons.astype(str),
        }
    )


def _beyond_label(inputs: ReportInputs) -> str:
    """The name of the people-beyond-reach measure, in the request's unit (km or minutes by road)."""
    return metric_label("pop_beyond_radius", inputs.band, inputs.radius_km, unit=inputs.analysis.request.unit)


def _closures_page(inputs: ReportInputs, view: View) -> Page:
    c = inputs.closures
    assert c is not None
    layer = MapLayer("pop_beyond_radius", _beyond_label(inputs))
    outline = inputs.analysis.data.outline()
    d1, d2 = c.before_date, c.after_date

    def draw(title: str | None, takeaway: str | None, size_in: tuple[float, float]) -> Figure:
        return pair_figure(
            c.before.areas,
            c.after.areas,
            layer,
            captions=(f"Before: {day(d1)}", f"After: {day(d2)}"),
            title=title,
            takeaway=takeaway,
            outline=outline,
            marks=(_venues(c.before), _venues(c.after)),
            illustrative=inputs.illustrative,
            note=_note(inputs, d2),
            size_in=size_in,
        )

    what = _what_map_shows(inputs, layer, _venues(c.after))
    alt = f"Two maps side by side, before ({day(d1)}) and after ({day(d2)}): {what}"
    return Page(view, figure=draw, name="closures-before-after", alt=alt)


def _plan_page(inputs: ReportInputs, view: View) -> Page:
    plan = inputs.plan
    assert plan is not None
    sites = plan.sites.sort_values("rank")
    pts = gpd.GeoSeries(gpd.points_from_xy(sites.easting, sites.northing), crs="EPSG:27700")
    numbers = tuple(people(r) for r in sites["rank"])
    marks = [Marks(pts, "Proposed recruitment area (number = order)", "#1f78b4", numbers)]
    layer = MapLayer("pop_beyond_radius", _beyond_label(inputs))
    page = _map_page(inputs, view, layer, marks=marks, name="recruitment-plan")
    lines = tuple(
        f"{people(r['rank'])}. {r['area_name']} ({r['postcode']}): {people(r['people_reached'])} more people reached"
        for _, r in sites.iterrows()
    )
    return Page(view, figure=page.figure, name=page.name, lines=lines, alt=page.alt)


def _sources_page(inputs: ReportInputs) -> Page:
    req = inputs.analysis.request
    lines = [
        f"Settings: {BAND_PEOPLE[req.band]}; support within {inputs.reach} ("
        + ("travel time on the council's OpenStreetMap roads" if req.unit == "minutes" else "straight line")
        + (f" × {req.circuity:g} for roads" if req.circuity != 1 else "")
        + f"); providers open on {day(req.date)}; areas: {LEVEL_LABELS[req.level]}; "
        f"target {req.params.target:g} support places per 1,000 {BAND_PEOPLE[req.band]}.",
        "Population: Census 2021 (ONS) shared across live postcodes (OS Code-Point Open) in each neighbourhood; "
        "deprivation: English Indices of Deprivation 2025 (MHCLG); rural areas: ONS rural-urban classification 2021.",
        "Providers: the council's own records"
        + (" (here the illustrative sample)" if inputs.illustrative else "")
        + "; only those open on the date count.",
        *ATTRIBUTION,
    ]
    if inputs.illustrative:
        lines.insert(0, f"{ILLUSTRATIVE}: the providers are generated to show how the tool works.")
    view = View(
        "sources",
        "Sources and method",
        "Real open data for population; the council's own records for providers.",
        "Population: Census 2021 (ONS) placed on live postcodes (OS Code-Point Open); deprivation: IoD 2025 "
        "(MHCLG). Every figure in this deck comes from the same analysis as the gapmap app.",
    )
    return Page(view, lines=tuple(lines), name="sources")


def _glossary_page() -> Page:
    view = View(
        "glossary",
        "Words used in this pack",
        "What the measures mean, in plain English.",
        "Read out the term the room asks about; the method names are spelled out here only.",
    )
    return Page(view, lines=tuple(f"{term}: {text}" for term, text in GLOSSARY.items()), name="glossary")


def pages(inputs: ReportInputs) -> list[Page]:
    """Every page of the hand-out, in story order (views whose input is missing are left out)."""
    a = inputs.analysis
    band = inputs.band
    req = a.request
    title = title_view(inputs)
    out = [
        Page(
            title,
            lines=(
                f"{BAND_LABELS[band]} · support within {inputs.reach} · {LEVEL_LABELS[req.level]}",
                f"Made on {day(date.today())}.",
            ),
            name="title",
        )
    ]
    for v in views(inputs):
        if v.key == "population":
            layer = MapLayer(f"pop_{band}", BAND_PEOPLE[band].capitalize())
            out.append(_map_page(inputs, v, layer, marks=[], name="older-population"))
        elif v.key == "gaps":
            layer = MapLayer("pop_beyond_radius", metric_label("pop_beyond_radius", band, req.radius_km, unit=req.unit))
            out.append(_map_page(inputs, v, layer, marks=_venues(a), name="where-care-is-short"))
        elif v.key == "priority":
            out.append(Page(v, table=priority_rows(inputs), col_widths=(0.5, 1.6, 0.8, 1.1, 1.1, 5.0), name="priority"))
        elif v.key == "closures":
            out.append(_closures_page(inputs, v))
        elif v.key == "plan":
            out.append(_plan_page(inputs, v))
        elif v.key == "economy":
            out.append(Page(v, table=economy_table(inputs.economy or {}), col_widths=(2.0, 1.0, 3.0), name="economy"))
    out.append(_sources_page(inputs))
    out.append(_glossary_page())
    return out


def _notes(page: Page, inputs: ReportInputs) -> str:
    bits = [page.view.takeaway, page.view.notes]
    if inputs.illustrative:
        bits.append(f"{ILLUSTRATIVE}: say so when you show this slide.")
    bits.append(SOURCES_LINE)
    return "\n\n".join(b for b in bits if b)


# --- PowerPoint ---------------------------------------------------------------------------


W_IN, H_IN = PAGE_SIZE_IN
BODY_TOP_IN = 1.75
"""Where the picture, table or text starts below the title and takeaway on a slide."""


def _text_box(slide: Slide, box: tuple[float, float, float, float], text: str, size: float, **style: str) -> BaseShape:
    """A text box at ``box`` = (left, top, width, height) in inches; ``style``: colour, fill, bold."""
    shape = slide.shapes.add_textbox(*(Inches(v) for v in box))
    frame = shape.text_frame
    frame.word_wrap = True
    frame.text = text
    for para in frame.paragraphs:
        for run in para.runs:
            run.font.size = Pt(size)
            run.font.bold = bool(style.get("bold"))
            if "colour" in style:
                run.font.color.rgb = RGBColor.from_string(style["colour"])
    if "fill" in style:
        shape.fill.solid()
        shape.fill.fore_color.rgb = RGBColor.from_string(style["fill"])
    return shape


def _sources_box(slide: Slide) -> None:
    _text_box(slide, (0.4, H_IN - 0.45, W_IN - 0.8, 0.4), SOURCES_LINE, 8, colour="555555")


def _title_slide(prs: PptxPresentation, page: Page) -> Slide:
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    slide.shapes.title.text = page.view.title
    sub = slide.placeholders[1]
    for shape in (slide.shapes.title, sub):
        shape.left, shape.width = Inches(0.6), Inches(W_IN - 1.2)
    sub.text = "\n".join([page.view.takeaway, *page.lines])
    _sources_box(slide)
    return slide


def _content_slide(prs: PptxPresentation, page: Page) -> Slide:
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only": a real, editable title placeholder
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = Inches(0.4), Inches(0.2), Inches(W_IN - 3.6), Inches(0.8)
    title.text = page.view.title
    for para in title.text_frame.paragraphs:
        para.alignment = PP_ALIGN.LEFT
        for run in para.runs:
            run.font.size, run.font.bold = Pt(30), True
    _text_box(slide, (0.4, 1.0, W_IN - 0.8, 0.7), page.view.takeaway, 17)
    if page.figure is not None:
        fig = page.figure(None, None, (W_IN, H_IN - BODY_TOP_IN - 0.05))
        picture = slide.shapes.add_picture(io.BytesIO(to_png(fig, dpi=150)), 0, Inches(BODY_TOP_IN), width=Inches(W_IN))
        # Alt text (what the map shows and its takeaway) for screen readers (WCAG 1.1.1).
        picture._element.nvPicPr.cNvPr.set("descr", picture_alt_text(page.view.title, page.view.takeaway, page.alt))
        return slide
    if page.table is not None and len(page.table):
        _table(slide, page)
    else:
        _text_box(slide, (0.4, BODY_TOP_IN, W_IN - 0.8, H_IN - BODY_TOP_IN - 0.5), "\n".join(page.lines), 11)
    _sources_box(slide)
    return slide


def _read_after_title(slide: Slide, shape: BaseShape) -> None:
    """Move ``shape`` to just after the title in the slide's reading order (its shape tree)."""
    tree = slide.shapes._spTree
    tree.remove(shape._element)
    title = slide.shapes.title
    at = list(tree).index(title._element) + 1 if title is not None else 2
    tree.insert(at, shape._element)


def _table(slide: Slide, page: Page) -> None:
    table = page.table
    rows, cols = len(table) + 1, len(table.columns)
    left, width = 0.4, W_IN - 0.8
    shape = slide.shapes.add_table(rows, cols, Inches(left), Inches(BODY_TOP_IN), Inches(width), Inches(0.3 * rows))
    widths = list(page.col_widths or [1.0] * cols)
    for j, col in enumerate(shape.table.columns):
        col.width = Emu(int(Inches(width) * widths[j] / sum(widths)))
    cells = [list(table.columns), *(list(r) for r in table.itertuples(index=False))]
    for r, row in enumerate(cells):
        for j, value in enumerate(row):
            cell = shape.table.cell(r, j)
            cell.text = str(value)
            for para in cell.text_frame.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(10 if r == 0 else 9)


def build_pptx(inputs: ReportInputs, *, progress: Progress | None = None) -> bytes:
    """The deck as ``.pptx`` bytes.

    Editable titles and takeaways, a picture on every map slide, real tables, speaker notes,
    and the illustrative label and the attribution on every slide.

    Parameters
    ----------
    inputs
        The analysis and optional parts.
    progress
        Called after each slide.

    Returns
    -------
    bytes
    """
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(W_IN), Inches(H_IN)
    all_pages = pages(inputs)
    for i, page in enumerate(all_pages):
        slide = _title_slide(prs, page) if page.view.key == "title" else _content_slide(prs, page)
        if inputs.illustrative:
            style = {"bold": "1", "colour": "FFFFFF", "fill": "B00020"}
            label = _text_box(slide, (W_IN - 3.4, 0.1, 3.3, 0.4), ILLUSTRATIVE, 11, **style)
            _read_after_title(slide, label)
        slide.notes_slide.notes_text_frame.text = _notes(page, inputs)
        if progress:
            progress((i + 1) / len(all_pages), page.view.title)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


# --- PDF and PNG ----------------------------------------------------------------------------


def page_figure(page: Page, inputs: ReportInputs) -> Figure:
    """One page as a full-size figure with its title and takeaway (for the PDF)."""
    if page.figure is not None:
        return page.figure(page.view.title, page.view.takeaway, PAGE_SIZE_IN)
    return text_figure(
        title=page.view.title,
        takeaway=page.view.takeaway,
        lines=page.lines,
        table=page.table,
        col_widths=page.col_widths or None,
        illustrative=inputs.illustrative,
    )


def build_pdf(inputs: ReportInputs, *, progress: Progress | None = None) -> bytes:
    """The same pages as the deck, as one PDF (text kept as text, maps as vectors)."""
    all_pages = pages(inputs)
    buf = io.BytesIO()
    # TrueType (42) fonts keep the text searchable and copyable; the setting lasts only for this block.
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(buf, metadata=_pdf_metadata(inputs)) as pdf:
        for i, page in enumerate(all_pages):
            pdf.savefig(page_figure(page, inputs), facecolor="white")
            if progress:
                progress((i + 1) / len(all_pages), page.view.title)
    return _with_language_and_bookmarks(buf.getvalue(), [p.view.title for p in all_pages])


LANGUAGE = "en-GB"
"""The hand-outs' language (PDF ``/Lang``)."""


def _with_language_and_bookmarks(pdf: bytes, titles: list[str]) -> bytes:
    """The PDF with a language, a bookmark per page and its title shown in the window (WCAG 2.4.2, 3.1.1)."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer._root_object[NameObject("/Lang")] = TextStringObject(LANGUAGE)
    for number, title in enumerate(titles):
        writer.add_outline_item(title=title, page_number=number)
    writer.page_mode = "/UseOutlines"  # open with the bookmarks showing
    writer.create_viewer_preferences().display_doctitle = True  # the title, not the file name
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_metadata(inputs: ReportInputs) -> dict[str, str]:
    subject = f"{BAND_PEOPLE[inputs.band]}, support within {inputs.reach}"
    if inputs.illustrative:
        subject += f" — {ILLUSTRATIVE}"
    return {"Title": title_view(inputs).title, "Subject": subject, "Creator": "gapmap"}


def build_pngs(inputs: ReportInputs, *, progress: Progress | None = None, dpi: int = 150) -> dict[str, bytes]:
    """One PNG per map page (title and takeaway printed on it), keyed by file name."""
    maps = [p for p in pages(inputs) if p.figure is not None]
    out = {}
    for i, page in enumerate(maps):
        out[f"{i + 1:02d}-{page.name}.png"] = to_png(page_figure(page, inputs), dpi=dpi)
        if progress:
            progress((i + 1) / len(maps), page.view.title)
    return out


def view_png(inputs: ReportInputs, key: str, *, dpi: int = 150) -> bytes:
    """The PNG of one story view (``"population"``, ``"gaps"``, ``"closures"``, ``"plan"``)."""
    for page in pages(inputs):
        if page.view.key == key and page.figure is not None:
            return to_png(page_figure(page, inputs), dpi=dpi)
    raise ReportError(f"no map for view {key!r}; views with maps: population, gaps, closures, plan")
