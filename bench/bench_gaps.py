"""Gap engine benchmarks: our 2SFCA/E2SFCA against PySAL ``access`` on the same inputs,
a full Somerset recompute, and an England-scale run.

Run from the repository root (PySAL access is a dev dependency)::

    python bench/bench_gaps.py [--skip-england]

Somerset: its 20k live postcodes as demand points (population 65+) and 450 providers
drawn on Somerset postcodes (seeded), 10 km catchment. England: every live postcode
(1.49M) and 20,000 providers drawn in proportion to people aged 65+, 5 km catchment.
Times are the best of several runs; memory is the peak resident set of a child process.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import geopandas as gpd  # noqa: E402
from _timing import best_of  # noqa: E402

from gapmap.access import floating_catchment, gaussian, point_metrics  # noqa: E402
from gapmap.areas import aggregate  # noqa: E402
from gapmap.config import BNG  # noqa: E402
from gapmap.costs import euclidean_costs  # noqa: E402
from gapmap.gaps import GapParams, area_gaps, point_gaps  # noqa: E402
from gapmap.population import area_codes, load_council  # noqa: E402


def providers_on(points: gpd.GeoDataFrame, n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    w = points.pop_65plus.to_numpy() / points.pop_65plus.sum()
    idx = rng.choice(len(points), size=n, replace=True, p=w)
    xy = np.column_stack([points.geometry.x.to_numpy()[idx], points.geometry.y.to_numpy()[idx]])
    xy += rng.normal(0, 100, xy.shape)  # not exactly on the postcode
    return gpd.GeoDataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "kind": "micro_enterprise",
            "capacity": rng.integers(4, 16, n).astype(float),
            "start_date": pd.NaT,
            "end_date": pd.NaT,
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=BNG,
    )


def somerset() -> None:
    from access import fca, weights

    data = load_council("E06000066")
    pts = data.points
    prov = providers_on(pts, 450, seed=1)
    radius = 10.0
    demand = pts.pop_65plus
    t_cost = best_of(lambda: euclidean_costs(pts, prov, max_km=radius), repeat=3)
    costs = euclidean_costs(pts, prov, max_km=radius)
    print(f"Somerset: {len(pts):,} demand points x {len(prov)} providers, {radius:g} km: {len(costs):,} pairs")
    print(f"  cost table (k-d tree)                  {t_cost * 1000:8.1f} ms")
    g = gaussian(radius / 2)
    t_ours_e = best_of(lambda: floating_catchment(costs, demand, prov.capacity, radius=radius, weight=g))
    t_ours_2 = best_of(lambda: floating_catchment(costs, demand, prov.capacity, radius=radius))
    demand_df = pd.DataFrame({"pop": demand})
    supply_df = pd.DataFrame({"cap": prov.capacity})

    def pysal(weight_fn):
        return fca.two_stage_fca(
            demand_df,
            supply_df,
            costs,
            max_cost=radius,
            demand_index=True,
            demand_name="pop",
            supply_name="cap",
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
            weight_fn=weight_fn,
        )

    t_pysal_e = best_of(lambda: pysal(weights.gaussian(radius / 2)), repeat=1)
    t_pysal_2 = best_of(lambda: pysal(None), repeat=2)

    def difference(ours_weight, theirs_weight) -> float:
        ours = floating_catchment(costs, demand, prov.capacity, radius=radius, weight=ours_weight)
        theirs = pysal(theirs_weight).reindex(ours.index).fillna(0.0).to_numpy()
        return float(np.max(np.abs(ours.to_numpy() - theirs) / np.maximum(np.abs(theirs), 1e-300)))

    diff_e = difference(g, weights.gaussian(radius / 2))
    diff_2 = difference(None, None)
    print(f"  E2SFCA gapmap                          {t_ours_e * 1000:8.1f} ms")
    print(f"  E2SFCA PySAL access                    {t_pysal_e * 1000:8.1f} ms   ratio {t_pysal_e / t_ours_e:6.0f}x")
    print(f"  2SFCA  gapmap                          {t_ours_2 * 1000:8.1f} ms")
    print(f"  2SFCA  PySAL access                    {t_pysal_2 * 1000:8.1f} ms   ratio {t_pysal_2 / t_ours_2:6.0f}x")
    print(f"  max relative difference vs PySAL       {diff_e:8.1e} (E2SFCA)  {diff_2:8.1e} (2SFCA)")
    t_metrics = best_of(lambda: point_metrics(costs, demand, prov.capacity, radius=radius))
    params = GapParams(radius_km=radius, as_at=date(2025, 1, 1))
    codes, polys = area_codes(data, "ward")
    pop = aggregate(pts, codes, polys)

    def recompute():
        per_point = point_gaps(pts, prov, params, costs=costs)
        return area_gaps(pop, codes, per_point, params)

    t_full = best_of(recompute)
    t_cold = best_of(lambda: area_gaps(pop, codes, point_gaps(pts, prov, params), params), repeat=3)
    print(f"  all point metrics (2SFCA+E2SFCA+counts){t_metrics * 1000:8.1f} ms")
    print(f"  full recompute to wards (cached costs) {t_full * 1000:8.1f} ms")
    print(f"  full recompute incl. cost table        {t_cold * 1000:8.1f} ms")


def england_child() -> None:
    """Runs in a child process so its peak memory is its own."""
    from gapmap.config import DataPaths
    from gapmap.demand import share_population

    paths = DataPaths()
    t0 = time.perf_counter()
    raw = pd.read_parquet(paths.points)
    lsoa = pd.read_parquet(paths.lsoa_table)
    pts = share_population(raw, lsoa)
    t_load = time.perf_counter() - t0
    prov = providers_on(pts, 20_000, seed=2)
    params = GapParams(radius_km=5.0, as_at=date(2025, 1, 1))
    t = time.perf_counter()
    costs = euclidean_costs(pts, prov, max_km=5.0)
    t_cost = time.perf_counter() - t
    t = time.perf_counter()
    per_point = point_gaps(pts, prov, params, costs=costs)
    t_metrics = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"England: {len(pts):,} demand points x {len(prov):,} providers, 5 km: {len(costs):,} pairs")
    print(f"  load all postcodes + Census shares     {t_load:8.2f} s")
    print(f"  cost table                             {t_cost:8.2f} s")
    print(f"  all point metrics + nearest            {t_metrics:8.2f} s")
    print(f"  people 65+ beyond 5 km                 {(per_point.demand * per_point.beyond_radius).sum():10,.0f}")
    print(f"  peak memory                            {peak:8.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-england", action="store_true")
    parser.add_argument("--england-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.england_child:
        england_child()
        return
    somerset()
    if not args.skip_england:
        subprocess.run([sys.executable, __file__, "--england-child"], check=True)


if __name__ == "__main__":
    main()
