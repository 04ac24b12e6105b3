"""Closure impact: hand-worked cases, invariants, the real sample, the CLI and the page."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from gapmap.analysis import AnalysisRequest, analyse, build_costs, zones_for
from gapmap.cli import main
from gapmap.closures import (
    AREA_COLUMNS,
    SUMMARY_KEYS,
    closure_impact,
    impact_between,
    impact_of_closing,
    weighted_quantile,
)
from gapmap.config import BNG
from gapmap.councils import Council
from gapmap.errors import ClosureError
from gapmap.gaps import supply_gaps
from gapmap.population import CouncilData
from gapmap.privacy import INTERNAL_NOTE
from gapmap.records import load_providers
from tests.conftest import make_points

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"


def tiny_providers(rows):
    """Providers from (id, x, y, kind, start, end) rows."""
    frame = pd.DataFrame(rows, columns=["id", "x", "y", "kind", "start_date", "end_date"])
    return gpd.GeoDataFrame(
        {
            "id": frame.id,
            "name": frame.id,
            "kind": frame.kind,
            "capacity": 10.0,
            "start_date": pd.to_datetime(frame.start_date),
            "end_date": pd.to_datetime(frame.end_date),
        },
        geometry=gpd.points_from_xy(frame.x, frame.y),
        crs=BNG,
    )


@pytest.fixture
def tiny(grid_wards):
    """Three postcodes in four 1 km wards: a (100,100) and b (900,100) in SW with 5 people
    aged 85+ each, c (1900,1900) in NE with 10. P1 at (0,100), P2 at (3000,100); P1 closes on
    1 Jan 2020 and P3 opens at (1900,1500) on 1 Jun 2019."""
    pts = make_points(np.array([[100, 100], [900, 100], [1900, 1900]]), ["A", "A", "B"])
    data = CouncilData(council=Council("E99999999", "Tinyshire", "upper"), points=pts, boundaries={"wards": grid_wards})
    provs = tiny_providers(
        [
            ("P1", 0, 100, "day_centre", "2000-01-01", "2020-01-01"),
            ("P2", 3000, 100, "day_centre", "2000-01-01", None),
            ("P3", 1900, 1500, "day_centre", "2019-06-01", None),
        ]
    )
    zones = zones_for(data, "parish", areas=grid_wards)
    request = AnalysisRequest(
        band="85plus", radius_km=1.0, kinds=("day_centre",), level="parish", as_at=date(2019, 1, 1)
    )
    return data, provs, zones, request


def test_one_of_two_closes_hand_worked(tiny):
    data, provs, zones, request = tiny
    impact = impact_of_closing(data, provs, request, ["P1"], zones=zones)
    s = impact.summary
    assert set(SUMMARY_KEYS) <= set(s)
    assert s["providers_closed"] == ["P1"] and s["providers_opened"] == []
    # a and b had P1 nearest (0.1 and 0.9 km); now P2 (2.9 and 2.1 km). c kept P2.
    assert s["people_displaced"] == pytest.approx(10.0)
    assert impact.by_point.extra_km.tolist()[:2] == pytest.approx([2.8, 1.2])
    assert np.isnan(impact.by_point.extra_km.iloc[2])
    assert s["extra_km_mean"] == pytest.approx(2.0)  # (5 × 2.8 + 5 × 1.2) / 10
    assert s["extra_km_p90"] == pytest.approx(2.8)  # half the people have 1.2, so the 90th is 2.8
    assert s["extra_km_max"] == pytest.approx(2.8)
    assert s["people_losing_coverage"] == pytest.approx(10.0)  # both were within 1 km, neither is now
    assert s["people_gaining_coverage"] == 0.0
    assert s["band"] == "85plus" and s["radius_km"] == 1.0
    area = impact.by_area.set_index("area_code")
    assert list(impact.by_area.columns[: len(AREA_COLUMNS)]) == list(AREA_COLUMNS)
    assert impact.by_area.area_code.iloc[0] == "SW"  # hardest hit first
    assert area.loc["SW", "people_displaced"] == pytest.approx(10.0)
    assert area.loc["SW", "extra_km_mean"] == pytest.approx(2.0)
    assert area.loc["NE", "people_displaced"] == 0.0
    assert area.loc["SW", "headline"].startswith("South West: 10 people aged 85+ now 2.0 km further from a day centre")
    assert area.loc["SW", "access_change"] < 0  # 10 places within 1 km before, none after
    assert area.loc["NE", "headline"] == "North East: no change"


def test_openings_and_closures_between_two_dates(tiny):
    data, provs, zones, request = tiny
    impact = impact_between(data, provs, request, date(2019, 1, 1), date(2021, 1, 1), zones=zones)
    s = impact.summary
    assert s["providers_closed"] == ["P1"] and s["providers_opened"] == ["P3"]
    # a: P1 0.1 -> P3 hypot(1.8, 1.4); b: P1 0.9 -> P3 hypot(1.0, 1.4); c: P2 2.11 -> P3 0.4.
    extra_a, extra_b = np.hypot(1.8, 1.4) - 0.1, np.hypot(1.0, 1.4) - 0.9
    assert impact.by_point.nearest_after.tolist() == [2, 2, 2]  # P3's row label
    assert s["people_displaced"] == pytest.approx(10.0)
    assert s["extra_km_mean"] == pytest.approx((extra_a + extra_b) / 2)
    assert s["extra_km_max"] == pytest.approx(extra_a)
    assert s["people_losing_coverage"] == pytest.approx(10.0)
    assert s["people_gaining_coverage"] == pytest.approx(10.0)  # c: P3 is 0.4 km away
    assert s["before_date"] == "2019-01-01" and s["after_date"] == "2021-01-01"
    ne = impact.by_area.set_index("area_code").loc["NE"]
    assert ne.people_gaining_coverage == pytest.approx(10.0) and ne.people_displaced == 0
    assert "10 gain one within 1 km" in ne.headline


def test_closing_nothing_changes_nothing(tiny):
    data, provs, zones, request = tiny
    before = analyse(data, provs, request, zones=zones)
    impact = closure_impact(before, before.supply)
    for key in (
        "people_displaced",
        "extra_km_mean",
        "extra_km_max",
        "people_losing_coverage",
        "people_gaining_coverage",
    ):
        assert impact.summary[key] == 0.0
    assert impact.summary["providers_closed"] == [] and impact.summary["providers_opened"] == []
    assert (impact.by_area.access_change.fillna(0) == 0).all()
    same_day = impact_between(data, provs, request, date(2019, 1, 1), date(2019, 1, 1), zones=zones)
    assert same_day.summary["people_displaced"] == 0 and same_day.summary["people_gaining_coverage"] == 0


def test_closing_every_provider_loses_everyone_their_cover(somerset):
    provs = load_providers(SAMPLE, outline=somerset.outline()).accepted
    request = AnalysisRequest(band="75plus", kinds=("day_centre",), radius_km=10, as_at=date(2024, 6, 30))
    open_ids = analyse(somerset, provs, request).supply.id.tolist()
    impact = impact_of_closing(somerset, provs, request, open_ids)
    s = impact.summary
    assert s["people_losing_coverage"] == pytest.approx(s["people_within_reach_before"])
    assert s["people_within_reach_after"] == 0
    assert s["people_displaced"] == pytest.approx(67_156)  # everyone's nearest has gone
    assert s["extra_km_max"] == np.inf


def test_somerset_closure_agrees_with_two_full_analyses(somerset):
    """The fast path (after-costs filtered from the before table) gives what two analyses give."""
    provs = load_providers(SAMPLE, outline=somerset.outline()).accepted
    request = AnalysisRequest(band="75plus", kinds=("day_centre",), radius_km=5, as_at=date(2024, 6, 30))
    impact = impact_of_closing(somerset, provs, request, ["ILL-DC-02"])
    after_supply = impact.before.supply[impact.before.supply.id != "ILL-DC-02"]
    fresh = supply_gaps(
        somerset.points, after_supply, request.params, costs=build_costs(somerset, after_supply, max_km=5)
    )
    np.testing.assert_allclose(impact.by_point.km_after, fresh.nearest_km)
    before_beyond = impact.before.areas.pop_beyond_radius.sum()
    after_beyond = fresh.demand[fresh.beyond_radius].sum()
    s = impact.summary
    assert after_beyond - before_beyond == pytest.approx(s["people_losing_coverage"] - s["people_gaining_coverage"])
    assert s["people_displaced"] > 0 and s["extra_km_mean"] > 0
    # Only people whose nearest was the closed centre move, and none gets nearer.
    assert (impact.by_point.nearest_before[impact.by_point.displaced] == impact.closed.index[0]).all()
    assert (impact.by_point.extra_km.dropna() >= -1e-12).all()
    assert impact.by_area.people_displaced.sum() == pytest.approx(s["people_displaced"])
    assert impact.hardest_hit(1)[0].startswith(impact.by_area.area_name.iloc[0] + ":")


def test_errors(tiny):
    data, provs, zones, request = tiny
    with pytest.raises(ClosureError, match="unknown provider id: NOPE"):
        impact_of_closing(data, provs, request, ["NOPE"], zones=zones)
    with pytest.raises(ClosureError, match="nothing closes"):
        impact_of_closing(data, provs, request, ["P3"], zones=zones)  # P3 opens later
    with pytest.raises(ClosureError, match="before the before date"):
        impact_between(data, provs, request, date(2021, 1, 1), date(2019, 1, 1), zones=zones)


def test_weighted_quantile():
    assert weighted_quantile(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0]), 0.5) == 2.0
    assert weighted_quantile(np.array([1.0, 9.0]), np.array([95.0, 5.0]), 0.9) == 1.0
    assert weighted_quantile(np.array([1.0, 9.0]), np.array([85.0, 15.0]), 0.9) == 9.0
    assert weighted_quantile(np.array([]), np.array([]), 0.9) == 0.0


def _closure(tmp_path, *extra):
    out = tmp_path / "impact.csv"
    args = ["closure", "--council", "E06000066", "--providers", str(SAMPLE), "--out", str(out), *extra]
    return main(args), out


def test_cli_closure_writes_contract(tmp_path):
    js = tmp_path / "summary.json"
    status, out = _closure(
        tmp_path, "--close", "ILL-DC-02", "--as-at", "2024-06-30", "--kinds", "day_centre", "--json", str(js)
    )
    assert status == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns) == [*AREA_COLUMNS, "data_note", "internal_note"]
    assert len(table) == 55 and set(table.data_note) == {"Illustrative sample — not real providers"}
    # Without --privacy the figures come from the homes themselves: every row says it is internal.
    assert set(table.internal_note) == {INTERNAL_NOTE}
    summary = json.loads(js.read_text())
    assert set(SUMMARY_KEYS) <= set(summary)
    assert summary["providers_closed"] == ["ILL-DC-02"] and summary["band"] == "75plus"
    assert summary["people_displaced"] == pytest.approx(table.people_displaced.sum())


@pytest.mark.slow
def test_cli_closure_between_dates_and_exit_codes(tmp_path, capsys):
    status, out = _closure(tmp_path, "--before", "2016-01-01", "--after", "2024-01-01", "--kinds", "day_centre")
    assert status == 0
    assert pd.read_csv(out, encoding="utf-8-sig").people_displaced.sum() > 0
    assert _closure(tmp_path, "--before", "2020-01-01", "--after", "2020-01-01")[0] == 0  # no change: zero result
    assert _closure(tmp_path, "--close", "NOPE")[0] == 2
    assert "unknown provider id: NOPE" in capsys.readouterr().err
    assert _closure(tmp_path, "--before", "2020-01-01", "--after", "2019-01-01")[0] == 2
    assert "before the before date" in capsys.readouterr().err
    assert _closure(tmp_path, "--close", "ILL-DC-01", "--as-at", "2020-01-01")[0] == 2  # closed in 2012
    assert "nothing closes" in capsys.readouterr().err
    assert _closure(tmp_path)[0] == 2
    assert _closure(tmp_path, "--close", "ILL-DC-02", "--before", "2020-01-01", "--after", "2021-01-01")[0] == 2
    assert _closure(tmp_path, "--before", "2020-01-01")[0] == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err


@pytest.mark.slow
def test_closures_page_views(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/closures.py").run()
    assert not at.exception
    assert at.title[0].value == "Closures and change — Somerset"
    assert "Illustrative sample — not real providers" in at.warning[0].value
    tiles = {m.label: m.value for m in at.metric}
    assert {"Nearest provider closed", "Extra distance, mean", "Lost support within 5 km"} <= set(tiles)
    # What if this closes? — outside exact mode only venues are offered: the areas that lose a sole
    # trader would map the streets round their home.
    at.multiselect(key="chg_kinds").set_value(["day_centre", "micro_enterprise"])
    at.session_state["chg_view"] = "What if this closes?"
    at.run()
    assert not at.exception
    options = at.selectbox(key="what_pick").options
    assert options and not any(o.startswith("Micro-provider") or "Sample micro-provider" in o for o in options)
    assert all("day centre" in o.lower() or "other" in o.lower() for o in options)
    at.button(key="what_go").click().run()
    assert not at.exception
    assert "Nearest provider closed" in {m.label for m in at.metric}
    # Over time: the slider replays the headline figures.
    at.session_state["chg_view"] = "Over time"
    at.run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert labels["Micro-providers"] not in ("—", "0") and "Within 5 km" in labels


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["counts", "displaced", "exact"])
def test_viewer_closures_page_sends_nothing_personal(viewer_home, mode):
    from tests.test_app_roles import PERSONAL, everything_sent, exact_coordinates, signed_in

    at = signed_in("vera", privacy=mode, chg_kinds=["micro_enterprise", "day_centre"])  # "exact" is refused
    at.switch_page("pages/closures.py").run()
    assert not at.exception
    exact = exact_coordinates()
    for view in ("Before and after", "What if this closes?", "Over time"):
        at.session_state["chg_view"] = view
        at.run()
        assert not at.exception, view
        if view == "What if this closes?":
            at.button(key="what_go").click().run()
            assert "Nearest provider closed" in {m.label for m in at.metric}
        sent = everything_sent(at)
        assert "gapmapMarkers" in sent, view  # the live maps' layers were checked
        for word in [*PERSONAL, "Hollowmere", str(viewer_home), "registry.gpkg", *exact]:
            assert word not in sent, (view, word)


@pytest.mark.slow
def test_closures_page_by_road_measures_minutes(tmp_path, monkeypatch):
    """Distance: by road on the closures page (#20): the three views measure minutes by road on
    the stored network (a synthetic grid of roads over Somerset), and their labels say minutes."""
    from streamlit.testing.v1 import AppTest

    from gapmap.population import load_council
    from gapmap.privacy import DEFAULT_PRIVACY, frame_of, load_or_create_secret, providers_for
    from gapmap.roads import ByRoad, RoadNetwork, RoadSettings, latest_stored, network_for
    from pages._shared import SAMPLE_PATH
    from tests.osm_synth import grid, write_extract

    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    somerset = load_council("E06000066")
    minx, miny, maxx, maxy = somerset.outline().bounds
    nodes, ways = grid(minx - 2000, miny - 2000, 60, 31, 2000.0, {"highway": "secondary"})
    pbf = write_extract(tmp_path / "somerset.osm.pbf", nodes, ways)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/closures.py").run()
    assert not at.exception
    assert any("Distance: straight line" in c.value for c in at.caption)  # no network yet
    network_for(pbf, "E06000066", somerset.outline(), home=tmp_path / "home", settings=RoadSettings(buffer_km=2))
    at.run()
    at.radio(key="chg_distance").set_value("By road").run()
    # Day centres only: their places are public, so the figures do not hang on the install's key.
    at.multiselect(key="chg_kinds").set_value(["day_centre"]).run()
    assert not at.exception
    assert at.slider(key="chg_minutes").label == "Catchment (minutes by road)"
    tiles = {m.label: m.value for m in at.metric}
    assert {"Extra time, mean", "Lost support within 15 minutes by road"} <= set(tiles)
    assert not any(label.endswith(" km") for label in tiles)
    # The figures are the library's, by road: before/after on the page's default dates, from the
    # providers as this session's privacy mode gives them (the viewer path).
    roads = ByRoad(RoadNetwork.load(latest_stored(tmp_path / "home", "E06000066")))
    mode = at.session_state["privacy"] if "privacy" in at.session_state else DEFAULT_PRIVACY  # noqa: SIM401
    providers = frame_of(
        providers_for(
            load_providers(SAMPLE_PATH, outline=somerset.outline()).accepted,
            mode=mode,
            secret=load_or_create_secret(tmp_path / "home"),
        )
    )
    request = AnalysisRequest(
        band=at.selectbox(key="chg_band").value,
        radius_km=15.0,
        kinds=tuple(at.multiselect(key="chg_kinds").value),
        level=at.selectbox(key="chg_level").value,
        roads=roads,
    )
    before, after = at.date_input(key="chg_before").value, at.date_input(key="chg_after").value
    impact = impact_between(somerset, providers, request, before, after)
    assert tiles["Lost support within 15 minutes by road"] == f"{impact.summary['people_losing_coverage']:,.0f}"
    assert any("within 15 minutes by road" in m.value for m in at.markdown)
    at.slider(key="chg_minutes").set_value(30).run()
    assert "Lost support within 30 minutes by road" in {m.label for m in at.metric}
    # What if this closes? — by road too.
    at.session_state["chg_view"] = "What if this closes?"
    at.run()
    at.button(key="what_go").click().run()
    assert not at.exception
    assert "Gained support within 30 minutes by road" in {m.label for m in at.metric}
    assert any("30 minutes by road" in m.value for m in at.markdown)
    # Over time: the replay counts people within 30 minutes by road.
    at.session_state["chg_view"] = "Over time"
    at.run()
    assert not at.exception
    labels = {m.label for m in at.metric}
    assert {"Within 30 minutes by road", "Beyond 30 minutes by road"} <= labels
    # Back to the straight line: km again.
    at.radio(key="chg_distance").set_value("Straight line").run()
    assert "Within 5 km" in {m.label for m in at.metric}
