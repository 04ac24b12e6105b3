"""Hand-outs: the deck, the PDF and the PNGs are complete, right, offline and in plain English."""

from __future__ import annotations

import io
import re
import socket
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from gapmap import deck
from gapmap.analysis import AnalysisRequest, analyse
from gapmap.cli import main
from gapmap.config import PACKAGE_ROOT
from gapmap.gaps import GapParams, area_gaps, point_gaps
from gapmap.population import area_codes, population_by_area
from gapmap.records import load_providers
from gapmap.story import Plan, ReportInputs, before_after, economy_for

SAMPLE = PACKAGE_ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"
AS_AT = date(2025, 6, 30)
BEFORE = date(2019, 1, 1)

BANNED = [
    re.compile(r"E2SFCA"),
    re.compile(r"2SFCA"),
    re.compile(r"circuity", re.I),
    re.compile(r"pop_\d+plus|pop_total|gap_score|unmet_need|nearest_km|access_e2sfca"),
    re.compile(r"\bNone\b"),
    re.compile(r"\bnan\b", re.I),
    re.compile(r"\bNaT\b"),
    re.compile(r"00:00:00"),
]


def jargon(text: str) -> list[str]:
    """Raw analyst terms in user-facing text (LSOA is fine next to "neighbourhood")."""
    found = [p.pattern for p in BANNED if p.search(text)]
    for m in re.finditer(r"LSOA", text):
        window = text[max(0, m.start() - 40) : m.end() + 5].lower()
        if "neighbourhood" not in window:
            found.append("LSOA without 'neighbourhood'")
    return found


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a network connection during export fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access during export")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def inputs(somerset) -> ReportInputs:
    result = load_providers(SAMPLE, outline=somerset.outline())
    analysis = analyse(somerset, result.accepted, AnalysisRequest(band="75plus", as_at=AS_AT, level="ward"))
    top = analysis.areas.sort_values("gap_rank").head(3)
    pts = top.geometry.representative_point()
    sites = pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "easting": pts.x.to_numpy(),
            "northing": pts.y.to_numpy(),
            "lat": 51.0,
            "lon": -3.0,
            "postcode": ["TA1 1AA", "TA2 2BB", "BA3 3CC"],
            "area_code": top.area_code.to_numpy(),
            "area_name": top.area_name.to_numpy(),
            "people_reached": [300.0, 200.0, 100.0],
            "people_reached_cumulative": [300.0, 500.0, 600.0],
            "people_85plus_reached": [50.0, 40.0, 30.0],
        }
    )
    return ReportInputs(
        analysis,
        illustrative=result.illustrative,
        closures=before_after(analysis, BEFORE, AS_AT),
        plan=Plan.from_table(sites, analysis),
        economy=economy_for(analysis),
    )


@pytest.fixture(scope="module")
def pptx_bytes(inputs) -> bytes:
    return deck.build_pptx(inputs)


@pytest.fixture(scope="module")
def pdf_bytes(inputs) -> bytes:
    return deck.build_pdf(inputs)


EXPECTED_TITLES = [
    "Care and support for older people in Somerset",
    "Older population",
    "Where care is short",
    "Priority areas",
    "Closures: before and after",
    "Recruitment plan",
    "Local economy",
    "Sources and method",
    "Words used in this pack",
]
MAP_SLIDES = {"Older population", "Where care is short", "Closures: before and after", "Recruitment plan"}


def slide_text(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts.extend(cell.text for row in shape.table.rows for cell in row.cells)
    parts.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(parts)


@pytest.mark.slow
def test_deck_has_the_slides_in_story_order_with_pictures_and_notes(pptx_bytes):
    prs = Presentation(io.BytesIO(pptx_bytes))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == EXPECTED_TITLES
    for slide in prs.slides:
        text = slide_text(slide)
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert bool(pictures) == (slide.shapes.title.text in MAP_SLIDES), slide.shapes.title.text
        assert "Illustrative sample — not real providers" in text
        assert "Crown copyright" in text  # the attribution on the slide or its picture's notes
        assert slide.notes_slide.notes_text_frame.text.strip()


@pytest.mark.slow
def test_priority_table_numbers_equal_the_gap_engine(pptx_bytes, somerset):
    prs = Presentation(io.BytesIO(pptx_bytes))
    slide = next(s for s in prs.slides if s.shapes.title.text == "Priority areas")
    table = next(s for s in slide.shapes if s.has_table).table
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0][:3] == ["Rank", "Area", "Priority score"]
    # Recompute independently with the gap engine's own entry point.
    providers = load_providers(SAMPLE, outline=somerset.outline()).accepted
    params = GapParams(band="75plus", as_at=AS_AT)
    codes, _ = area_codes(somerset, "ward")
    per_point = point_gaps(somerset.points, providers, params)
    engine = area_gaps(population_by_area(somerset, "ward"), codes, per_point, params)
    top = engine.sort_values(["gap_rank", "area_name"]).head(10)
    assert len(rows) == 11
    for row, (_, area) in zip(rows[1:], top.iterrows(), strict=True):
        assert row[1] == area.area_name
        assert int(row[0]) == area.gap_rank
        assert int(row[2]) == round(area.gap_score)
        assert int(row[3].replace(",", "")) == round(area.unmet_need)
        assert int(row[4].replace(",", "")) == round(area.pop_beyond_radius)
        assert row[5] == area.gap_reasons  # the full reason, not cut short


@pytest.mark.slow
def test_gaps_takeaway_matches_the_figures(pptx_bytes, inputs):
    prs = Presentation(io.BytesIO(pptx_bytes))
    slide = next(s for s in prs.slides if s.shapes.title.text == "Where care is short")
    areas = inputs.analysis.areas
    share = areas.pop_beyond_radius.sum() / areas.pop_75plus.sum()
    assert 0 < share < 0.5  # the sample leaves a minority beyond 5 km
    m = re.search(r"1 in ([\d,]+) people aged 75\+ in Somerset live more than 5 km from any support", slide_text(slide))
    assert m, slide_text(slide)
    # "1 in N" is rounded to two significant figures: within 5% of the exact ratio.
    assert abs(int(m.group(1).replace(",", "")) * share - 1) < 0.05


@pytest.mark.slow
def test_pdf_has_the_same_pages_with_searchable_titles(pdf_bytes):
    reader = PdfReader(io.BytesIO(pdf_bytes))
    assert len(reader.pages) == len(EXPECTED_TITLES)
    for page, title in zip(reader.pages, EXPECTED_TITLES, strict=True):
        text = page.extract_text()
        assert title in text.replace("\n", " ")
        assert "Illustrative sample" in text


@pytest.mark.slow
def test_no_jargon_in_deck_or_pdf(pptx_bytes, pdf_bytes):
    prs = Presentation(io.BytesIO(pptx_bytes))
    deck_text = "\n".join(slide_text(s) for s in prs.slides)
    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes)).pages)
    assert jargon(deck_text) == []
    assert jargon(pdf_text) == []


@pytest.mark.slow
def test_pngs_are_wide_and_not_blank(inputs):
    pictures = deck.build_pngs(inputs)
    assert list(pictures) == [
        "01-older-population.png",
        "02-where-care-is-short.png",
        "03-closures-before-after.png",
        "04-recruitment-plan.png",
    ]
    for payload in pictures.values():
        img = Image.open(io.BytesIO(payload)).convert("RGB")
        assert img.width >= 1600
        pixels = np.asarray(img)
        # A map in several class colours, not an empty white page.
        assert (pixels < 250).any(axis=2).mean() > 0.05
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20


def test_missing_parts_are_left_out_not_invented(somerset):
    result = load_providers(SAMPLE, outline=somerset.outline())
    analysis = analyse(somerset, result.accepted, AnalysisRequest(band="85plus", as_at=AS_AT, level="msoa"))
    names = [p.view.key for p in deck.pages(ReportInputs(analysis, illustrative=True))]
    assert names == ["title", "population", "gaps", "priority", "sources", "glossary"]


def test_plan_file_needs_the_site_columns():
    from gapmap.errors import ReportError

    with pytest.raises(ReportError, match="people_reached"):
        Plan.from_table(pd.DataFrame({"rank": [1], "easting": [1.0]}))


def test_cli_rejects_a_wrong_extension_in_one_line(tmp_path, capsys):
    status = main(
        ["report", "--council", "E06000066", "--providers", str(SAMPLE), "--format", "pdf"]
        + ["--out", str(tmp_path / "a.pptx")]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and err == ["error: --out must end in .pdf for --format pdf, got 'a.pptx'"]


def test_cli_needs_both_dates(tmp_path, capsys):
    status = main(
        [
            "report",
            "--council",
            "E06000066",
            "--providers",
            str(SAMPLE),
            "--before",
            "2020-01-01",
            "--format",
            "pptx",
            "--out",
            str(tmp_path / "a.pptx"),
        ]
    )
    assert status == 2 and "both --before and --after" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_writes_a_png_folder(tmp_path, capsys):
    out = tmp_path / "pictures"
    status = main(
        [
            "report",
            "--council",
            "E06000066",
            "--providers",
            str(SAMPLE),
            "--level",
            "msoa",
            "--as-at",
            "2025-06-30",
            "--format",
            "png",
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == ["01-older-population.png", "02-where-care-is-short.png"]
    assert "Illustrative sample — not real providers" in err
    assert "left out: closures (--before/--after); recruitment plan (--plan or --sites)" in err


@pytest.mark.slow
def test_economy_slide_has_the_figures_and_their_sources(pptx_bytes, inputs):
    prs = Presentation(io.BytesIO(pptx_bytes))
    slide = next(s for s in prs.slides if s.shapes.title.text == "Local economy")
    rows = {
        r.cells[0].text: (r.cells[1].text, r.cells[2].text)
        for r in next(s for s in slide.shapes if s.has_table).table.rows
    }
    micro = inputs.analysis.providers
    open_micro = micro[(micro.kind == "micro_enterprise") & micro.index.isin(inputs.analysis.supply.index)]
    assert rows["Micro-providers"][0] == f"{len(open_micro):,}"
    assert rows["People supported"][0] == f"{round(open_micro.capacity.sum()):,}"
    # Every assumption names its source; no multiplier is claimed without a local survey.
    assumptions = {k: v for k, v in rows.items() if k.startswith("Assumption")}
    assert assumptions and all(src for _, src in assumptions.values())
    assert "Local multiplier (LM3)" not in rows


def test_static_and_web_maps_share_classes(somerset):
    from gapmap.classes import classify
    from gapmap.figures import MapLayer, map_figure
    from gapmap.maps import Field, choropleth

    wards = population_by_area(somerset, "ward")
    from tests.test_maps import embedded

    html = choropleth(wards, Field("pop_85plus", "Aged 85+")).get_root().render()
    outlines, spec = embedded(html)  # the hand-out's colours: a palette index per area, in outline order
    assert [f["code"] for f in outlines["features"]] == wards.area_code.tolist()
    web = [spec["palette"][k] for k in spec["index"]]
    classes = classify(wards.pop_85plus, fmt=",.0f")  # the same classes, in whole people
    assert web == classes.colours_of(wards.pop_85plus)
    fig = map_figure(wards, MapLayer("pop_85plus", "People aged 85+"))
    legend = fig.axes[1].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [t for _, t in classes.legend(",.0f")]
    facecolours = {tuple(np.round(c, 3)) for c in fig.axes[0].collections[0].get_facecolors()}
    from matplotlib.colors import to_rgba

    assert facecolours == {tuple(np.round(to_rgba(c), 3)) for c in set(web)}


def test_readable_table_whole_people_dates_and_no_none():
    from gapmap.labels import readable_table

    frame = pd.DataFrame(
        {
            "area_name": ["A", None],
            "pop_75plus": [12.345678, np.nan],
            "nearest_km": [3.14159, np.nan],
            "rural_share": [0.256, 1.0],
            "end_date": [pd.Timestamp("2024-06-30"), pd.NaT],
        }
    )
    out = readable_table(frame, band="75plus")
    assert list(out.columns) == [
        "Area",
        "People aged 75+",
        "Distance to the nearest support (km)",
        "Share living in rural areas (%)",
        "Closed",
    ]
    assert out.iloc[0].tolist() == ["A", 12, 3.1, 26, "30 Jun 2024"]
    csv = out.to_csv(index=False)
    assert jargon(csv) == [] and "<NA>" not in csv
    assert csv.splitlines()[2] == ",,,100,"


def test_exports_do_not_touch_the_network_guard_works():
    with pytest.raises(AssertionError, match="network"):
        socket.create_connection(("example.org", 80))


def test_units_in_takeaways(inputs):
    from gapmap.story import gaps_view, population_view

    a = inputs.analysis
    total = round(a.areas.pop_75plus.sum())
    assert population_view(a).takeaway.startswith(f"{total:,} people aged 75+ live in Somerset")
    assert "more than 5 km from any support" in gaps_view(a).takeaway


def test_report_writes_nothing_when_the_folder_is_a_file(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("x")
    status = main(
        ["report", "--council", "E06000066", "--providers", str(SAMPLE), "--format", "png", "--out", str(target)]
    )
    assert status == 2 and "writes a folder" in capsys.readouterr().err
    assert Path(target).read_text() == "x"


def test_legend_sits_below_the_map_in_hand_out_html(somerset):
    from gapmap.maps import Field, choropleth, standalone_html
    from gapmap.population import population_by_area

    m = choropleth(population_by_area(somerset, "ward"), Field("pop_85plus", "People aged 85+"))
    page = standalone_html(m)
    body = page[page.index("<body>") :]
    # The map's own div is empty (Leaflet fills it); the legend is a sibling after it, not an overlay.
    assert re.search(r'<div class="folium-map" id="map_\w+" ?></div>', body)
    assert body.index('class="folium-map"') < body.index('class="gapmap-legend"')
    assert "position: absolute" not in page[page.index(".gapmap-legend {") :][:200]
    assert "People aged 85+" in body[body.index('class="gapmap-legend"') :]


@pytest.mark.slow
def test_cli_deck_with_sites_and_closures(tmp_path, capsys):
    out = tmp_path / "deck.pptx"
    args = ["report", "--council", "E06000066", "--providers", str(SAMPLE), "--level", "msoa", "--as-at", "2025-06-30"]
    status = main(
        [*args, "--sites", "3", "--before", "2019-01-01", "--after", "2025-06-30", "--format", "pptx"]
        + [
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert status == 0 and "left out" not in err
    prs = Presentation(str(out))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[4:7] == ["Closures: before and after", "Recruitment plan", "Local economy"]
    plan = prs.slides[5]
    assert "3 new micro-providers at these places would bring" in slide_text(plan)
    assert any(s.shape_type == MSO_SHAPE_TYPE.PICTURE for s in plan.shapes)


def test_economy_figures_count_the_kinds_the_page_counts(inputs):
    """The deck's economy slide counts what the Local economy page counted, and says who."""
    from gapmap.economy import supply_of
    from gapmap.story import economy_table, economy_view

    analysis = inputs.analysis
    micro = economy_for(analysis)
    both = economy_for(analysis, kinds=("micro_enterprise", "day_centre"))
    open_on = analysis.request.date
    assert micro["providers"] == len(supply_of(analysis.providers, open_on, kinds=("micro_enterprise",)))
    assert both["providers"] == len(supply_of(analysis.providers, open_on, kinds=("micro_enterprise", "day_centre")))
    assert both["providers"] > micro["providers"]
    assert " micro-providers support " in economy_view(replace_economy(inputs, micro)).takeaway
    words = economy_view(replace_economy(inputs, both)).takeaway
    assert " providers support " in words and "micro-providers" not in words
    assert economy_table(both).Figure.iloc[0] == "Providers"


def replace_economy(inputs: ReportInputs, economy: dict) -> ReportInputs:
    from dataclasses import replace

    return replace(inputs, economy=economy)


# --- Accessible hand-outs (issue #21): alt text, unique titles, reading order; PDF metadata ---


@pytest.mark.slow  # builds the deck / PDF (about 10 s)
def test_every_picture_in_the_deck_has_alt_text_saying_what_the_map_shows(pptx_bytes):
    deck_file = Presentation(io.BytesIO(pptx_bytes))
    pictures = 0
    for slide in deck_file.slides:
        title = slide.shapes.title.text_frame.text
        for shape in slide.shapes:
            if shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
                pictures += 1
                alt = shape._element.nvPicPr.cNvPr.get("descr", "")
                assert alt.startswith(f"Map: {title}."), alt
                assert "in each area" in alt and len(alt) > 80, alt  # the measure, not just the title
    assert pictures == len(MAP_SLIDES)


@pytest.mark.slow  # builds the deck / PDF (about 10 s)
def test_deck_titles_are_unique_and_read_first(pptx_bytes):
    deck_file = Presentation(io.BytesIO(pptx_bytes))
    titles = [slide.shapes.title.text_frame.text for slide in deck_file.slides]
    assert len(set(titles)) == len(titles) == len(EXPECTED_TITLES)
    for slide in deck_file.slides:
        order = [shape for shape in slide.shapes if shape.has_text_frame or shape.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert order[0].shape_id == slide.shapes.title.shape_id  # the title is read first
        texts = [shape.text_frame.text for shape in order if shape.has_text_frame]
        assert texts[1] == "Illustrative sample — not real providers"  # then the label, then the content
        if slide.shapes.title.text_frame.text in MAP_SLIDES:
            kinds = [shape.shape_type for shape in order]
            assert kinds.index(MSO_SHAPE_TYPE.PICTURE) > 1  # the takeaway before its picture


@pytest.mark.slow  # builds the deck / PDF (about 10 s)
def test_pdf_has_a_title_a_language_bookmarks_and_real_text(pdf_bytes):
    reader = PdfReader(io.BytesIO(pdf_bytes))
    assert reader.metadata.title == EXPECTED_TITLES[0]  # shown in the window
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"]
    marks = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
    assert marks == [(title, i) for i, title in enumerate(EXPECTED_TITLES)]
    for page, title in zip(reader.pages, EXPECTED_TITLES, strict=True):  # text, not pictures of text
        assert title in page.extract_text().replace("\n", " ")
