"""Options shared by the subcommands, each checked where it is parsed.

A bad value ends the command with exit status 2 and one line naming the option and the
problem (argparse's own error path), never a traceback. The checks of analysis settings
(radius, kinds, road factor) are :mod:`gapmap._validate`'s, so the command line refuses a
value in the same words as the library.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gapmap import auth
from gapmap._validate import check_kinds, check_radius, check_road_factor
from gapmap.analysis import AnalysisRequest
from gapmap.demand import BANDS
from gapmap.errors import AreaFileError, OptionError
from gapmap.export import to_csv_bytes, to_geojson_bytes
from gapmap.labels import ILLUSTRATIVE  # noqa: F401 - the CLI commands import it from here
from gapmap.population import LEVELS, CouncilData
from gapmap.privacy import (
    MIN_AREA_POSTCODES,
    PRIVACY_MODES,
    SAFE_MODES,
    large_enough_areas,
    load_or_create_secret,
    providers_for,
)
from gapmap.roads import ByRoad
from gapmap.schema import KINDS


def positive_number(text: str) -> float:
    """A finite number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def positive_int(text: str) -> int:
    """A whole number, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def non_negative_number(text: str) -> float:
    """A finite number, zero or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be zero or more")
    return value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _checked(check: Callable[[object], object], value: object) -> object:
    try:
        return check(value)
    except OptionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def radius(text: str) -> float:
    """A catchment radius in km: a finite number above zero (:func:`gapmap._validate.check_radius`)."""
    return _checked(check_radius, _number(text))


def road_factor(text: str) -> float:
    """The road/straight-line factor: a finite number, at least 1 (:func:`gapmap._validate.check_road_factor`)."""
    return _checked(check_road_factor, _number(text))


def iso_date(text: str) -> date:
    """A date as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def kinds_list(text: str) -> tuple[str, ...]:
    """Comma-separated provider kinds, at least one, each known."""
    return _checked(check_kinds, [k.strip() for k in text.split(",") if k.strip()])


def out_file(*suffixes: str) -> Callable[[str], Path]:
    """An output path with one of ``suffixes`` whose folder exists or can be made."""

    def check(text: str) -> Path:
        path = Path(text)
        if path.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"must end in {' or '.join(suffixes)}, got {path.name!r}")
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
        folder = path.absolute().parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # the nearest folder that exists must let us make the rest
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise argparse.ArgumentTypeError(f"cannot write {text!r}: the folder {str(folder)!r} is not writable")
        return path

    return check


def in_file(text: str) -> Path:
    """An input file that exists."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
    return path


def add_council(p: argparse.ArgumentParser) -> None:
    """``--council``."""
    p.add_argument("--council", required=True, help="council code (e.g. E06000066) or name")


def add_providers(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--providers``."""
    p.add_argument(
        "--providers",
        type=in_file,
        required=required,
        help="provider file: CSV, Excel, GeoJSON, GeoPackage or zipped shapefile (see the README's format)",
    )


def add_analysis(p: argparse.ArgumentParser, *, level: bool = True, band_default: str = "65plus") -> None:
    """``--band --radius-km --kinds --as-at --circuity`` (and ``--level --hex-size --areas``)."""
    p.add_argument("--band", choices=list(BANDS), default=band_default, help=f"age band (default {band_default})")
    p.add_argument("--radius-km", type=radius, default=5.0, help="catchment radius in km (default 5)")
    p.add_argument(
        "--kinds",
        type=kinds_list,
        default=KINDS,
        help=f"provider kinds that count, comma-separated (default all: {','.join(KINDS)})",
    )
    p.add_argument(
        "--as-at",
        type=iso_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="providers active on this date (default today)",
    )
    p.add_argument(
        "--circuity", type=road_factor, default=1.0, help="road/straight-line distance factor, at least 1 (default 1)"
    )
    add_roads(p)
    if level:
        p.add_argument("--level", choices=LEVELS, default="ward", help="areas to report (default ward)")
        p.add_argument(
            "--hex-size", type=positive_number, default=1000.0, metavar="METRES", help="hex width for --level hex"
        )
        p.add_argument("--areas", type=in_file, help="boundary file of your own areas for --level parish")


def add_privacy(p: argparse.ArgumentParser, *, handouts: str = "") -> None:
    """``--privacy counts|displaced|exact`` (a contract: gaps, economy, closure, timeline, site, report)."""
    p.add_argument(
        "--privacy",
        choices=list(PRIVACY_MODES),
        default=None,
        help="counts or displaced: write exactly what a viewer of the app downloads with the same settings "
        "(every figure computed from the displaced micro-providers, small counts suppressed); exact, or not "
        "given: tables from the exact records (internal)" + (f"; {handouts}" if handouts else ""),
    )


def providers_as(args: argparse.Namespace, records):
    """The providers the command computes from.

    With ``--privacy counts|displaced`` their public form, as in a viewer's app
    (:func:`gapmap.privacy.providers_for`); else the records.
    """
    if getattr(args, "privacy", None) not in SAFE_MODES:
        return records
    secret = load_or_create_secret(auth.home_from_environment())
    return providers_for(records, mode=args.privacy, secret=secret).frame


def areas_as(args: argparse.Namespace, areas, points):
    """A user's own areas as the command may use them.

    With ``--privacy counts|displaced`` those too small to protect anyone are left out
    (:func:`gapmap.privacy.large_enough_areas`), as in a viewer's app.
    """
    if areas is None or getattr(args, "privacy", None) not in SAFE_MODES:
        return areas
    kept, dropped = large_enough_areas(points, areas)
    if dropped:
        say(
            f"note: {dropped} of your {len(areas)} areas hold fewer than {MIN_AREA_POSTCODES} postcodes; "
            'their postcodes count under "Outside the supplied areas"'
        )
    if kept.empty:
        raise AreaFileError(f"none of your areas holds {MIN_AREA_POSTCODES} postcodes or more: use larger areas")
    return kept


def table_privacy(args: argparse.Namespace) -> str:
    """The privacy mode the command's tables are written under (``exact`` unless given)."""
    return getattr(args, "privacy", None) or "exact"


def add_roads(p: argparse.ArgumentParser) -> None:
    """``--roads FILE.osm.pbf --minutes N`` (and the road settings): travel time by road."""
    g = p.add_argument_group("travel time by road (in place of --radius-km)")
    g.add_argument(
        "--roads",
        type=Path,
        default=None,
        metavar="FILE.osm.pbf",
        help="the council's OpenStreetMap extract: measure minutes by road instead of km in a straight line",
    )
    g.add_argument(
        "--minutes", type=positive_number, default=None, help="with --roads: catchment in minutes by road (default 15)"
    )
    g.add_argument(
        "--road-slowdown",
        type=road_factor,
        default=1.0,
        metavar="FACTOR",
        help="with --roads: multiply every road time, at least 1 (e.g. 1.3 for a minibus; default 1)",
    )
    g.add_argument(
        "--offroad-kmh",
        type=positive_number,
        default=15.0,
        help="with --roads: speed of the straight leg from a postcode or provider to the road (default 15)",
    )
    g.add_argument(
        "--max-offroad-m",
        type=positive_number,
        default=1000.0,
        help="with --roads: points further than this from any road are flagged (default 1000)",
    )


def by_road(args: argparse.Namespace) -> bool:
    """Whether the command measures minutes by road (``--roads`` given); checks ``--minutes``."""
    if getattr(args, "minutes", None) is not None and getattr(args, "roads", None) is None:
        raise OptionError("--minutes is a time by road: give the extract with --roads FILE.osm.pbf")
    if getattr(args, "roads", None) is not None and getattr(args, "circuity", 1.0) != 1.0:
        raise OptionError("--circuity turns straight lines into road distance; with --roads the roads are measured")
    return getattr(args, "roads", None) is not None


def with_roads(request: AnalysisRequest, args: argparse.Namespace, data: CouncilData) -> AnalysisRequest:
    """``request`` measured in minutes by road (``--roads``, ``--minutes``), else as it is (:func:`roads_for`)."""
    roads = roads_for(args, data)
    if roads is None:
        return request
    from dataclasses import replace

    return replace(request, roads=roads, radius_km=minutes_from(args), circuity=1.0)


def minutes_from(args: argparse.Namespace) -> float:
    """The catchment in minutes by road (``--minutes``, default 15)."""
    return 15.0 if args.minutes is None else args.minutes


def roads_for(args: argparse.Namespace, data: CouncilData) -> ByRoad | None:
    """The council's road network from ``--roads`` as a cost model, or ``None`` without ``--roads``.

    The network is built once per (extract, council, settings) with a progress bar on stderr
    and loaded from ``$GAPMAP_HOME/roads/`` afterwards. Areas the extract leaves off the
    network, and postcodes further than ``--max-offroad-m`` from any road, are named on stderr.
    """
    if not by_road(args):
        return None
    from gapmap import auth
    from gapmap.roads import RoadSettings, network_for, off_network

    bar = None

    def progress(step: str, done: int, total: int) -> None:
        nonlocal bar
        from tqdm import tqdm

        if bar is None:
            bar = tqdm(total=total, desc="road network", file=sys.stderr, leave=False, disable=None)
        bar.set_description(f"road network: {step}")
        bar.n = done
        bar.refresh()

    try:
        net = network_for(
            args.roads,
            data.council.code,
            data.outline(),
            home=auth.home_from_environment(),
            areas=data.boundaries["wards"],
            settings=RoadSettings(slowdown=args.road_slowdown),
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()
    left_off = list(net.info.get("left_off", []))
    if left_off:
        say(
            f"warning: the extract {args.roads.name} leaves {len(left_off)} areas of {data.council.name} "
            f"off the road network: {', '.join(left_off)}"
        )
    far = off_network(net, data.points, max_offroad_m=args.max_offroad_m, label="postcodes")
    if len(far):
        codes = data.points.loc[far, "postcode"].astype(str).tolist() if "postcode" in data.points else []
        say(
            f"warning: {len(far):,} postcodes are more than {args.max_offroad_m:g} m from any road; they are joined "
            f"by a straight line at {args.offroad_kmh:g} km/h: {', '.join(codes[:10])}"
            + (" …" if len(codes) > 10 else "")
        )
    return ByRoad(net, offroad_kmh=args.offroad_kmh, max_offroad_m=args.max_offroad_m)


def report_far_providers(request: AnalysisRequest, providers: gpd.GeoDataFrame) -> None:
    """Name (by id) the providers further from any road than the request's stated distance."""
    if request.roads is None or len(providers) == 0:
        return
    from gapmap.roads import off_network

    far = off_network(request.roads.network, providers, max_offroad_m=request.roads.max_offroad_m, label="providers")
    if len(far):
        ids = providers.loc[far, "id"].astype(str).tolist() if "id" in providers else [str(i) for i in far]
        say(
            f"warning: {len(far)} providers are more than {request.roads.max_offroad_m:g} m from any road; they are "
            f"joined by a straight line at {request.roads.offroad_kmh:g} km/h: {', '.join(ids[:10])}"
        )


def reach_words(request: AnalysisRequest) -> str:
    """The request's catchment in words: ``"5 km"`` or ``"15 minutes by road"``."""
    from gapmap.labels import reach

    return reach(request.radius_km, request.unit)


def request_from(args: argparse.Namespace, **overrides: object) -> AnalysisRequest:
    """The analysis request the shared options describe."""
    fields = {
        "band": args.band,
        "radius_km": args.radius_km,
        "kinds": tuple(args.kinds),
        "as_at": args.as_at,
        "circuity": args.circuity,
        "level": getattr(args, "level", "ward"),
        "hex_size_m": getattr(args, "hex_size", 1000.0),
        "target_per_1000": getattr(args, "target_per_1000", None),
    }
    fields.update(overrides)
    return AnalysisRequest(**fields)


def say(text: str) -> None:
    """One line for the person at the terminal (stderr; stdout is for data)."""
    print(text, file=sys.stderr)


def write_table(table: pd.DataFrame, out: Path) -> None:
    """Write a table as CSV or GeoJSON by the extension of ``out``, atomically."""
    payload = to_csv_bytes(table) if out.suffix.lower() == ".csv" else to_geojson_bytes(table)
    write_bytes(out, payload)


def write_bytes(out: Path, payload: bytes) -> None:
    """Write ``payload`` to ``out`` so a crash never leaves half a file under the real name."""
    from gapmap.io import write_atomic

    write_atomic(out, payload)
