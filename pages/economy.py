"""Local economy: jobs, hours of care, money and savings from community micro-enterprises.

A short script of named views: :func:`controls` reads the settings into one :class:`Choice`;
:func:`assumptions` reads the economy's parameters, each with its source; :func:`figures`,
:func:`by_area`, :func:`over_time`, :func:`what_the_plan_adds`, :func:`downloads`,
:func:`handouts` and :func:`how_worked_out` each draw one part of the page; :func:`main` runs them.
"""

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
import streamlit as st

from gapmap.analysis import AnalysisRequest
from gapmap.downloads import economy_areas, economy_areas_download, economy_json_bytes
from gapmap.economy import (
    PARAMETER_SOURCES,
    PARAMETERS,
    PEOPLE_PER_NEW_PROVIDER,
    PEOPLE_PER_NEW_PROVIDER_SOURCE,
    SHARES,
    EconomyParams,
    as_shown,
    economy_over_time,
    economy_report,
    economy_summary,
    export_table,
    headline,
    multiplier_estimated,
    parameters_table,
    params_from_toml,
    params_to_toml,
    plan_by_area,
    plan_economy,
    rests_on,
    supply_of,
    with_parameters,
    yearly_dates,
)
from gapmap.errors import GapmapError
from gapmap.export import to_csv_bytes, to_geojson_bytes
from gapmap.figures import MapLayer, map_figure, to_png
from gapmap.labels import number
from gapmap.maps import Field
from gapmap.plan import RecruitmentPlan
from gapmap.population import BAND_LABELS, LEVEL_LABELS, LEVELS
from gapmap.privacy import HIDDEN_OR_NO_DATA
from gapmap.schema import KIND_LABELS, KINDS
from gapmap.story import Plan, ReportInputs, economy_for
from pages import _a11y, _present, _shared, _state
from pages._live_map import area_map

MAP_MEASURES = {
    "hours_per_1000": Field("hours_per_1000", "Hours of care a week per 1,000 people aged 65+", ",.0f"),
    "jobs_fte_per_1000": Field("jobs_fte_per_1000", "Jobs (FTE) per 1,000 people aged 65+", ",.1f"),
    "hours_per_week": Field("hours_per_week", "Hours of care a week", ",.0f"),
    "jobs_fte": Field("jobs_fte", "Jobs (FTE)", ",.1f"),
    "annual_income_gbp": Field("annual_income_gbp", "Care bought (£ a year)", ",.0f"),
}


@dataclass(frozen=True)
class Choice:
    """What the controls chose."""

    as_at: date
    kinds: list[str]
    level: str
    hex_size: int
    areas_gdf: object
    areas_digest: str | None


@dataclass(frozen=True)
class AreaFigures:
    """The figures per area as mapped: the table, the measure on the map and the map's note."""

    table: object
    field: Field
    note: str


def remembered(sizes: dict[int, str]) -> None:
    """Each setting kept between visits and across councils (pages/_state.py), or restored from a link."""
    _present.restore(
        {"date": ("econ_as_at", None), "econ_kinds": ("econ_kinds", KINDS), "level": ("econ_level", LEVELS)}
    )
    _state.setting("econ_as_at", date.today(), allowed=lambda d: isinstance(d, date))
    _state.setting("econ_kinds", ["micro_enterprise"], allowed=KINDS)
    _state.setting("econ_level", LEVELS[0], allowed=LEVELS)
    _state.setting("econ_hex", 1000, allowed=tuple(sizes))
    _state.setting("econ_measure", next(iter(MAP_MEASURES)), allowed=tuple(MAP_MEASURES))


def controls(sizes: dict[int, str]) -> Choice:
    """The date, the kinds of provider and the areas (with the hex width or the user's own file)."""
    c1, c2, c3 = st.columns([1, 1.6, 1.3])
    as_at = c1.date_input(
        "As at",
        min_value=date(2000, 1, 1),
        max_value=date(2035, 12, 31),
        format="DD/MM/YYYY",
        key="econ_as_at",
        help="Providers open on this date count.",
    )
    kinds = c2.multiselect(
        "Providers that count",
        list(KINDS),
        format_func=KIND_LABELS.get,
        key="econ_kinds",
        help="Community micro-enterprises by default; add day centres and others to see all local provision.",
    )
    level = c3.selectbox("Areas", LEVELS, format_func=LEVEL_LABELS.get, key="econ_level")
    hex_size = 1000
    if level == "hex":
        hex_size = st.select_slider("Hex width", options=list(sizes), format_func=sizes.get, key="econ_hex")
    _present.remember(date=as_at, econ_kinds=kinds, level=level)
    areas_gdf, areas_digest = _shared.area_file_input(level)
    if not kinds:
        st.error("Choose at least one kind of provider.")
        st.stop()
    return Choice(as_at, kinds, level, hex_size, areas_gdf, areas_digest)


def assumptions() -> EconomyParams:
    """Each assumption with its source, each changeable (or loaded from the user's TOML file)."""
    with st.container(border=True):
        st.markdown("#### Assumptions and their sources")
        p1, p2 = st.columns([2, 1])
        upload = p2.file_uploader(
            "Load your own (TOML file)",
            type=["toml"],
            key="econ_params_file",
            help="One line per assumption, e.g. `hourly_rate_gbp = 21.5`. Download the current set below to "
            "start from.",
        )
        base, tag = EconomyParams(), "default"
        if upload is not None:
            try:
                base, tag = params_from_toml(upload.getvalue()), _shared.digest(upload.getvalue())
                p2.success(f"Loaded {upload.name}.")
            except GapmapError as exc:
                p2.error(f"Could not use **{upload.name}**: {exc}")
        p1.caption(
            "Defaults are published figures (sources in the table below). Enter your own survey or contract "
            "figures; the local spend shares are for your own Local Multiplier 3 survey."
        )
        values = {}
        cols = st.columns(4)
        for i, name in enumerate(PARAMETERS):
            meta = PARAMETER_SOURCES[name]
            _state.setting(f"econ_{name}_{tag}", float(getattr(base, name)), allowed=lambda v: isinstance(v, float))
            values[name] = cols[i % 4].number_input(
                f"{meta['label']} ({meta['unit']})",
                min_value=1.0 if name == "fte_hours_per_week" else 0.0,
                max_value=1.0 if name in SHARES else None,
                step=0.05 if name in SHARES else (0.1 if getattr(base, name) < 100 else 100.0),
                key=f"econ_{name}_{tag}",
                help=f"{meta['source']} {meta['note']}".strip(),
            )
        try:
            params = params_from_toml(None, values)
        except GapmapError as exc:
            st.error(str(exc))
            st.stop()
        st.markdown(
            "\n".join(
                f"- **{row.label}** — {number(row.value)} {row.unit}. {row.source} {row.note}".rstrip()
                for row in parameters_table(params).itertuples()
            )
        )
    return params


def figures(summary: dict, params: EconomyParams, choice: Choice) -> None:
    """The headline and seven tiles: providers, people, hours, jobs, care bought, savings, money kept local."""

    def explain(key: str) -> str:
        """Tooltip text for one figure."""
        return rests_on(key, params)

    kinds = choice.kinds
    st.subheader(headline(summary, kinds))
    st.caption(f"Providers open on {choice.as_at:%d %b %Y}: {', '.join(KIND_LABELS[k].lower() for k in kinds)}.")
    t = [*st.columns(4), *st.columns(3)]
    t[0].metric("Providers", f"{summary['providers']:,}", help=explain("providers"))
    t[1].metric("People supported", f"{summary['people_supported']:,.0f}", help=explain("people_supported"))
    t[2].metric("Hours of care a week", f"{summary['hours_per_week']:,.0f}", help=explain("hours_per_week"))
    t[3].metric(
        "Jobs (FTE)",
        f"{summary['jobs_fte']:,.1f}",
        help=explain("jobs_fte") + f". People working: {summary['jobs_headcount']:,.0f} ({explain('jobs_headcount')}).",
    )
    t[4].metric(
        "Care bought a year",
        f"£{summary['annual_income_gbp']:,.0f}",
        help="The providers' income: hours × 52 × the price of an hour of care. " + explain("annual_income_gbp"),
    )
    t[5].metric(
        "Public money saved a year", f"£{summary['annual_savings_gbp']:,.0f}", help=explain("annual_savings_gbp")
    )
    if multiplier_estimated(params):
        t[6].metric(
            "Money kept local a year (LM3 total)",
            f"£{summary['local_value_gbp']:,.0f}",
            help=f"Care bought × the local multiplier (LM3 = {summary['lm3']:.2f}): the £"
            f"{summary['annual_income_gbp']:,.0f} of care bought plus what is spent and re-spent locally. It "
            "includes the care bought; it is not extra income. " + explain("local_value_gbp") + ".",
        )
    else:
        t[6].metric(
            "Money kept local",
            "not estimated",
            help="No care-specific Local Multiplier 3 is published. Enter your own survey's local spend shares "
            "in the assumptions below to estimate it.",
        )
    if multiplier_estimated(params):
        st.caption(
            f"Money kept local is the £{summary['annual_income_gbp']:,.0f} of care bought multiplied by the local "
            f"multiplier ({summary['lm3']:.2f}): the care bought itself plus £"
            f"{summary['local_value_gbp'] - summary['annual_income_gbp']:,.0f} of local spending and re-spending."
        )
    st.markdown(
        f"Those providers pay about **£{summary['annual_wages_gbp']:,.0f} a year in wages** "
        f"({explain('annual_wages_gbp').lower()}) and give work to about "
        f"**{summary['jobs_headcount']:,.0f} people**. Savings are in 2017 prices (not uprated)."
    )


def by_area(code: str, data, source: _shared.ProviderSource, supply, params: EconomyParams, choice: Choice):
    """The figures per area: a map of the chosen measure and a table, small areas hidden for viewers."""
    level, hex_size = choice.level, choice.hex_size
    st.subheader("By area")
    try:
        z = _shared.zones(code, level, float(hex_size), choice.areas_digest, choice.areas_gdf)
    except GapmapError as exc:
        st.error(str(exc))
        st.stop()
    hidden = _shared.privacy_setting() != "exact"
    # Viewers and hand-outs: no figures that come from one or two providers (= `economy --privacy`).
    areas = economy_areas(supply, z.polygons, z.population, params, privacy=_shared.privacy_setting())
    m1, m2 = st.columns([1.3, 1.7])
    measure = m1.selectbox(
        "Map shows", list(MAP_MEASURES), format_func=lambda m: MAP_MEASURES[m].label, key="econ_measure"
    )
    note = f"{data.council.name} · {LEVEL_LABELS[level]} · providers open {choice.as_at:%d/%m/%Y}"
    if source.illustrative:
        note = f"{_shared.ILLUSTRATIVE} · {note}"
    # Areas whose figures are hidden say so in the legend (not "no data").
    mapped_field = replace(MAP_MEASURES[measure], missing=HIDDEN_OR_NO_DATA) if hidden else MAP_MEASURES[measure]
    econ_spec = {
        "field": mapped_field,
        "tooltip": [
            Field("providers", "Providers"),
            Field("people_supported", "People supported"),
            Field("hours_per_week", "Hours a week"),
            Field("jobs_fte", "Jobs (FTE)", ",.1f"),
            Field("pop_65plus", "People aged 65+"),
        ],
        "note": note,
    }
    # The live map, kept per council: a change of measure or assumption sends only values.
    outlines = _shared.area_outlines(code, level, float(hex_size), choice.areas_digest, choice.areas_gdf)
    area_map(_shared.council_bounds(code), outlines, areas, econ_spec, key=f"econmap-{code}", height=560)
    m2.caption(
        "Each provider counts in the area it is in; the few just beyond the generalised coastline count in the "
        'nearest area, and with your own areas those outside them count under "Outside the supplied areas", '
        "so the areas add up to the council total."
    )
    table = areas.drop(columns=areas.geometry.name).sort_values("hours_per_week", ascending=False)
    shown = [
        "area_name",
        "providers",
        "people_supported",
        "hours_per_week",
        "jobs_fte",
        "hours_per_1000",
        "jobs_fte_per_1000",
        "annual_income_gbp",
        "annual_savings_gbp",
    ]
    st.dataframe(
        as_shown(table[shown]),  # whole pounds: "localized" adds commas
        hide_index=True,
        width="stretch",
        column_config={
            "area_name": "Area",
            "providers": st.column_config.TextColumn("Providers"),  # text: small counts read "fewer than 3"
            "people_supported": st.column_config.NumberColumn("People supported", format="%.0f"),
            "hours_per_week": st.column_config.NumberColumn("Hours a week", format="%.0f"),
            "jobs_fte": st.column_config.NumberColumn("Jobs (FTE)", format="%.1f"),
            "hours_per_1000": st.column_config.NumberColumn("Hours per 1,000 aged 65+", format="%.0f"),
            "jobs_fte_per_1000": st.column_config.NumberColumn("Jobs per 1,000 aged 65+", format="%.2f"),
            "annual_income_gbp": st.column_config.NumberColumn("Care bought (£ a year)", format="localized"),
            "annual_savings_gbp": st.column_config.NumberColumn("Saved (£ a year)", format="localized"),
        },
    )  # fmt: skip
    return AreaFigures(areas, mapped_field, note)


def over_time(source: _shared.ProviderSource, params: EconomyParams, choice: Choice) -> pd.DataFrame:
    """Hours of care and jobs from the providers open on 1 April each year; the figures charted."""
    st.subheader("Over time")
    history = economy_over_time(
        source.providers, yearly_dates(source.providers, choice.as_at), params, kinds=choice.kinds
    )
    h1, h2 = st.columns(2)
    _a11y.line_chart(
        history,
        x="date",
        y=["hours_per_week"],
        y_label="Hours of care a week",
        height=240,
        where=h1,
        description="Hours of care a week from providers open on 1 April each year",
    )
    _a11y.line_chart(
        history,
        x="date",
        y=["jobs_fte"],
        y_label="Jobs (FTE)",
        height=240,
        where=h2,
        description="Jobs (full-time equivalent) from providers open on 1 April each year",
    )
    st.caption(
        (f"{_shared.ILLUSTRATIVE}: " if source.illustrative else "")
        + "Providers open on 1 April each year (and on the as-at date), from their start and end dates."
    )
    return history


def what_the_plan_adds(code: str, params: EconomyParams) -> tuple[RecruitmentPlan | None, dict | None]:
    """The jobs, hours and money the session's recruitment plan for this council would add."""
    st.subheader("What the recruitment plan adds")
    recruitment = _state.plan(code)  # a plan made for another council is never added to this one
    plan = None
    if recruitment is not None:
        try:
            plan = plan_economy(recruitment.sites, params, recruitment.people_per_recruit)
        except GapmapError as exc:
            st.error(str(exc))
    if plan is None:
        st.info(
            "No recruitment plan yet. Make one on the **Plan recruitment** page (where to recruit new "
            "micro-providers); it then shows here as the jobs, hours and money the new providers would add."
        )
        return recruitment, None
    a = st.columns(5)
    a[0].metric("New providers", f"{plan['providers']:,}")
    a[1].metric("More people supported", f"{plan['people_supported']:,.0f}")
    a[2].metric("More hours a week", f"{plan['hours_per_week']:,.0f}")
    a[3].metric("More jobs (FTE)", f"{plan['jobs_fte']:,.1f}")
    a[4].metric("More care bought a year", f"£{plan['annual_income_gbp']:,.0f}")
    st.dataframe(
        as_shown(  # whole pounds, shown with thousands separators ("localized")
            plan_by_area(recruitment.sites, params, recruitment.people_per_recruit)[
                ["area_name", "providers", "people_supported", "hours_per_week", "jobs_fte", "annual_income_gbp"]
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "area_name": "Area",
            "providers": st.column_config.NumberColumn("New providers", format="%d"),
            "people_supported": st.column_config.NumberColumn("More people supported", format="%.0f"),
            "hours_per_week": st.column_config.NumberColumn("More hours a week", format="%.0f"),
            "jobs_fte": st.column_config.NumberColumn("More jobs (FTE)", format="%.1f"),
            "annual_income_gbp": st.column_config.NumberColumn("More care bought (£ a year)", format="localized"),
        },
    )
    st.caption(
        f"Plan for {recruitment.n_sites} new micro-providers ({BAND_LABELS[recruitment.band].lower()}, within "
        f"{recruitment.reach}). Each counted as supporting {recruitment.people_per_recruit:g} people"
        + (
            f": {PEOPLE_PER_NEW_PROVIDER_SOURCE} "
            if recruitment.people_per_recruit == PEOPLE_PER_NEW_PROVIDER
            else f", as set on the Plan recruitment page (the default is {PEOPLE_PER_NEW_PROVIDER:g}). "
        )
        + f"Also £{plan['annual_savings_gbp']:,.0f} a year of public money saved (2017 prices)."
    )
    return recruitment, plan


def downloads(
    code: str,
    data,
    source: _shared.ProviderSource,
    summary: dict,
    params: EconomyParams,
    recruitment: RecruitmentPlan | None,
    plan: dict | None,
    areas: AreaFigures,
    history: pd.DataFrame,
    choice: Choice,
) -> str:
    """The figures (CSV, JSON), by area (CSV, GeoJSON), over time and the assumptions; the files' stem."""
    as_at, kinds, level = choice.as_at, choice.kinds, choice.level
    notes = [_shared.ILLUSTRATIVE] if source.illustrative else []
    context = {"council": code, "council_name": data.council.name, "as_at": as_at.isoformat(), "kinds": list(kinds)}
    if source.illustrative:
        context["data_note"] = _shared.ILLUSTRATIVE
    per_recruit = recruitment.people_per_recruit if recruitment else PEOPLE_PER_NEW_PROVIDER
    report = economy_report(
        summary, params, plan=plan, context=context, notes=notes, people_per_new_provider=per_recruit
    )
    table = export_table(  # rounded as on the page; the same sections as the JSON (with the plan's)
        summary, params, plan=plan, people_per_new_provider=per_recruit, as_shown=True
    )
    areas_out = economy_areas_download(
        areas.table, params, illustrative=source.illustrative, internal=_shared.privacy_setting() == "exact"
    )  # = `economy --areas-out`
    if source.illustrative:
        table = pd.concat(
            [pd.DataFrame([{"section": "note", "name": "data_note", "value": _shared.ILLUSTRATIVE}]), table],
            ignore_index=True,
        )
    stem = f"gapmap-economy-{code}-{as_at:%Y%m%d}" + ("-ILLUSTRATIVE" if source.illustrative else "")
    history_out = history.assign(date=history.date.dt.date)
    if source.illustrative:
        history_out["data_note"] = _shared.ILLUSTRATIVE
    st.markdown("**Downloads** (each carries the assumptions and their sources)")
    d = [*st.columns(3), *st.columns(3)]
    d[0].download_button("Figures (CSV)", to_csv_bytes(table), f"{stem}.csv", "text/csv")
    d[1].download_button(
        "Figures (JSON)",
        economy_json_bytes(report),
        f"{stem}.json",
        "application/json",
    )
    d[2].download_button(
        "By area (CSV)",
        to_csv_bytes(as_shown(areas_out.drop(columns=areas_out.geometry.name))),
        f"{stem}-{level}.csv",
        "text/csv",
    )
    d[3].download_button(
        "By area (GeoJSON)", to_geojson_bytes(areas_out), f"{stem}-{level}.geojson", "application/geo+json"
    )
    d[4].download_button(
        "Over time (CSV)",
        to_csv_bytes(as_shown(with_parameters(history_out, params))),
        f"{stem}-over-time.csv",
        "text/csv",
    )
    d[5].download_button(
        "Assumptions (TOML)", params_to_toml(params).encode("utf-8"), "economy-params.toml", "text/plain"
    )
    return stem


def handouts(
    code: str,
    data,
    source: _shared.ProviderSource,
    summary: dict,
    params: EconomyParams,
    recruitment: RecruitmentPlan | None,
    plan: dict | None,
    areas: AreaFigures,
    stem: str,
    choice: Choice,
) -> None:
    """Slides, report and the map as a picture, made only when asked for.

    The deck's other views need a gap analysis: the recruitment plan's age band and reach when
    there is a plan (by road when the plan was made by road), else the defaults.
    """
    deck_plan, plan_reach, deck_roads = None, {}, None
    if plan is not None and recruitment is not None:
        deck_plan = Plan.from_recruitment(recruitment)
        plan_reach = {"band": recruitment.band, "radius_km": recruitment.radius_km}
        if recruitment.minutes is not None:  # a plan by road keeps its minutes (the council's stored network)
            deck_roads = _shared.road_model(code)
    deck_request = AnalysisRequest(
        as_at=choice.as_at, level=choice.level, hex_size_m=float(choice.hex_size), **plan_reach
    )
    road_key = deck_roads.network.key if deck_roads else ""

    def deck_inputs() -> ReportInputs:
        """The deck's inputs (the analysis is computed only when a deck or report is asked for)."""
        analysis = _shared.analysis(
            code,
            source.key,
            deck_request,
            choice.areas_digest,
            source.providers,
            choice.areas_gdf,
            road_key,
            deck_roads,
        )
        return ReportInputs(
            analysis,
            illustrative=source.illustrative,
            plan=deck_plan,
            economy=economy_for(analysis, params, choice.kinds),
        )

    def economy_png() -> bytes:
        """The page's map (what viewers see: small areas hidden) as a print-quality picture."""
        layer = areas.field
        return to_png(
            map_figure(
                areas.table,
                MapLayer(layer.column, layer.label, layer.fmt, missing=layer.missing),
                title=f"Local economy — {data.council.name}",
                takeaway=headline(summary, choice.kinds),
                outline=data.outline(),
                illustrative=source.illustrative,
                note=areas.note,
            )
        )

    plan_key = "no plan"
    if deck_plan is not None:
        plan_key = _shared.digest(recruitment.sites.to_csv().encode()) + f"|{recruitment.people_per_recruit:g}"
    _present.handouts(
        deck_inputs,
        stem=stem,
        view="economy",
        state=f"{source.key}|{deck_request!r}|{road_key}|{choice.areas_digest}|{params!r}|{plan_key}",
        png=economy_png,
    )


def how_worked_out(params: EconomyParams) -> None:
    """Each figure's formula, with the assumptions in use."""
    with st.expander("How the figures are worked out"):
        st.markdown(
            f"""
- **Hours of care a week** = people supported × {params.hours_per_person_per_week:g} hours each.
- **Care bought a year** = hours a week × 52 × £{params.hourly_rate_gbp:,.2f} an hour (the enterprises' income).
- **Jobs (FTE)** = hours a week ÷ {params.fte_hours_per_week:g}; **people working** = providers ×
  {params.staff_per_provider:g}.
- **Wages** = hours a week × 52 × £{params.hourly_wage_gbp:,.2f} an hour.
- **Money kept local** = care bought × LM3, where LM3 = 1 + local spend share + local spend share × re-spend
  share (New Economics Foundation's Local Multiplier 3). Not estimated until you enter your survey's shares.
- **Public money saved** = providers × £{params.savings_per_provider_gbp:,.0f} a year (Somerset, 2017 prices).
"""
        )


def main() -> None:
    """The page: settings and assumptions, then the figures, by area, over time, the plan and the files."""
    _shared.ensure_router()
    sizes = _shared.hex_sizes(_shared.privacy_setting())
    code, data, source = _shared.page_header(
        "Local economy",
        caption="Community micro-enterprises as local jobs and money that stays in the area. Every figure says "
        "which assumptions it rests on; every assumption shows its source and can be changed below.",
        no_records="Import your list of micro-providers on the **Provider records** page; an illustrative sample "
        "is available for Somerset.",
        sample_note="The figures show how the tool works, not Somerset's real economy.",
    )
    remembered(sizes)
    choice = controls(sizes)
    figures_box = st.container()  # the figures go above the assumptions they are worked out from
    params = assumptions()
    _state.keep_economy(params, choice.kinds)  # the deck and presentation mode use these assumptions
    supply = supply_of(source.providers, choice.as_at, choice.kinds)
    summary = economy_summary(supply, params)
    _present.header("Local economy", headline(summary, choice.kinds), illustrative=source.illustrative)
    with figures_box:
        figures(summary, params, choice)
    areas = by_area(code, data, source, supply, params, choice)
    history = over_time(source, params, choice)
    recruitment, plan = what_the_plan_adds(code, params)
    stem = downloads(code, data, source, summary, params, recruitment, plan, areas, history, choice)
    handouts(code, data, source, summary, params, recruitment, plan, areas, stem, choice)
    how_worked_out(params)
    _present.footer("economy", illustrative=source.illustrative)  # presentation mode: next/previous


main()
