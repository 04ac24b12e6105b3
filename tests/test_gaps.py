"""The gap engine end to end: area metrics, unmet need, score, as-at dates, CLI."""

from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from gapmap.analysis import AnalysisRequest, analyse, zones_for
from gapmap.areas import aggregate, assign_user_areas
from gapmap.cli import main
from gapmap.config import BNG
from gapmap.gaps import DEFAULT_TARGET_PER_1000, GapParams, ScoreWeights, area_gaps, area_positions, point_gaps
from gapmap.population import load_council
from gapmap.records import load_providers
from tests.conftest import SOMERSET, make_points

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"


def providers(xy, kinds, capacity, start=None, end=None):
    xy = np.asarray(xy, dtype=float)
    n = len(xy)
    return gpd.GeoDataFrame(
        {
            "kind": kinds,
            "capacity": capacity,
            "start_date": pd.to_datetime(start or [None] * n),
            "end_date": pd.to_datetime(end or [None] * n),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=BNG,
    )


@pytest.fixture
def two_wards(grid_wards):
    """Points in SW (2) and NE (1) wards; one provider in SW."""
    pts = make_points(np.array([[100, 100], [900, 100], [1900, 1900]]), ["A", "A", "B"])
    prov = providers([[500, 100]], ["micro_enterprise"], [3.0])
    return pts, prov, grid_wards


def test_area_metrics_hand_worked(two_wards):
    pts, prov, wards = two_wards
    params = GapParams(band="85plus", radius_km=1.0, target_per_1000=1000.0)
    per_point = point_gaps(pts, prov, params)
    # LSOA A: 10 people 85+ over 2 points = 5 each; LSOA B: 10 at one point.
    assert per_point.demand.tolist() == [5.0, 5.0, 10.0]
    assert per_point.nearest_km.tolist() == pytest.approx([0.4, 0.4, np.hypot(1400, 1800) / 1000])
    codes = assign_user_areas(pts, wards)
    out = area_gaps(aggregate(pts, codes, wards), codes, per_point, params).set_index("area_code")
    sw, ne = out.loc["SW"], out.loc["NE"]
    assert sw.nearest_km == pytest.approx(0.4)
    assert sw.access_2sfca == pytest.approx(1000 * 3 / 10)  # 3 places for 10 people
    assert sw.allocated == pytest.approx(3.0)
    assert sw.unmet_need == pytest.approx(10 - 3)  # target: one place per person
    assert ne.pop_beyond_radius == 10 and ne.unmet_need == 10 and ne.access_2sfca == 0
    assert np.isnan(out.loc["NW", "gap_score"]) and out.loc["NW", "gap_reasons"].startswith("no residents")
    assert out.loc["NE", "gap_rank"] == 1 and out.loc["SW", "gap_rank"] == 2


def test_score_parts_add_up_and_respond_to_weights(somerset):
    prov = load_providers(SAMPLE, outline=somerset.outline()).accepted
    wards = analyse(somerset, prov, AnalysisRequest(as_at=date(2025, 11, 1))).areas
    parts = wards[["gap_need", "gap_access", "gap_deprivation", "gap_rurality"]].sum(axis=1)
    np.testing.assert_allclose(parts, wards.gap_score)
    assert wards.gap_score.between(0, 100).all()
    ranked = wards.sort_values("gap_rank")
    assert ranked.gap_rank.iloc[0] == 1 and ranked.gap_rank.max() <= 55
    assert ranked.gap_score.is_monotonic_decreasing  # rank 1 = highest score; ties share a rank
    need_only = analyse(
        somerset, prov, AnalysisRequest(as_at=date(2025, 11, 1), weights=ScoreWeights(1, 0, 0, 0))
    ).areas
    top = need_only.sort_values("gap_rank").iloc[0]
    assert top.unmet_need == need_only.unmet_need.max()
    # An area that meets the target gets no need points at all.
    met = wards[wards.unmet_need < 0.5]
    assert len(met) and (met.gap_need == 0).all() and met.gap_reasons.str.startswith("target met").all()


def test_as_at_date_and_kinds_pick_the_supply(somerset):
    prov = load_providers(SAMPLE, outline=somerset.outline()).accepted
    closed = prov[(prov.kind == "day_centre") & prov.end_date.notna()].iloc[0]
    before = closed.end_date - pd.Timedelta(days=1)
    only_dc = {"kinds": ("day_centre",), "radius_km": 10}
    p_before = point_gaps(somerset.points, prov, GapParams(as_at=before.date(), **only_dc))
    p_after = point_gaps(somerset.points, prov, GapParams(as_at=closed.end_date.date(), **only_dc))
    # Closing a day centre can only lengthen journeys and never adds capacity.
    assert (p_after.nearest_km >= p_before.nearest_km - 1e-12).all()
    assert (p_after.nearest_km > p_before.nearest_km + 1e-9).any()
    assert p_after.capacity_within.sum() < p_before.capacity_within.sum()
    # 2015: about 50 micro-enterprises; 2021: about 450 -> far fewer people beyond 5 km.
    early = point_gaps(somerset.points, prov, GapParams(as_at=date(2015, 1, 1), kinds=("micro_enterprise",)))
    later = point_gaps(somerset.points, prov, GapParams(as_at=date(2021, 1, 1), kinds=("micro_enterprise",)))
    assert (later.demand * later.beyond_radius).sum() < 0.5 * (early.demand * early.beyond_radius).sum()


def test_totals_hold_at_every_level(somerset):
    prov = load_providers(SAMPLE, outline=somerset.outline()).accepted
    params = GapParams(band="75plus", as_at=date(2025, 11, 1))
    per_point = point_gaps(somerset.points, prov, params)
    beyond = (per_point.demand * per_point.beyond_radius).sum()
    allocated = per_point.allocated.sum()
    for level in ("ward", "lsoa", "msoa", "hex"):
        request = AnalysisRequest(band="75plus", as_at=date(2025, 11, 1), level=level)
        g = analyse(somerset, prov, request, zones=zones_for(somerset, level)).areas
        assert g.pop_75plus.sum() == pytest.approx(SOMERSET["pop_75plus"])
        assert g.pop_beyond_radius.sum() == pytest.approx(beyond)
        assert g.allocated.sum() == pytest.approx(allocated)


def test_default_targets_are_the_somerset_2020_level():
    for band, people in (("65plus", 141_899), ("75plus", 67_156), ("85plus", 19_414)):
        assert DEFAULT_TARGET_PER_1000[band] == pytest.approx(4000 / people * 1000, rel=0.02)


def test_bad_params():
    with pytest.raises(ValueError):
        GapParams(band="90plus")
    with pytest.raises(ValueError):
        GapParams(kinds=("care_home",))
    with pytest.raises(ValueError):
        GapParams(radius_km=0)
    for bad in (
        {"radius_km": float("nan")},
        {"radius_km": float("inf")},
        {"kinds": ()},
        {"target_per_1000": -5.0},
        {"circuity": 0.0},
        {"circuity": float("nan")},
        {"level": "county"},
        {"hex_size_m": 0.0},
    ):
        with pytest.raises(ValueError):
            AnalysisRequest(**bad)


def test_analysis_core_matches_its_parts_and_what_if(somerset):
    prov = load_providers(SAMPLE, outline=somerset.outline()).accepted
    request = AnalysisRequest(band="75plus", radius_km=5, as_at=date(2024, 6, 30), level="lsoa")
    result = analyse(somerset, prov, request)
    # The supply is the providers active on the date; the cost table serves the nearest distance.
    assert len(result.supply) == len(prov[(prov.start_date <= "2024-06-30") & ~(prov.end_date <= "2024-06-30")])
    assert result.areas.pop_75plus.sum() == pytest.approx(SOMERSET["pop_75plus"])
    assert result.summary()["pop_beyond_radius"] == pytest.approx(result.areas.pop_beyond_radius.sum())
    # A cost table built once at 20 km gives the same figures at 5 km as one built at 5 km.
    from gapmap.analysis import build_costs

    wide = build_costs(somerset, result.supply, max_km=20)
    again = analyse(somerset, prov, request, costs=wide)
    pd.testing.assert_frame_equal(again.per_point, result.per_point)
    # Dropping every provider: everyone is beyond reach.
    from gapmap.analysis import with_supply

    empty = with_supply(result, result.supply.iloc[:0])
    assert empty.areas.pop_beyond_radius.sum() == pytest.approx(SOMERSET["pop_75plus"])


def test_gaps_cli(tmp_path):
    out = tmp_path / "gaps.csv"
    args = [
        "gaps",
        "--council",
        "E06000066",
        "--providers",
        str(SAMPLE),
        "--level",
        "msoa",
        "--band",
        "85plus",
        "--radius-km",
        "5",
        "--as-at",
        "2024-06-30",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    t = pd.read_csv(out, encoding="utf-8-sig")
    assert t.columns[:15].tolist() == [
        "area_code",
        "area_name",
        "pop_total",
        "pop_65plus",
        "pop_75plus",
        "pop_85plus",
        "nearest_km",
        "pop_beyond_radius",
        "providers_within",
        "capacity_within",
        "access_2sfca",
        "access_e2sfca",
        "unmet_need",
        "gap_score",
        "gap_rank",
    ]
    assert len(t) == 71 and t.gap_rank.tolist() == sorted(t.gap_rank.tolist())
    assert set(t.data_note) == {"Illustrative sample — not real providers"}  # the sample is labelled
    assert t.pop_85plus.sum() == pytest.approx(SOMERSET["pop_85plus"], abs=1e-3)


def test_gaps_cli_reports_rejected_rows(tmp_path, capsys):
    bad = tmp_path / "providers.csv"
    bad.write_text("id,postcode,capacity\na,TA1 1AA,5\nb,ZZ99 9ZZ,5\n")
    out = tmp_path / "g.geojson"
    assert main(["gaps", "--council", "Somerset", "--providers", str(bad), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "rejected: row 3, postcode" in err and "1 rows rejected, 1 accepted" in err
    assert out.exists()


def test_area_gaps_with_cached_positions_equals_matching_codes():
    """Passing the point→area rows (as Zones caches them) gives the same table as matching codes."""
    per_point = pd.DataFrame(
        {
            "demand": [10.0, 5.0, 7.0, 3.0],
            "nearest_km": [1.0, np.nan, 2.0, 4.0],
            "providers_within": [1.0, 0.0, 2.0, 1.0],
            "capacity_within": [3.0, 0.0, 6.0, 2.0],
            "beyond_radius": [False, True, False, False],
            "access_2sfca": [100.0, 0.0, 50.0, 20.0],
            "access_e2sfca": [90.0, 0.0, 40.0, 10.0],
            "allocated": [1.0, 0.0, 0.35, 0.06],
        }
    )
    codes = pd.Series(["b", "a", "b", "elsewhere"])
    areas = pd.DataFrame(
        {"area_code": ["a", "b", "c"], "older_income_deprived_rate": [0.1, 0.2, 0.3], "rural_share": [0.0, 1.0, 0.5]}
    )
    positions = area_positions(areas, codes)
    assert positions.tolist() == [1, 0, 1, -1]
    params = GapParams(band="65plus", radius_km=5.0)
    cached = area_gaps(areas, codes, per_point, params, positions=positions)
    pd.testing.assert_frame_equal(cached, area_gaps(areas, codes, per_point, params))
    b = cached.set_index("area_code").loc["b"]
    assert b.nearest_km == pytest.approx((10 * 1.0 + 7 * 2.0) / 17)
    assert b.allocated == pytest.approx(1.35)
    # A missing nearest distance counts as nothing, as before; an empty area has no people.
    assert cached.set_index("area_code").loc["a", "nearest_km"] == 0.0
    assert np.isnan(cached.set_index("area_code").loc["c", "providers_within"])
    with pytest.raises(ValueError):
        area_gaps(areas, codes, per_point, params, positions=positions[:2])


def test_zones_work_out_each_points_area_row_once():
    data = load_council("E06000053")
    zones = zones_for(data, "ward")
    first = zones.positions
    assert zones.positions is first  # cached on the zones object the caller keeps
    codes = zones.population.area_code.to_numpy()
    assert (first >= 0).all()
    assert (codes[first] == zones.codes.to_numpy()).all()
