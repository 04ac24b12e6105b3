"""``closure``: what a closure did (or would do), and to whom."""

from __future__ import annotations

import argparse
import json
import math

from gapmap import io
from gapmap.cli._options import (
    ILLUSTRATIVE,
    add_analysis,
    add_council,
    add_privacy,
    add_providers,
    areas_as,
    iso_date,
    out_file,
    providers_as,
    reach_words,
    report_far_providers,
    request_from,
    say,
    table_privacy,
    with_roads,
    write_bytes,
    write_table,
)
from gapmap.cli.gaps import report_rejected
from gapmap.closures import impact_between, impact_of_closing
from gapmap.config import DataPaths
from gapmap.downloads import (
    closure_download,
)
from gapmap.errors import ClosureError
from gapmap.labels import band_ages
from gapmap.population import load_council
from gapmap.records import load_providers


def _ids(text: str) -> list[str]:
    ids = [t.strip() for t in text.split(",") if t.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("name at least one provider id")
    return ids


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``closure`` parser."""
    c = sub.add_parser(
        "closure",
        help="impact of closing providers (what-if), or of the changes between two dates",
        description="Either --close IDS [--as-at D] (the providers open on D minus IDS) or "
        "--before D1 --after D2 (the providers open on D1 against those open on D2).",
    )
    add_council(c)
    add_providers(c)
    add_analysis(c, band_default="75plus")
    c.add_argument("--close", type=_ids, metavar="ID[,ID...]", help="provider ids to close (the file's id column)")
    c.add_argument("--before", type=iso_date, metavar="YYYY-MM-DD", help="the 'before' date")
    c.add_argument("--after", type=iso_date, metavar="YYYY-MM-DD", help="the 'after' date")
    c.add_argument("--out", type=out_file(".csv", ".geojson"), required=True, help="impact per area, .csv or .geojson")
    c.add_argument("--json", type=out_file(".json"), help="council summary as JSON")
    add_privacy(c)
    c.set_defaults(run=run)


def _json_safe(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # e.g. extra_km_max when no provider is left at all
    return value


def run(args: argparse.Namespace, paths: DataPaths) -> int:
    """Write the impact per area and, with ``--json``, the summary."""
    dated = args.before is not None or args.after is not None
    if args.close and dated:
        raise ClosureError("give either --close (with --as-at) or --before and --after, not both")
    if not args.close and not dated:
        raise ClosureError("say what changes: --close ID[,ID...] or --before D1 --after D2")
    if dated and (args.before is None or args.after is None):
        raise ClosureError("--before and --after go together")
    if dated and args.as_at is not None:
        raise ClosureError("--as-at goes with --close; with --before/--after the dates say when")
    request = request_from(args)
    data = load_council(args.council, paths=paths)
    request = with_roads(request, args, data)
    areas = areas_as(args, io.read_area_file(args.areas) if args.areas else None, data.points)
    result = load_providers(args.providers, outline=data.outline(), paths=paths)
    report_rejected(result)
    report_far_providers(request, result.accepted)
    providers = providers_as(args, result.accepted)
    if args.close:
        impact = impact_of_closing(data, providers, request, args.close, areas=areas)
    else:
        impact = impact_between(data, providers, request, args.before, args.after, areas=areas)
    table = closure_download(
        impact, illustrative=result.illustrative, internal=table_privacy(args) == "exact"
    )  # the closures page's download
    if args.out.suffix.lower() == ".geojson":
        polygons = impact.before.areas[["area_code", "geometry"]]
        table = polygons.merge(table, on="area_code", how="right")
    write_table(table, args.out)
    s = impact.summary
    if args.json:
        summary = {k: _json_safe(v) for k, v in s.items()}
        summary["council"] = data.council.code
        if result.illustrative:
            summary["data_note"] = ILLUSTRATIVE
        write_bytes(args.json, (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode())
    band = band_ages(request.band)
    far_unit = "minutes by road" if request.unit == "minutes" else "km"
    say(
        f"{data.council.name}: {len(s['providers_closed'])} closed, {len(s['providers_opened'])} opened; "
        f"{s['people_displaced']:,.0f} people aged {band} displaced, {s['extra_km_mean']:,.1f} {far_unit} further on "
        f"average; {s['people_losing_coverage']:,.0f} lose a provider within {reach_words(request)}, "
        f"{s['people_gaining_coverage']:,.0f} gain one -> {args.out}"
    )
    for line in impact.hardest_hit(3):
        say(f"  {line}")
    return 0
