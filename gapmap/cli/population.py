"""``population``: population and context per area."""

from __future__ import annotations

import argparse

from gapmap import io
from gapmap.cli._options import add_council, in_file, out_file, positive_number, say, write_table
from gapmap.config import DataPaths
from gapmap.export import population_table
from gapmap.population import LEVELS, load_council, population_by_area


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``population`` parser."""
    pop = sub.add_parser("population", help="population and context per area")
    add_council(pop)
    pop.add_argument(
        "--level",
        choices=LEVELS,
        default="ward",
        help="ward, lsoa, msoa, hex, or parish (your own areas; needs --areas)",
    )
    pop.add_argument(
        "--hex-size",
        type=positive_number,
        default=1000.0,
        metavar="METRES",
        help="hex width across flats for --level hex (default 1000)",
    )
    pop.add_argument("--areas", type=in_file, help="boundary file for --level parish (.gpkg, .geojson, zipped .shp)")
    pop.add_argument("--out", type=out_file(".csv", ".geojson", ".json"), required=True, help="output .csv or .geojson")
    pop.set_defaults(run=run)


def run(args: argparse.Namespace, paths: DataPaths) -> int:
    """Write population per area."""
    areas = io.read_area_file(args.areas) if args.areas else None
    data = load_council(args.council, paths=paths)
    table = population_table(population_by_area(data, args.level, hex_size_m=args.hex_size, areas=areas))
    write_table(table, args.out)
    say(
        f"{data.council.name} ({data.council.code}): {len(table)} areas at level {args.level}, "
        f"{table.pop_total.sum():,.0f} residents, {table.pop_65plus.sum():,.0f} aged 65+ -> {args.out}"
    )
    return 0
