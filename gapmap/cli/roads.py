"""``roads``: build a council's road network from an OpenStreetMap extract, or list the built ones."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gapmap import auth
from gapmap.cli._options import non_negative_number, road_factor, say
from gapmap.config import DataPaths
from gapmap.population import load_council
from gapmap.roads import RoadSettings, network_for, roads_folder, stored_networks


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``roads`` parser with ``build`` and ``info``."""
    r = sub.add_parser("roads", help="road networks for travel time by road (build from an .osm.pbf, list)")
    rsub = r.add_subparsers(dest="roads_command", required=True, metavar="ACTION")
    b = rsub.add_parser("build", help="read an OpenStreetMap extract into a council's road network (once)")
    b.add_argument("--council", required=True, help="council code (e.g. E06000066) or name")
    b.add_argument("--pbf", type=Path, required=True, metavar="FILE.osm.pbf", help="the extract")
    b.add_argument("--slowdown", type=road_factor, default=1.0, help="multiply every road time, at least 1 (default 1)")
    b.add_argument(
        "--buffer-km",
        type=non_negative_number,
        default=RoadSettings().buffer_km,
        help=f"roads kept beyond the council's boundary (default {RoadSettings().buffer_km:g})",
    )
    b.add_argument("--rebuild", action="store_true", help="build again even if already built")
    b.set_defaults(run=run_build)
    i = rsub.add_parser("info", help="list the road networks built so far")
    i.set_defaults(run=run_info)


def run_build(args: argparse.Namespace, paths: DataPaths) -> int:
    """Build (or find) the network and say what it holds."""
    from tqdm import tqdm

    data = load_council(args.council, paths=paths)
    bar = tqdm(total=5, desc="road network", file=sys.stderr, leave=False, disable=None)

    def progress(step: str, done: int, total: int) -> None:
        bar.set_description(f"road network: {step}")
        bar.n = done
        bar.refresh()

    try:
        net = network_for(
            args.pbf,
            data.council.code,
            data.outline(),
            home=auth.home_from_environment(),
            areas=data.boundaries["wards"],
            settings=RoadSettings(slowdown=args.slowdown, buffer_km=args.buffer_km),
            progress=progress,
            rebuild=args.rebuild,
        )
    finally:
        bar.close()
    left_off = list(net.info.get("left_off", []))
    say(
        f"{data.council.name}: {net.n_nodes:,} junctions and bends, {net.n_edges:,} road links from {args.pbf.name} "
        f"(sha256 {net.source_hash[:12]}) -> {roads_folder(auth.home_from_environment())}"
    )
    if left_off:
        say(f"warning: {len(left_off)} areas are off the road network: {', '.join(left_off)}")
    return 0


def run_info(args: argparse.Namespace, paths: DataPaths) -> int:
    """One line per built network on stdout (tab-separated)."""
    rows = stored_networks(auth.home_from_environment())
    if not rows:
        say(f"no road networks built yet in {roads_folder(auth.home_from_environment())}")
        return 0
    print("file\tcouncil\tsource\tnodes\tedges\tsize_mb\tslowdown\tbuffer_km\tleft_off")
    for r in rows:
        if "problem" in r:
            print(f"{r['file']}\t\t\t\t\t\t\t\t{r['problem']}")
            continue
        print(
            f"{r['file']}\t{r['council']}\t{r['source']}\t{r['nodes']}\t{r['edges']}\t{r['size_mb']}\t"
            f"{r['slowdown']}\t{r['buffer_km']}\t{'; '.join(r['left_off'])}"
        )
    return 0
