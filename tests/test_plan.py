"""The typed recruitment plan handed from the planner to the economy page and the deck."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from gapmap import economy, siting
from gapmap.errors import PlanFileError
from gapmap.plan import PEOPLE_PER_RECRUIT, RecruitmentPlan, plan_for
from gapmap.schema import SITE_COLUMNS
from gapmap.story import Plan, ReportInputs, plan_view


def sites(n: int) -> pd.DataFrame:
    return pd.DataFrame({c: range(1, n + 1) if c == "rank" else [0] * n for c in SITE_COLUMNS})


def make(council: str = "E06000066", n: int = 3, **kw) -> RecruitmentPlan:
    args = {"band": "85plus", "radius_km": 3.0, "covered_before": 100.0, "covered_after": 160.0} | kw
    return RecruitmentPlan(council=council, sites=sites(n), **args)


def test_one_constant_for_people_per_recruit():
    assert siting.PEOPLE_PER_SITE == economy.PEOPLE_PER_NEW_PROVIDER == PEOPLE_PER_RECRUIT == 7


def test_the_plan_is_frozen_and_does_not_share_the_callers_table():
    table = sites(2)
    plan = RecruitmentPlan("E06000066", "65plus", 5.0, table, 10.0, 12.0)
    table.loc[0, "people_reached"] = 99
    assert plan.sites.people_reached.tolist() == [0, 0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.council = "E10000016"  # type: ignore[misc]
    assert plan.gain == 2.0 and plan.n_sites == 2 and plan.reach == "5 km"
    assert RecruitmentPlan("X", "65plus", 5.0, table, 0, 0, minutes=20).reach == "20 minutes"


def test_a_plan_without_the_planners_columns_or_with_no_capacity_is_refused():
    with pytest.raises(PlanFileError, match="people_reached"):
        RecruitmentPlan("E06000066", "65plus", 5.0, sites(2).drop(columns=["people_reached"]), 0, 0)
    with pytest.raises(PlanFileError, match="above 0"):
        make(people_per_recruit=0)


def test_another_councils_plan_is_never_used():
    plan = make("E06000066")
    assert plan_for(plan, "E06000066") is plan
    assert plan_for(plan, "E10000016") is None
    assert plan_for(make(n=0), "E06000066") is None  # an empty plan adds nothing
    assert plan_for(sites(3), "E06000066") is None  # an untyped table is not a plan


def test_the_deck_words_use_the_plans_own_band_and_radius(sample_analysis_65_5km):
    words = plan_view(
        ReportInputs(sample_analysis_65_5km, plan=Plan.from_recruitment(make(n=10, covered_after=4202.0)))
    )
    assert words.takeaway.startswith("10 new micro-providers")
    assert "4,102 more people aged 85+ within 3 km" in words.takeaway


@pytest.fixture(scope="module")
def sample_analysis_65_5km():
    from gapmap.analysis import AnalysisRequest, analyse
    from gapmap.config import PACKAGE_ROOT
    from gapmap.population import load_council
    from gapmap.records import load_providers

    data = load_council("E06000066")
    path = PACKAGE_ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"
    providers = load_providers(path, outline=data.outline()).accepted
    return analyse(data, providers, AnalysisRequest(band="65plus", radius_km=5.0))


def test_the_economy_csv_has_the_plan_section_its_json_has_rounded_as_on_the_page():
    from gapmap.economy import EconomyParams, economy_report, economy_summary, export_table, plan_economy

    params = EconomyParams(hourly_rate_gbp=21.37)
    summary = economy_summary(pd.DataFrame({"capacity": [7.3, 9.1, 4.4]}), params)
    plan = plan_economy(sites(4), params, 10.0)
    doc = economy_report(summary, params, plan=plan, people_per_new_provider=10.0)
    table = export_table(summary, params, plan=plan, people_per_new_provider=10.0, as_shown=True)
    assert set(table.section) == {"figure", "plan", "parameter"}
    planned = table[table.section == "plan"].set_index("name").value
    assert set(doc["plan"]) | {"people_per_new_provider"} == set(planned.index)
    assert planned["people_per_new_provider"] == doc["plan_people_per_new_provider"]["value"] == 10
    figures = table[table.section == "figure"].set_index("name").value
    assert figures["annual_income_gbp"] == round(summary["annual_income_gbp"])  # whole pounds
    assert isinstance(figures["annual_income_gbp"], int)
    assert figures["jobs_fte"] == round(summary["jobs_fte"], 1)
    # The command line's table keeps full precision.
    full = export_table(summary, params).set_index("name").value
    assert full["annual_income_gbp"] == summary["annual_income_gbp"]


def test_the_plan_download_counts_whole_people_and_the_command_line_keeps_precision():
    from gapmap.siting import plan_table

    table = sites(2).assign(people_reached=[1132.580419, 12.4], people_85plus_reached=[301.5, 0.2])
    shown = plan_table(table, as_shown=True)
    assert shown.people_reached.tolist() == [1133, 12] and shown.people_85plus_reached.tolist() == [302, 0]
    assert plan_table(table).people_reached.tolist() == [1132.580419, 12.4]
