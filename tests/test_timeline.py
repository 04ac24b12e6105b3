"""Timeline: frame dates, counts and reach against direct counts, projections, hand-outs, CLI."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from gapmap.cli import main
from gapmap.councils import Council
from gapmap.errors import ProjectionError, TimelineError
from gapmap.gaps import GapParams, point_gaps
from gapmap.io import read_projections
from gapmap.population import CouncilData
from gapmap.population_projections import Projections, snpp_totals
from gapmap.privacy import public_layer
from gapmap.providers import active_at
from gapmap.records import load_providers
from gapmap.replay import animation_gif, handout_providers, slider_html
from gapmap.timeline import TIMELINE_COLUMNS, add_months, build_timeline, frame_dates, outlook, timeline_table
from tests.conftest import make_points
from tests.test_closures import tiny_providers

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"
RAW_SNPP = (
    ROOT.parent / "shared" / "data" / "projections" / "snpp2022_migcat23_persons_age65plus_rows_somerset_thurrock.csv"
)


def test_frame_dates():
    assert frame_dates(date(2016, 1, 1), date(2019, 1, 1), "year") == [date(y, 1, 1) for y in range(2016, 2020)]
    assert frame_dates(date(2020, 1, 31), date(2020, 4, 30), "month") == [
        date(2020, 1, 31),
        date(2020, 2, 29),
        date(2020, 3, 31),
        date(2020, 4, 30),
    ]
    assert len(frame_dates(date(2016, 1, 1), date(2025, 12, 31), "month")) == 120
    assert frame_dates(date(2020, 1, 1), date(2020, 12, 31), "quarter")[-1] == date(2020, 10, 1)
    assert add_months(date(2020, 3, 15), -3) == date(2019, 12, 15)
    with pytest.raises(TimelineError, match="before the start"):
        frame_dates(date(2020, 1, 1), date(2019, 1, 1))
    with pytest.raises(TimelineError, match="unknown step"):
        frame_dates(date(2020, 1, 1), date(2021, 1, 1), "week")


@pytest.fixture
def tiny(grid_wards):
    """Three postcodes (5, 5 and 10 people aged 85+); P1 open 2000–2020, P2 from 2000, P3 from mid-2019."""
    pts = make_points(np.array([[100, 100], [900, 100], [1900, 1900]]), ["A", "A", "B"])
    data = CouncilData(council=Council("E99999999", "Tinyshire", "upper"), points=pts, boundaries={"wards": grid_wards})
    provs = tiny_providers(
        [
            ("P1", 0, 100, "day_centre", "2000-01-01", "2020-01-01"),
            ("P2", 3000, 100, "day_centre", "2000-01-01", None),
            ("P3", 1900, 1500, "micro_enterprise", "2019-06-01", None),
        ]
    )
    return data, provs


def test_tiny_timeline_hand_worked(tiny):
    data, provs = tiny
    tl = build_timeline(
        data, provs, start=date(2019, 1, 1), end=date(2021, 1, 1), band="85plus", radius_km=1.0, today=date(2025, 1, 1)
    )
    table = timeline_table(tl)
    assert list(table.columns) == list(TIMELINE_COLUMNS)
    assert table.date.unique().tolist() == ["2019-01-01", "2020-01-01", "2021-01-01"]
    dc = table[table.kind == "day_centre"].set_index("date")
    me = table[table.kind == "micro_enterprise"].set_index("date")
    assert dc.active.tolist() == [2, 1, 1] and dc.closed.tolist() == [0, 1, 0] and dc.opened.tolist() == [0, 0, 0]
    assert me.active.tolist() == [0, 1, 1] and me.opened.tolist() == [0, 1, 0]
    # 2019: a and b within 1 km of P1 (10 people); c (10) is 2.1 km from P2.
    # 2020: P1 closed on 1 Jan 2020 (end date not active); P3 covers c only (0.4 km).
    # 2021: same.
    people = tl.people.set_index("date")
    assert people.people_within_reach.tolist() == pytest.approx([10.0, 10.0, 10.0])
    assert people.people_beyond_reach.tolist() == pytest.approx([10.0, 10.0, 10.0])
    only_dc = build_timeline(
        data, provs, start=date(2019, 1, 1), end=date(2021, 1, 1), band="85plus", radius_km=1.0, kinds=("day_centre",)
    )
    assert only_dc.people.people_within_reach.tolist() == pytest.approx([10.0, 0.0, 0.0])
    assert set(timeline_table(only_dc).kind) == {"day_centre"}


@pytest.mark.slow
def test_counts_and_reach_agree_with_a_direct_count_per_date(somerset):
    provs = load_providers(SAMPLE, outline=somerset.outline()).accepted
    tl = build_timeline(
        somerset,
        provs,
        start=date(2011, 7, 1),
        end=date(2025, 7, 1),
        step="quarter",
        band="75plus",
        kinds=("micro_enterprise", "day_centre"),
        radius_km=5,
    )
    table = timeline_table(tl)
    for k, when in enumerate(tl.dates):
        on = active_at(provs, when)
        rows = table[table.date == when.isoformat()].set_index("kind")
        for kind in ("micro_enterprise", "day_centre"):
            assert rows.loc[kind, "active"] == int((on & (provs.kind == kind)).sum())
        if k % 8 == 0:  # a full recompute for every eighth frame
            params = GapParams(band="75plus", radius_km=5, as_at=when, kinds=("micro_enterprise", "day_centre"))
            direct = point_gaps(somerset.points, provs, params)
            within = direct.demand[~direct.beyond_radius].sum()
            assert tl.people.people_within_reach.iloc[k] == pytest.approx(within)
    # Active changes by exactly opened - closed from one date to the next.
    for kind, g in table.groupby("kind"):
        g = g.reset_index(drop=True)
        assert (g.active.diff().iloc[1:] == (g.opened - g.closed).iloc[1:]).all(), kind
    by_kind = table.groupby("kind")[["opened", "closed"]].sum()
    assert by_kind.loc["micro_enterprise", "opened"] > 300 and by_kind.loc["day_centre", "closed"] >= 5
    assert tl.people.band_population.eq(67_156).all()


def test_snpp_totals_match_the_raw_single_years():
    if not RAW_SNPP.exists():
        pytest.skip("raw projections (../shared/data) not present")
    raw = pd.read_csv(RAW_SNPP)
    somerset = raw[(raw.AREA_CODE == "E06000066") & (raw.AGE_GROUP != "All ages")]
    ages = somerset.AGE_GROUP.str.extract(r"^(\d+)")[0].astype(int)
    expected_75 = somerset.loc[ages >= 75, "2040"].sum()
    totals = snpp_totals(raw).set_index(["council_code", "year"])
    assert totals.loc[("E06000066", 2040), "pop_75plus"] == pytest.approx(expected_75)
    shipped = read_projections().table.set_index(["council_code", "year"])
    assert shipped.loc[("E06000066", 2040), "pop_75plus"] == pytest.approx(expected_75, abs=0.05)
    assert shipped.loc[("E06000066", 2022), "pop_65plus"] == pytest.approx(
        raw[(raw.AREA_CODE == "E06000066")].query("AGE_GROUP != 'All ages'")["2022"].sum(), abs=0.05
    )


def test_projection_reader_layouts_and_errors(tmp_path):
    ons = tmp_path / "snpp.csv"
    pd.DataFrame(
        {
            "AREA_CODE": ["E1"] * 4,
            "AREA_NAME": ["X"] * 4,
            "COMPONENT": ["Population"] * 4,
            "SEX": ["male", "female", "male", "female"],
            "AGE_GROUP": ["64", "80", "90 and over", "All ages"],
            "2022": [100.0, 10.0, 5.0, 999.0],
            "2030": [100.0, 20.0, 5.0, 999.0],
        }
    ).to_csv(ons, index=False)
    p = read_projections(ons)
    assert p.table[["year", "pop_65plus", "pop_75plus", "pop_85plus"]].values.tolist() == [
        [2022, 15.0, 15.0, 5.0],
        [2030, 25.0, 25.0, 5.0],
    ]
    assert p.growth("E1", "75plus", [2022, 2030, 2050]).tolist()[:2] == pytest.approx([1.0, 25 / 15])
    assert np.isnan(p.growth("E1", "75plus", [2050])[0])
    with pytest.raises(ProjectionError, match="no population projections for E2"):
        p.growth("E2", "75plus", [2030])
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ProjectionError, match="not an ONS projections table"):
        read_projections(bad)


def test_future_frames_scale_by_projected_growth(tiny):
    data, provs = tiny
    proj = Projections(
        pd.DataFrame(
            {
                "council_code": ["E99999999"] * 2,
                "council_name": ["Tinyshire"] * 2,
                "year": [2022, 2030],
                "pop_65plus": [100.0, 150.0],
                "pop_75plus": [50.0, 80.0],
                "pop_85plus": [20.0, 30.0],
            }
        )
    )
    kw = {"start": date(2022, 1, 1), "end": date(2030, 1, 1), "step": "year", "band": "85plus", "radius_km": 1.0}
    tl = build_timeline(data, provs, projections=proj, today=date(2025, 6, 1), **kw)
    people = tl.people.set_index("date")
    assert people.loc[date(2025, 1, 1), "band_population"] == pytest.approx(20.0)  # today and before: Census
    assert people.loc[date(2030, 1, 1), "band_population"] == pytest.approx(20.0 * 30 / 20)
    assert np.isnan(people.loc[date(2026, 1, 1), "band_population"])  # no projection for 2026 in this table
    assert people.loc[date(2030, 1, 1), "population_basis"].startswith("projected 2030")
    without = build_timeline(data, provs, projections=None, today=date(2025, 6, 1), **kw).people
    assert np.isnan(without.people_within_reach.iloc[-1])  # blank, not extrapolated
    assert without.population_basis.iloc[-1] == "no projection for this council"


def test_outlook_under_todays_providers(somerset):
    from gapmap.analysis import AnalysisRequest, analyse

    provs = load_providers(SAMPLE, outline=somerset.outline()).accepted
    today = analyse(somerset, provs, AnalysisRequest(band="75plus", as_at=date(2025, 11, 1)))
    out = outlook(today, read_projections(), years=(2030, 2040)).table.set_index("year")
    growth = read_projections().growth("E06000066", "75plus", [2030, 2040])
    assert out.growth.tolist() == pytest.approx(growth.tolist())
    assert out.loc[2040, "band_population"] == pytest.approx(67_156 * growth[1])
    assert out.loc[2040, "unmet_need"] > out.loc[2030, "unmet_need"] >= today.areas.unmet_need.sum()
    places = today.supply.capacity.sum()
    assert out.loc[2030, "extra_places_to_stand_still"] == pytest.approx(places * (growth[0] - 1))
    assert out.loc[2040, "recruits_to_stand_still"] > out.loc[2030, "recruits_to_stand_still"] > 0


def test_handouts_label_sample_and_never_show_exact_homes(tiny):
    data, provs = tiny
    secret = b"k" * 32
    tl = build_timeline(data, provs, start=date(2019, 1, 1), end=date(2021, 1, 1), band="85plus", radius_km=1.0)
    shown, keep = handout_providers(tl, "exact", secret=secret)  # exact is refused: displaced instead
    assert list(shown.columns) == ["kind", "end_date", "geometry"]  # no id, name or capacity
    micro = provs.kind == "micro_enterprise"
    moved = shown[shown.kind == "micro_enterprise"].geometry.distance(provs[micro].geometry)
    assert ((moved >= 250) & (moved <= 2000)).all()
    assert shown[shown.kind == "day_centre"].geometry.equals(provs[~micro].geometry)
    # The same points as the public layer a viewer's map gets.
    layer = public_layer(provs, mode="displaced", secret=secret, as_at=date(2021, 1, 1))
    me = layer[layer.kind == "micro_enterprise"].geometry.iloc[0]
    assert me.distance(shown[shown.kind == "micro_enterprise"].geometry.iloc[0]) < 1e-6
    counts_only, _ = handout_providers(tl, "counts", secret=secret)
    assert set(counts_only.kind) == {"day_centre"}
    outline = data.boundaries["wards"].union_all()
    gif = animation_gif(tl, outline, title="Tinyshire", illustrative=True, width_px=320, secret=secret)
    with Image.open(io.BytesIO(gif)) as img:
        assert img.format == "GIF" and img.n_frames == 3
    page = slider_html(tl, outline, title="Tinyshire", illustrative=True, secret=secret)
    assert "Illustrative sample — not real providers" in page and "Crown copyright" in page
    assert "P3" not in page and 'type="range"' in page
    assert "Illustrative" not in slider_html(tl, outline, title="Tinyshire", illustrative=False, secret=secret)


@pytest.mark.slow
def test_cli_timeline(tmp_path, capsys):
    out, gif = tmp_path / "timeline.csv", tmp_path / "replay.gif"
    args = ["timeline", "--council", "E06000066", "--providers", str(SAMPLE), "--from", "2016-01-01"]
    assert (
        main(
            [
                *args,
                "--to",
                "2019-06-30",
                "--kinds",
                "day_centre,micro_enterprise",
                "--out",
                str(out),
                "--animation",
                str(gif),
            ]
        )
        == 0
    )
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns) == [*TIMELINE_COLUMNS, "data_note", "internal_note"]  # exact: no --privacy
    assert table.date.unique().tolist() == ["2016-01-01", "2017-01-01", "2018-01-01", "2019-01-01"]
    assert set(table.kind) == {"day_centre", "micro_enterprise"}
    with Image.open(gif) as img:
        assert img.n_frames == 4
    assert main([*args, "--to", "2040-01-01", "--out", str(out)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table[table.date == "2040-01-01"].band_population.iloc[0] > 67_156 * 1.3
    assert "projected growth" in capsys.readouterr().err
    assert main([*args, "--to", "2015-01-01", "--out", str(out)]) == 2
    assert main([*args, "--to", "2019-01-01", "--step", "week", "--out", str(out)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_cli_timeline_without_projections_says_so(tmp_path, capsys):
    provs = tmp_path / "thurrock.csv"
    provs.write_text(
        "id,name,kind,capacity,start_date,end_date,easting,northing\n"
        "T1,Day centre,day_centre,20,2010-01-01,,561000,178000\n",
        encoding="utf-8",
    )
    proj = tmp_path / "somerset_only.csv"
    read_projections().table.query("council_code == 'E06000066'").to_csv(proj, index=False)
    out = tmp_path / "t.csv"
    args = ["timeline", "--council", "Thurrock", "--providers", str(provs), "--from", "2020-01-01"]
    assert main([*args, "--to", "2035-01-01", "--projections", str(proj), "--out", str(out)]) == 0
    assert "no population projections for Thurrock" in capsys.readouterr().err
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table[table.date == "2035-01-01"].people_within_reach.isna().all()
    assert table[table.date == "2020-01-01"].people_within_reach.notna().all()
