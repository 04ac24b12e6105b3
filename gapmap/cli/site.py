"""``site``: where to recruit K new micro-providers (maximal covering, existing providers kept)."""

from __future__ import annotations

import argparse

from gapmap import io
from gapmap.analysis import analyse
from gapmap.cli._options import (
    ILLUSTRATIVE,
    add_analysis,
    add_council,
    add_privacy,
    add_providers,
    in_file,
    out_file,
    positive_int,
    positive_number,
    providers_as,
    reach_words,
    report_far_providers,
    request_from,
    say,
    with_roads,
    write_table,
)
from gapmap.cli.gaps import report_rejected
from gapmap.config import DataPaths
from gapmap.labels import band_ages
from gapmap.population import load_council
from gapmap.records import load_providers
from gapmap.siting import MAX_SITES, PEOPLE_PER_SITE, plan_sites, plan_table, with_user_areas


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``site`` parser."""
    s = sub.add_parser("site", help="where to recruit K new micro-providers to bring the most people within reach")
    add_council(s)
    add_providers(s)
    add_analysis(s, level=False, band_default="75plus")
    s.add_argument("--new", type=positive_int, required=True, metavar="K", help="number of new sites to suggest")
    s.add_argument(
        "--candidates",
        type=in_file,
        default=None,
        help="your own candidate sites (village halls, volunteers' postcodes): any format the provider import "
        "accepts, located by postcode, easting/northing or lat/lon (default: postcodes not yet within reach)",
    )
    s.add_argument(
        "--capacity-aware",
        action="store_true",
        help="rank sites by the unmet need they can take up, each supporting --people-per-site people",
    )
    s.add_argument(
        "--people-per-site",
        type=positive_number,
        default=PEOPLE_PER_SITE,
        help=f"people one new micro-provider supports (default {PEOPLE_PER_SITE:g}: Somerset 2020)",
    )
    s.add_argument(
        "--areas",
        type=in_file,
        default=None,
        help="boundary file of your own areas (parishes, patches: .gpkg, .geojson, zipped .shp); "
        "adds parish_code, parish_name to each site",
    )
    s.add_argument("--exact", action="store_true", help="also solve to optimality (spopt MCLP, HiGHS) and compare")
    s.add_argument("--out", type=out_file(".csv", ".geojson"), required=True, help="output sites.csv or sites.geojson")
    add_privacy(s)
    s.set_defaults(run=run)


def run(args: argparse.Namespace, paths: DataPaths) -> int:
    """Write the suggested sites and print the summary."""
    request = request_from(args)
    areas = io.read_area_file(args.areas) if args.areas else None  # a bad file fails before the long work
    data = load_council(args.council, paths=paths)
    request = with_roads(request, args, data)
    result = load_providers(args.providers, outline=data.outline(), paths=paths)
    report_rejected(result)
    report_far_providers(request, result.accepted)
    candidates = None
    if args.candidates is not None:
        cands = load_providers(args.candidates, outline=data.outline(), paths=paths)
        for p in cands.rejected:
            say(f"candidate rejected: row {p.row}, {p.field}: {p.problem}")
        candidates = cands.accepted
    analysis = analyse(data, providers_as(args, result.accepted), request)
    plan = plan_sites(
        analysis,
        args.new,
        candidates=candidates,
        capacity_aware=args.capacity_aware,
        people_per_site=args.people_per_site,
        exact=args.exact,
    )
    if args.new > MAX_SITES:
        say(f"note: the app offers at most {MAX_SITES} sites; the command line has no such limit")
    sites = plan.sites if areas is None else with_user_areas(plan.sites, areas)
    table = plan_table(sites, data_note=ILLUSTRATIVE if result.illustrative else None)
    write_table(table, args.out)
    band = band_ages(request.band)
    say(
        f"{data.council.name}: {len(plan.sites)} new sites, radius {reach_words(request)}, "
        f"{len(analysis.supply)} providers open on {request.date:%d %b %Y} -> {args.out}"
    )
    say(f"people aged {band} within reach before: {plan.covered_before:,.0f} of {plan.band_population:,.0f}")
    say(f"people aged {band} within reach after:  {plan.covered_after:,.0f}")
    say(f"gain: {plan.gain:,.0f} ({plan.gain / max(plan.uncovered_before, 1e-9):.1%} of those now without support)")
    if len(plan.sites) < args.new:
        say(f"only {len(plan.sites)} sites add anyone; the rest of the {args.new} would reach no one new")
    if plan.places_by_area is not None:
        say(f"places added: {plan.places_by_area.places_added.sum():,.1f} across {len(plan.places_by_area)} areas")
    if plan.optimum is not None:
        say(
            f"optimum (exact, {plan.exact.solver}): {plan.optimum:,.0f}; this plan reaches {plan.greedy_share:.1%} "
            f"of it (the greedy alone {plan.greedy_gain / max(plan.optimum, 1e-9):.1%})"
        )
    if result.illustrative:
        say(f"warning: {ILLUSTRATIVE}")
    return 0
