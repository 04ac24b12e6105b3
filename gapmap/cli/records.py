"""``validate``, ``import`` and ``records``: check a records file, save it, export what is saved."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gapmap import io, registry
from gapmap.cli._options import ILLUSTRATIVE, add_council, in_file, out_file, say, write_table
from gapmap.config import DataPaths
from gapmap.errors import ProviderFileError
from gapmap.population import load_council
from gapmap.records import RECORD_KINDS, load_providers

REGISTRY_HELP = (
    "registry: a GeoPackage file or a postgresql:// URL (default $GAPMAP_REGISTRY, else $GAPMAP_HOME/registry.gpkg)"
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``validate``, ``import`` and ``records`` parsers."""
    for name, text in (
        ("validate", "check a records file and report every problem"),
        ("import", "check a records file and save its accepted rows to the registry"),
    ):
        v = sub.add_parser(name, help=text)
        v.add_argument("file", type=in_file, help="CSV, Excel (.xlsx), GeoJSON, GeoPackage or zipped shapefile")
        add_council(v)
        v.add_argument(
            "--kind",
            choices=list(RECORD_KINDS),
            default="providers",
            help="what the file lists: providers (default), day_centres, or closures",
        )
        v.add_argument("--sheet", default=None, help="Excel sheet or GeoPackage layer to read (when there are several)")
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
                "--force",
                action="store_true",
                help="replace even when the file has more rejected than accepted rows",
            )
            v.add_argument("--registry", type=registry_target, default=None, help=REGISTRY_HELP)
            v.add_argument("--by", default=None, help="who is importing (default: your user name)")
        v.set_defaults(run=run)
    r = sub.add_parser("records", help="export a council's saved records (personal data: for editors)")
    add_council(r)
    r.add_argument("--registry", type=registry_target, default=None, help=REGISTRY_HELP)
    r.add_argument(
        "--out", type=out_file(".csv", ".geojson", ".gpkg"), required=True, help="output .csv, .geojson or .gpkg"
    )
    r.set_defaults(run=run_records)


def registry_target(text: str) -> str:
    """A registry path or ``postgresql://`` URL (not a folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give a registry file or a postgresql:// URL")
    if not text.startswith(registry.POSTGRES_SCHEMES) and Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give the registry file, e.g. {text}/registry.gpkg")
    return text


def run(args: argparse.Namespace, paths: DataPaths) -> int:
    """validate: exit 0 all accepted, 1 some rejected, 2 unusable. import: also saves."""
    data = load_council(args.council, paths=paths)
    try:
        result = load_providers(args.file, outline=data.outline(), paths=paths, kind=args.kind, sheet=args.sheet)
    except ProviderFileError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"accepted": 0, "rejected": [], "warnings": [], "error": str(exc)}))
        else:
            say(f"error: {exc}")
        return 2
    if getattr(args, "json", False):
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        for p in result.rejected:
            say(f"row {p.row}, {p.field}: {p.problem} — {p.fix}")
        for w in result.warnings:
            say(f"warning: {w}")
        say(f"{len(result.accepted)} accepted, {len(result.rejected)} rejected ({args.file.name})")
    if args.command == "import" and len(result.accepted):
        reg = registry.open_registry(args.registry)
        n = registry.import_result(
            reg,
            result,
            council_code=data.council.code,
            source_file=args.file.name,
            by=args.by or registry.current_user(),
            mode=args.mode,
            force=args.force,
        )
        say(f"saved: {data.council.name} now has {n} providers in {reg.location} (the previous version is kept)")
    return 1 if result.rejected else 0


def run_records(args: argparse.Namespace, paths: DataPaths) -> int:
    """Write the council's saved records to ``--out``; exit 2 when there are none."""
    data = load_council(args.council, paths=paths)
    reg = registry.open_registry(args.registry)
    records, _ = registry.load(reg)
    mine = registry.council_records(records, data.council.code)
    if not len(mine):
        say(f"error: no saved records for {data.council.name} ({data.council.code}) in {reg.location}")
        return 2
    table = mine.drop(columns=["council_code"])
    illustrative = bool(table.illustrative.any())
    if illustrative:
        table["data_note"] = ILLUSTRATIVE
        say(f"warning: these records are an {ILLUSTRATIVE.lower()}")
    if args.out.suffix.lower() == ".gpkg":
        with io.atomic_path(args.out) as tmp:
            table.to_file(tmp, layer="providers", engine="pyogrio")
    else:
        write_table(table, args.out)
    say(f"{data.council.name}: {len(table)} saved providers -> {args.out} (personal data: keep it private)")
    return 0
