"""Local economy: formulas on hand-worked cases, parameters, per-area sums, exclusions, CLI."""

import json
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from gapmap.cli import main
from gapmap.config import BNG
from gapmap.economy import (
    ADDITIVE_KEYS,
    ECONOMY_KEYS,
    PARAMETER_SOURCES,
    PARAMETERS,
    PEOPLE_PER_NEW_PROVIDER,
    PLAN_COLUMNS,
    EconomyParams,
    economy_by_area,
    economy_over_time,
    economy_report,
    economy_summary,
    export_table,
    headline,
    params_from_toml,
    plan_by_area,
    plan_economy,
    supply_of,
    yearly_dates,
)
from gapmap.errors import EconomyParamError, GapmapError, PlanFileError

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = str(ROOT / "data" / "sample" / "somerset_providers_illustrative.csv")


def providers(rows: list[tuple]) -> gpd.GeoDataFrame:
    """(x, y, kind, capacity, start, end) rows as an accepted-provider frame."""
    frame = pd.DataFrame(rows, columns=["x", "y", "kind", "capacity", "start_date", "end_date"])
    for col in ("start_date", "end_date"):
        frame[col] = pd.to_datetime(frame[col])
    return gpd.GeoDataFrame(frame.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(frame.x, frame.y), crs=BNG)


# --- Formulas ---------------------------------------------------------------------------


def test_summary_hand_worked_with_defaults():
    # Two sole traders supporting 5 and 7 people.
    s = economy_summary(pd.DataFrame({"capacity": [5.0, 7.0]}), EconomyParams())
    assert list(s) == list(ECONOMY_KEYS)
    assert s["providers"] == 2
    assert s["people_supported"] == 12
    assert s["hours_per_week"] == pytest.approx(12 * 3.2)  # 38.4
    assert s["annual_income_gbp"] == pytest.approx(38.4 * 52 * 24.10)  # 48,122.88
    assert s["annual_income_gbp"] == pytest.approx(48_122.88)
    assert s["jobs_fte"] == pytest.approx(38.4 / 37.5)  # 1.024
    assert s["jobs_headcount"] == pytest.approx(2.4)
    assert s["annual_wages_gbp"] == pytest.approx(1996.8 * 12.60)  # 25,159.68
    assert s["lm3"] == 1.0  # no multiplier claimed by default
    assert s["local_value_gbp"] == pytest.approx(s["annual_income_gbp"])
    assert s["annual_savings_gbp"] == pytest.approx(2 * 4209)
    assert headline(s) == "£48,123 a year of care bought from local micro-enterprises"


def test_lm3_hand_worked():
    # R1 = 100; 40% spent locally (R2 = 40), a quarter of that re-spent locally (R3 = 10):
    # LM3 = (100 + 40 + 10) / 100 = 1.5.
    p = EconomyParams(local_spend_share=0.4, local_respend_share=0.25)
    s = economy_summary(pd.DataFrame({"capacity": [10.0]}), p)
    assert s["lm3"] == pytest.approx(1.5)
    assert s["local_value_gbp"] == pytest.approx(1.5 * 10 * 3.2 * 52 * 24.10)


def test_custom_parameters_change_only_their_figures():
    base = economy_summary(pd.DataFrame({"capacity": [8.0]}), EconomyParams())
    wage = economy_summary(pd.DataFrame({"capacity": [8.0]}), EconomyParams(hourly_wage_gbp=25.2))
    assert wage["annual_wages_gbp"] == pytest.approx(2 * base["annual_wages_gbp"])
    assert {k for k in ECONOMY_KEYS if wage[k] != base[k]} == {"annual_wages_gbp"}


def test_no_providers_gives_zeros():
    s = economy_summary(pd.DataFrame({"capacity": []}), EconomyParams())
    assert s["providers"] == 0 and s["hours_per_week"] == 0 and s["annual_savings_gbp"] == 0


def test_every_parameter_has_a_source_with_a_date():
    assert set(PARAMETER_SOURCES) == set(PARAMETERS)
    for meta in PARAMETER_SOURCES.values():
        assert meta["label"] and meta["unit"] and meta["flag"].startswith("--")
    for name in ("hours_per_person_per_week", "hourly_rate_gbp", "hourly_wage_gbp", "savings_per_provider_gbp"):
        assert any(str(y) in PARAMETER_SOURCES[name]["source"] for y in range(2017, 2027)), name
    assert "2017 prices" in PARAMETER_SOURCES["savings_per_provider_gbp"]["source"]


# --- Parameters -------------------------------------------------------------------------


def test_params_from_toml_then_overrides(tmp_path):
    toml = b"hourly_rate_gbp = 21.5\nstaff_per_provider = 1\nlocal_spend_share = 0.3\n"
    p = params_from_toml(toml)
    assert (p.hourly_rate_gbp, p.staff_per_provider, p.local_spend_share) == (21.5, 1.0, 0.3)
    assert p.hourly_wage_gbp == 12.60  # untouched default
    path = tmp_path / "params.toml"
    path.write_bytes(toml)
    q = params_from_toml(path, {"hourly_rate_gbp": "19", "hourly_wage_gbp": None})
    assert q.hourly_rate_gbp == 19.0  # the override wins
    assert q.staff_per_provider == 1.0 and q.hourly_wage_gbp == 12.60  # None = not given
    assert params_from_toml(None) == EconomyParams()


@pytest.mark.parametrize(
    ("toml", "name"),
    [
        (b"hourly_rate_gbp = -1", "hourly_rate_gbp"),
        (b"local_spend_share = 1.2", "local_spend_share"),
        (b"local_respend_share = 2", "local_respend_share"),
        (b'hourly_wage_gbp = "twelve"', "hourly_wage_gbp"),
        (b"savings_per_provider_gbp = nan", "savings_per_provider_gbp"),
        (b"hours_per_person_per_week = inf", "hours_per_person_per_week"),
        (b"staff_per_provider = true", "staff_per_provider"),
        (b"fte_hours_per_week = 0", "fte_hours_per_week"),
        (b"hourly_rate = 20", "hourly_rate"),  # unknown key, named
    ],
)
def test_bad_parameters_name_the_parameter(toml, name):
    with pytest.raises(EconomyParamError) as err:
        params_from_toml(toml)
    assert err.value.parameter == name
    assert str(err.value).startswith(f"{name}:")


def test_bad_toml_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("hourly_rate_gbp = = 3")
    with pytest.raises(EconomyParamError, match="bad.toml"):
        params_from_toml(path)


def test_params_are_frozen_and_checked_on_construction():
    with pytest.raises(EconomyParamError, match="local_spend_share"):
        EconomyParams(local_spend_share=1.01)
    with pytest.raises(AttributeError):
        EconomyParams().hourly_rate_gbp = 3  # type: ignore[misc]


# --- Exclusions and time ----------------------------------------------------------------

ROWS = [
    (100, 100, "micro_enterprise", 6, "2019-01-01", None),
    (1500, 500, "micro_enterprise", 8, "2021-06-01", "2023-01-01"),  # closed at the start of 2023
    (1500, 1500, "day_centre", 20, "2015-01-01", None),
    (2500, 500, "micro_enterprise", 4, "2024-05-01", None),  # east of every ward
]


def test_providers_outside_date_or_kinds_are_excluded():
    provs = providers(ROWS)
    on_2022 = supply_of(provs, date(2022, 6, 30), ["micro_enterprise"])
    assert on_2022.capacity.tolist() == [6, 8]
    on_2023 = supply_of(provs, date(2023, 1, 1), ["micro_enterprise", "day_centre"])
    assert on_2023.capacity.tolist() == [6, 20]  # closed on its end date; not yet started
    s = economy_summary(supply_of(provs, date(2024, 6, 30), ["micro_enterprise"]), EconomyParams())
    assert (s["providers"], s["people_supported"]) == (2, 10)


def test_over_time_counts_what_was_open_each_date():
    provs = providers(ROWS)
    dates = [date(2018, 1, 1), date(2020, 1, 1), date(2022, 1, 1), date(2024, 6, 30)]
    t = economy_over_time(provs, dates, EconomyParams(), kinds=["micro_enterprise"])
    assert t.providers.tolist() == [0, 1, 2, 2]
    assert t.people_supported.tolist() == [0, 6, 14, 10]
    assert t.hours_per_week.tolist() == pytest.approx([0, 6 * 3.2, 14 * 3.2, 10 * 3.2])
    assert list(t.columns) == ["date", *ECONOMY_KEYS]


def test_yearly_dates():
    provs = providers(ROWS)
    assert yearly_dates(provs, date(2026, 1, 10), years=3) == [
        date(2023, 4, 1),
        date(2024, 4, 1),
        date(2025, 4, 1),
        date(2026, 1, 10),
    ]


# --- Per area ---------------------------------------------------------------------------


def test_per_area_sums_to_council_total(grid_wards):
    provs = providers(ROWS)
    supply = supply_of(provs, date(2024, 6, 30), ["micro_enterprise", "day_centre"])
    pop = pd.DataFrame({"area_code": grid_wards.area_code, "area_name": grid_wards.area_name})
    pop["pop_65plus"] = [1000.0, 500.0, 0.0, 2000.0]
    p = EconomyParams(local_spend_share=0.5, local_respend_share=0.5)
    by_area = economy_by_area(supply, grid_wards, pop, p).set_index("area_code")
    # SW holds the first provider; the one at (2500, 500), outside every ward, counts in the
    # nearest ward (SE); NE holds the day centre; NW has none.
    assert by_area.providers.to_dict() == {"SW": 1, "SE": 1, "NW": 0, "NE": 1}
    assert by_area.people_supported.to_dict() == {"SW": 6, "SE": 4, "NW": 0, "NE": 20}
    total = economy_summary(supply, p)
    for key in ADDITIVE_KEYS:
        assert by_area[key].sum() == pytest.approx(total[key]), key
    assert by_area.lm3.tolist() == pytest.approx([1.75] * 4)
    # 6 people × 3.2 h = 19.2 h a week for 1,000 people aged 65+.
    assert by_area.loc["SW", "hours_per_1000"] == pytest.approx(19.2)
    assert by_area.loc["SE", "jobs_fte_per_1000"] == pytest.approx(4 * 3.2 / 37.5 / 500 * 1000)
    assert pd.isna(by_area.loc["NW", "hours_per_1000"])  # nobody aged 65+
    assert by_area.crs == grid_wards.crs and by_area.geometry.notna().all()


def test_per_area_with_no_providers(grid_wards):
    pop = pd.DataFrame({"area_code": grid_wards.area_code, "area_name": grid_wards.area_name, "pop_65plus": 10.0})
    empty = providers([]).iloc[0:0]
    by_area = economy_by_area(empty, grid_wards, pop, EconomyParams())
    assert by_area.providers.sum() == 0 and by_area.hours_per_week.sum() == 0


# --- Plan and exports -------------------------------------------------------------------


def plan_sites(n: int) -> pd.DataFrame:
    return pd.DataFrame({c: range(1, n + 1) if c == "rank" else [0] * n for c in PLAN_COLUMNS})


def test_plan_counts_each_site_as_one_new_provider():
    s = plan_economy(plan_sites(3), EconomyParams())
    assert PEOPLE_PER_NEW_PROVIDER == 7
    assert (s["providers"], s["people_supported"]) == (3, 21)
    assert s["jobs_fte"] == pytest.approx(21 * 3.2 / 37.5)
    assert s["annual_savings_gbp"] == pytest.approx(3 * 4209)
    with pytest.raises(PlanFileError, match="people_reached"):
        plan_economy(plan_sites(2).drop(columns=["people_reached"]), EconomyParams())


def test_plan_by_area_adds_up():
    sites = plan_sites(4).assign(area_code=["W1", "W2", "W1", "W1"], area_name=["One", "Two", "One", "One"])
    by_area = plan_by_area(sites, EconomyParams())
    assert by_area[["area_code", "providers", "people_supported"]].values.tolist() == [["W1", 3, 21], ["W2", 1, 7]]
    total = plan_economy(sites, EconomyParams())
    for key in ADDITIVE_KEYS:
        assert by_area[key].sum() == pytest.approx(total[key]), key


def test_report_and_export_carry_sources_and_caveats():
    p = EconomyParams()
    s = economy_summary(pd.DataFrame({"capacity": [7.0]}), p)
    doc = economy_report(s, p, plan=plan_economy(plan_sites(1), p), notes=["Illustrative sample — not real providers"])
    assert set(ECONOMY_KEYS) <= set(doc) and set(doc["plan"]) == set(ECONOMY_KEYS)
    assert doc["parameters"]["hourly_rate_gbp"]["value"] == 24.10
    assert "Homecare Association" in doc["parameters"]["hourly_rate_gbp"]["source"]
    assert any("not estimated" in n for n in doc["notes"]) and "Illustrative sample" in doc["notes"][0]
    table = export_table(s, p)
    assert table.loc[table.name == "local_value_gbp", "value"].item() == "not estimated"
    assert table[table.section == "parameter"].source.str.len().gt(20).all()
    assert "hourly_rate_gbp = 24.1" in table.loc[table.name == "annual_income_gbp", "rests_on"].item()


# --- CLI --------------------------------------------------------------------------------


def write_providers(path, rows):
    header = "id,name,kind,capacity,start_date,end_date,postcode\n"
    path.write_text(header + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


@pytest.fixture
def small_file(tmp_path):
    # Real Somerset postcodes; one closed before the date, one a day centre.
    return write_providers(
        tmp_path / "providers.csv",
        [
            ("A", "Alpha", "micro_enterprise", 5, "01/01/2020", "", "TA24 8EA"),
            ("B", "Beta", "micro_enterprise", 7, "01/01/2020", "", "TA1 4LH"),
            ("C", "Gamma", "micro_enterprise", 9, "01/01/2020", "01/01/2024", "TA1 4LH"),
            ("D", "Delta", "day_centre", 30, "01/01/2020", "", "TA1 4LH"),
        ],
    )


def test_cli_hand_worked_flags_win_over_toml(tmp_path, small_file, capsys):
    params = tmp_path / "p.toml"
    params.write_text("hourly_rate_gbp = 21.5\nhourly_wage_gbp = 11\n")
    out = tmp_path / "economy.json"
    status = main(
        [
            "economy",
            "--council", "E06000066",
            "--providers", str(small_file),
            "--as-at", "2024-06-30",
            "--kinds", "micro_enterprise",
            "--params", str(params),
            "--hourly-rate", "20",
            "--out", str(out),
        ]
    )  # fmt: skip
    assert status == 0, capsys.readouterr().err
    doc = json.loads(out.read_text())
    assert (doc["providers"], doc["people_supported"]) == (2, 12)  # C closed, D not a chosen kind
    assert doc["annual_income_gbp"] == pytest.approx(12 * 3.2 * 52 * 20)  # the flag's 20, not the file's 21.5
    assert doc["annual_wages_gbp"] == pytest.approx(12 * 3.2 * 52 * 11)  # the file's 11
    assert doc["parameters"]["hourly_rate_gbp"]["value"] == 20
    assert "Homecare Association" in doc["parameters"]["hourly_rate_gbp"]["source"]
    assert "plan" not in doc and "data_note" not in doc


def test_cli_plan_and_areas(tmp_path, small_file, capsys):
    sites = tmp_path / "sites.csv"
    plan_sites(4).to_csv(sites, index=False)
    out, by_area = tmp_path / "e.json", tmp_path / "by_area.csv"
    argv = ["economy", "--council", "E06000066", "--providers", str(small_file), "--as-at", "2024-06-30"]
    status = main([*argv, "--plan", str(sites), "--level", "ward", "--areas-out", str(by_area), "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    doc = json.loads(out.read_text())
    assert (doc["providers"], doc["people_supported"]) == (3, 42)
    assert (doc["plan"]["providers"], doc["plan"]["people_supported"]) == (4, 28)
    table = pd.read_csv(by_area)
    for key in ADDITIVE_KEYS:
        assert table[key].sum() == pytest.approx(doc[key], rel=1e-6), key
    assert "hourly_rate_gbp = 24.1" in table.parameters.iloc[0]
    assert "Homecare Association" in table.sources.iloc[0]
    assert not {"name", "id", "postcode"} & set(table.columns)  # nothing personal
    # A plan made for 5 people a recruit (site --people-per-site 5) is costed at 5, not the default 7.
    five = tmp_path / "five.json"
    status = main([*argv, "--plan", str(sites), "--people-per-recruit", "5", "--out", str(five)])
    assert status == 0, capsys.readouterr().err
    plan5 = json.loads(five.read_text())["plan"]
    assert (plan5["providers"], plan5["people_supported"]) == (4, 20)
    assert plan5["hours_per_week"] == pytest.approx(doc["plan"]["hours_per_week"] * 5 / 7)
    assert main([*argv, "--plan", str(sites), "--people-per-recruit", "0", "--out", str(five)]) == 2


@pytest.mark.parametrize(
    ("extra", "name"),
    [
        (["--hourly-rate", "-3"], "hourly_rate_gbp"),
        (["--local-spend-share", "1.5"], "local_spend_share"),
        (["--staff-per-provider", "lots"], "staff_per_provider"),
    ],
)
def test_cli_bad_parameter_exits_2_naming_it(tmp_path, small_file, capsys, extra, name):
    out = tmp_path / "e.json"
    status = main(["economy", "--council", "E06000066", "--providers", str(small_file), *extra, "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2
    assert name in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_bad_toml_value_exits_2(tmp_path, small_file, capsys):
    params = tmp_path / "p.toml"
    params.write_text("local_respend_share = 3\n")
    status = main(
        ["economy", "--council", "E06000066", "--providers", str(small_file), "--params", str(params),
         "--out", str(tmp_path / "e.json")]
    )  # fmt: skip
    assert status == 2 and "local_respend_share" in capsys.readouterr().err


def test_cli_labels_the_sample(tmp_path, capsys):
    out = tmp_path / "e.json"
    assert main(["economy", "--council", "E06000066", "--providers", SAMPLE, "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["data_note"] == "Illustrative sample — not real providers"
    assert "illustrative sample" in capsys.readouterr().err


def test_library_errors_are_gapmap_errors():
    assert issubclass(EconomyParamError, GapmapError) and issubclass(PlanFileError, GapmapError)


def test_plan_area_geometry_unused():
    # The plan's figures depend only on the number of sites, not where they are.
    a = plan_economy(plan_sites(2), EconomyParams())
    moved = plan_sites(2).assign(easting=[1, 2], northing=[3, 4])
    assert plan_economy(moved, EconomyParams()) == a


# --- App --------------------------------------------------------------------------------


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    # No saved records: the page falls back to the illustrative sample.
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))


def run_page(**session):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in session.items():
        at.session_state[k] = v
    at.run()
    at.switch_page("pages/economy.py").run()
    return at


def test_economy_page_shows_figures_sources_and_the_sample_label(empty_home):
    at = run_page()
    assert not at.exception
    assert at.title[0].value == "Local economy — Somerset"
    assert "Illustrative sample — not real providers" in at.warning[0].value
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Money kept local"] == "not estimated"
    n = int(tiles["Providers"].replace(",", ""))
    people = float(tiles["People supported"].replace(",", ""))
    assert n > 300  # the sample's open micro-enterprises
    # Hours = people × 3.2 (the default), shown rounded.
    assert float(tiles["Hours of care a week"].replace(",", "")) == pytest.approx(people * 3.2, abs=0.5)
    assert "a year of care bought from local micro-enterprises" in at.subheader[0].value
    text = " ".join(m.value for m in at.markdown)
    assert "Homecare Association" in text and "Skills for Care" in text and "2017 prices" in text
    assert "No recruitment plan yet" in at.info[0].value


def _plan(council: str, n: int, people_per_recruit: float = 7.0):
    from gapmap.plan import RecruitmentPlan

    return RecruitmentPlan(
        council=council,
        band="75plus",
        radius_km=3.0,
        sites=plan_sites(n),
        covered_before=1000.0,
        covered_after=1500.0,
        people_per_recruit=people_per_recruit,
    )


@pytest.mark.slow
def test_economy_page_reads_the_plan_and_parameter_changes(empty_home):
    at = run_page(recruitment_plan=_plan("E06000066", 5))
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["New providers"] == "5" and tiles["More people supported"] == "35"
    at.number_input(key="econ_local_spend_share_default").set_value(0.5).run()
    tiles = {m.label: m.value for m in at.metric}
    income = float(tiles["Care bought a year"].strip("£").replace(",", ""))
    kept = float(tiles["Money kept local a year (LM3 total)"].strip("£").replace(",", ""))
    assert kept == pytest.approx(income * 1.5, abs=1)  # LM3 = 1 + 0.5 + 0.5 × 0


def test_economy_page_uses_the_plans_people_per_recruit_and_ignores_another_councils_plan(empty_home):
    # The plan's own figure (10 people per recruit), not the default 7.
    at = run_page(recruitment_plan=_plan("E06000066", 4, people_per_recruit=10.0))
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["New providers"] == "4" and tiles["More people supported"] == "40"
    assert "supporting 10 people" in " ".join(c.value for c in at.caption)
    # A plan made for Kent is never added to Somerset's economy.
    at = run_page(recruitment_plan=_plan("E10000016", 4))
    assert not at.exception
    assert "New providers" not in {m.label for m in at.metric}
    assert "No recruitment plan yet" in " ".join(i.value for i in at.info)


def test_per_area_outside_row_collects_providers_outside_the_areas(grid_wards):
    # With user areas, people outside them sit in an "outside" row; providers outside go there too.
    from gapmap.areas import OUTSIDE_CODE

    provs = providers(ROWS)
    supply = supply_of(provs, date(2024, 6, 30), ["micro_enterprise"])  # capacities 6 (SW) and 4 (outside)
    pop = pd.DataFrame(
        {
            "area_code": [*grid_wards.area_code, OUTSIDE_CODE],
            "area_name": [*grid_wards.area_name, "Outside the supplied areas"],
            "pop_65plus": [100.0, 100.0, 100.0, 100.0, 50.0],
        }
    )
    by_area = economy_by_area(supply, grid_wards, pop, EconomyParams()).set_index("area_code")
    assert by_area.people_supported.to_dict() == {"SW": 6, "SE": 0, "NW": 0, "NE": 0, OUTSIDE_CODE: 4}
    assert by_area.geometry.isna().sum() == 1  # the outside row has no polygon


def test_economy_page_without_records_says_how_to_add_them(empty_home):
    at = run_page()
    at.sidebar.selectbox[0].set_value("E10000016").run()
    assert not at.exception
    assert "No provider records for Kent" in at.info[0].value
    assert not at.metric  # no figures without records


def test_economy_map_legend_says_areas_are_hidden_not_empty(empty_home):
    """Under the default privacy, areas with one or two sole traders are blanked: the legend says why."""
    from gapmap.privacy import HIDDEN_OR_NO_DATA
    from tests.test_app_roles import everything_sent

    at = run_page(econ_level="lsoa")
    assert not at.exception
    sent = everything_sent(at)
    assert HIDDEN_OR_NO_DATA in sent  # some of Somerset's LSOAs hold only one or two
    assert "no residents / no data" not in sent
    at = run_page(econ_level="lsoa", privacy="exact")  # local mode: this computer's own user may choose it
    assert not at.exception
    assert HIDDEN_OR_NO_DATA not in everything_sent(at)
