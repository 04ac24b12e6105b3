"""The three journeys end to end in the browser: commissioner, economic development officer, presenter.

Each test is one person's path through the running app, checking what a person would see:
settings kept, figures that follow the inputs on screen, downloads that agree with the page.
"""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM, ROOT, _drawn, _map_frame, _serve, _sites, app_url, browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # a few minutes: CI runs them; locally GAPMAP_SLOW=1
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM}"),
]


def _shot(page, name: str) -> None:
    """With GAPMAP_SHOTS=FOLDER, keep a screenshot of this moment of the journey (to look at)."""
    import os

    if os.environ.get("GAPMAP_SHOTS"):
        page.screenshot(path=str(Path(os.environ["GAPMAP_SHOTS"]) / f"{name}.png"), full_page=True)


def _idle(page, timeout: float = 180.0) -> None:
    """Wait until the script run has finished (Streamlit's running indicator is gone)."""
    time.sleep(1.0)
    end = time.time() + timeout
    while page.locator('[data-testid="stStatusWidget"]').count() and time.time() < end:
        time.sleep(0.3)


def _nav(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    _idle(page)


def _council(page, name: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Council").click()
    page.keyboard.type(name)
    time.sleep(0.5)
    page.keyboard.press("Enter")
    _idle(page)


def _tiles(page) -> dict[str, str]:
    out = {}
    for m in page.locator('[data-testid="stMetric"]').all():
        label = m.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        out[label] = m.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return out


def _pounds(text: str) -> float:
    return float(text.strip("£").replace(",", ""))


def _number_input(page, label_start: str):
    return page.locator(f'input[aria-label^="{label_start}"]').first


def test_economic_development_officer(app_url, browser):  # noqa: F811
    """Assumptions, what the plan adds, exports that agree with the page, another council and back."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page.goto(f"{app_url}/plan?council=E06000066")
    made = page.get_by_text(re.compile(r"These \d+ recruits")).first
    made.wait_for(timeout=180_000)
    _idle(page)
    # Ten, or fewer when fewer already bring everyone within reach (the page then says so).
    n = re.search(r"These (\d+) recruits", made.inner_text()).group(1)
    _nav(page, "Local economy")
    page.get_by_text("What the recruitment plan adds").wait_for(timeout=120_000)
    _shot(page, "economic-development-officer-1-what-the-plan-adds")
    assert _tiles(page)["New providers"] == n  # the plan made a moment ago
    price = _number_input(page, "Price of an hour")
    price.fill("30")
    price.press("Enter")
    _idle(page)
    tiles = _tiles(page)
    hours = float(tiles["Hours of care a week"].replace(",", ""))
    assert _pounds(tiles["Care bought a year"]) == pytest.approx(hours * 52 * 30, rel=2e-3)
    # The readable CSV says what the page says, and has the plan's section as the JSON does.
    with page.expect_download(timeout=60_000) as got:
        page.get_by_text("Figures (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(got.value.path()).read_text(encoding="utf-8-sig"))))
    figures = {(r["section"], r["name"]): r["value"] for r in rows}
    assert float(figures[("figure", "annual_income_gbp")]) == _pounds(tiles["Care bought a year"])
    assert figures[("plan", "providers")] == n
    assert "." not in figures[("figure", "annual_income_gbp")]  # whole pounds, as on the page
    # Another council (no records: the page stops early) and back: the inputs are as set, and the
    # figures are computed from them.
    _council(page, "Kent")
    page.get_by_text("No provider records for Kent").wait_for(timeout=120_000)
    _council(page, "Somerset")
    page.get_by_text("Assumptions and their sources").first.wait_for(timeout=120_000)
    _idle(page)
    assert _number_input(page, "Price of an hour").input_value() == "30.00"
    again = _tiles(page)
    assert again["Care bought a year"] == tiles["Care bought a year"]
    assert page.locator("h3", has_text=tiles["Care bought a year"]).count() == 1  # the headline too
    page.close()


def test_presenter(app_url, browser):  # noqa: F811
    """Step through presentation mode, make and download the slides and the report in place, exit."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page.goto(f"{app_url}/?council=E06000066&present=1&band=85plus")
    page.get_by_text("Exit presentation").wait_for(timeout=180_000)
    _idle(page)
    assert page.get_by_text("Exit presentation").is_visible()
    assert "85+" in page.locator(".gapmap-takeaway").first.inner_text()
    seen = []
    where = {"Priority": "view=priority", "Closures": "/closures", "Recruitment": "/plan", "Local": "/economy"}
    page.locator('[data-testid="stPageLink"] a', has_text="→").first.wait_for(timeout=180_000)
    while True:
        step = page.locator('[data-testid="stPageLink"] a', has_text="→")
        if not step.count():
            break
        label = step.first.inner_text()
        seen.append(label)
        step.first.click()
        page.wait_for_url(re.compile(re.escape(where[label.split()[0].rstrip(":")])), timeout=60_000)
        page.locator(".gapmap-foot").first.wait_for(timeout=180_000)
        _idle(page)
        _shot(page, f"presenter-{len(seen)}-{label.split()[0].rstrip(':').lower()}")
        if label.startswith("Recruitment plan"):
            page.locator(".gapmap-takeaway", has_text="would bring").wait_for(timeout=180_000)
            # The URL says what the view shows (the band carried from the first view: 85+).
            band = re.search(r"band=(\d\d)plus", page.url).group(1)
            assert band == "85" and f"aged {band}+" in page.locator(".gapmap-takeaway").first.inner_text()
            for make, ready, suffix in (
                ("Make slides (PowerPoint)", "Download slides (PowerPoint)", ".pptx"),
                ("Make report (PDF)", "Download report (PDF)", ".pdf"),
            ):
                page.get_by_text(make).first.click()
                ready_button = page.get_by_text(ready).first
                ready_button.wait_for(timeout=240_000)
                assert ready_button.is_visible()  # in place, not hidden by presentation mode
                with page.expect_download(timeout=60_000) as got:
                    ready_button.click()
                assert got.value.suggested_filename.endswith(suffix)
                assert Path(got.value.path()).stat().st_size > 10_000
            assert "band=" in page.url and "present=1" in page.url
    assert [s.split(" →")[0] for s in seen][-1] == "Local economy"
    page.get_by_text("Exit presentation").click()
    _idle(page)
    assert page.locator('[data-testid="stSidebar"]').is_visible()
    assert "present=1" not in page.url
    _shot(page, "presenter-exit")
    page.close()


@pytest.fixture
def own_app_url(tmp_path):
    """A server of its own (this journey saves records into its registry)."""
    yield from _serve(tmp_path)


def test_commissioner(own_app_url, browser):  # noqa: F811
    """Import the messy file, read why areas rank high, edit a plan on the map, make its deck."""
    pptx = pytest.importorskip("pptx")
    page = browser.new_page(viewport={"width": 1440, "height": 1200}, accept_downloads=True)
    page.goto(f"{own_app_url}/records?council=E06000066")
    page.get_by_text("Import a file").first.wait_for(timeout=120_000)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        str(ROOT / "tests" / "data" / "messy_providers.csv")
    )
    page.get_by_text("Rows accepted").wait_for(timeout=60_000)
    _idle(page)
    page.get_by_text("Yes, replace").click()  # more rows rejected than accepted: asked first
    _idle(page)
    page.get_by_role("button", name=re.compile(r"Save \d+ rows")).click()
    saved = page.get_by_test_id("stMainBlockContainer").get_by_text("Saved: Somerset now has 4 providers")
    saved.wait_for(timeout=60_000)
    _idle(page)
    assert page.get_by_text("This replaces").count() == 0  # a plain saved state, no question
    # Saving the table (dates blank when there is none, typed DD/MM/YYYY) keeps the saved state.
    page.get_by_role("button", name="Save changes").click()
    _idle(page)
    assert page.locator('[data-testid="stToast"]', has_text="Changes saved").count() == 1
    assert page.get_by_text("This replaces").count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    # Priority areas with their reasons, readable in place.
    _nav(page, "Where care is short")
    why = page.locator(".st-key-gap-why")
    why.wait_for(timeout=180_000)
    assert re.search(r"Why .+ ranks 1 of \d+", why.inner_text())
    assert len(why.locator("li").all()) >= 2
    _shot(page, "commissioner-1-priority-areas")
    # A plan edited on the map: a click well away from the sites adds one.
    _nav(page, "Plan recruitment")
    page.get_by_text(re.compile(r"These \d+ recruits")).first.wait_for(timeout=180_000)
    frame = _map_frame(page)
    _drawn(frame, 55)
    for _ in range(60):
        if len(_sites(frame)) == 10:
            break
        time.sleep(0.5)
    _idle(page)
    # The page may still be growing round the map after the run, moving it: the spot is worked
    # out again before each try, as a user would aim again at a map that moved under the mouse.
    for _ in range(3):
        spot = frame.evaluate(
            """() => {
              const sites = [], r = MAP.getContainer().getBoundingClientRect();
              MAP.eachLayer(l => { if (l instanceof L.Marker) sites.push(l.getLatLng()); });
              let best = null;
              MAP.eachLayer(l => {
                if (!(l instanceof L.Polygon && l.feature) || best) return;
                const c = l.getCenter();
                if (l.getBounds().contains(c) && sites.every(s => MAP.distance(s, c) > 4000)) {
                  const p = MAP.latLngToContainerPoint(c);
                  best = [r.left + p.x, r.top + p.y];
                }
              });
              return best;
            }"""
        )
        page.mouse.click(*spot)
        try:
            page.get_by_text("These 11 recruits").first.wait_for(timeout=20_000)
            break
        except Exception:
            _idle(page)
    page.get_by_text("These 11 recruits").first.wait_for(timeout=10_000)
    assert page.get_by_text("The site you added is included").count() == 1
    _idle(page)
    _shot(page, "commissioner-2-plan-edited-on-the-map")
    page.get_by_text("Make slides (PowerPoint)").first.click()
    page.get_by_text("Download slides (PowerPoint)").first.wait_for(timeout=240_000)
    with page.expect_download(timeout=60_000) as got:
        page.get_by_text("Download slides (PowerPoint)").first.click()
    deck = pptx.Presentation(got.value.path())
    text = " ".join(sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame)
    assert "11 new micro-providers" in text  # the plan as edited on the map
    page.close()
