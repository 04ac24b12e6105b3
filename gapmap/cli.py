"""Command line: ``python -m gapmap councils|population|gaps|validate|import``.

Exit status 0 on success, 2 on bad input (unknown council, unreadable file, bad option);
``validate`` and ``import`` exit 1 when some rows were rejected.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import geopandas as gpd

from gapmap import io, registry
from gapmap.config import DataPaths
from gapmap.demand import BANDS
from gapmap.errors import GapmapError, ProviderFileError
from gapmap.export import gaps_table, population_table, to_csv_bytes, to_geojson_bytes
from gapmap.gaps import GapParams, gaps_by_area, supply_at
from gapmap.population import LEVELS, load_council, population_by_area
from gapmap.records import RECORD_KINDS, load_providers
from gapmap.schema import KINDS


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
    pop.add_argument("--areas", type=Path, help="boundary file for --level parish (.gpkg, .geojson, zipped .shp)")
    pop.add_argument("--out", type=Path, required=True, help="output file: .csv or .geojson")

    g = sub.add_parser("gaps", help="access, unmet need and ranked gap score per area")
    g.add_argument("--council", required=True, help="council code (e.g. E06000066) or name")
    g.add_argument(
        "--providers",
        type=Path,
        required=True,
        help="provider file: CSV/Excel with lat,lon or easting,northing or postcode columns",
    )
    g.add_argument("--level", choices=LEVELS, default="ward")
    g.add_argument("--hex-size", type=float, default=1000.0, metavar="METRES")
    g.add_argument("--areas", type=Path, help="boundary file for --level parish")
    g.add_argument("--band", choices=list(BANDS), default="65plus")
    g.add_argument("--radius-km", type=float, default=5.0, help="catchment radius in km (default 5)")
    g.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help=f"provider kinds that count, comma-separated (default all: {','.join(KINDS)})",
    )
    g.add_argument(
        "--as-at",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="count providers active on this date (default today)",
    )
    g.add_argument("--circuity", type=float, default=1.0, help="road/straight-line distance factor (default 1)")
    g.add_argument(
        "--target-per-1000",
        type=float,
        default=None,
        help="target places per 1,000 people of the band (default: Somerset 2020 level)",
    )
    g.add_argument("--out", type=Path, required=True, help="output file: .csv or .geojson")

    for name, text in (
        ("validate", "check a records file and report every problem"),
        ("import", "check a records file and save its accepted rows to the registry"),
    ):
        v = sub.add_parser(name, help=text)
        v.add_argument("file", type=Path, help="CSV, Excel (.xlsx), GeoJSON, GeoPackage or zipped shapefile")
        v.add_argument("--council", required=True, help="council code or name")
        v.add_argument(
            "--kind",
            choices=list(RECORD_KINDS),
            default="providers",
            help="what the file lists: providers (default), day_centres, or closures",
        )
        if name == "validate":
            v.add_argument("--json", action="store_true", help="print the report as JSON")
        else:
            v.add_argument(
                "--mode",
                choices=["replace", "update"],
                default="replace",
                help="replace the council's records (default) or add/update by id",
            )
            v.add_argument(
                "--registry", type=Path, default=None, help="registry file (default $GAPMAP_HOME/registry.gpkg)"
            )
            v.add_argument("--by", default=None, help="who is importing (default: your user name)")
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
    if args.command == "gaps":
        return _gaps(args, paths)
    if args.command in ("validate", "import"):
        return _records(args, paths)
    return _population(args, paths)


def _check_out(out: Path) -> bool:
    if out.suffix.lower() not in (".csv", ".geojson", ".json"):
        print(f"error: --out must end in .csv or .geojson, got {out.name!r}", file=sys.stderr)
        return False
    return True


def _write(table: gpd.GeoDataFrame, out: Path) -> None:
    payload = to_csv_bytes(table) if out.suffix.lower() == ".csv" else to_geojson_bytes(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(payload)
    tmp.replace(out)  # atomic: a crash never leaves half a file under the real name


def _gaps(args: argparse.Namespace, paths: DataPaths) -> int:
    if not _check_out(args.out):
        return 2
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    params = GapParams(
        band=args.band,
        radius_km=args.radius_km,
        kinds=kinds,
        as_at=args.as_at,
        circuity=args.circuity,
        target_per_1000=args.target_per_1000,
    )
    areas = io.read_area_file(args.areas) if args.areas else None
    data = load_council(args.council, paths=paths)
    result = load_providers(args.providers, outline=data.outline(), paths=paths)
    for p in result.rejected:
        print(f"rejected: row {p.row}, {p.field}: {p.problem} — {p.fix}", file=sys.stderr)
    if result.rejected:
        print(f"{len(result.rejected)} rows rejected, {len(result.accepted)} accepted", file=sys.stderr)
    table = gaps_table(gaps_by_area(data, result.accepted, args.level, params, hex_size_m=args.hex_size, areas=areas))
    if result.illustrative:
        table["data_note"] = "Illustrative sample — not real providers"
        print("warning: the providers file is an illustrative sample — not real providers", file=sys.stderr)
    _write(table, args.out)
    n_active = len(supply_at(result.accepted, params))
    print(
        f"{data.council.name}: {len(table)} areas, {n_active} active providers on {params.date:%d %b %Y}, "
        f"unmet need {table.unmet_need.sum():,.0f} people aged {args.band.replace('plus', '+')} -> {args.out}",
        file=sys.stderr,
    )
    return 0


def _records(args: argparse.Namespace, paths: DataPaths) -> int:
    """validate: exit 0 all accepted, 1 some rejected, 2 unreadable. import: also saves."""
    data = load_council(args.council, paths=paths)
    try:
        result = load_providers(args.file, outline=data.outline(), paths=paths, kind=args.kind)
    except ProviderFileError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"accepted": 0, "rejected": [], "warnings": [], "error": str(exc)}))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        for p in result.rejected:
            print(f"row {p.row}, {p.field}: {p.problem} — {p.fix}", file=sys.stderr)
        for w in result.warnings:
            print(f"warning: {w}", file=sys.stderr)
        print(f"{len(result.accepted)} accepted, {len(result.rejected)} rejected ({args.file.name})", file=sys.stderr)
    if args.command == "import" and len(result.accepted):
        reg = registry.Registry(args.registry) if args.registry else registry.Registry.default()
        by = args.by or registry.current_user()
        records, log = registry.load(reg)
        records = registry.merge_import(
            records, result, council_code=data.council.code, source_file=args.file.name, by=by, mode=args.mode
        )
        log = registry.log_import(
            log, council_code=data.council.code, source_file=args.file.name, by=by, mode=args.mode, result=result
        )
        registry.save(reg, records, log)
        n = (records.council_code == data.council.code).sum()
        print(f"saved: {data.council.name} now has {n} providers in {reg.path}", file=sys.stderr)
    return 1 if result.rejected else 0


def _population(args: argparse.Namespace, paths: DataPaths) -> int:
    if not _check_out(args.out):
        return 2
    areas = io.read_area_file(args.areas) if args.areas else None
    data = load_council(args.council, paths=paths)
    table = population_table(population_by_area(data, args.level, hex_size_m=args.hex_size, areas=areas))
    _write(table, args.out)
    print(
        f"{data.council.name} ({data.council.code}): {len(table)} areas at level {args.level}, "
        f"{table.pop_total.sum():,.0f} residents, {table.pop_65plus.sum():,.0f} aged 65+ -> {args.out}",
        file=sys.stderr,
    )
    return 0
