"""``validate`` and ``import``: check a records file; save its accepted rows to the registry."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gapmap import registry
from gapmap.cli._options import add_council, in_file, say
from gapmap.config import DataPaths
from gapmap.errors import ProviderFileError
from gapmap.population import load_council
from gapmap.records import RECORD_KINDS, load_providers


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``validate`` and ``import`` parsers."""
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
        v.set_defaults(run=run)


def run(args: argparse.Namespace, paths: DataPaths) -> int:
    """validate: exit 0 all accepted, 1 some rejected, 2 unreadable. import: also saves."""
    data = load_council(args.council, paths=paths)
    try:
        result = load_providers(args.file, outline=data.outline(), paths=paths, kind=args.kind)
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
        say(f"saved: {data.council.name} now has {n} providers in {reg.path}")
    return 1 if result.rejected else 0
