"""``gaps``: access, unmet need and ranked gap score per area."""

from __future__ import annotations

import argparse
from pathlib import Path

from gapmap import auth, io, national
from gapmap.analysis import AnalysisRequest, analyse
from gapmap.cli._options import (
    ILLUSTRATIVE,
    add_analysis,
    add_council,
    add_privacy,
    add_providers,
    areas_as,
    by_road,
    minutes_from,
    non_negative_number,
    out_file,
    positive_int,
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
from gapmap.config import DataPaths
from gapmap.downloads import gaps_download, viewer_areas
from gapmap.errors import OptionError, OutputError
from gapmap.gap_map import handout_html
from gapmap.gaps import GAP_METRICS
from gapmap.labels import band_ages
from gapmap.population import load_council
from gapmap.privacy import DEFAULT_PRIVACY, load_or_create_secret
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
    g.add_argument(
        "--out",
        type=out_file(".csv", ".geojson", ".json", ".html"),
        required=True,
        help="output .csv or .geojson (all areas), or .html: the offline hand-out map the app downloads",
    )
    g.add_argument(
        "--map",
        choices=list(GAP_METRICS),
        default="gap_score",
        help="measure the .html map shows (default gap_score)",
    )
    add_privacy(g, handouts=f"the .html hand-out draws micro-providers as {DEFAULT_PRIVACY} unless given")
    g.add_argument(
        "--workers",
        type=positive_int,
        default=2,
        help="with --council all: councils analysed at once in local processes (default 2)",
    )
    g.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --council all: run the councils on this Dask scheduler (e.g. tcp://host:8786)",
    )
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
    """Write the gap table (or the hand-out map)."""
    request = request_from(args)
    if args.council.strip().lower() == "all":
        return _run_national(args, paths, request)
    data = load_council(args.council, paths=paths)
    request = with_roads(request, args, data)
    areas = areas_as(args, io.read_area_file(args.areas) if args.areas else None, data.points)
    result = load_providers(args.providers, outline=data.outline(), paths=paths)
    report_rejected(result)
    report_far_providers(request, result.accepted)
    analysis = analyse(data, providers_as(args, result.accepted), request, areas=areas)
    if args.out.suffix.lower() == ".html":
        secret = load_or_create_secret(auth.home_from_environment())
        mode = args.privacy or DEFAULT_PRIVACY
        page = handout_html(analysis, args.map, privacy=mode, secret=secret, illustrative=result.illustrative)
        write_bytes(args.out, page.encode("utf-8"))
        say(f"{data.council.name}: map of {args.map} for {len(analysis.areas)} areas -> {args.out}")
        return 0
    table = gaps_download(
        analysis.areas, privacy=table_privacy(args), illustrative=result.illustrative, unit=request.unit
    )
    write_table(table, args.out)
    say(
        f"{data.council.name}: {len(table)} areas, {len(analysis.supply)} active providers on "
        f"{request.date:%d %b %Y}, {table.pop_beyond_radius.sum():,.0f} people beyond {reach_words(request)}, "
        f"unmet need {table.unmet_need.sum():,.0f} people aged "
        f"{band_ages(args.band)} -> {args.out}"
    )
    return 0


def _run_national(args: argparse.Namespace, paths: DataPaths, request: AnalysisRequest) -> int:
    """Every upper-tier council, in parallel; one output file with all their areas."""
    if args.out.suffix.lower() == ".html":
        raise OutputError("a hand-out map is for one council: name it with --council, or write .csv/.geojson")
    if args.areas:
        raise OutputError("--areas (your own polygons) is for one council, not --council all")
    result = load_providers(args.providers, paths=paths)
    report_rejected(result)
    providers = providers_as(args, result.accepted)
    codes = national.council_codes(paths)
    say(f"{len(codes)} councils, {len(result.accepted):,} providers")
    roads = _national_roads(args) if by_road(args) else None
    if roads is not None:
        from gapmap.roads import RoadExtract

        off = national.councils_off_extract(codes, RoadExtract.load(Path(roads.extract)), paths)
        if off:
            names = io.read_councils(paths).set_index("code").name
            listed = ", ".join(f"{names.get(c, c)} ({c})" for c in off[:12]) + (" …" if len(off) > 12 else "")
            raise OptionError(
                f"the extract {args.roads.name} does not reach {len(off)} of the {len(codes)} councils: {listed}; "
                "use an England extract for --council all"
            )
    if args.scheduler:
        from distributed import Client

        with Client(args.scheduler) as client:
            table = national.run_dask(
                codes, providers, request, client=client, root=paths.root, progress=say, roads=roads
            )
    else:
        table = national.run_local(
            codes, providers, request, root=paths.root, workers=args.workers, progress=say, roads=roads
        )
    lost = table.attrs.get(national.LOST, [])
    table = viewer_areas(table, table_privacy(args)) if "n_micro_enterprise" in table else table
    if roads is not None:
        table = table.rename(columns={"nearest_km": "nearest_minutes"})
    if result.illustrative:
        table["data_note"] = ILLUSTRATIVE
    write_table(table, args.out)
    say(f"England: {len(table):,} areas in {len(codes) - len(lost)} councils -> {args.out}")
    if lost:
        say(
            f"not analysed: {', '.join(lost)} (the worker process running it stopped: killed, or out of "
            "memory); the file holds every other council. Run each again with --council CODE."
        )
        return 1
    return 0


def _national_roads(args: argparse.Namespace) -> national.RoadTask:
    """Read the extract once (stored under ``$GAPMAP_HOME/roads/``) for every council's task."""
    import sys

    from tqdm import tqdm

    from gapmap.roads import RoadSettings, extract_for

    settings = RoadSettings(slowdown=args.road_slowdown)
    bar = tqdm(total=5, desc="road extract", file=sys.stderr, leave=False, disable=None)

    def progress(step: str, done: int, total: int) -> None:
        bar.set_description(f"road extract: {step}")
        bar.n = done
        bar.refresh()

    try:
        folder = extract_for(args.roads, home=auth.home_from_environment(), speeds=settings.speeds, progress=progress)
    finally:
        bar.close()
    say(f"road extract {args.roads.name} read once -> {folder}")
    return national.RoadTask(
        extract=str(folder),
        minutes=minutes_from(args),
        settings=settings,
        offroad_kmh=args.offroad_kmh,
        max_offroad_m=args.max_offroad_m,
    )
