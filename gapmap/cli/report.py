"""``report``: a slide deck, a PDF or a folder of map pictures for a workshop (offline)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from gapmap import io
from gapmap.analysis import analyse
from gapmap.cli._options import (
    add_analysis,
    add_council,
    add_privacy,
    add_providers,
    areas_as,
    in_file,
    iso_date,
    positive_int,
    providers_as,
    request_from,
    say,
    with_roads,
)
from gapmap.config import DataPaths
from gapmap.deck import FORMATS, build_pdf, build_pngs, build_pptx
from gapmap.economy import params_from_toml
from gapmap.errors import OutputError, ReportError
from gapmap.labels import ILLUSTRATIVE
from gapmap.population import load_council
from gapmap.records import load_providers
from gapmap.siting import plan_sites
from gapmap.story import Plan, ReportInputs, before_after, economy_for, plan_from_siting

BAR = "{desc:<28} {percentage:3.0f}% |{bar:30}|"
"""Progress bar layout on stderr (whole percentages)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` parser."""
    r = sub.add_parser(
        "report",
        help="workshop hand-outs: PowerPoint deck, PDF, or one PNG per map (no network needed)",
        description="Title, older population, where care is short, priority areas, closures before/after "
        "(--before/--after), recruitment plan (--plan), local economy, sources and method.",
    )
    add_council(r)
    add_providers(r)
    add_analysis(r, band_default="75plus")
    plan = r.add_mutually_exclusive_group()
    plan.add_argument("--plan", type=in_file, help="recruitment plan: the CSV the `site` command writes")
    plan.add_argument(
        "--sites", type=positive_int, metavar="N", help="recruitment plan: choose N new sites (as `site` does)"
    )
    r.add_argument("--before", type=iso_date, metavar="YYYY-MM-DD", help="closures slide: the earlier date")
    r.add_argument("--after", type=iso_date, metavar="YYYY-MM-DD", help="closures slide: the later date")
    r.add_argument(
        "--economy-params",
        type=in_file,
        metavar="FILE",
        help="local economy slide: TOML file of assumptions (as for the economy command; default: published values)",
    )
    r.add_argument("--format", choices=FORMATS, required=True, help="pptx (PowerPoint), pdf, or png (a folder)")
    r.add_argument("--out", type=Path, required=True, help="output .pptx or .pdf file, or a folder for png")
    add_privacy(r, handouts="slides, PDF and pictures never draw micro-providers")
    r.set_defaults(run=run)


def _check_out(fmt: str, out: Path) -> None:
    if fmt == "png":
        if out.exists() and not out.is_dir():
            raise ReportError(f"--format png writes a folder of pictures; {out} is a file")
        return
    if out.suffix.lower() != f".{fmt}":
        raise ReportError(f"--out must end in .{fmt} for --format {fmt}, got {out.name!r}")
    if out.is_dir():
        raise ReportError(f"--out {out} is a folder, not a file")


def run(args: argparse.Namespace, paths: DataPaths) -> int:
    """Build the hand-out."""
    _check_out(args.format, args.out)
    if (args.before is None) != (args.after is None):
        raise ReportError("give both --before and --after for the closures slide, or neither")
    if args.before and args.after and args.before >= args.after:
        raise ReportError("--before must be earlier than --after")
    as_at = args.as_at or args.after
    request = request_from(args, as_at=as_at)
    bar = tqdm(total=100, desc="Reading data", file=sys.stderr, leave=False, bar_format=BAR)
    try:
        data = load_council(args.council, paths=paths)
        request = with_roads(request, args, data)
        areas = areas_as(args, io.read_area_file(args.areas) if args.areas else None, data.points)
        bar.update(10)
        result = load_providers(args.providers, outline=data.outline(), paths=paths)
        if result.illustrative:
            say(f"warning: {ILLUSTRATIVE}; every page says so")
        bar.set_description("Analysing")
        analysis = analyse(data, providers_as(args, result.accepted), request, areas=areas)
        bar.update(15)
        closures = before_after(analysis, args.before, args.after) if args.before else None
        plan = None
        if args.plan:
            plan = Plan.from_table(io.read_record_table(args.plan), analysis)
        elif args.sites:
            bar.set_description("Choosing sites")
            plan = plan_from_siting(plan_sites(analysis, args.sites))
        bar.update(10)
        economy = economy_for(analysis, params_from_toml(args.economy_params) if args.economy_params else None)
        inputs = ReportInputs(analysis, illustrative=result.illustrative, closures=closures, plan=plan, economy=economy)
        done = [35.0]

        def progress(fraction: float, label: str) -> None:
            target = 35.0 + 65.0 * fraction
            bar.set_description(label[:30])
            bar.update(target - done[0])
            done[0] = target

        if args.format == "png":
            pictures = build_pngs(inputs, progress=progress)
            try:
                args.out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(f"cannot make the folder {args.out}: {exc.strerror}") from None
            for name, payload in pictures.items():
                io.write_atomic(args.out / name, payload)
            written = f"{len(pictures)} pictures in {args.out}"
        else:
            payload = (build_pptx if args.format == "pptx" else build_pdf)(inputs, progress=progress)
            io.write_atomic(args.out, payload)
            written = str(args.out)
    finally:
        bar.close()
    left_out = [
        name
        for name, part in (("closures (--before/--after)", closures), ("recruitment plan (--plan or --sites)", plan))
        if part is None
    ]
    say(f"{data.council.name}: {args.format} -> {written}")
    if left_out:
        say(f"left out: {'; '.join(left_out)} — add the options shown to include them")
    if result.illustrative:
        say(ILLUSTRATIVE)
    return 0
