"""``public-layer``: the provider points exactly as a viewer's map and every hand-out get them."""

from __future__ import annotations

import argparse
from datetime import date

from gapmap import auth
from gapmap.cli._options import ILLUSTRATIVE, add_council, add_providers, iso_date, out_file, say, write_table
from gapmap.cli.gaps import report_rejected
from gapmap.config import DataPaths
from gapmap.population import load_council
from gapmap.privacy import SAFE_MODES, load_or_create_secret, public_layer
from gapmap.records import load_providers


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``public-layer`` parser."""
    p = sub.add_parser(
        "public-layer",
        help="provider points safe to publish: micro-providers moved (or left out), no names or ids",
        description="Write the provider layer a viewer's map shows: micro-providers displaced by the install's "
        "secret key ($GAPMAP_HOME/secret.key) or left out, day centres in place, only kind and status.",
    )
    add_council(p)
    add_providers(p)
    p.add_argument("--as-at", type=iso_date, default=None, metavar="YYYY-MM-DD", help="the date shown (default today)")
    p.add_argument(
        "--privacy",
        choices=SAFE_MODES,
        default="displaced",
        help="displaced (default): micro-providers moved a random 250 m-2 km; counts: left out (count them per area)",
    )
    p.add_argument("--out", type=out_file(".geojson", ".json"), required=True, help="output .geojson")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, paths: DataPaths) -> int:
    """Write the public provider layer as GeoJSON."""
    data = load_council(args.council, paths=paths)
    result = load_providers(args.providers, outline=data.outline(), paths=paths)
    report_rejected(result)
    as_at = args.as_at or date.today()
    secret = load_or_create_secret(auth.home_from_environment())
    layer = public_layer(result.accepted, mode=args.privacy, secret=secret, as_at=as_at)
    if result.illustrative:
        layer["data_note"] = ILLUSTRATIVE
    write_table(layer, args.out)
    micro = int((layer.kind == "micro_enterprise").sum())
    say(
        f"{data.council.name}: {len(layer)} providers on {as_at:%d %b %Y} ({micro} micro-providers "
        f"{'displaced' if args.privacy == 'displaced' else 'left out'}; no names, ids or capacities) -> {args.out}"
    )
    return 0
