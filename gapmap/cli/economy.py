"""``economy``: jobs, hours of care, money and savings from the council's micro-providers."""

from __future__ import annotations

import argparse
from datetime import date

from gapmap import io
from gapmap.analysis import zones_for
from gapmap.cli._options import (
    ILLUSTRATIVE,
    add_council,
    add_privacy,
    add_providers,
    add_roads,
    areas_as,
    in_file,
    iso_date,
    kinds_list,
    minutes_from,
    out_file,
    positive_number,
    providers_as,
    roads_for,
    say,
    table_privacy,
    write_bytes,
    write_table,
)
from gapmap.cli.gaps import report_rejected
from gapmap.config import DataPaths
from gapmap.downloads import (
    economy_areas,
    economy_areas_download,
    economy_json_bytes,
)
from gapmap.economy import (
    PARAMETER_SOURCES,
    PEOPLE_PER_NEW_PROVIDER,
    economy_report,
    economy_summary,
    headline,
    params_from_toml,
    plan_economy,
    read_plan,
    supply_of,
)
from gapmap.errors import LevelError
from gapmap.population import LEVELS, load_council
from gapmap.records import load_providers
from gapmap.schema import KINDS


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``economy`` parser."""
    e = sub.add_parser(
        "economy",
        help="local jobs, hours of care, money and savings from micro-providers",
        description="Local-economy figures for the providers active on a date. Every figure rests on "
        "parameters with published sources (README: Local economy); change any with --params FILE "
        "(TOML) or a flag, which wins over the file.",
    )
    add_council(e)
    add_providers(e)
    e.add_argument("--as-at", type=iso_date, default=None, metavar="YYYY-MM-DD", help="providers active on this date")
    e.add_argument(
        "--kinds", type=kinds_list, default=KINDS, help=f"provider kinds that count (default all: {','.join(KINDS)})"
    )
    e.add_argument("--params", type=in_file, metavar="FILE", help="TOML file of parameters (name = value)")
    for name, meta in PARAMETER_SOURCES.items():
        # Kept as text: the library checks each value and names the parameter when it is wrong.
        e.add_argument(meta["flag"], dest=name, metavar="X", help=f"{meta['label']} ({meta['unit']})")
    e.add_argument("--plan", type=in_file, metavar="SITES.csv", help="the recruitment planner's sites (CSV)")
    e.add_argument(
        "--people-per-recruit",
        type=positive_number,
        default=PEOPLE_PER_NEW_PROVIDER,
        metavar="N",
        help=f"people each of the plan's new providers supports (default {PEOPLE_PER_NEW_PROVIDER:g}: "
        "Somerset 2020; as the plan was made with site --people-per-site)",
    )
    e.add_argument("--level", choices=LEVELS, default=None, help="also figure per area of this level")
    e.add_argument("--hex-size", type=positive_number, default=1000.0, metavar="METRES", help="hex width")
    e.add_argument("--areas", type=in_file, help="boundary file of your own areas for --level parish")
    e.add_argument("--areas-out", type=out_file(".csv", ".geojson"), help="per-area table (.csv or .geojson)")
    e.add_argument("--out", type=out_file(".json"), required=True, help="output .json")
    add_privacy(e)
    add_roads(e)
    e.set_defaults(run=run)


def run(args: argparse.Namespace, paths: DataPaths) -> int:
    """Write the local-economy figures."""
    if bool(args.level) != bool(args.areas_out):
        raise LevelError("--level and --areas-out go together (e.g. --level ward --areas-out by_area.csv)")
    overrides = {name: getattr(args, name) for name in PARAMETER_SOURCES}
    params = params_from_toml(args.params, overrides)
    plan_sites = read_plan(args.plan) if args.plan else None
    per_recruit = args.people_per_recruit
    plan = plan_economy(plan_sites, params, per_recruit) if plan_sites is not None else None

    data = load_council(args.council, paths=paths)

    areas = areas_as(args, io.read_area_file(args.areas) if args.areas else None, data.points)
    # The economy figures count providers, not reach; --roads is accepted (and checked) so one
    # command line serves every subcommand, and the JSON says which distance the session used.
    roads = roads_for(args, data)
    result = load_providers(args.providers, outline=data.outline(), paths=paths)
    report_rejected(result)
    when = args.as_at or date.today()
    supply = supply_of(providers_as(args, result.accepted), when, args.kinds)
    summary = economy_summary(supply, params)
    notes = [ILLUSTRATIVE] if result.illustrative else []
    context = {
        "council": data.council.code,
        "council_name": data.council.name,
        "as_at": when.isoformat(),
        "kinds": list(args.kinds),
    }
    if roads is not None:
        context["distance"] = f"by road, {minutes_from(args):g} minutes (not used by these figures)"
    if result.illustrative:
        context["data_note"] = ILLUSTRATIVE
    doc = economy_report(summary, params, plan=plan, context=context, notes=notes, people_per_new_provider=per_recruit)
    if args.level:
        zones = zones_for(data, args.level, hex_size_m=args.hex_size, areas=areas)
        by_area = economy_areas(supply, zones.polygons, zones.population, params, privacy=table_privacy(args))
        table = economy_areas_download(
            by_area, params, illustrative=result.illustrative, internal=table_privacy(args) == "exact"
        )
        write_table(table, args.areas_out)
        say(f"{len(table)} areas -> {args.areas_out}")
    write_bytes(args.out, economy_json_bytes(doc))
    say(
        f"{data.council.name} on {when:%d %b %Y}: {summary['providers']} providers, "
        f"{summary['people_supported']:,.0f} people, {summary['hours_per_week']:,.0f} hours a week, "
        f"{summary['jobs_fte']:,.1f} FTE jobs; {headline(summary, args.kinds)} -> {args.out}"
    )
    if plan is not None:
        say(f"the plan's {plan['providers']} new providers would add {plan['jobs_fte']:,.1f} FTE jobs")
    return 0
