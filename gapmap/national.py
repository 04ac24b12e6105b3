"""A national run: the gap analysis for many councils, one independent task each.

Each task (:func:`council_gaps`) loads one council (only the boundary layers its level
needs), keeps the providers within the catchment radius of its boundary (so a provider just
over the border still serves the council's people), builds the cost table at exactly that
radius, runs :func:`gapmap.analysis.analyse` and returns the council's areas. Tasks share
nothing, so they run in parallel: in local worker processes, a few at a time so memory stays
bounded (:func:`run_local`; one council at a time per worker — Kent, the largest, needs a few
hundred MB), or on a Dask cluster for users who outgrow one machine (:func:`run_dask`).

Limits: each council is analysed on its own. Providers outside it count for its people, but
the people outside it are not counted in those providers' catchments (2SFCA ratios near a
border are somewhat generous), and a postcode with no provider within the radius measures its
nearest distance to the providers kept for its council.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gapmap import io
from gapmap.analysis import AnalysisRequest, analyse, pair_costs
from gapmap.config import DataPaths
from gapmap.errors import GapmapError
from gapmap.export import gaps_table
from gapmap.gaps import supply_at
from gapmap.population import boundary_layers, load_council
from gapmap.roads import ByRoad, RoadExtract, RoadSettings, network_from_extract

Progress = Callable[[str], None]


def council_codes(paths: DataPaths | None = None, *, tier: str = "upper") -> list[str]:
    """Codes of every council of ``tier`` (``"upper"``, ``"district"`` or ``"all"``)."""
    table = io.read_councils(paths or DataPaths())
    if tier != "all":
        table = table[table.tier == tier]
    return table.code.tolist()


@dataclass(frozen=True)
class RoadTask:
    """What a worker needs to measure by road: the extract read once, stored as arrays.

    Attributes
    ----------
    extract
        Folder of a stored :class:`gapmap.roads.RoadExtract` (memory-mapped by each worker).
    minutes
        The catchment in minutes by road.
    settings
        Speeds (those the extract was read with), slowdown and buffer.
    offroad_kmh, max_offroad_m
        Joining (:class:`gapmap.roads.ByRoad`).
    """

    extract: str
    minutes: float
    settings: RoadSettings = field(default_factory=RoadSettings)
    offroad_kmh: float = 15.0
    max_offroad_m: float = 1000.0


def council_gaps(
    code: str,
    providers: gpd.GeoDataFrame,
    request: AnalysisRequest,
    *,
    root: Path | str | None = None,
    roads: RoadTask | None = None,
) -> gpd.GeoDataFrame:
    """The gap table of one council (the task a worker runs).

    Parameters
    ----------
    code
        Council code.
    providers
        All providers (EPSG:27700); those within ``request.radius_km`` of the council count.
    request
        The analysis settings (same for every council).
    root
        The data folder (default: the shipped ``data/``); a path, so the task pickles small.
    roads
        Measure minutes by road: the council's network is cut from the stored extract, and the
        providers within the road buffer of the council count.

    Returns
    -------
    geopandas.GeoDataFrame
        :func:`gapmap.export.gaps_table` with ``council_code`` and ``council_name`` first.
    """
    paths = DataPaths(Path(root)) if root else DataPaths()
    data = load_council(code, paths=paths, layers=boundary_layers(request.level))
    reach_m = request.radius_km * 1000.0
    if roads is not None:
        wards = data.boundaries["wards"]
        outline = shapely.make_valid(shapely.union_all(shapely.make_valid(wards.geometry.values)))
        net = network_from_extract(
            RoadExtract.load(Path(roads.extract)), data.council.code, outline, areas=wards, settings=roads.settings
        )
        by_road = ByRoad(net, offroad_kmh=roads.offroad_kmh, max_offroad_m=roads.max_offroad_m, workers=1)
        request = replace(request, roads=by_road, radius_km=roads.minutes, circuity=1.0)
        reach_m = roads.settings.buffer_km * 1000.0  # providers on the clipped network
    near = providers_near(providers, data.boundaries["wards"].geometry.values, reach_m)
    # The cost table at exactly the radius, in the order it is built (by origin): no table at a
    # larger radius to serve other radii, and no sort by cost (nothing here cuts it again).
    supply = supply_at(near, request.params)
    costs = pair_costs(data.points, supply, max_cost=request.radius_km, circuity=request.circuity, roads=request.roads)
    table = gaps_table(analyse(data, near, request, costs=costs).areas)
    table.insert(0, "council_name", data.council.name)
    table.insert(0, "council_code", data.council.code)
    return table


def councils_off_extract(
    codes: Sequence[str], extract: RoadExtract, paths: DataPaths | None = None, *, cell_m: float = 5000.0
) -> list[str]:
    """The councils (of ``codes``) that a road extract does not reach at all, checked before a run.

    A council counts as reached when one of its postcodes lies in a ``cell_m`` square that holds
    a road node; one reached only in part is run, and its task names the wards left off.
    """
    x = np.asarray(extract.x)
    y = np.asarray(extract.y)
    ok = np.isfinite(x) & np.isfinite(y)
    cells = np.unique((x[ok] // cell_m).astype(np.int64) * 1_000_000 + (y[ok] // cell_m).astype(np.int64))
    pts = io.read_point_locations(paths or DataPaths())
    pts = pts[pts.utla_code.isin(list(codes))]
    key = (pts.easting.to_numpy() // cell_m).astype(np.int64) * 1_000_000 + (pts.northing.to_numpy() // cell_m).astype(
        np.int64
    )
    reached = set(pts.utla_code.to_numpy()[np.isin(key, cells)])
    return [c for c in codes if c not in reached]


def providers_near(providers: gpd.GeoDataFrame, polygons: np.ndarray, distance_m: float) -> gpd.GeoDataFrame:
    """The providers within ``distance_m`` of any of ``polygons`` (e.g. a council's wards).

    The same set as those within ``distance_m`` of the polygons' union (the distance to a
    union is the least distance to its parts), found without building the union: a box
    around the polygons first, then a spatial index over the polygons.

    Examples
    --------
    >>> import shapely
    >>> prov = gpd.GeoDataFrame(geometry=gpd.points_from_xy([5, 30, 500], [5, 5, 5]), crs=27700)
    >>> providers_near(prov, np.array([shapely.box(0, 0, 10, 10)]), 25.0).index.tolist()
    [0, 1]
    """
    if len(providers) == 0 or len(polygons) == 0:
        return providers.iloc[:0]
    x0, y0, x1, y1 = shapely.total_bounds(polygons)
    xy = shapely.get_coordinates(providers.geometry.values)
    box = np.flatnonzero(
        (xy[:, 0] >= x0 - distance_m)
        & (xy[:, 0] <= x1 + distance_m)
        & (xy[:, 1] >= y0 - distance_m)
        & (xy[:, 1] <= y1 + distance_m)
    )
    hit, _ = shapely.STRtree(polygons).query(providers.geometry.values[box], predicate="dwithin", distance=distance_m)
    return providers.iloc[box[np.unique(hit)]]


def _combine(parts: Iterable[gpd.GeoDataFrame], order: Sequence[str]) -> gpd.GeoDataFrame:
    frames = {p.council_code.iat[0]: p for p in parts if len(p)}
    ordered = [frames[c] for c in order if c in frames]
    if not ordered:
        raise GapmapError("no council produced any areas")
    return gpd.GeoDataFrame(pd.concat(ordered, ignore_index=True), crs=ordered[0].crs)


CHUNK_PER_WORKER = 40
"""Councils per worker process before it is replaced by a fresh one (see :func:`run_local`)."""


def largest_first(codes: Sequence[str], paths: DataPaths) -> list[str]:
    """``codes`` ordered by population, largest first (unknown codes last, in their order)."""
    size = io.read_councils(paths).set_index("code").pop_total
    known = size.reindex(list(codes)).fillna(-1).to_numpy()
    return [codes[i] for i in sorted(range(len(codes)), key=lambda i: -known[i])]


LOST = "lost_councils"
"""Key in a national table's ``attrs``: councils whose worker process died (killed, out of memory)."""


_WORKER: dict[str, object] = {}
"""In a worker process only: the queue on which it tells the parent which council it holds."""


def _worker_init(queue) -> None:
    _WORKER["queue"] = queue


def _started(task: Callable, code: str, *args, **kwargs):
    """Run ``task`` in a worker after telling the parent which process holds ``code``."""
    _WORKER["queue"].put((code, os.getpid()))
    return task(code, *args, **kwargs)


def run_local(
    codes: Sequence[str],
    providers: gpd.GeoDataFrame,
    request: AnalysisRequest,
    *,
    root: Path | str | None = None,
    workers: int = 2,
    progress: Progress | None = None,
    task: Callable[..., gpd.GeoDataFrame] = council_gaps,
    roads: RoadTask | None = None,
) -> gpd.GeoDataFrame:
    """Run :func:`council_gaps` for every code in local worker processes (``roads``: by road).

    At most ``workers`` councils are in memory at once (each worker holds one). The largest
    councils (by population) go first, so no worker is left with a big one at the end while
    the others idle. Councils go in chunks, each to fresh worker processes, so memory a
    worker gathered is returned to the system between chunks (a pool's own
    ``max_tasks_per_child`` can hang on Python 3.11); chunks are large, as starting a worker
    (a new Python importing the libraries) costs about a second.

    If a worker process dies (killed, or stopped by the system for lack of memory), the pool it
    belonged to breaks: the council that worker held is named as lost (``progress`` says so, and
    the returned table lists it in ``attrs["lost_councils"]``), and every other unfinished
    council is run again in a fresh pool, so the run finishes the rest.

    Parameters
    ----------
    task
        The per-council task (default :func:`council_gaps`); a module-level function taking the
        same arguments.

    Returns
    -------
    geopandas.GeoDataFrame
        All councils' areas, in the order of ``codes`` (the lost councils' areas missing).
    """
    done: list[gpd.GeoDataFrame] = []
    lost: list[str] = []
    workers = max(1, workers)
    size = workers * CHUNK_PER_WORKER
    context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
    ordered = largest_first(codes, DataPaths(Path(root)) if root else DataPaths())
    for start in range(0, len(ordered), size):
        todo = ordered[start : start + size]
        while todo:  # again after a broken pool, without the councils it lost
            before = len(todo)
            extra = {"roads": roads} if roads is not None else {}
            todo = _run_chunk(
                todo, providers, request, root, workers, context, task, done, lost, len(codes), progress, extra
            )
            if len(todo) == before:  # nothing finished and nothing named: do not try for ever
                lost.extend(todo)
                if progress:
                    progress(f"lost {', '.join(todo)}: worker processes keep stopping; the rest go on")
                todo = []
    table = _combine(done, codes)
    table.attrs[LOST] = [c for c in codes if c in lost]
    return table


def _died_on_its_own(process) -> bool:
    """Whether a pool's worker ended other than by the pool stopping it (SIGTERM) or by finishing.

    Unknown (no record of the process) counts as died: better to name a council than to drop it.
    """
    if process is None:
        return True
    code = process.exitcode
    return code is not None and code not in (0, -signal.SIGTERM)


def _run_chunk(
    chunk, providers, request, root, workers, context, task, done, lost, total, progress, extra=None
) -> list[str]:
    """Run ``chunk`` in one pool; the councils still to run if a worker died (its own named lost)."""
    queue = context.SimpleQueue()
    finished: set[str] = set()
    broken = False
    n = min(workers, len(chunk))
    with ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=_worker_init, initargs=(queue,)) as pool:
        futures = {
            pool.submit(_started, task, code, providers, request, root=root, **(extra or {})): code for code in chunk
        }
        processes = getattr(pool, "_processes", None) or {}  # pid -> Process (to tell how each ended)
        for future in as_completed(futures):
            processes = {**processes, **(getattr(pool, "_processes", None) or {})}
            try:
                part = future.result()
            except BrokenProcessPool:
                broken = True
                continue
            done.append(part)
            finished.add(futures[future])
            if progress:
                progress(f"{len(done)}/{total} {futures[future]}")
    if not broken:
        return []
    holders: dict[str, int] = {}
    while not queue.empty():
        code, pid = queue.get()
        holders[code] = pid
    for code, pid in holders.items():
        if code not in finished and _died_on_its_own(processes.get(pid)):
            lost.append(code)
            if progress:
                progress(f"lost {code}: its worker process stopped (killed, or out of memory); the rest go on")
    return [c for c in chunk if c not in finished and c not in lost]


def run_dask(
    codes: Sequence[str],
    providers: gpd.GeoDataFrame,
    request: AnalysisRequest,
    *,
    client: object,
    root: Path | str | None = None,
    progress: Progress | None = None,
    roads: RoadTask | None = None,
) -> gpd.GeoDataFrame:
    """Run :func:`council_gaps` for every code on a Dask cluster.

    With ``roads`` (by road) the stored extract must be readable at the same path on every worker.

    Parameters
    ----------
    client
        A ``dask.distributed.Client`` (e.g. ``Client("tcp://scheduler:8786")``). The data
        folder must be readable at ``root`` on every worker.

    Returns
    -------
    geopandas.GeoDataFrame
        All councils' areas, in the order of ``codes``.
    """
    from distributed import as_completed as dask_completed

    shared = client.scatter(providers, broadcast=True)
    futures = {
        client.submit(council_gaps, code, shared, request, root=root, roads=roads, pure=False): code for code in codes
    }
    done: list[gpd.GeoDataFrame] = []
    for n, future in enumerate(dask_completed(list(futures)), start=1):
        done.append(future.result())
        if progress:
            progress(f"{n}/{len(codes)} {futures[future]}")
    return _combine(done, codes)
