"""WCAG 2.2 AA: axe-core on every page, for an editor and a viewer, normal and presentation mode.

axe-core runs inside Debian's Chromium through axe-playwright-python (which bundles axe-core).
Only the WCAG A and AA rules count (tags below); "best practice" rules are not part of the law.
Where a violation sits inside Streamlit's own code and the app cannot fix it, it is excluded
here by exactly its rule and selector, with the upstream issue, and listed in the
accessibility statement (pages/accessibility.py, README "Accessibility statement").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import test_browser
from tests.test_browser import CHROMIUM, ROOT, _serve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # two servers, about 40 page scans
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM}"),
]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

KNOWN_UPSTREAM: dict[str, tuple[str, str]] = {}
"""Violations inside Streamlit's own markup, which the app cannot change: rule id -> (CSS
selector fragment of the offending element, upstream issue). Each is in the statement too."""

EDITOR_PAGES = ["/", "/plan", "/closures", "/economy", "/population_map", "/records", "/sources", "/accessibility"]
VIEWER_PAGES = ["/", "/plan", "/closures", "/economy", "/population_map", "/sources", "/accessibility"]
CLOSURE_VIEWS = ("What if this closes?", "Over time")


def settle(page, timeout: float = 120.0) -> None:
    """Wait until the script has finished and any map has drawn its areas."""
    end = time.time() + timeout
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    time.sleep(0.5)
    while time.time() < end:
        state = page.evaluate(
            "() => document.querySelector('[data-testid=\"stApp\"]').getAttribute('data-test-script-state')"
        )
        busy = page.locator('[data-testid="stSpinner"], [data-testid="stSkeleton"]').count()
        maps = page.evaluate(
            """() => [...document.querySelectorAll('.gapmap-live-map')].every(el => {
                 const m = el.gapmapMap; if (!m) return false;
                 let n = 0; m.eachLayer(l => { if (l.feature) n++; }); return n > 0; })"""
        )
        if state == "notRunning" and not busy and maps:
            time.sleep(0.7)  # the last layer swap
            return
        time.sleep(0.4)
    raise AssertionError(f"page did not settle: {page.url}")


def violations(page) -> list[str]:
    """WCAG A/AA violations on the page, one line per rule and element, known upstream ones left out."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
    found = []
    for v in result.response["violations"]:
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            known = KNOWN_UPSTREAM.get(v["id"])
            if known and known[0] in target:
                continue
            found.append(f"{v['id']} ({v['impact']}): {target} :: {node.get('failureSummary', '')[:160]!r}")
    return found


TITLES = {
    "/": "Where care is short",
    "/plan": "Plan recruitment",
    "/closures": "Closures and change",
    "/economy": "Local economy",
    "/population_map": "Older population",
    "/records": "Provider records",
    "/sources": "Data and sources",
    "/accessibility": "Accessibility",
}


def _scan_views(page, name: str, path: str, report: dict[str, list[str]]) -> None:
    settle(page)
    report[name] = violations(page)
    if path == "/closures" and "present=1" not in name:
        for view in CLOSURE_VIEWS:
            # A loaded CI machine can take a while over the view before (CI once timed out at 30 s
            # here): wait for the control itself, and say what the page showed if it never came.
            control = page.get_by_test_id("stMainBlockContainer").get_by_text(view, exact=True).first
            try:
                control.click(timeout=120_000)
            except Exception as exc:
                shown = page.locator("h1, h2, h3, [data-testid='stAlert']").all_inner_texts()
                raise AssertionError(f"no '{view}' control on {page.url}; the page showed {shown}") from exc
            time.sleep(1)
            settle(page)
            report[f"{name} {view}"] = violations(page)


def scan_app(browser, url: str, pages: list[str]) -> dict[str, list[str]]:
    """Every page in normal and presentation mode (and each closures view): its violations."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    report: dict[str, list[str]] = {}
    for present in ("0", "1"):
        for path in pages:
            page.goto(f"{url}{path}?council=E06000066&present={present}")
            _scan_views(page, f"{path} present={present}", path, report)
    context.close()
    return report


def scan_signed_in(browser, url: str, pages: list[str], user: str) -> dict[str, list[str]]:
    """As :func:`scan_app`, signed in as ``user``: a new page load is a new session, so each page
    is reached from the sign-in through the sidebar, then presentation mode is switched on."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    report: dict[str, list[str]] = {}
    for path in pages:
        page.goto(f"{url}/?council=E06000066")
        page.get_by_role("textbox", name="User name").fill(user)
        page.get_by_role("textbox", name="Password").fill("correct horse battery staple")
        if "sign-in" not in report:
            report["sign-in"] = violations(page)
        page.get_by_role("button", name="Sign in").click()
        sidebar = page.locator('[data-testid="stSidebarNav"]')
        sidebar.get_by_text(TITLES[path], exact=True).click()
        page.get_by_text(TITLES[path]).first.wait_for(timeout=60_000)
        time.sleep(1)
        _scan_views(page, f"{path} present=0", path, report)
        page.locator('[data-testid="stSidebar"]').get_by_text("Presentation mode").click()
        time.sleep(1)
        _scan_views(page, f"{path} present=1", path, report)
    context.close()
    return report


def _check(report: dict[str, list[str]]) -> None:
    for name, found in report.items():
        print(f"axe {name}: {len(found)} violation(s)")
        for line in found:
            print("   ", line)
    bad = {name: found for name, found in report.items() if found}
    assert not bad, "\n".join(f"{n}: {line}" for n, found in bad.items() for line in found)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium with no network (tests/test_browser.py)."""
    yield from test_browser.browser.__wrapped__()


@pytest.fixture(scope="module")
def editor_url(tmp_path_factory) -> Iterator[str]:
    yield from _serve(tmp_path_factory.mktemp("a11y-editor"))


@pytest.fixture(scope="module")
def viewer_url(tmp_path_factory) -> Iterator[str]:
    """A server with sign-in configured (one user per role, distinctive records)."""
    from tests.test_app_roles import home

    folder = tmp_path_factory.mktemp("a11y-viewer")
    (folder / "home").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        home.__wrapped__(folder / "home", mp)
    yield from _serve(folder)


def test_every_page_for_an_editor(editor_url, browser):
    _check(scan_app(browser, editor_url, EDITOR_PAGES))


def test_every_page_for_a_viewer(viewer_url, browser):
    _check(scan_signed_in(browser, viewer_url, VIEWER_PAGES, "vera"))


def test_offline_handouts(tmp_path, browser, monkeypatch):
    """The HTML hand-outs: the gap map (`gaps --out`) and the timeline slider (`timeline --html`)."""
    from gapmap.cli import main

    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    sample = ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"
    out = tmp_path / "map.html"
    assert main(["gaps", "--council", "E06000066", "--providers", str(sample), "--out", str(out)]) == 0
    slider = tmp_path / "replay.html"
    args = ["timeline", "--council", "E06000066", "--providers", str(sample), "--from", "2015-01-01"]
    args += ["--to", "2025-01-01", "--out", str(tmp_path / "t.csv"), "--html", str(slider)]
    assert main(args) == 0
    files = [out, slider]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    report = {}
    for f in files:
        page.goto(f.as_uri())
        page.wait_for_timeout(1500)
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")  # the table too
        report[f.name] = violations(page)
    page.close()
    _check(report)
