"""Keyboard only, zoom and reflow (WCAG 2.1.1, 2.4.7, 1.4.4, 1.4.10) in Debian's Chromium.

The journeys press keys only (no mouse, no clicks): each step Tabs to a control, checks that
the focus can be seen, and works it with Enter, Space, arrows or typing.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import test_browser
from tests.test_accessibility import settle
from tests.test_app_roles import RECORDS
from tests.test_browser import CHROMIUM, _serve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # a server and about a minute of key presses
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM}"),
]

PAGES = ["/", "/plan", "/closures", "/economy", "/population_map", "/records", "/sources", "/accessibility"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium with no network (tests/test_browser.py)."""
    yield from test_browser.browser.__wrapped__()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    yield from _serve(tmp_path_factory.mktemp("keyboard"))


# What has the focus, and whether it is drawn: an outline, or the focus ring Streamlit draws as a
# box shadow (or, on text fields, a border in the theme's primary colour) on the control or the box
# around it.
FOCUSED = """() => {
  const PRIMARY = 'rgb(168, 25, 46)';  // .streamlit/config.toml theme.primaryColor #a8192e
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  let shown = false;
  for (let e = el, i = 0; e && i < 4 && !shown; e = e.parentElement, i++) {
    const s = getComputedStyle(e);
    shown = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'
      || s.borderColor.includes(PRIMARY);  // Streamlit's text fields: a border in the primary colour
  }
  const r = el.getBoundingClientRect();
  return {name: (el.getAttribute('aria-label') || el.innerText || el.value || el.tagName).trim(),
          tag: el.tagName, role: el.getAttribute('role') || '', shown: shown && r.width > 0 && r.height > 0};
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def tab_to(page, name: str, *, limit: int = 400, exact: bool = False) -> dict:
    """Press Tab until the focus is on a control whose name holds (or is) ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        label = now["name"].split("\n")[-1].strip() if now else ""  # an icon's name comes first
        if now and (label == name if exact else label.startswith(name)):
            assert now["shown"], f"focus on {name!r} cannot be seen"
            return now
    raise AssertionError(f"Tab never reached {name!r}")


def test_a_commissioner_makes_a_recruitment_plan_and_downloads_it(app_url, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/plan?council=E06000066")
    page.get_by_text(re.compile(r"These \d+ recruits")).first.wait_for(timeout=120_000)
    settle(page)
    # Fewer recruits: the slider moves with the arrow keys.
    tab_to(page, "New micro-providers (K)")
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    page.get_by_text("These 7 recruits").first.wait_for(timeout=120_000)
    settle(page)
    # The map: focusable and named; the arrow keys pan it and + zooms in.
    tab_to(page, "Map: ")
    before = page.evaluate("() => document.querySelector('.gapmap-live-map').gapmapMap.getZoom()")
    page.keyboard.press("Equal")  # the + key
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        f"() => document.querySelector('.gapmap-live-map').gapmapMap.getZoom() > {before}", timeout=10_000
    )
    # A suggested site is a button on the map, named by its postcode: Enter removes it.
    tab_to(page, "Suggested site ")
    page.keyboard.press("Enter")
    page.get_by_text("These 6 recruits").first.wait_for(timeout=60_000)
    settle(page)
    # Add a site by postcode, typed; remove it again from the list.
    tab_to(page, "Add a site by postcode or ward name")
    page.keyboard.type("TA1 4LH")
    page.keyboard.press("Enter")
    page.get_by_text("These 7 recruits").first.wait_for(timeout=60_000)
    assert page.get_by_text("The site you added is included").count() == 1
    settle(page)
    tab_to(page, "Remove a site")
    page.keyboard.type("Your site")  # the list narrows to the added site
    page.get_by_role("option", name="Your site").first.wait_for(timeout=10_000)
    page.keyboard.press("Enter")
    settle(page)
    tab_to(page, "Remove this site")
    page.keyboard.press("Enter")
    page.get_by_text("These 6 recruits").first.wait_for(timeout=60_000)
    settle(page)
    # Download the plan with Enter.
    tab_to(page, "Download the plan (CSV)")
    with page.expect_download() as got:
        page.keyboard.press("Enter")
    path = tmp_path / "plan.csv"
    got.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 6
    page.close()


def test_a_presenter_steps_through_presentation_mode(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/population_map?council=E06000066&present=1")
    settle(page)
    seen = [page.locator("h2").first.inner_text()]
    for _ in range(8):
        for _ in range(80):  # Tab to the "next" link (its label ends with an arrow)
            page.keyboard.press("Tab")
            now = focused(page)
            if now and now["tag"] == "A" and now["name"].endswith("→"):
                assert now["shown"], f"the focus on next cannot be seen after {seen}"
                break
        else:
            break  # the last view has no next
        page.keyboard.press("Enter")
        page.wait_for_function(
            "(before) => { const h = document.querySelector('h2'); return h && h.innerText !== before; }",
            arg=seen[-1],
            timeout=120_000,
        )
        settle(page)
        seen.append(page.locator("h2").first.inner_text())
    assert len(seen) >= 5, seen  # the story, step by step: population, gaps, priority, closures, plan...
    assert len(set(seen)) == len(seen), seen
    page.close()


def test_an_editor_imports_a_file_and_saves_it(app_url, browser, tmp_path):
    records = tmp_path / "providers.csv"
    records.write_text(RECORDS, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(f"{app_url}/records?council=E06000066")
    page.get_by_text("Import a file").first.wait_for(timeout=60_000)
    settle(page)
    tab_to(page, "Upload")  # the file box's button
    chooser = None
    for _ in range(3):  # Enter opens the file chooser (tried again if the page was still redrawing)
        try:
            with page.expect_file_chooser(timeout=15_000) as opened:
                page.keyboard.press("Enter")
            chooser = opened
            break
        except Exception:  # noqa: BLE001 - Playwright's timeout
            page.wait_for_timeout(1000)
    assert chooser is not None, "Enter on Upload opened no file chooser"
    chooser.value.set_files(str(records))
    page.get_by_text("Rows accepted").wait_for(timeout=60_000)
    settle(page)
    tab_to(page, "Save 5 rows to the registry")
    page.keyboard.press("Enter")
    page.get_by_text("Somerset now has 5 providers").first.wait_for(timeout=60_000)
    page.close()


# Everything in the page that a user reads or works, outside the map and the sidebar.
LAYOUT = """() => {
  const W = window.innerWidth, out = {scroll: document.documentElement.scrollWidth, width: W, cut: [], over: []};
  const maps = [...document.querySelectorAll('.gapmap-live-map')].map(m => m.getBoundingClientRect());
  const sel = 'button, input, textarea, [role=button], [role=combobox], [role=slider], [role=spinbutton], a[href], '
    + '[data-testid=stWidgetLabel], .gapmap-below, [data-testid=stCaptionContainer], '
    + '[data-testid=stMarkdownContainer], [data-testid=stDataFrame], [data-testid=stMetric]';
  for (const el of document.querySelectorAll(sel)) {
    if (el.closest('.gapmap-live-map') || el.closest('[data-testid=stSidebar]')) continue;
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    const d = el.closest('details'); if (d && !d.open && !el.closest('summary')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const name = (el.getAttribute('aria-label') || el.textContent || el.tagName).trim().slice(0, 40);
    if (r.right > W + 1 || r.left < -1) out.cut.push(name);
    for (const m of maps) {
      if (!(r.right <= m.left + 1 || r.left >= m.right - 1 || r.bottom <= m.top + 1 || r.top >= m.bottom - 1)) {
        out.over.push(name);
      }
    }
  }
  return out;
}"""


@pytest.mark.parametrize("width", [320, 640])  # 320 px wide; a 1280 px screen at 200% zoom
def test_every_page_reflows_without_cutting_off_controls_or_covering_the_map(app_url, browser, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    problems = {}
    for path in PAGES:
        page.goto(f"{app_url}{path}?council=E06000066")
        settle(page)
        time.sleep(0.5)
        found = page.evaluate(LAYOUT)
        if found["scroll"] > found["width"] + 1 or found["cut"] or found["over"]:
            problems[path] = found
        if path in ("/", "/plan"):  # the map is there and usable: as wide as the page, and tall
            box = page.locator(".gapmap-live-map").first.bounding_box()
            assert box["width"] >= width - 80 and box["height"] >= 300, (path, box)
    page.close()
    assert not problems, problems
