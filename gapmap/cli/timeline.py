"""``timeline``: providers by kind and people within reach, date by date."""

from __future__ import annotations

import argparse
from datetime import date

from gapmap import auth, io
from gapmap.cli._options import (
    add_council,
    add_privacy,
    add_providers,
    add_roads,
    in_file,
    iso_date,
    kinds_list,
    minutes_from,
    out_file,
    providers_as,
    radius,
    road_factor,
    roads_for,
    say,
    table_privacy,
    write_bytes,
    write_table,
)
from gapmap.cli.gaps import report_rejected
from gapmap.config import DataPaths
from gapmap.demand import BANDS
from gapmap.downloads import timeline_download
from gapmap.labels import band_ages, reach
from gapmap.population import load_council
from gapmap.privacy import load_or_create_secret
from gapmap.providers import KINDS
from gapmap.records import load_providers
from gapmap.replay import animation_gif, slider_html
from gapmap.timeline import STEPS, build_timeline


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``timeline`` parser."""
    t = sub.add_parser("timeline", help="providers by kind and people within reach over time (and projected)")
    add_council(t)
    add_providers(t)
    t.add_argument("--from", dest="start", type=iso_date, required=True, metavar="YYYY-MM-DD", help="first date")
    t.add_argument("--to", dest="end", type=iso_date, required=True, metavar="YYYY-MM-DD", help="last date (at most)")
    t.add_argument("--step", choices=list(STEPS), default="year", help="frame step (default year)")
    t.add_argument("--band", choices=list(BANDS), default="75plus", help="age band (default 75plus)")
    t.add_argument(
        "--kinds", type=kinds_list, default=KINDS, help=f"provider kinds, comma-separated (default {','.join(KINDS)})"
    )
    t.add_argument("--radius-km", type=radius, default=5.0, help="catchment radius in km (default 5)")
    t.add_argument("--circuity", type=road_factor, default=1.0, help="road/straight-line factor (default 1)")
    add_roads(t)
    t.add_argument(
        "--projections",
        type=in_file,
        help="ONS SNPP table (CSV as published) for dates after today; default: the shipped Somerset and Thurrock",
    )
    t.add_argument("--out", type=out_file(".csv"), required=True, help="output .csv")
    t.add_argument("--animation", type=out_file(".gif"), help="also write the replay as an animated GIF")
    t.add_argument("--html", type=out_file(".html"), help="also write the replay as an offline HTML page")
    add_privacy(t, handouts="the replays move micro-providers (displaced) unless counts is given; never exact")
    t.set_defaults(run=run)


def run(args: argparse.Namespace, paths: DataPaths) -> int:
    """Write the timeline table (and the replay)."""
    data = load_council(args.council, paths=paths)
    roads = roads_for(args, data)
    radius = args.radius_km if roads is None else minutes_from(args)
    result = load_providers(args.providers, outline=data.outline(), paths=paths)
    report_rejected(result)
    today = date.today()
    projections = None
    if args.end > today:
        projections = io.read_projections(args.projections) if args.projections else io.read_projections(paths=paths)
        if not projections.has(data.council.code):
            say(
                f"note: no population projections for {data.council.name}; people figures after today are left "
                "blank (pass --projections with the council's ONS SNPP table)"
            )
        else:
            say(f"note: dates after today scale Census 2021 by projected growth ({projections.source})")
    timeline = build_timeline(
        data,
        providers_as(args, result.accepted),
        start=args.start,
        end=args.end,
        step=args.step,
        band=args.band,
        kinds=tuple(args.kinds),
        radius_km=radius,
        circuity=args.circuity if roads is None else 1.0,
        projections=projections,
        today=today,
        roads=roads,
    )
    table = timeline_download(
        timeline, illustrative=result.illustrative, internal=table_privacy(args) == "exact"
    )  # the Over time view's download
    write_table(table, args.out)
    title = data.council.name
    outline, illustrative = data.outline(), result.illustrative
    if args.animation or args.html:
        # Hand-outs: micro-providers moved by this install's key ($GAPMAP_HOME/secret.key), never exact.
        hand = {
            "title": title,
            "illustrative": illustrative,
            "secret": load_or_create_secret(auth.home_from_environment()),
            "privacy": "counts" if args.privacy == "counts" else "displaced",  # as the app's hand-outs
        }
    if args.animation:
        write_bytes(args.animation, animation_gif(timeline, outline, **hand))
    if args.html:
        page = slider_html(timeline, outline, **hand)
        write_bytes(args.html, page.encode("utf-8"))
    first, last = timeline.frame(0), timeline.frame(len(timeline.dates) - 1)
    band = band_ages(args.band)
    say(
        f"{title}: {len(timeline.dates)} dates from {first['date']:%d %b %Y} to {last['date']:%d %b %Y}; providers "
        f"{sum(first['providers'].values())} -> {sum(last['providers'].values())}; people aged {band} within "
        f"{reach(radius, timeline.unit)} {first['people_within_reach']:,.0f} -> "
        f"{last['people_within_reach']:,.0f} -> {args.out}"
    )
    return 0
