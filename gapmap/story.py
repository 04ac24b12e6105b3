"""The workshop story: each view's plain-English title, one-sentence takeaway and speaker notes.

The same words head a view in the app's presentation mode, a slide in the deck and a page of
the PDF. Every figure is read from an :class:`gapmap.analysis.Analysis` (or the plan, closure
and economy results given to :class:`ReportInputs`); nothing here computes a measure of its own.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import pandas as pd

from gapmap.analysis import Analysis
from gapmap.closures import impact_between
from gapmap.economy import EconomyParams, economy_report, economy_summary, multiplier_estimated, supply_of
from gapmap.errors import ReportError
from gapmap.labels import BAND_PEOPLE, LEVEL_NOUNS, day, km, money, number, one_in, people, reach
from gapmap.plan import RecruitmentPlan
from gapmap.privacy import public_layer
from gapmap.schema import SITE_COLUMNS as PLAN_COLUMNS
from gapmap.siting import SitePlan

STORY = ("population", "gaps", "priority", "closures", "plan", "economy")
"""The order a presenter steps through."""

STORY_TITLES = {
    "population": "Older population",
    "gaps": "Where care is short",
    "priority": "Priority areas",
    "closures": "Closures: before and after",
    "plan": "Recruitment plan",
    "economy": "Local economy",
}
"""The plain-English title of each view."""


@dataclass(frozen=True)
class View:
    """The words of one view.

    Attributes
    ----------
    key
        One of :data:`STORY` (or ``"title"``, ``"sources"``).
    title
        Plain-English title.
    takeaway
        One sentence a room can remember.
    notes
        Speaker notes: how to read the view and where the figures come from.
    """

    key: str
    title: str
    takeaway: str
    notes: str = ""


@dataclass(frozen=True)
class Closures:
    """Before and after a set of closures, for the closures view.

    Attributes
    ----------
    before, after
        The analyses at the two dates (same council, level, band and radius).
    summary
        ``providers_closed``, ``providers_opened`` (ids), ``people_displaced``,
        ``extra_km_mean``, ``extra_km_p90``, ``extra_km_max``, ``people_losing_coverage``,
        ``people_gaining_coverage``, ``band``, ``radius_km`` (the closures module's contract).
    """

    before: Analysis
    after: Analysis
    summary: Mapping[str, object]
    dates: tuple[date, date] | None = None

    @property
    def before_date(self) -> date:
        """The earlier date."""
        return self.dates[0] if self.dates else self.before.request.date

    @property
    def after_date(self) -> date:
        """The later date."""
        return self.dates[1] if self.dates else self.after.request.date


PLAN_NUMBERS = ("rank", "easting", "northing", "people_reached", "people_reached_cumulative", "people_85plus_reached")


@dataclass(frozen=True)
class Plan:
    """A recruitment plan: proposed sites (the ``site`` command's columns) and its reach.

    Attributes
    ----------
    sites
        ``rank, easting, northing, lat, lon, postcode, area_code, area_name, people_reached,
        people_reached_cumulative, people_85plus_reached`` (+ optional ``reason``).
    summary
        ``people_within_before``, ``people_within_after``, ``gain`` (people of the band within
        the radius of support); derived from ``sites`` when empty.
    band, radius_km
        The reach the plan was made for (``None``: the report's own band and radius).
    """

    sites: pd.DataFrame
    summary: Mapping[str, float] = field(default_factory=dict)
    band: str | None = None
    radius_km: float | None = None

    @classmethod
    def from_recruitment(cls, plan: RecruitmentPlan) -> Plan:
        """The deck's plan from the session's :class:`gapmap.plan.RecruitmentPlan` (its own band and radius)."""
        return cls(plan.sites, plan.summary(), band=plan.band, radius_km=plan.radius_km)

    @classmethod
    def from_table(cls, table: pd.DataFrame, analysis: Analysis | None = None) -> Plan:
        """A plan from a table with the ``site`` command's columns (e.g. read from ``--plan sites.csv``).

        Parameters
        ----------
        table
            Raw cells; numbers may be text.
        analysis
            The current analysis: gives the people within reach before the plan, so the
            summary has before, after and gain.

        Raises
        ------
        ReportError
            When a required column is missing or a number cannot be read.
        """
        missing = [c for c in PLAN_COLUMNS if c not in table.columns]
        if missing:
            raise ReportError(f"the plan file has no column {', '.join(missing)}; it needs {', '.join(PLAN_COLUMNS)}")
        sites = pd.DataFrame(table).copy()
        for col in PLAN_NUMBERS:
            values = pd.to_numeric(sites[col], errors="coerce")
            if values.isna().any():
                row = int(values.isna().to_numpy().argmax()) + 2
                raise ReportError(f"the plan file's {col} on row {row} is not a number")
            sites[col] = values
        sites = sites.sort_values("rank").reset_index(drop=True)
        gain = float(sites.people_reached.sum())
        summary: dict[str, float] = {"gain": gain}
        if analysis is not None:
            s = analysis.summary()
            before = s["band_population"] - s["pop_beyond_radius"]
            summary |= {"people_within_before": before, "people_within_after": before + gain}
        return cls(sites, summary)


@dataclass(frozen=True)
class ReportInputs:
    """Everything a deck, PDF or set of pictures is built from.

    Attributes
    ----------
    analysis
        The gap analysis (as at the report date).
    illustrative
        The providers are the illustrative sample: every page says so.
    closures, plan, economy
        Optional parts; a view whose part is missing is left out.
    """

    analysis: Analysis
    illustrative: bool = False
    closures: Closures | None = None
    plan: Plan | None = None
    economy: Mapping[str, object] | None = None

    @property
    def council(self) -> str:
        """The council's name."""
        return self.analysis.data.council.name

    @property
    def band(self) -> str:
        """The age band code."""
        return self.analysis.request.band

    @property
    def radius_km(self) -> float:
        """The catchment radius (minutes when measured by road: see :attr:`reach`)."""
        return self.analysis.request.radius_km

    @property
    def reach(self) -> str:
        """The catchment in words: ``"5 km"`` or ``"15 minutes by road"``."""
        return reach(self.analysis.request.radius_km, self.analysis.request.unit)


def before_after(analysis: Analysis, before: date, after: date) -> Closures:
    """The change between the providers open on two dates (:func:`gapmap.closures.impact_between`).

    Parameters
    ----------
    analysis
        Gives the council, providers, level, band, radius and kinds (and its zones are reused).
    before, after
        The two dates.

    Returns
    -------
    Closures
        The "after" analysis has the after date's supply (its request keeps the before date);
        the summary carries both dates.
    """
    impact = impact_between(analysis.data, analysis.providers, analysis.request, before, after, zones=analysis.zones)
    return Closures(before=impact.before, after=impact.after, summary=impact.summary, dates=(before, after))


def plan_from_siting(plan: SitePlan) -> Plan:
    """A :class:`Plan` from the recruitment planner's result (:func:`gapmap.siting.plan_sites`)."""
    summary = {
        "people_within_before": plan.covered_before,
        "people_within_after": plan.covered_after,
        "gain": plan.gain,
    }
    return Plan(pd.DataFrame(plan.sites), summary)


# --- The words of each view ------------------------------------------------------------


def title_view(inputs: ReportInputs) -> View:
    """The title page."""
    req = inputs.analysis.request
    return View(
        "title",
        f"Care and support for older people in {inputs.council}",
        f"{BAND_PEOPLE[req.band].capitalize()}, support within {reach(req.radius_km, req.unit)}, providers open on "
        f"{day(req.date)}.",
        "Made with gapmap from Census 2021 population placed on postcodes and the council's provider records.",
    )


def population_view(analysis: Analysis) -> View:
    """Older population: how many, what share, where most live."""
    req = analysis.request
    return population_words(analysis.areas, band=req.band, level=req.level, council=analysis.data.council.name)


def population_words(areas: pd.DataFrame, *, band: str, level: str, council: str) -> View:
    """The older-population view's words from a population table (any level, any band or ``"total"``)."""
    col = f"pop_{band}"
    total, residents = float(areas[col].sum()), float(areas.pop_total.sum())
    top = areas.sort_values(col, ascending=False).iloc[0]
    noun = LEVEL_NOUNS[level]
    who = BAND_PEOPLE.get(band, "people")
    share = f", {_of(total, residents, 'residents')}" if band in BAND_PEOPLE else ""
    return View(
        "population",
        STORY_TITLES["population"],
        f"{people(total)} {who} live in {council}{share}; the most in one {noun} are in {top.area_name} "
        f"({people(top[col])}).",
        "Census 2021 residents, shared across the postcodes of each neighbourhood and added up to the areas "
        "shown. Darker areas have more older people.",
    )


def _people_beyond_sentence(
    beyond: float, total: float, band: str, place: str, radius_km: float, unit: str = "km"
) -> str:
    who = BAND_PEOPLE[band]
    r = reach(radius_km, unit)
    if beyond < 0.5:
        return f"Everyone {who.removeprefix('people ')} in {place} lives within {r} of support."
    return f"{_of(beyond, total, who)} in {place} live more than {r} from any support."


def _of(part: float, whole: float, noun: str) -> str:
    """``"1 in 4 residents"`` or ``"60% of residents"``."""
    ratio = one_in(part, whole)
    return f"{ratio} {noun}" if ratio.startswith("1 in") else f"{ratio} of {noun}"


def gaps_view(analysis: Analysis) -> View:
    """Where care is short: the share of the band's people beyond reach of any support."""
    req = analysis.request
    s = analysis.summary()
    sentence = _people_beyond_sentence(
        s["pop_beyond_radius"], s["band_population"], req.band, analysis.data.council.name, req.radius_km, req.unit
    )
    sentence = sentence[0].upper() + sentence[1:]
    how = reach(req.radius_km, req.unit) + (" (straight line)" if req.unit == "km" else "")
    return View(
        "gaps",
        STORY_TITLES["gaps"],
        sentence,
        f"Each area shows how many {BAND_PEOPLE[req.band]} live more than {how} "
        f"from the nearest open provider on {day(req.date)}. {people(s['providers'])} providers with "
        f"{people(s['places'])} support places count. {people(s['unmet_need'])} people are without a "
        "support place against the target.",
    )


def priority_table(analysis: Analysis, n: int = 10) -> pd.DataFrame:
    """The top ``n`` priority areas with their figures from the gap engine (raw numbers).

    Returns
    -------
    pandas.DataFrame
        ``gap_rank, area_name, gap_score, unmet_need, pop_beyond_radius, gap_reasons``, best
        rank first, at most ``n`` rows.
    """
    cols = ["gap_rank", "area_name", "gap_score", "unmet_need", "pop_beyond_radius", "gap_reasons"]
    ranked = analysis.areas[analysis.areas.gap_rank.notna()].sort_values(["gap_rank", "area_name"])
    return pd.DataFrame(ranked[cols].head(n)).reset_index(drop=True)


def priority_view(analysis: Analysis, n: int = 10) -> View:
    """Priority areas: which comes first and why."""
    top = priority_table(analysis, n)
    if top.empty:
        return View("priority", STORY_TITLES["priority"], "No area has residents of this age band.")
    first = top.iloc[0]
    share_top = float(top.unmet_need.sum())
    total = float(analysis.areas.unmet_need.sum())
    noun = LEVEL_NOUNS[analysis.request.level]
    takeaway = f"{first.area_name} comes first: {first.gap_reasons.split(';')[0]}."
    if total >= 0.5:
        takeaway += (
            f" The top {len(top)} {noun}s hold {people(share_top)} of the {people(total)} people without a place."
        )
    return View(
        "priority",
        STORY_TITLES["priority"],
        takeaway,
        "The priority score (0–100) mixes unmet need (40%), poor access (30%), older people's income "
        "deprivation (20%) and rurality (10%), each ranked across the council's areas.",
    )


def closures_view(inputs: ReportInputs) -> View | None:
    """Closures: what the providers that closed between two dates did to reach."""
    if inputs.closures is None:
        return None
    s = inputs.closures.summary
    d1, d2 = inputs.closures.before_date, inputs.closures.after_date
    n_closed = len(s.get("providers_closed", ()))
    lost = float(s.get("people_losing_coverage", 0.0))
    who = BAND_PEOPLE[str(s.get("band", inputs.band))]
    r = reach(float(s.get("radius_km", inputs.radius_km)), str(s.get("unit", inputs.analysis.request.unit)))
    far = "minutes" if s.get("unit", inputs.analysis.request.unit) == "minutes" else "km"
    n_opened = len(s.get("providers_opened", ()))
    what = f"{n_closed} provider{'s' if n_closed != 1 else ''} closed"
    if n_opened:
        what += f" and {n_opened} opened"
    if lost >= 0.5:
        effect = f"{people(lost)} {who} are now more than {r} from support"
    else:
        effect = f"no one {who.removeprefix('people ')} lost support within {r}"
    return View(
        "closures",
        STORY_TITLES["closures"],
        f"Between {day(d1)} and {day(d2)}, {what}; {effect}.",
        f"Both maps use the same colours. People whose nearest provider moved further away: "
        f"{people(s.get('people_displaced', 0))}, on average {km(s.get('extra_km_mean', 0))} {far} further "
        f"(1 in 10 at least {km(s.get('extra_km_p90', 0))} {far}). People newly within reach: "
        f"{people(s.get('people_gaining_coverage', 0))}.",
    )


def plan_summary(plan: Plan) -> dict[str, float]:
    """The plan's reach: the given summary, else the last cumulative figure of the sites."""
    if plan.summary:
        return dict(plan.summary)
    gain = float(plan.sites.people_reached_cumulative.max()) if len(plan.sites) else 0.0
    return {"gain": gain}


def plan_view(inputs: ReportInputs) -> View | None:
    """Recruitment plan: how many more people new micro-providers at these sites would reach."""
    if inputs.plan is None:
        return None
    n = len(inputs.plan.sites)
    s = plan_summary(inputs.plan)
    who = BAND_PEOPLE[inputs.plan.band or inputs.band]
    radius = inputs.plan.radius_km if inputs.plan.radius_km is not None else inputs.radius_km
    takeaway = (
        f"{n} new micro-provider{'s' if n != 1 else ''} at these places would bring {people(s.get('gain', 0))} "
        f"more {who} within {reach(radius, inputs.analysis.request.unit)} of support."
    )
    notes = "Sites are ranked: each adds the most people not yet within reach."
    if "people_within_before" in s and "people_within_after" in s:
        notes += (
            f" Within reach now: {people(s['people_within_before'])}; with the plan: "
            f"{people(s['people_within_after'])}."
        )
    return View("plan", STORY_TITLES["plan"], takeaway, notes)


def economy_view(inputs: ReportInputs) -> View | None:
    """Local economy: people supported, hours, jobs and money kept local."""
    e = inputs.economy
    if e is None:
        return None
    takeaway = (
        f"{people(e.get('providers'))} {_counted(e)} support {people(e.get('people_supported'))} people with "
        f"{people(e.get('hours_per_week'))} hours of care a week and bring {money(e.get('annual_income_gbp'))} "
        "a year to local businesses."
    )
    return View(
        "economy",
        STORY_TITLES["economy"],
        takeaway,
        "Each figure is an estimate from the providers and the assumptions in the table, with their sources.",
    )


def economy_table(economy: Mapping[str, object]) -> pd.DataFrame:
    """The economy figures and the assumptions behind them, as readable rows."""
    names = {
        "providers": _counted(economy).capitalize(),
        "people_supported": "People supported",
        "hours_per_week": "Hours of care a week",
        "annual_income_gbp": "Care bought a year (£, the providers' income)",
        "jobs_fte": "Jobs (full-time equivalent)",
        "jobs_headcount": "People working",
        "annual_wages_gbp": "Wages a year (£)",
        "lm3": "Local multiplier (LM3)",
        "local_value_gbp": "Money kept local a year (£, LM3 total: care bought included)",
        "annual_savings_gbp": "Savings to the council a year (£)",
    }
    rows = []
    for key, name in names.items():
        if key in economy and economy[key] is not None:
            v = economy[key]
            text = f"{float(v):,.2f}" if key == "lm3" else people(v)
            rows.append({"Figure": name, "Value": text, "Source": ""})
    for name, spec in dict(economy.get("parameters") or {}).items():
        if isinstance(spec, Mapping):
            rows.append(
                {
                    "Figure": f"Assumption: {spec.get('label') or str(name).replace('_', ' ')}",
                    "Value": number(spec.get("value", "")),
                    "Source": str(spec.get("source", "")),
                }
            )
    return pd.DataFrame(rows, columns=["Figure", "Value", "Source"])


def views(inputs: ReportInputs) -> list[View]:
    """Every view the inputs support, in story order (missing parts left out)."""
    a = inputs.analysis
    out = [population_view(a), gaps_view(a), priority_view(a)]
    for maker in (closures_view, plan_view, economy_view):
        v = maker(inputs)
        if v is not None:
            out.append(v)
    return out


def supply_for_display(analysis: Analysis) -> gpd.GeoDataFrame:
    """The providers a hand-out may show: the public layer in "counts" mode.

    Day centres and other venues open on the date (status ``open``) and day centres closed by
    then (status ``closed``); micro-providers are never drawn on a hand-out (their location is
    often a home), only counted. Same code as ``python -m gapmap public-layer``.
    """
    req = analysis.request
    # In "counts" mode no point is moved (micro-providers are left out), so the key never shapes the
    # output: a throwaway one stands in for the install's secret.
    key = secrets.token_bytes(32)
    return public_layer(analysis.providers, mode="counts", secret=key, as_at=req.date, kinds=tuple(req.kinds))


def economy_for(
    analysis: Analysis, params: EconomyParams | None = None, kinds: Sequence[str] = ("micro_enterprise",)
) -> dict[str, object]:
    """The local-economy figures of the providers of ``kinds`` open on the analysis date (gapmap.economy).

    Returns
    -------
    dict
        :func:`gapmap.economy.economy_report`'s document, with the ``kinds`` counted; ``lm3`` and
        ``local_value_gbp`` are ``None`` when no local multiplier is estimated (no local spend
        share given).
    """
    params = params or EconomyParams()
    chosen = supply_of(analysis.providers, analysis.request.date, kinds=tuple(kinds))
    doc = economy_report(economy_summary(chosen, params), params)
    doc["kinds"] = list(kinds)
    if not multiplier_estimated(params):
        doc["lm3"] = doc["local_value_gbp"] = None
    return doc


def _counted(economy: Mapping[str, object]) -> str:
    """Who the economy figures count: "micro-providers", or "providers" when other kinds count too."""
    kinds = economy.get("kinds") or ["micro_enterprise"]
    return "micro-providers" if set(kinds) == {"micro_enterprise"} else "providers"
