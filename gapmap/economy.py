"""The local economy of community micro-enterprises: jobs, hours of care, money, savings.

Every figure rests on named parameters (:class:`EconomyParams`), each with its source and
date (:data:`PARAMETER_SOURCES`), and every one can be changed by the user. For the providers
active on a date (of the chosen kinds)::

    providers          = count
    people_supported   = Σ capacity
    hours_per_week     = people_supported × hours_per_person_per_week
    annual_income_gbp  = hours_per_week × 52 × hourly_rate_gbp          (turnover, LM3's R1)
    jobs_fte           = hours_per_week ÷ fte_hours_per_week
    jobs_headcount     = providers × staff_per_provider
    annual_wages_gbp   = hours_per_week × 52 × hourly_wage_gbp
    lm3                = 1 + local_spend_share + local_spend_share × local_respend_share
    local_value_gbp    = annual_income_gbp × lm3
    annual_savings_gbp = providers × savings_per_provider_gbp

``lm3`` is the New Economics Foundation's Local Multiplier 3: (R1 + R2 + R3) ÷ R1 with
R2 = R1 × ``local_spend_share`` (income spent locally, wages to local people included) and
R3 = R2 × ``local_respend_share``. No care-specific LM3 is published, so both shares default
to 0 (no multiplier claimed; :func:`multiplier_estimated` is then ``False`` and views say
"money kept local: not estimated").
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gapmap import io
from gapmap.areas import OUTSIDE_CODE, locate_points
from gapmap.errors import EconomyParamError, PlanFileError
from gapmap.plan import PEOPLE_PER_RECRUIT, PEOPLE_PER_RECRUIT_SOURCE
from gapmap.schema import KINDS
from gapmap.schema import SITE_COLUMNS as PLAN_COLUMNS
from gapmap.supply import supply_at as supply_of  # the economy's old name for it

WEEKS_PER_YEAR = 52

PEOPLE_PER_NEW_PROVIDER = PEOPLE_PER_RECRUIT
"""People supported by one newly recruited micro-provider (:data:`gapmap.plan.PEOPLE_PER_RECRUIT`,
the planner's default capacity: one constant for both)."""

PEOPLE_PER_NEW_PROVIDER_SOURCE = PEOPLE_PER_RECRUIT_SOURCE

ECONOMY_KEYS = (
    "providers",
    "people_supported",
    "hours_per_week",
    "annual_income_gbp",
    "jobs_fte",
    "jobs_headcount",
    "annual_wages_gbp",
    "lm3",
    "local_value_gbp",
    "annual_savings_gbp",
)
"""The figures of :func:`economy_summary`, in order (the CLI's JSON contract)."""

ADDITIVE_KEYS = tuple(k for k in ECONOMY_KEYS if k != "lm3")
"""The figures that add up over areas (``lm3`` is a ratio, the same everywhere)."""

SHARES = ("local_spend_share", "local_respend_share")


@dataclass(frozen=True)
class EconomyParams:
    """The assumptions behind the local-economy figures (sources in :data:`PARAMETER_SOURCES`).

    Every value must be a finite number, zero or more; the two shares at most 1; the
    full-time week above zero.

    Attributes
    ----------
    hours_per_person_per_week
        Hours of care and support per person supported, per week.
    hourly_rate_gbp
        What an hour of care is bought for (£).
    hourly_wage_gbp
        What the person giving the care earns per hour (£).
    fte_hours_per_week
        Hours of one full-time job.
    staff_per_provider
        People working in one micro-enterprise (most are sole traders).
    savings_per_provider_gbp
        Public money saved per micro-enterprise per year (£).
    local_spend_share
        Share of the enterprises' income spent in the area (LM3's R2 ÷ R1).
    local_respend_share
        Share of that local spending re-spent in the area (LM3's R3 ÷ R2).
    """

    hours_per_person_per_week: float = 3.2
    hourly_rate_gbp: float = 24.10
    hourly_wage_gbp: float = 12.60
    fte_hours_per_week: float = 37.5
    staff_per_provider: float = 1.2
    savings_per_provider_gbp: float = 4209.0
    local_spend_share: float = 0.0
    local_respend_share: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _check(f.name, getattr(self, f.name)))

    def as_dict(self) -> dict[str, float]:
        """Parameter name → value."""
        return asdict(self)


PARAMETERS = tuple(f.name for f in fields(EconomyParams))
"""Parameter names, in display order."""

PARAMETER_SOURCES: dict[str, dict[str, str]] = {
    "hours_per_person_per_week": {
        "label": "Hours of care per person a week",
        "unit": "hours",
        "cite": "Community Catalysts, Westmorland and Furness 2022-24",
        "flag": "--hours-per-person",
        "source": "Community Catalysts, 'Community micro-enterprise development in Westmorland and Furness' "
        "(programme 2022–2024): 32 community micro-enterprises (26 new jobs) gave 404 hours of care and "
        "support a week to 125 people.",
        "note": "404 ÷ 125 = 3.2 hours per person a week.",
    },
    "hourly_rate_gbp": {
        "label": "Price of an hour of care",
        "unit": "£ per hour",
        "cite": "Homecare Association, fee rates 2025-26 (June 2025)",
        "flag": "--hourly-rate",
        "source": "Homecare Association, 'Fee rates for state-funded homecare in 2025-26' (5 June 2025): "
        "average fee rate councils paid for homecare £24.10 an hour (its Minimum Price for Homecare "
        "2025/26 is £32.14).",
        "note": "Micro-enterprises often charge less than agencies; enter your local rate.",
    },
    "hourly_wage_gbp": {
        "label": "Care worker's pay per hour",
        "unit": "£ per hour",
        "cite": "Skills for Care, pay as at December 2025",
        "flag": "--hourly-wage",
        "source": "Skills for Care, 'Pay in the adult social care sector in England' (as at December 2025, "
        "published February 2026): median hourly pay of care workers in the independent sector £12.60.",
        "note": "Sole traders' own earnings are not surveyed; the care-worker median stands in for them.",
    },
    "fte_hours_per_week": {
        "label": "Hours of a full-time job",
        "unit": "hours a week",
        "cite": "convention",
        "flag": "--fte-hours",
        "source": "Convention: a 37.5-hour full-time week.",
        "note": "",
    },
    "staff_per_provider": {
        "label": "People working in each micro-enterprise",
        "unit": "people",
        "cite": "planning assumption (gapmap, 2026)",
        "flag": "--staff-per-provider",
        "source": "Planning assumption (gapmap, 2026): most community micro-enterprises are sole traders and "
        "all have 5 staff or fewer (Community Catalysts' definition); Westmorland and Furness had 26 "
        "new jobs in 26 new enterprises.",
        "note": "",
    },
    "savings_per_provider_gbp": {
        "label": "Public money saved per micro-enterprise a year",
        "unit": "£ a year",
        "cite": "NEF and Community Catalysts, Somerset 2020 (2017 prices)",
        "flag": "--savings-per-provider",
        "source": "New Economics Foundation and Community Catalysts report on Somerset's community "
        "micro-enterprises (2020): 223 micro-enterprises saved £938,607 a year, i.e. £4,209 each. "
        "2017 prices, not uprated.",
        "note": "2017 prices: about a quarter higher in today's money. Quoted from secondary sources; "
        "gapmap's developers have not checked it against the report itself.",
    },
    "local_spend_share": {
        "label": "Share of income spent locally (LM3 R2)",
        "unit": "share 0–1",
        "cite": "your own LM3 survey (default 0: none claimed)",
        "flag": "--local-spend-share",
        "source": "Your own survey (New Economics Foundation's Local Multiplier 3 method). No care-specific "
        "LM3 is published, so the default is 0: no multiplier claimed.",
        "note": "Include wages paid to local people.",
    },
    "local_respend_share": {
        "label": "Share of that re-spent locally (LM3 R3)",
        "unit": "share 0–1",
        "cite": "your own LM3 survey (default 0)",
        "flag": "--local-respend-share",
        "source": "Your own survey (New Economics Foundation's Local Multiplier 3 method). Default 0.",
        "note": "",
    },
}
"""Per parameter: ``label``, ``unit``, a short ``cite``, command-line ``flag``, ``source``
(publisher, title, date) and a ``note``. Shown beside every figure in the app and in every export."""

KEY_PARAMETERS: dict[str, tuple[str, ...]] = {
    "providers": (),
    "people_supported": (),
    "hours_per_week": ("hours_per_person_per_week",),
    "annual_income_gbp": ("hours_per_person_per_week", "hourly_rate_gbp"),
    "jobs_fte": ("hours_per_person_per_week", "fte_hours_per_week"),
    "jobs_headcount": ("staff_per_provider",),
    "annual_wages_gbp": ("hours_per_person_per_week", "hourly_wage_gbp"),
    "lm3": SHARES,
    "local_value_gbp": ("hours_per_person_per_week", "hourly_rate_gbp", *SHARES),
    "annual_savings_gbp": ("savings_per_provider_gbp",),
}
"""Which parameters each figure rests on."""

KEY_LABELS = {
    "providers": ("Providers", "providers"),
    "people_supported": ("People supported", "people"),
    "hours_per_week": ("Hours of care a week", "hours"),
    "annual_income_gbp": ("Care bought from local micro-enterprises", "£ a year"),
    "jobs_fte": ("Jobs (full-time equivalent)", "FTE"),
    "jobs_headcount": ("People working", "people"),
    "annual_wages_gbp": ("Wages", "£ a year"),
    "lm3": ("Local multiplier (LM3)", "ratio"),
    "local_value_gbp": ("Money kept local (LM3 total: care bought × local multiplier)", "£ a year"),
    "annual_savings_gbp": ("Public money saved", "£ a year"),
}
"""Plain-English label and unit per figure."""

SHOWN_DECIMALS = {"jobs_fte": 1, "lm3": 2}
"""Decimals of each figure as the app shows it (whole people, hours and pounds otherwise)."""


def _check(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number | str):
        raise EconomyParamError(name, f"{value!r} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise EconomyParamError(name, f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise EconomyParamError(name, f"{value!r} is not a finite number")
    if number < 0:
        raise EconomyParamError(name, f"{number:g} is negative; it must be zero or more")
    if name == "fte_hours_per_week" and number == 0:
        raise EconomyParamError(name, "must be above zero (it divides the hours)")
    if name in SHARES and number > 1:
        raise EconomyParamError(name, f"{number:g} is a share above 1; give a share between 0 and 1 (e.g. 0.4)")
    return number


def params_from_toml(
    source: bytes | str | Path | None = None, overrides: Mapping[str, object] | None = None
) -> EconomyParams:
    """Parameters from a TOML file (top-level keys = parameter names), then ``overrides``.

    Parameters
    ----------
    source
        The file's bytes, or its path; ``None`` for the defaults.
    overrides
        Parameter name → value (e.g. from command-line flags); these win over the file.
        ``None`` values are ignored.

    Returns
    -------
    EconomyParams

    Raises
    ------
    EconomyParamError
        Naming the parameter: unknown key, not a number, negative, a share above 1; or naming
        the file when it is not valid TOML.

    Examples
    --------
    >>> params_from_toml(b"hourly_rate_gbp = 21.5", {"staff_per_provider": "1"}).hourly_rate_gbp
    21.5
    """
    values: dict[str, object] = {}
    if source is not None:
        label = "parameters file"
        if isinstance(source, str | Path):
            label = str(source)
            source = io.read_small_file(source)
        try:
            values.update(tomllib.loads(source.decode("utf-8-sig")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise EconomyParamError(label, f"not a valid TOML file ({exc})") from None
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    unknown = [k for k in values if k not in PARAMETERS]
    if unknown:
        raise EconomyParamError(unknown[0], f"unknown parameter; the parameters are {', '.join(PARAMETERS)}")
    return replace(EconomyParams(), **values)


def params_to_toml(params: EconomyParams) -> str:
    """A TOML file of ``params`` with each source as a comment (readable by :func:`params_from_toml`)."""
    lines = ["# gapmap local-economy parameters"]
    for name, value in params.as_dict().items():
        lines.append(f"# {PARAMETER_SOURCES[name]['label']}: {PARAMETER_SOURCES[name]['source']}")
        lines.append(f"{name} = {value!r}")
    return "\n".join(lines) + "\n"


def multiplier_estimated(params: EconomyParams) -> bool:
    """Whether a local multiplier is claimed (a local spend share above 0 was given)."""
    return params.local_spend_share > 0


def economy_summary(providers_active: pd.DataFrame, params: EconomyParams) -> dict[str, float]:
    """The local-economy figures for a set of providers (see the module formulas).

    Parameters
    ----------
    providers_active
        The providers that count (already filtered by date and kind), with ``capacity``.
    params
        The assumptions.

    Returns
    -------
    dict
        Exactly the keys of :data:`ECONOMY_KEYS`.

    Examples
    --------
    Two sole traders supporting 5 and 7 people, with 30% of income spent locally and half
    of that re-spent locally:

    >>> p = EconomyParams(local_spend_share=0.3, local_respend_share=0.5)
    >>> s = economy_summary(pd.DataFrame({"capacity": [5.0, 7.0]}), p)
    >>> round(s["hours_per_week"], 1), round(s["jobs_fte"], 3), round(s["lm3"], 2)
    (38.4, 1.024, 1.45)
    """
    n = len(providers_active)
    people = float(pd.to_numeric(providers_active["capacity"], errors="coerce").fillna(0).sum()) if n else 0.0
    return _figures(float(n), people, params)


def _figures(n: float | np.ndarray, people: float | np.ndarray, params: EconomyParams) -> dict:
    hours = people * params.hours_per_person_per_week
    income = hours * WEEKS_PER_YEAR * params.hourly_rate_gbp
    lm3 = 1 + params.local_spend_share + params.local_spend_share * params.local_respend_share
    out = {
        "providers": n,
        "people_supported": people,
        "hours_per_week": hours,
        "annual_income_gbp": income,
        "jobs_fte": hours / params.fte_hours_per_week,
        "jobs_headcount": n * params.staff_per_provider,
        "annual_wages_gbp": hours * WEEKS_PER_YEAR * params.hourly_wage_gbp,
        "lm3": lm3 + 0 * n,
        "local_value_gbp": income * lm3,
        "annual_savings_gbp": n * params.savings_per_provider_gbp,
    }
    if isinstance(n, float):
        out = {k: float(v) for k, v in out.items()}
        out["providers"] = int(n)
    return out


def economy_by_area(
    supply: gpd.GeoDataFrame,
    polygons: gpd.GeoDataFrame,
    population: pd.DataFrame,
    params: EconomyParams,
) -> gpd.GeoDataFrame:
    """The local-economy figures per area, adding up to the council total.

    Each provider counts in the area containing it. A provider outside every area counts in
    the row that collects people outside the areas (:data:`gapmap.areas.OUTSIDE_CODE`, e.g.
    the unparished parts of a parish file) when ``population`` has one, else in the
    **nearest** area (a provider just beyond a generalised coastline). Either way the areas'
    figures add up to :func:`economy_summary` of ``supply``.

    Parameters
    ----------
    supply
        The providers that count, point geometry in the CRS of ``polygons``.
    polygons
        ``area_code``, ``area_name``, geometry (e.g. ``Analysis.zones.polygons``).
    population
        ``area_code`` and ``pop_65plus`` per area (e.g. ``Analysis.zones.population``).
    params
        The assumptions.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per row of ``population``: ``area_code``, ``area_name``, ``pop_65plus``,
        the :data:`ECONOMY_KEYS`, ``jobs_fte_per_1000`` and ``hours_per_1000`` (per 1,000
        people aged 65+; blank where nobody is), and geometry.
    """
    codes = polygons.area_code.to_numpy()
    has_outside = bool((population.area_code == OUTSIDE_CODE).any())
    if len(supply) and len(polygons):
        pos, _ = locate_points(supply.geometry.values, polygons.geometry.values, nearest=not has_outside)
        where = np.where(pos >= 0, codes[np.maximum(pos, 0)], OUTSIDE_CODE)
    else:
        where = np.array([], dtype=object)
    frame = pd.DataFrame(
        {"area_code": where, "capacity": pd.to_numeric(supply["capacity"], errors="coerce").fillna(0).to_numpy()}
    )
    grouped = frame.groupby("area_code").capacity.agg(["size", "sum"])
    out = population[["area_code", "area_name", "pop_65plus"]].copy()
    n = grouped["size"].reindex(out.area_code).fillna(0).to_numpy(dtype=float)
    people = grouped["sum"].reindex(out.area_code).fillna(0).to_numpy(dtype=float)
    for key, values in _figures(n, people, params).items():
        out[key] = values
    out["providers"] = out.providers.astype("int64")
    older = out.pop_65plus.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["jobs_fte_per_1000"] = np.where(older > 0, out.jobs_fte / older * 1000, np.nan)
        out["hours_per_1000"] = np.where(older > 0, out.hours_per_week / older * 1000, np.nan)
    geometry = polygons.set_index("area_code").geometry.reindex(out.area_code).to_numpy()
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry=list(geometry), crs=polygons.crs)


def economy_over_time(
    providers: pd.DataFrame, dates: Iterable[date], params: EconomyParams, *, kinds: Iterable[str] = KINDS
) -> pd.DataFrame:
    """The council's figures on each date (providers active then, of the chosen kinds).

    Returns
    -------
    pandas.DataFrame
        One row per date: ``date`` then the :data:`ECONOMY_KEYS`.
    """
    kinds = tuple(kinds)
    rows = [{"date": pd.Timestamp(d), **economy_summary(supply_of(providers, d, kinds), params)} for d in dates]
    return pd.DataFrame(rows, columns=["date", *ECONOMY_KEYS])


def yearly_dates(providers: pd.DataFrame, until: date, *, years: int = 10) -> list[date]:
    """1 April of each of the last ``years`` years up to ``until``, then ``until`` itself.

    Starts no earlier than the year of the first recorded start date.
    """
    starts = pd.to_datetime(providers.start_date).dropna() if len(providers) else pd.Series(dtype="datetime64[ns]")
    first = starts.min().year if len(starts) else until.year - years
    out = [date(y, 4, 1) for y in range(max(first, until.year - years), until.year + 1) if date(y, 4, 1) < until]
    return [*out, until]


def plan_economy(
    sites: pd.DataFrame, params: EconomyParams, people_per_site: float = PEOPLE_PER_NEW_PROVIDER
) -> dict[str, float]:
    """What the recruitment plan's new providers would add (each one supporting ``people_per_site``).

    Parameters
    ----------
    sites
        The planner's sites (:data:`PLAN_COLUMNS`), one row per new provider.
    params
        The assumptions.
    people_per_site
        Capacity of each new provider (default :data:`PEOPLE_PER_NEW_PROVIDER`).

    Returns
    -------
    dict
        Exactly the keys of :data:`ECONOMY_KEYS`, for the new providers alone.

    Raises
    ------
    PlanFileError
        When columns of the planner's contract are missing.
    """
    missing = [c for c in PLAN_COLUMNS if c not in sites.columns]
    if missing:
        raise PlanFileError(
            f"the plan lacks the planner's columns {', '.join(missing)}; use a file made by the "
            "recruitment planner (Plan recruitment page, or python -m gapmap plan)"
        )
    _check("people_per_site", people_per_site)
    return economy_summary(pd.DataFrame({"capacity": np.full(len(sites), float(people_per_site))}), params)


def plan_by_area(
    sites: pd.DataFrame, params: EconomyParams, people_per_site: float = PEOPLE_PER_NEW_PROVIDER
) -> pd.DataFrame:
    """What the plan adds in each area named by its sites (``area_code``, ``area_name``).

    Returns
    -------
    pandas.DataFrame
        One row per area with sites, most sites first: ``area_code``, ``area_name`` and the
        :data:`ECONOMY_KEYS`; the rows add up to :func:`plan_economy`.
    """
    plan_economy(sites.head(0), params, people_per_site)  # checks the columns and the capacity
    counts = (
        sites.assign(area_code=sites.area_code.astype(str), area_name=sites.area_name.astype(str))
        .groupby(["area_code", "area_name"], sort=False)
        .size()
        .rename("n")
        .reset_index()
    )
    n = counts.n.to_numpy(dtype=float)
    out = counts[["area_code", "area_name"]].copy()
    for key, values in _figures(n, n * float(people_per_site), params).items():
        out[key] = values
    out["providers"] = out.providers.astype("int64")
    return out.sort_values(["providers", "area_name"], ascending=[False, True], ignore_index=True)


def read_plan(path: Path | str) -> pd.DataFrame:
    """The recruitment planner's sites from a CSV or Excel file (checked by :func:`plan_economy`)."""
    table = io.read_record_table(path)
    table.columns = [str(c).strip() for c in table.columns]
    return table


def parameters_table(params: EconomyParams) -> pd.DataFrame:
    """One row per parameter: ``parameter``, ``label``, ``value``, ``unit``, ``source``, ``note``."""
    return pd.DataFrame(
        [
            {
                "parameter": name,
                "label": PARAMETER_SOURCES[name]["label"],
                "value": value,
                "unit": PARAMETER_SOURCES[name]["unit"],
                "source": PARAMETER_SOURCES[name]["source"],
                "note": PARAMETER_SOURCES[name]["note"],
            }
            for name, value in params.as_dict().items()
        ]
    )


def with_parameters(table: pd.DataFrame, params: EconomyParams) -> pd.DataFrame:
    """A copy of a per-area table with ``parameters`` (name = value) and ``sources`` columns.

    The sources are short citations (publisher and date); the full text is in
    :func:`export_table` and :func:`economy_report`.
    """
    out = table.copy()
    out["parameters"] = "; ".join(f"{k} = {v:g}" for k, v in params.as_dict().items())
    out["sources"] = "; ".join(f"{k}: {PARAMETER_SOURCES[k]['cite']}" for k in PARAMETERS)
    if not multiplier_estimated(params):
        out["lm3_note"] = "money kept local: not estimated (no local spend share given; lm3 = 1)"
    return out


def export_table(
    summary: Mapping[str, float],
    params: EconomyParams,
    *,
    plan: Mapping[str, float] | None = None,
    people_per_new_provider: float = PEOPLE_PER_NEW_PROVIDER,
    as_shown: bool = False,
) -> pd.DataFrame:
    """The figures, then what the plan adds, then the parameters as one long table (a CSV download).

    Columns: ``section`` (``figure``, ``plan`` or ``parameter``), ``name``, ``label``,
    ``value``, ``unit``, ``rests_on`` (figures), ``source`` and ``note`` (parameters). The
    same sections as :func:`economy_report`'s JSON.

    Parameters
    ----------
    summary, params
        From :func:`economy_summary`, and the assumptions.
    plan
        From :func:`plan_economy`: adds the ``plan`` rows and the people each new provider supports.
    people_per_new_provider
        That figure (the plan's own).
    as_shown
        Figures rounded as the app shows them (whole people, hours and pounds; jobs to one
        decimal): the readable download. Without it, full precision (the command line's).
    """
    figures = summary_table(summary, params).rename(columns={"figure": "name"}).assign(section="figure")
    parts = [figures]
    if plan is not None:
        added = summary_table(plan, params).rename(columns={"figure": "name"}).assign(section="plan")
        added["label"] = "Plan adds: " + added["label"].str[0].str.lower() + added["label"].str[1:]
        per = {
            "section": "plan",
            "name": "people_per_new_provider",
            "label": "People each new provider supports",
            "value": people_per_new_provider,
            "unit": "people",
            "source": PEOPLE_PER_NEW_PROVIDER_SOURCE,
        }
        parts += [added, pd.DataFrame([per])]
    parts.append(parameters_table(params).rename(columns={"parameter": "name"}).assign(section="parameter"))
    table = pd.concat(parts, ignore_index=True)
    if as_shown:
        table["value"] = [
            _shown(name, v) if section in ("figure", "plan") else v
            for section, name, v in zip(table.section, table.name, table.value, strict=True)
        ]
    cols = ["section", "name", "label", "value", "unit", "rests_on", "source", "note"]
    return table.reindex(columns=cols)


def as_shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a table of figures (by area, over time) rounded as the app shows them.

    Whole people, hours and pounds; jobs to one decimal, jobs per 1,000 to two, LM3 to two.
    """
    out = frame.copy()
    decimals = {**SHOWN_DECIMALS, "jobs_fte_per_1000": 2, "hours_per_1000": 0}
    for col in [c for c in (*ECONOMY_KEYS, "jobs_fte_per_1000", "hours_per_1000") if c in out]:
        if pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].round(decimals.get(col, 0))
    return out


def _shown(name: str, value: object) -> object:
    """One figure rounded as the app shows it (text such as "not estimated" kept)."""
    if isinstance(value, str) or value is None:
        return value
    digits = SHOWN_DECIMALS.get(name, 0)
    return round(float(value), digits) if digits else int(round(float(value)))


def summary_table(summary: Mapping[str, float], params: EconomyParams) -> pd.DataFrame:
    """The figures as rows: ``figure``, ``label``, ``value``, ``unit``, ``rests_on`` (parameters).

    When no local spend share is given, ``local_value_gbp`` reads "not estimated".
    """
    rows = []
    for key in ECONOMY_KEYS:
        value: object = summary[key]
        if key in ("lm3", "local_value_gbp") and not multiplier_estimated(params):
            value = "not estimated"
        label, unit = KEY_LABELS[key]
        rests = KEY_PARAMETERS[key]
        rows.append(
            {
                "figure": key,
                "label": label,
                "value": value,
                "unit": unit,
                "rests_on": "; ".join(f"{p} = {getattr(params, p):g}" for p in rests) or "provider records",
            }
        )
    return pd.DataFrame(rows)


def economy_report(
    summary: Mapping[str, float],
    params: EconomyParams,
    *,
    plan: Mapping[str, float] | None = None,
    context: Mapping[str, object] | None = None,
    notes: Iterable[str] = (),
    people_per_new_provider: float = PEOPLE_PER_NEW_PROVIDER,
) -> dict[str, object]:
    """The JSON document: the figures, ``parameters`` (name → value, source), optional ``plan``.

    Parameters
    ----------
    summary
        From :func:`economy_summary`.
    params
        The assumptions used.
    plan
        From :func:`plan_economy`, when a recruitment plan was given.
    context
        Extra top-level entries (council, date, kinds).
    notes
        Plain-English caveats (e.g. the illustrative-sample label).
    people_per_new_provider
        The people each of the plan's new providers supports (the plan's own figure).
    """
    doc: dict[str, object] = dict(context or {})
    doc.update({k: _tidy(summary[k]) for k in ECONOMY_KEYS})
    doc["parameters"] = {
        name: {
            "value": value,
            "label": PARAMETER_SOURCES[name]["label"],
            "unit": PARAMETER_SOURCES[name]["unit"],
            "source": PARAMETER_SOURCES[name]["source"],
            "note": PARAMETER_SOURCES[name]["note"],
        }
        for name, value in params.as_dict().items()
    }
    doc["rests_on"] = {k: list(v) for k, v in KEY_PARAMETERS.items()}
    if plan is not None:
        doc["plan"] = {k: _tidy(plan[k]) for k in ECONOMY_KEYS}
        doc["plan_people_per_new_provider"] = {
            "value": _tidy(people_per_new_provider) if people_per_new_provider % 1 else int(people_per_new_provider),
            "source": PEOPLE_PER_NEW_PROVIDER_SOURCE
            if people_per_new_provider == PEOPLE_PER_NEW_PROVIDER
            else f"Set for this plan (the default, {PEOPLE_PER_NEW_PROVIDER:g}: {PEOPLE_PER_NEW_PROVIDER_SOURCE})",
        }
    notes = list(notes)
    if not multiplier_estimated(params):
        notes.append(
            "Money kept local: not estimated (local_spend_share is 0, so lm3 = 1 and local_value_gbp "
            "equals annual_income_gbp; enter your own LM3 survey shares to estimate it)."
        )
    doc["notes"] = notes
    return doc


def rests_on(key: str, params: EconomyParams) -> str:
    """Plain English: the assumptions one figure rests on, with their values.

    Examples
    --------
    >>> rests_on("jobs_fte", EconomyParams())
    'Rests on: hours of care per person a week = 3.2; hours of a full-time job = 37.5'
    """
    names = KEY_PARAMETERS[key]
    if not names:
        return "Counted from the provider records."
    return "Rests on: " + "; ".join(f"{PARAMETER_SOURCES[n]['label'].lower()} = {getattr(params, n):g}" for n in names)


def _tidy(value: float) -> float | int:
    # Four decimals: no float noise (15324.800000000001) in a document people read.
    return value if isinstance(value, int) else round(float(value), 4)


def headline(summary: Mapping[str, float], kinds: Iterable[str] = ("micro_enterprise",)) -> str:
    """The plain-English headline.

    Examples
    --------
    >>> headline({"annual_income_gbp": 1234000.4})
    '£1,234,000 a year of care bought from local micro-enterprises'
    >>> headline({"annual_income_gbp": 5.0}, kinds=KINDS)
    '£5 a year of care bought from local providers'
    """
    who = "micro-enterprises" if set(kinds) == {"micro_enterprise"} else "providers"
    return f"£{summary['annual_income_gbp']:,.0f} a year of care bought from local {who}"
