"""Travel time by road for all of England (issue #20): the national run on a synthetic England extract.

Run from the repository root::

    python bench/bench_roads_england.py [--spacing 250] [--minutes 15] [--skip-dask] [--keep FOLDER]

No real England extract can be downloaded here (and gapmap never downloads one), so the bench
writes one with pyosmium: a jittered grid of roads over England's extent (by default a junction
every 250 m, about 6 million nodes, of which about 3.5 million fall on land, a little more than
England's real drivable network once the bends are merged), with the same road classes, one-way
streets and speed limits as ``bench_roads.py``. 20,000 providers are placed on random postcodes.
It then runs, each in a child process whose whole process tree's memory is sampled:

- ``gaps --council all --roads england.osm.pbf --minutes 15`` on two local worker processes;
- the same on a local Dask cluster (two single-threaded workers) through ``--scheduler``.

A real 1.5 GB extract differs in one step: reading it. It holds ~200 million nodes and every
building, path and shop; gapmap keeps only the drivable ways and their nodes, so the read is
pyosmium's pass over the whole file (its filters skip what is not a road in C++; the roads it
keeps cost the rate printed here), after which the arrays are about the size measured here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_roads import line, write_county  # noqa: E402

# England's extent in British National Grid metres (the mainland and the Isles of Scilly).
ENGLAND = (82_000.0, 5_000.0, 656_000.0, 657_000.0)


def providers_file(path: Path, n: int = 20_000, seed: int = 2) -> None:
    """``n`` providers on random postcodes of England, as a providers CSV."""
    import pandas as pd
    from pyproj import Transformer

    from gapmap.config import DataPaths

    pts = pd.read_parquet(DataPaths().points)
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(pts), size=n, replace=False)
    x, y = pts.easting.to_numpy()[pick], pts.northing.to_numpy()[pick]
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(x, y)
    pd.DataFrame(
        {
            "id": [f"E{i:05d}" for i in range(n)],
            "name": [f"Sample provider {i}" for i in range(n)],
            "kind": np.where(rng.random(n) < 0.8, "micro_enterprise", "day_centre"),
            "capacity": rng.integers(4, 30, n),
            "start_date": "2015-01-01",
            "lat": lat,
            "lon": lon,
        }
    ).to_csv(path, index=False)


def run(label: str, args: list[str], home: Path) -> dict | None:
    """Run ``python -m gapmap`` with ``args``; its time and the peak memory of every process it used."""
    import os

    import psutil

    env = dict(os.environ, GAPMAP_HOME=str(home), PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    home.mkdir(parents=True, exist_ok=True)
    log = home / f"{label}.log"
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "gapmap", *args], stdout=subprocess.DEVNULL, stderr=err, env=env)
        me, peak = psutil.Process(), 0
        while proc.poll() is None:  # every process this bench started: the run, its workers, a Dask cluster
            with contextlib.suppress(psutil.Error):
                peak = max(peak, sum(p.memory_info().rss for p in me.children(recursive=True)))
            time.sleep(0.25)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(f"  {label}: exit {proc.returncode}\n{log.read_text()[-1500:]}")
        return None
    return {"seconds": wall, "peak": peak, "log": log.read_text()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spacing", type=float, default=250.0, help="metres between grid junctions (default 250)")
    ap.add_argument("--minutes", type=float, default=15.0, help="catchment by road (default 15)")
    ap.add_argument("--skip-dask", action="store_true", help="local processes only")
    ap.add_argument("--keep", type=Path, default=None, help="folder to keep the extract and outputs in")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gapmap-england-roads-"))
    folder.mkdir(parents=True, exist_ok=True)
    pbf = folder / "england-synthetic.osm.pbf"
    minx, miny, maxx, maxy = ENGLAND
    nx_, ny_ = int((maxx - minx) / args.spacing) + 1, int((maxy - miny) / args.spacing) + 1
    print(f"Synthetic England extract in {folder}")
    if not pbf.exists():
        t = time.perf_counter()
        n_nodes, n_segments, n_ways = write_county(pbf, ENGLAND, seed=5, nx_=nx_, ny_=ny_)
        line(
            f"write extract ({n_nodes:,} nodes, {n_segments:,} segments)",
            f"{time.perf_counter() - t:.0f} s",
            f"({pbf.stat().st_size / 1e6:.0f} MB; not a target)",
        )
    from gapmap.roads import read_extract

    t = time.perf_counter()
    extract = read_extract(pbf)
    took = time.perf_counter() - t
    line(
        "pyosmium: read the drivable roads (two passes)",
        f"{took:.0f} s",
        f"{len(extract.x):,} nodes kept, {len(extract.x) / took / 1e3:.0f} thousand a second",
    )
    del extract
    providers = folder / "providers.csv"
    if not providers.exists():
        providers_file(providers)
    common = ["gaps", "--council", "all", "--providers", str(providers), "--roads", str(pbf)]
    common += ["--minutes", f"{args.minutes:g}", "--as-at", "2025-01-01", "--level", "ward"]
    print(f"England by road: 20,000 providers, {args.minutes:g} minutes, ward level")
    local = run("local", [*common, "--workers", "2", "--out", str(folder / "local.csv")], folder / "home-local")
    if local:
        import pandas as pd

        table = pd.read_csv(folder / "local.csv", encoding="utf-8-sig")
        line(
            f"two local processes ({table.council_code.nunique()} councils, {len(table):,} wards)",
            f"{local['seconds'] / 60:.1f} min",
            f"peak {local['peak'] / 2**30:.1f} GiB, all processes",
        )
        stored = sum(f.stat().st_size for f in (folder / "home-local").rglob("*") if f.is_file())
        line("  extract arrays and networks stored under GAPMAP_HOME", f"{stored / 1e6:.0f} MB", "")
    if not args.skip_dask:
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            dask = run(
                "dask",
                [*common, "--scheduler", cluster.scheduler_address, "--out", str(folder / "dask.csv")],
                folder / "home-dask",
            )
        if dask:
            line("local Dask cluster (2 workers × 1 thread)", f"{dask['seconds'] / 60:.1f} min", "")
            line("  peak memory, client and cluster together", f"{dask['peak'] / 2**30:.1f} GiB", "")
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss >> 10
    print(f"  (largest single child process: {largest:,} MB)")
    print(json.dumps({"local_s": local and round(local["seconds"]), "folder": str(folder)}))


if __name__ == "__main__":
    main()
