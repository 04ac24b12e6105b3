"""`--privacy counts|displaced` on the command line writes exactly what a viewer of the app downloads.

Each test runs the command and builds the same file the way the page does: the session's
providers from ``gapmap.privacy.providers_for`` (what ``pages/_shared.provider_source`` gives a
viewer), the page's cached analysis (``pages/_shared.analysis``, ``zones``, ``timeline``), and the
page's download function (``gapmap.downloads``); the bytes must be equal.
"""

from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from gapmap import privacy
from gapmap.analysis import AnalysisRequest
from gapmap.cli import main
from gapmap.closures import closure_impact
from gapmap.downloads import (
    closure_download,
    economy_areas,
    economy_areas_download,
    economy_json_bytes,
    gaps_download,
    timeline_download,
)
from gapmap.economy import EconomyParams, economy_report, economy_summary, supply_of
from gapmap.export import to_csv_bytes, to_geojson_bytes
from gapmap.records import load_providers
from gapmap.siting import plan_sites, plan_table
from pages import _shared

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "somerset_providers_illustrative.csv"
CODE = "E06000066"
AS_AT = date(2024, 6, 1)


@pytest.fixture
def viewer(tmp_path, monkeypatch):
    """A GAPMAP_HOME (its key) and the sample's public form, as the app gives a viewer."""
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    data = _shared.council_data(CODE)
    records = load_providers(SAMPLE, outline=data.outline()).accepted
    secret = privacy.load_or_create_secret(tmp_path)

    def given(mode):
        return privacy.providers_for(records, mode=mode, secret=secret)

    return tmp_path, data, records, given


def run(*args) -> None:
    assert main([str(a) for a in args]) == 0


@pytest.mark.parametrize("mode", ["counts", "displaced"])
def test_gaps_tables_equal_the_viewers_downloads(viewer, mode):
    home, data, records, given = viewer
    public = given(mode)
    assert isinstance(public, privacy.PublicProviders)
    for suffix, encode in ((".csv", to_csv_bytes), (".geojson", to_geojson_bytes)):
        out = home / f"gaps{suffix}"
        run("gaps", "--council", CODE, "--providers", SAMPLE, "--as-at", AS_AT, "--level", "lsoa",
            "--privacy", mode, "--out", out)  # fmt: skip
        request = AnalysisRequest(as_at=AS_AT, level="lsoa")
        analysis = _shared.analysis(CODE, f"test-{mode}|public", request, None, public.frame)
        page = encode(gaps_download(analysis.areas, privacy=mode, illustrative=True))
        assert out.read_bytes() == page
    # ...and the viewer's table is not the exact one: it is computed from the moved points.
    exact = home / "exact.csv"
    run("gaps", "--council", CODE, "--providers", SAMPLE, "--as-at", AS_AT, "--level", "lsoa", "--out", exact)
    viewer_table = pd.read_csv(home / "gaps.csv", encoding="utf-8-sig").set_index("area_code")
    exact_table = pd.read_csv(exact, encoding="utf-8-sig").set_index("area_code")
    assert not viewer_table.nearest_km.equals(exact_table.nearest_km)
    assert not viewer_table.providers_within.equals(exact_table.providers_within)
    # The exact table says on every row that it is internal; the viewer's says nothing of the kind.
    assert set(exact_table.internal_note) == {privacy.INTERNAL_NOTE}
    assert "internal_note" not in viewer_table


def test_economy_files_equal_the_viewers_downloads(viewer):
    home, data, records, given = viewer
    public = given("counts")
    out, areas_out = home / "economy.json", home / "by_area.csv"
    run("economy", "--council", CODE, "--providers", SAMPLE, "--as-at", AS_AT, "--kinds", "micro_enterprise",
        "--level", "ward", "--areas-out", areas_out, "--privacy", "counts", "--out", out)  # fmt: skip
    params, kinds = EconomyParams(), ("micro_enterprise",)
    supply = supply_of(public.frame, AS_AT, kinds)
    summary = economy_summary(supply, params)
    context = {"council": CODE, "council_name": data.council.name, "as_at": AS_AT.isoformat(), "kinds": list(kinds)}
    context["data_note"] = _shared.ILLUSTRATIVE
    report = economy_report(summary, params, plan=None, context=context, notes=[_shared.ILLUSTRATIVE])
    assert out.read_bytes() == economy_json_bytes(report)
    z = _shared.zones(CODE, "ward", 1000.0, None)
    by_area = economy_areas(supply, z.polygons, z.population, params, privacy="counts")
    table = economy_areas_download(by_area, params, illustrative=True)
    assert areas_out.read_bytes() == to_csv_bytes(table)
    # Every micro-provider counts with the standard capacity: no one's own number of clients.
    assert summary["people_supported"] == privacy.STANDARD_CAPACITY["micro_enterprise"] * summary["providers"]


def test_closure_table_equals_the_viewers_download(viewer):
    home, data, records, given = viewer
    public = given("counts")
    out = home / "change.csv"
    run("closure", "--council", CODE, "--providers", SAMPLE, "--kinds", "day_centre,micro_enterprise",
        "--before", "2016-01-01", "--after", "2024-01-01", "--privacy", "counts", "--out", out)  # fmt: skip
    base = AnalysisRequest(band="75plus", kinds=("day_centre", "micro_enterprise"))
    key = "test-closure|public"
    before = _shared.analysis(CODE, key, replace(base, as_at=date(2016, 1, 1)), None, public.frame)
    after = _shared.analysis(CODE, key, replace(base, as_at=date(2024, 1, 1)), None, public.frame)
    impact = closure_impact(before, after.supply, after_costs=after.costs)  # as pages/closures.py
    assert out.read_bytes() == to_csv_bytes(closure_download(impact, illustrative=True))


def test_timeline_table_equals_the_viewers_download(viewer):
    home, data, records, given = viewer
    public = given("displaced")
    out = home / "timeline.csv"
    run("timeline", "--council", CODE, "--providers", SAMPLE, "--from", "2012-01-01", "--to", "2024-01-01",
        "--kinds", "day_centre,micro_enterprise", "--privacy", "displaced", "--out", out)  # fmt: skip
    projections = _shared.projections(None, "shipped", None)
    kinds = ("day_centre", "micro_enterprise")
    tl = _shared.timeline(CODE, "test-tl|public", "75plus", kinds, 5.0, "year", date(2012, 1, 1), date(2024, 1, 1),
                          "shipped", public.frame, projections)  # fmt: skip
    assert out.read_bytes() == to_csv_bytes(timeline_download(tl, illustrative=True))


def test_site_plan_is_made_from_the_public_providers(viewer):
    home, data, records, given = viewer
    public = given("counts")
    out = home / "sites.csv"
    run("site", "--council", CODE, "--providers", SAMPLE, "--as-at", AS_AT, "--new", 3, "--privacy", "counts",
        "--out", out)  # fmt: skip
    request = AnalysisRequest(band="75plus", as_at=AS_AT)  # the command's default band
    analysis = _shared.analysis(CODE, "test-site|public", request, None, public.frame)
    table = plan_table(plan_sites(analysis, 3).sites, data_note=_shared.ILLUSTRATIVE)
    assert out.read_bytes() == to_csv_bytes(table)


def test_closing_a_micro_provider_by_id_needs_exact(viewer):
    home, *_ = viewer
    out = home / "x.csv"
    args = ["closure", "--council", CODE, "--providers", SAMPLE, "--close", "ILL-ME-001", "--out", out]
    run(*args)  # exact records (no --privacy): the id is known
    assert main([str(a) for a in [*args, "--privacy", "counts"]]) == 2  # a viewer's data has no such id
