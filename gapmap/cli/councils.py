"""``councils``: list council codes and names."""

from __future__ import annotations

import argparse
import sys

from gapmap import io
from gapmap.config import DataPaths


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``councils`` parser."""
    c = sub.add_parser("councils", help="list council codes and names")
    c.add_argument(
        "--tier",
        choices=["upper", "district", "all"],
        default="all",
        help="upper-tier (care commissioners), districts, or all (default)",
    )
    c.set_defaults(run=run)


def run(args: argparse.Namespace, paths: DataPaths) -> int:
    """Print the council list as tab-separated text."""
    table = io.read_councils(paths)
    if args.tier != "all":
        table = table[table.tier == args.tier]
    sys.stdout.write(table[["code", "name", "tier"]].to_csv(index=False, sep="\t"))
    return 0
