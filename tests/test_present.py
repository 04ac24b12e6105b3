"""Presentation mode, the view state in the URL and plain English on the app's pages (AppTest)."""

from __future__ import annotations

import json
from pathlib import Path

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
    at.switch_page("pages/population_map.py").run()
    assert not at.exception
    assert jargon(page_text(at)) == []


def test_priority_view_in_presentation_mode():
    at = run(present="1", view="priority")
    assert not at.exception
    assert "## Priority areas" in [m.value for m in at.markdown]
    html = " ".join(str(h.proto.body) for h in at.get("html"))
    assert "comes first" in html
