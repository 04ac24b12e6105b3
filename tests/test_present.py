"""Presentation mode, the view state in the URL and plain English on the app's pages (AppTest)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from tests.test_report import jargon

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def run(page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def page_text(at: AppTest) -> str:
    """Every piece of user-facing text AppTest can see: headings, prose, labels, options, table headers."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    parts.extend(f"{m.label} {m.value}" for m in at.metric)
    for kind in ("selectbox", "multiselect", "slider", "date_input", "number_input", "toggle", "radio"):
        for w in getattr(at, kind):
            parts.append(str(w.label))
            parts.append(str(w.help or ""))
            if hasattr(w, "options"):
                parts.extend(str(o) for o in w.options)
    for frame in at.dataframe:
        # The headers shown: the column configuration's label, else the column's own name.
        config = json.loads(frame.proto.columns or "{}")
        parts.extend(str(config.get(str(c), {}).get("label", c)) for c in frame.value.columns)
        # And the cells (no "None", "nan" or midnight times in what people read).
        parts.append(frame.value.astype(str).to_csv(index=False, header=False))
    return "\n".join(parts)


def test_present_parameter_shows_title_takeaway_and_steps():
    at = run(present="1", band="75plus", radius="5", date="2025-06-30")
    assert not at.exception
    assert at.session_state["present"] is True
    assert at.selectbox(key="gap_band").value == "75plus"
    assert str(at.date_input(key="gap_as_at").value) == "2025-06-30"
    assert "## Where care is short" in [m.value for m in at.markdown]
    html = " ".join(str(h.proto.body) for h in at.get("html"))
    assert "people aged 75+ in Somerset live more than 5 km from any support" in html
    assert "Illustrative sample — not real providers" in html and "Crown copyright" in html
    links = [(p.proto.label, p.proto.page) for p in at.get("page_link")]
    assert any(label.startswith("← Older population") for label, _ in links)
    assert any(label.startswith("Priority areas →") for label, _ in links)


def test_view_state_goes_into_the_url_and_bad_values_are_ignored():
    at = run(level="msoa", band="85plus", radius="99", kinds="day_centre,bogus")
    assert not at.exception
    assert at.selectbox(key="gap_level").value == "msoa"
    assert at.selectbox(key="gap_band").value == "85plus"
    assert at.slider(key="gap_radius").value == 5.0  # 99 km is out of range: default kept
    assert at.query_params["radius"] == "5" and at.query_params["level"] == "msoa"
    at.slider(key="gap_radius").set_value(7.5).run()
    assert at.query_params["radius"] == "7.5"


def test_no_jargon_on_the_pages():
    at = run()
    assert not at.exception
    assert jargon(page_text(at)) == []
    at.selectbox(key="gap_level").set_value("lsoa").run()
    assert jargon(page_text(at)) == []
    for page in ("pages/population_map.py", "pages/closures.py", "pages/plan.py", "pages/economy.py"):
        at.switch_page(page).run()
        assert not at.exception, page
        assert jargon(page_text(at)) == [], page


def test_priority_view_in_presentation_mode():
    at = run(present="1", view="priority")
    assert not at.exception
    assert "## Priority areas" in [m.value for m in at.markdown]
    html = " ".join(str(h.proto.body) for h in at.get("html"))
    assert "comes first" in html


def test_every_story_page_has_next_previous_in_presentation_mode():
    """With the sidebar hidden, the story buttons are the only way on: every story page has them."""
    at = run(present="1")
    for page, first in (
        ("pages/population_map.py", "Where care is short →"),
        ("pages/closures.py", "← "),
        ("pages/plan.py", "← "),
        ("pages/economy.py", "← "),
    ):
        at.switch_page(page).run()
        assert not at.exception, page
        labels = [p.proto.label for p in at.get("page_link")]
        assert any(label.startswith(first) for label in labels), (page, labels)


# --- Hand-outs beside every view ---------------------------------------------------------

HANDOUT_PAGES = ("pages/population_map.py", "pages/closures.py", "pages/plan.py", "pages/economy.py")
SAMPLE = ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"


@pytest.fixture(scope="module")
def app() -> AppTest:
    """One app session for the hand-out tests (the council's data is loaded once)."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("pages/plan.py").run()
    assert not at.exception
    return at


def handout_controls(at: AppTest) -> tuple[list[str], list[str]]:
    """The labels of the hand-out buttons and download buttons on the page."""
    buttons = [b.label for b in at.button if "slides" in b.label or "report (PDF)" in b.label]
    downloads = [d.proto.label for d in at.get("download_button") if "(PNG)" in d.proto.label]
    return buttons, downloads


@pytest.mark.parametrize("page", HANDOUT_PAGES)
def test_every_story_page_has_the_three_handouts(app, page):
    app.switch_page(page).run()
    assert not app.exception, page
    buttons, pngs = handout_controls(app)
    # Slides and report are made on request (no file is built before the click); one PNG button.
    assert sorted(buttons) == ["Make report (PDF)", "Make slides (PowerPoint)"], page
    assert pngs == ["Download map (PNG)"], page
    png = next(d for d in app.get("download_button") if d.proto.label == "Download map (PNG)")
    assert png.proto.deferred_file_id and not png.proto.url  # built only when clicked


@pytest.mark.slow  # about 10 s: the whole deck is built
def test_plan_page_makes_slides_with_the_plan_and_nothing_personal(app):
    """The viewer's default (counts): the deck names no provider and places none of their homes."""
    app.switch_page("pages/plan.py").run()
    assert not app.exception
    assert "Download slides (PowerPoint)" not in [d.proto.label for d in app.get("download_button")]
    app.button(key="make-pptx-plan").click().run()
    assert not app.exception
    assert "Download slides (PowerPoint)" in [d.proto.label for d in app.get("download_button")]
    deck = Presentation(io.BytesIO(app.session_state["handout-pptx"][1]))
    titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert "Recruitment plan" in titles and titles.index("Recruitment plan") > titles.index("Priority areas")
    texts = [
        " ".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) + " " + s.notes_slide.notes_text_frame.text
        for s in deck.slides
    ]
    assert all("Illustrative sample — not real providers" in t for t in texts)  # every slide says so
    plan_text = texts[titles.index("Recruitment plan")]
    sites = app.session_state["recruitment_plan"].sites
    assert f"{len(sites)} new micro-providers" in plan_text  # the plan as on the page
    everything = " ".join(texts)
    sample = pd.read_csv(SAMPLE)
    micro = sample[sample.kind == "micro_enterprise"]
    assert not [n for n in micro.name if n in everything]
    assert not [i for i in micro.id if i in everything]
    assert not [p for p in micro.postcode if f"({p})" in everything]
    # Another setting makes another deck: the one made for 10 sites is not offered for 9.
    app.slider(key="plan_k").set_value(9).run()
    assert "Download slides (PowerPoint)" not in [d.proto.label for d in app.get("download_button")]


@pytest.mark.slow  # about 10 s: two analyses and a 2,000 px picture of two maps
def test_closures_png_is_made_on_click_wide_and_not_blank(app, monkeypatch):
    made = {}
    add = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        made[file_name] = data_callable
        return add(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    app.switch_page("pages/closures.py").run()
    assert not app.exception
    (name,) = [n for n in made if n.endswith("-closures.png")]
    assert name.endswith("-ILLUSTRATIVE-closures.png")
    img = Image.open(io.BytesIO(made[name]())).convert("RGB")
    assert img.width >= 1600
    pixels = np.asarray(img)
    assert (pixels < 250).any(axis=2).mean() > 0.05  # two maps in class colours, not a white page
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20


def test_plan_headline_is_shown_once(app):
    app.switch_page("pages/plan.py").run()
    assert not app.exception
    shown = [str(e.value) for kind in ("success", "markdown", "info") for e in getattr(app, kind)]
    assert sum("would bring" in text for text in shown) == 1, shown
