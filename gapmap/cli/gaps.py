"""``gaps``: access, unmet need and ranked gap score per area."""

from __future__ import annotations

import argparse

from gapmap import io
from gapmap.analysis import analyse
from gapmap.cli._options import (
    ILLUSTRATIVE,
    add_analysis,
    add_council,
    add_providers,
    non_negative_number,
    out_file,
    request_from,
    say,
    write_table,
)
from gapmap.config import DataPaths
from gapmap.export import gaps_table
from gapmap.population import load_council
from gapmap.records import load_providers
from gapmap.validate import ValidationResult


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``gaps`` parser."""
    g = sub.add_parser("gaps", help="access, unmet need and ranked gap score per area")
    add_council(g)
    add_providers(g)
    add_analysis(g)
    g.add_argument(
        "--target-per-1000",
        type=non_negative_number,
        default=None,
        help="target places per 1,000 people of the band (default: Somerset 2020 level)",
    )
    g.add_argument("--out", type=out_file(".csv", ".geojson", ".json"), required=True, help="output .csv or .geojson")
    g.set_defaults(run=run)


def report_rejected(result: ValidationResult) -> None:
    """Name every rejected row on stderr, and say when the file is the illustrative sample."""
    for p in result.rejected:
        say(f"rejected: row {p.row}, {p.field}: {p.problem} — {p.fix}")
    if result.rejected:
        say(f"{len(result.rejected)} rows rejected, {len(result.accepted)} accepted")
    if result.illustrative:
        say("warning: the providers file is an illustrative sample — not real providers")


def run(args: argparse.Namespace, paths: DataPaths) -> int:
    """Write the gap table."""
    request = request_from(args)
    areas = io.read_area_file(args.areas) if args.areas else None
    data = load_council(args.council, paths=paths)
    result = load_providers(args.providers, outline=data.outline(), paths=paths)
    report_rejected(result)
    analysis = analyse(data, result.accepted, request, areas=areas)
    table = gaps_table(analysis.areas)
    if result.illustrative:
        table["data_note"] = ILLUSTRATIVE
    write_table(table, args.out)
    say(
        f"{data.council.name}: {len(table)} areas, {len(analysis.supply)} active providers on "
        f"{request.date:%d %b %Y}, unmet need {table.unmet_need.sum():,.0f} people aged "
        f"{args.band.replace('plus', '+')} -> {args.out}"
    )
    return 0
