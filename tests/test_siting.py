"""Recruitment planner: hand-worked covering cases, brute force, invariants, what-if, CLI and page."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from gapmap import schema, siting
from gapmap.analysis import AnalysisRequest, analyse, with_supply
from gapmap.cli import main
from gapmap.config import PACKAGE_ROOT
from gapmap.errors import SitingError
from gapmap.records import load_providers

SAMPLE = PACKAGE_ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"


def _cov(rows: list[list[int]], n: int) -> sparse.csr_array:
    dense = np.zeros((len(rows), n), dtype=bool)
    for j, row in enumerate(rows):
        dense[j, row] = True
    return sparse.csr_array(dense)


def _brute(cov: sparse.csr_array, w: np.ndarray, k: int, covered0: np.ndarray | None = None) -> float:
    dense = cov.toarray()
    live = np.ones(len(w), bool) if covered0 is None else ~covered0
    best = 0.0
    for combo in itertools.combinations(range(dense.shape[0]), k):
        reached = dense[list(combo)].any(axis=0) & live
        best = max(best, float(w[reached].sum()))
    return best


# --- hand-worked cases -------------------------------------------------------------------


def test_coverage_matrix_on_a_line_with_circuity():
    # Points 0, 3 and 10 km along a line; a candidate at 1.5 km reaches the first two within 2 km,
    # but not once roads are twice the straight line (1.5 km × 2 = 3 km > 2 km).
    pts = np.array([[0, 0], [3000, 0], [10_000, 0]])
    cand = np.array([[1500, 0], [10_000, 500]])
    assert siting.coverage_matrix(pts, cand, radius_km=2).toarray().tolist() == [
        [True, True, False],
        [False, False, True],
    ]
    assert siting.coverage_matrix(pts, cand, radius_km=2, circuity=2.0).toarray().tolist() == [
        [False, False, False],
        [False, False, True],
    ]
    # Exactly on the radius counts as within reach, as in the gap engine (cost <= radius).
    assert siting.coverage_matrix(np.array([[0, 0]]), np.array([[2000, 0]]), radius_km=2).toarray().tolist() == [[True]]


def test_greedy_is_fooled_where_the_optimum_is_not():
    # A reaches the four middle people (4); B reaches 1, 2 and a heavy 5 (3.5); C reaches 3, 4 and a
    # heavy 6 (3.5). Greedy takes A (4) then B (+1.5) = 5.5; the best pair is B + C = 7.
    w = np.array([1, 1, 1, 1, 1.5, 1.5])
    cov = _cov([[0, 1, 2, 3], [0, 1, 4], [2, 3, 5]], 6)
    order, gains = siting.greedy_cover(cov, w, 2)
    assert order.tolist() == [0, 1]
    assert gains.tolist() == [4.0, 1.5]
    exact = siting.exact_cover(cov, w, 2)
    assert sorted(exact.sites.tolist()) == [1, 2]
    assert exact.optimum == pytest.approx(7.0)
    assert exact.n_candidates == 3


def test_swapping_fixes_the_fooled_greedy():
    w = np.array([1, 1, 1, 1, 1.5, 1.5])
    cov = _cov([[0, 1, 2, 3], [0, 1, 4], [2, 3, 5]], 6)
    assert sorted(siting.improve_cover(cov, w, np.array([0, 1])).tolist()) == [1, 2]


def test_swapping_never_loses_and_never_repeats():
    rng = np.random.default_rng(21)
    for _ in range(100):
        cov, w, covered0 = _random_case(rng)
        k = min(2, cov.shape[0])
        order, gains = siting.greedy_cover(cov, w, k, covered0)
        better = siting.improve_cover(cov, w, order, covered0)
        assert len(set(better.tolist())) == len(better) == len(order)
        reached = cov.toarray()[better].any(axis=0) & ~covered0 if len(better) else np.zeros(len(w), bool)
        assert w[reached].sum() >= gains.sum() - 1e-9
        assert w[reached].sum() <= _brute(cov, w, k, covered0) + 1e-9


def test_existing_cover_is_not_counted_again():
    # Points 0 and 1 are already within reach: candidate 0 (points 0, 1, 2) is now worth 1, candidate 1 worth 2.
    w = np.array([5.0, 5.0, 1.0, 2.0])
    cov = _cov([[0, 1, 2], [3]], 4)
    covered0 = np.array([True, True, False, False])
    order, gains = siting.greedy_cover(cov, w, 1, covered0)
    assert order.tolist() == [1] and gains.tolist() == [2.0]
    assert siting.exact_cover(cov, w, 1, covered0).optimum == pytest.approx(2.0)


def test_greedy_stops_when_nobody_is_left():
    cov = _cov([[0], [0], [1]], 2)
    order, gains = siting.greedy_cover(cov, np.array([1.0, 0.0]), 3)
    assert order.tolist() == [0]
    assert gains.tolist() == [1.0]


def test_capacity_mode_takes_up_need_up_to_the_site_size():
    # Site 1 reaches 10 people short of support but can take 7; site 0 reaches 3 + 3 = 6 and takes all 6.
    cov = _cov([[0, 1], [2], [1, 2]], 3)
    order, taken, per_point = siting.greedy_capacity(cov, np.array([3.0, 3.0, 10.0]), 2, per_site=7)
    assert order.tolist() == [1, 0]
    assert taken.tolist() == [7.0, 6.0]
    assert per_point.tolist() == pytest.approx([3.0, 3.0, 7.0])
    with pytest.raises(SitingError):
        siting.greedy_capacity(cov, np.ones(3), 1, per_site=0)


# --- brute force on small random cases ---------------------------------------------------


def _random_case(rng: np.random.Generator) -> tuple[sparse.csr_array, np.ndarray, np.ndarray]:
    n_d, n_c = int(rng.integers(3, 12)), int(rng.integers(2, 8))
    dense = rng.random((n_c, n_d)) < 0.35
    w = rng.integers(0, 20, n_d).astype(float) + rng.random(n_d)
    covered0 = rng.random(n_d) < 0.2
    return sparse.csr_array(dense), w, covered0


def test_greedy_equals_brute_force_for_one_site():
    rng = np.random.default_rng(8)
    for _ in range(200):
        cov, w, covered0 = _random_case(rng)
        order, gains = siting.greedy_cover(cov, w, 1, covered0)
        best = _brute(cov, w, 1, covered0)
        assert (gains.sum() if len(order) else 0.0) == pytest.approx(best)


def test_exact_equals_brute_force():
    rng = np.random.default_rng(12)
    for _ in range(25):
        cov, w, covered0 = _random_case(rng)
        k = int(rng.integers(1, min(3, cov.shape[0]) + 1))
        result = siting.exact_cover(cov, w, k, covered0)
        assert result.optimum == pytest.approx(_brute(cov, w, k, covered0))
        assert len(set(result.sites.tolist())) == len(result.sites) <= k
        greedy = siting.greedy_cover(cov, w, k, covered0)[1].sum()
        assert greedy <= result.optimum + 1e-9
        assert greedy >= (1 - 1 / np.e) * result.optimum - 1e-9  # the greedy guarantee


def test_greedy_never_repeats_a_site_and_gains_fall():
    rng = np.random.default_rng(3)
    for _ in range(50):
        cov, w, covered0 = _random_case(rng)
        order, gains = siting.greedy_cover(cov, w, cov.shape[0], covered0)
        assert len(set(order.tolist())) == len(order)
        assert (gains > 0).all()
        assert (np.diff(gains) <= 1e-9).all()  # submodular: each pick adds no more than the one before


# --- the front door on Somerset ----------------------------------------------------------


@pytest.fixture(scope="module")
def sample_analysis(somerset):
    prov = load_providers(SAMPLE, outline=somerset.outline()).accepted
    return analyse(somerset, prov, AnalysisRequest(band="75plus", radius_km=5.0, as_at=date(2024, 6, 30)))


def test_nothing_to_plan_when_everyone_is_within_reach(somerset, tmp_path, monkeypatch):
    """With everyone within reach the planner says so (a typed error), and the page says it in words."""
    from streamlit.testing.v1 import AppTest

    from gapmap.errors import NothingToPlanError

    prov = load_providers(SAMPLE, outline=somerset.outline()).accepted
    wide = analyse(somerset, prov, AnalysisRequest(band="75plus", radius_km=20.0, as_at=date(2024, 6, 30)))
    assert wide.per_point.beyond_radius.sum() == 0  # 20 km from the sample's 400-odd providers: everyone
    with pytest.raises(NothingToPlanError, match="already within reach"):
        siting.plan_sites(wide, 10)
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    at = AppTest.from_file(str(PACKAGE_ROOT / "app.py"), default_timeout=180)
    at.session_state["plan_radius"] = 20.0
    at.run()
    at.switch_page("pages/plan.py").run()
    assert not at.exception and not at.error
    assert "already lives within 20 km of support" in at.info[0].value
    assert "Choose a shorter catchment" in at.info[0].value


def test_plan_columns_and_invariants(sample_analysis):
    plan = siting.plan_sites(sample_analysis, 10)
    sites = plan.sites
    assert list(sites.columns[: len(schema.SITE_COLUMNS)]) == list(schema.SITE_COLUMNS)
    assert "reason" in sites
    assert len(sites) == 10
    assert sites["rank"].tolist() == list(range(1, 11))
    assert not sites.duplicated(["easting", "northing"]).any()
    assert (sites.people_reached >= 0).all()
    assert (sites.people_85plus_reached <= sites.people_reached + 1e-9).all()
    assert np.allclose(sites.people_reached_cumulative, sites.people_reached.cumsum())
    assert plan.covered_after - plan.covered_before == pytest.approx(plan.gain)
    # Before the plan: everyone of the band minus those beyond the radius, as the gap engine says.
    beyond = sample_analysis.areas.pop_beyond_radius.sum()
    assert plan.covered_before == pytest.approx(sample_analysis.areas.pop_75plus.sum() - beyond)
    assert plan.gain <= beyond + 1e-6
    assert sites.lat.between(50.8, 51.5).all() and sites.lon.between(-3.9, -2.2).all()
    assert sites.reason.str.contains("aged 75+").all()
    # Distances to the nearest provider in whole km only (no trilaterating a sole trader's home).
    assert sites.reason.str.contains(r"nearest is about \d+ km away", regex=True).all()
    assert not sites.reason.str.contains(r"\d\.\d km", regex=True).any()


def test_plan_matches_the_exact_optimum_share(sample_analysis):
    plan = siting.plan_sites(sample_analysis, 5, exact=True)
    assert plan.optimum >= plan.gain - 1e-6
    assert plan.gain >= plan.greedy_gain - 1e-6
    assert plan.greedy_share == pytest.approx(plan.gain / plan.optimum)
    assert "best possible" in plan.summary()


def test_what_if_equals_a_full_recompute(sample_analysis):
    xy = np.array([[290_273.0, 139_045.0], [374_000.0, 140_100.0]])
    fast = siting.what_if(sample_analysis, xy)
    full = with_supply(sample_analysis, siting.hypothetical_supply(sample_analysis, xy))
    cols = [c for c in full.areas.columns if pd.api.types.is_numeric_dtype(full.areas[c])]
    pd.testing.assert_frame_equal(
        pd.DataFrame(fast.analysis.areas[cols]).reset_index(drop=True),
        pd.DataFrame(full.areas[cols]).reset_index(drop=True),
        check_dtype=False,
        atol=1e-9,
    )
    assert fast.analysis.areas.n_micro_enterprise.sum() == sample_analysis.areas.n_micro_enterprise.sum() + 2
    # The gain is the people no longer beyond the radius, and the site table agrees.
    gain = sample_analysis.areas.pop_beyond_radius.sum() - full.areas.pop_beyond_radius.sum()
    assert fast.gain == pytest.approx(gain)
    assert fast.sites.people_reached.sum() == pytest.approx(gain)


def test_what_if_of_the_plan_gives_the_plan(sample_analysis):
    plan = siting.plan_sites(sample_analysis, 4)
    again = siting.what_if(sample_analysis, plan.sites[["easting", "northing"]].to_numpy())
    assert again.gain == pytest.approx(plan.gain)
    assert again.sites.people_reached.tolist() == pytest.approx(plan.sites.people_reached.tolist())
    empty = siting.what_if(sample_analysis, np.empty((0, 2)))
    assert empty.gain == 0


def test_no_providers_means_everyone_is_a_candidate(somerset):
    prov = load_providers(SAMPLE, outline=somerset.outline()).accepted.iloc[:0]
    a = analyse(somerset, prov, AnalysisRequest(band="85plus", radius_km=2.0))
    plan = siting.plan_sites(a, 3)
    assert plan.covered_before == 0
    assert len(plan.sites) == 3
    assert plan.sites.reason.str.contains("no provider at all").all()


def test_capacity_aware_plan_reports_places_by_area(sample_analysis):
    plan = siting.plan_sites(sample_analysis, 5, capacity_aware=True, people_per_site=7)
    assert (plan.sites.places <= 7 + 1e-9).all()
    assert plan.places_by_area.places_added.sum() == pytest.approx(plan.sites.places.sum())
    # No area gets more places than its unmet need.
    assert (plan.places_by_area.places_added <= plan.places_by_area.unmet_need + 1e-6).all()


def test_own_candidates(sample_analysis):
    cands = siting.sites_frame(pd.DataFrame({"easting": [290_273, 300_000], "northing": [139_045, 130_000]}))
    plan = siting.plan_sites(sample_analysis, 1, candidates=cands)
    assert plan.sites.easting.iloc[0] in (290_273, 300_000)
    with pytest.raises(SitingError, match="only 2 candidate"):
        siting.plan_sites(sample_analysis, 3, candidates=cands)


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_bad_k(sample_analysis, k):
    with pytest.raises(SitingError):
        siting.plan_sites(sample_analysis, k)


def test_exact_and_capacity_do_not_mix(sample_analysis):
    with pytest.raises(SitingError, match="capacity"):
        siting.plan_sites(sample_analysis, 1, exact=True, capacity_aware=True)


# --- CLI ---------------------------------------------------------------------------------


def _site(tmp_path, *extra: str) -> tuple[int, object]:
    out = tmp_path / "sites.csv"
    status = main(
        [
            "site",
            "--council",
            "E06000066",
            "--providers",
            str(SAMPLE),
            "--as-at",
            "2024-06-30",
            "--out",
            str(out),
            *extra,
        ]
    )
    return status, out


def test_cli_writes_the_contract_columns(tmp_path, capsys):
    status, out = _site(tmp_path, "--new", "3", "--band", "85plus")
    assert status == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns[:11]) == list(schema.SITE_COLUMNS)
    assert (table.data_note == "Illustrative sample — not real providers").all()
    err = capsys.readouterr().err
    assert "within reach before" in err and "after" in err and "gain" in err


def test_cli_geojson(tmp_path):
    out = tmp_path / "sites.geojson"
    assert main(["site", "--council", "E06000066", "--providers", str(SAMPLE), "--new", "2", "--out", str(out)]) == 0
    import json

    doc = json.loads(out.read_text())
    assert len(doc["features"]) == 2
    assert {"rank", "people_reached", "postcode"} <= set(doc["features"][0]["properties"])


@pytest.mark.parametrize(
    "extra",
    [
        ["--new", "0"],
        ["--new", "ten"],
        ["--new", "100000"],  # more than the candidates
        ["--new", "2", "--radius-km", "nan"],
        ["--new", "2", "--radius-km", "-5"],
        ["--new", "2", "--kinds", "micro_enterprise,bakery"],
        ["--new", "2", "--exact", "--capacity-aware"],
    ],
)
def test_cli_bad_input_exits_2(tmp_path, capsys, extra):
    status, out = _site(tmp_path, *extra)
    assert status == 2
    assert not out.exists()
    assert "Traceback" not in capsys.readouterr().err


def test_cli_empty_provider_selection_is_fine(tmp_path, capsys):
    # No day centres in the sample were open in 1990: everyone is without support.
    status, _ = _site(tmp_path, "--new", "1", "--kinds", "day_centre", "--radius-km", "2", "--as-at", "1990-01-01")
    assert status == 0
    assert "within reach before: 0 of" in capsys.readouterr().err


def test_cli_own_candidates(tmp_path, capsys):
    cands = tmp_path / "halls.csv"
    cands.write_text("name,postcode\nDulverton hall,TA22 9AA\nMinehead hall,TA24 5AA\n")
    status, out = _site(tmp_path, "--new", "2", "--candidates", str(cands), "--as-at", "2000-01-01")
    assert status == 0
    assert set(pd.read_csv(out, encoding="utf-8-sig").postcode) <= {"TA22 9AA", "TA24 5AA", "TA24 9DL"}


# --- page --------------------------------------------------------------------------------


def test_plan_page_runs_labels_the_sample_and_keeps_the_plan(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    at = AppTest.from_file(str(PACKAGE_ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("pages/plan.py").run()
    assert not at.exception
    assert at.title[0].value == "Plan recruitment — Somerset"
    assert "Illustrative sample — not real providers" in at.warning[0].value
    plan = at.session_state["recruitment_plan"]
    # Ten sites, or fewer when fewer already bring everyone within reach (the page says so): the
    # displaced points the plan starts from are keyed by this install's own secret, new per test.
    n = plan.n_sites
    assert 1 <= n <= 10 and f"These {n} recruits would bring" in at.success[0].value
    assert n == 10 or f"Only {n} sites add anyone" in at.info[0].value
    assert list(plan.sites.columns[: len(schema.SITE_COLUMNS)]) == list(schema.SITE_COLUMNS)
    assert plan.illustrative and plan.council == "E06000066"
    assert (plan.band, plan.radius_km, plan.people_per_recruit) == (at.selectbox(key="plan_band").value, 5.0, 7.0)
    # A hand-added site (as a map click would add) is counted and can be undone.
    state = at.session_state["plan_whatif"]
    state["added"].append((290_273, 139_045))
    at.run()
    assert not at.exception
    assert "The site you added is included" in at.success[0].value
    assert at.session_state["recruitment_plan"].n_sites == n + 1


def test_what_if_in_capacity_mode_gives_the_plans_places(sample_analysis):
    plan = siting.plan_sites(sample_analysis, 4, capacity_aware=True)
    again = siting.what_if(sample_analysis, plan.sites[["easting", "northing"]].to_numpy(), capacity_aware=True)
    assert again.sites.places.tolist() == pytest.approx(plan.sites.places.tolist())
    assert again.sites.reason.str.startswith("takes up").all()


# --- the user's own areas (parishes) on each site --------------------------------------------

PARISHES = Path(__file__).parent / "data" / "parishes_somerset_test.geojson"


def test_with_user_areas_inside_and_outside():
    import geopandas as gpd
    from shapely.geometry import box

    sites = pd.DataFrame(
        {
            "rank": [1, 2],
            "easting": [325_000, 400_000],
            "northing": [125_000, 200_000],
            "lat": [51.0, 51.5],
            "lon": [-3.1, -2.0],
            "postcode": ["TA1 1AA", "BA1 1AA"],
            "area_code": ["W1", "W2"],
            "area_name": ["Ward one", "Ward two"],
            "people_reached": [10.0, 5.0],
            "people_reached_cumulative": [10.0, 15.0],
            "people_85plus_reached": [2.0, 1.0],
            "reason": ["ten people", "five people"],
        }
    )
    areas = gpd.GeoDataFrame(
        {"area_code": ["P1"], "area_name": ["Little Parish"]},
        geometry=[box(324_000, 124_000, 326_000, 126_000)],
        crs="EPSG:27700",
    )
    out = siting.with_user_areas(sites, areas)
    assert list(out.columns[:11]) == list(schema.SITE_COLUMNS)
    assert list(out.columns[11:13]) == ["parish_code", "parish_name"]
    assert out.parish_code.tolist() == ["P1", ""]
    assert out.parish_name.tolist() == ["Little Parish", ""]
    assert out.reason[0] == "ten people; in your area Little Parish"
    assert "outside all of your own areas" in out.reason[1]
    assert "parish_code" not in sites.columns  # the input is untouched


def test_cli_areas_adds_the_parish(tmp_path):
    # Two candidates, no providers open in 1990: one inside the Taunton test parish, one on Exmoor.
    cands = tmp_path / "halls.csv"
    cands.write_text(
        "id,name,kind,easting,northing\n"
        "C1,Hall one,micro_enterprise,322933,124534\n"
        "C2,Hall two,micro_enterprise,285000,130000\n"
    )
    extra = ["--new", "2", "--kinds", "day_centre", "--candidates", str(cands), "--areas", str(PARISHES)]
    out = tmp_path / "sites.csv"
    args = ["site", "--council", "E06000066", "--providers", str(SAMPLE), "--as-at", "1990-01-01", "--out", str(out)]
    assert main([*args, *extra]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False).set_index("easting", drop=False)
    assert list(table.columns[:13]) == [*schema.SITE_COLUMNS, "parish_code", "parish_name"]
    assert table.loc[322933, "parish_code"] == "E04099901"
    assert table.loc[322933, "parish_name"] == "Taunton (test parish)"
    assert table.loc[322933, "reason"].endswith("; in your area Taunton (test parish)")
    assert table.loc[285000, "parish_code"] == "" and table.loc[285000, "parish_name"] == ""
    assert table.loc[285000, "reason"].endswith("; outside all of your own areas")


@pytest.mark.parametrize("bad", ["missing.geojson", "notes.txt", "broken.geojson"])
def test_cli_bad_areas_file_exits_2(tmp_path, capsys, bad):
    (tmp_path / "notes.txt").write_text("not polygons")
    (tmp_path / "broken.geojson").write_text("{ not json")
    status, out = _site(tmp_path, "--new", "2", "--areas", str(tmp_path / bad))
    assert status == 2
    assert not out.exists()
    assert "Traceback" not in capsys.readouterr().err
