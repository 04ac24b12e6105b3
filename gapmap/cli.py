"""Command line: ``python -m gapmap councils|population``.

Exit status 0 on success, 2 on bad input (unknown council, unreadable file, bad option).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from gapmap import io
from gapmap.config import DataPaths
from gapmap.errors import GapmapError
from gapmap.export import population_table, to_csv_bytes, to_geojson_bytes
from gapmap.population import LEVELS, load_council, population_by_area


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m gapmap",
        description="Where care and support for older people is under-provided.",
    )
    p.add_argument("--data", type=Path, default=None, help="data folder (default: the shipped data/)")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("councils", help="list council codes and names")
    c.add_argument(
        "--tier",
        choices=["upper", "district", "all"],
        default="all",
        help="upper-tier (care commissioners), districts, or all (default)",
    )

    pop = sub.add_parser("population", help="population and context per area")
    pop.add_argument("--council", required=True, help="council code (e.g. E06000066) or name")
    pop.add_argument(
        "--level",
        choices=LEVELS,
        default="ward",
        help="ward, lsoa, msoa, hex, or parish (your own areas; needs --areas)",
    )
    pop.add_argument(
        "--hex-size",
        type=float,
        default=1000.0,
        metavar="METRES",
        help="hex width across flats for --level hex (default 1000)",
    )
    pop.add_argument(
        "--areas", type=Path, help="boundary file for --level parish (.gpkg, .geojson, zipped .shp)"
    )
    pop.add_argument("--out", type=Path, required=True, help="output file: .csv or .geojson")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit status."""
    args = _parser().parse_args(argv)
    paths = DataPaths(args.data) if args.data else DataPaths()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status = _run(args, paths)
        except GapmapError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 2
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    return status


def _run(args: argparse.Namespace, paths: DataPaths) -> int:
    if args.command == "councils":
        table = io.read_councils(paths)
        if args.tier != "all":
            table = table[table.tier == args.tier]
        sys.stdout.write(table[["code", "name", "tier"]].to_csv(index=False, sep="\t"))
        return 0
    return _population(args, paths)


def _population(args: argparse.Namespace, paths: DataPaths) -> int:
    suffix = args.out.suffix.lower()
    if suffix not in (".csv", ".geojson", ".json"):
        print(f"error: --out must end in .csv or .geojson, got {args.out.name!r}", file=sys.stderr)
        return 2
    areas = io.read_area_file(args.areas) if args.areas else None
    data = load_council(args.council, paths=paths)
    table = population_table(population_by_area(data, args.level, hex_size_m=args.hex_size, areas=areas))
    payload = to_csv_bytes(table) if suffix == ".csv" else to_geojson_bytes(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".part")
    tmp.write_bytes(payload)
    tmp.replace(args.out)
    print(
        f"{data.council.name} ({data.council.code}): {len(table)} areas at level {args.level}, "
        f"{table.pop_total.sum():,.0f} residents, {table.pop_65plus.sum():,.0f} aged 65+ -> {args.out}",
        file=sys.stderr,
    )
    return 0
