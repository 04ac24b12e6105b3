"""Recruitment planner benchmarks: greedy plan and what-if times on Somerset, exact (spopt MCLP +
HiGHS) beside spopt's own time, and the greedy's share of the optimum on three councils.

Run from the repository root::

    python bench/bench_siting.py [--skip-shares]

Somerset (E06000066, about 20,000 postcodes), people aged 75+, K = 10, radius 5 km, with the
illustrative sample's providers counted in two ways: all kinds (most people are already within
reach) and day centres only (a harder problem: about half the people are beyond reach). Times
are the best of several runs once the council and its analysis are loaded.

Greedy ÷ optimum: the existing providers are the day centres of the sample in Somerset and none
elsewhere (no shipped records), so every postcode is a demand point; candidates are a regular
grid over the council (a stand-in for a list of community buildings), so the exact problem stays
within what spopt's dense model builder handles.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import geopandas as gpd  # noqa: E402
import shapely  # noqa: E402
from _timing import best_of  # noqa: E402

from gapmap.analysis import AnalysisRequest, analyse  # noqa: E402
from gapmap.config import BNG, PACKAGE_ROOT  # noqa: E402
from gapmap.population import load_council  # noqa: E402
from gapmap.records import load_providers  # noqa: E402
from gapmap.siting import coverage_matrix, greedy_cover, plan_sites, what_if  # noqa: E402

SAMPLE = PACKAGE_ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"
AS_AT = date(2024, 6, 30)


def grid(data, spacing_m: float) -> gpd.GeoDataFrame:
    """Candidate sites: a square grid over the council, kept where it falls inside."""
    outline = data.outline()
    minx, miny, maxx, maxy = outline.bounds
    xs, ys = np.meshgrid(np.arange(minx, maxx, spacing_m), np.arange(miny, maxy, spacing_m))
    pts = shapely.points(xs.ravel(), ys.ravel())
    inside = shapely.contains(outline, pts)
    return gpd.GeoDataFrame(geometry=pts[inside], crs=BNG)


def line(label: str, value: str, target: str = "") -> None:
    print(f"  {label:<58} {value:>14}   {target}")


def somerset_times() -> None:
    print("Somerset E06000066, aged 75+, K = 10, radius 5 km (best of 5, data and analysis loaded)")
    t = time.perf_counter()
    data = load_council("E06000066")
    prov = load_providers(SAMPLE, outline=data.outline()).accepted
    print(f"  (load council and sample: {time.perf_counter() - t:.1f} s; {len(data.points):,} postcodes)")
    for kinds, label in ((("micro_enterprise", "day_centre", "other"), "all kinds"), (("day_centre",), "day centres")):
        a = analyse(data, prov, AnalysisRequest(band="75plus", radius_km=5.0, kinds=kinds, as_at=AS_AT))
        beyond = a.per_point.beyond_radius.to_numpy()
        print(
            f" existing: {label} ({len(a.supply)} open); {beyond.sum():,} postcodes, "
            f"{a.per_point.demand[beyond].sum():,.0f} people beyond 5 km"
        )
        plan = plan_sites(a, 10)
        line(
            "greedy plan (candidates, coverage matrix, greedy, table)",
            f"{best_of(lambda a=a: plan_sites(a, 10)) * 1e3:,.0f} ms",
            "target <= 100 ms",
        )
        cols = np.flatnonzero(beyond)
        pts = np.column_stack([data.points.geometry.x.to_numpy(), data.points.geometry.y.to_numpy()])[cols]
        cov = coverage_matrix(pts, pts, radius_km=5.0)
        w = a.per_point.demand.to_numpy()[cols]
        line(
            f"  of which lazy greedy on the CSR matrix ({cov.nnz:,} pairs)",
            f"{best_of(lambda cov=cov, w=w: greedy_cover(cov, w, 10)) * 1e3:,.1f} ms",
        )
        xy = plan.sites[["easting", "northing"]].to_numpy(float)
        xy1 = np.vstack([xy, [[330_000.0, 130_000.0]]])
        line(
            "what-if: 10 sites + 1 click, with refreshed area figures",
            f"{best_of(lambda a=a, xy1=xy1: what_if(a, xy1)) * 1e3:,.0f} ms",
            "target <= 200 ms",
        )
        if label == "all kinds":
            t = time.perf_counter()
            ex = plan_sites(a, 10, exact=True)
            total = time.perf_counter() - t
            line(
                f"exact: reduced to {ex.exact.n_demand} groups x {ex.exact.n_candidates} candidates",
                f"{total:,.2f} s",
                f"spopt build+solve {ex.exact.seconds_spopt:.2f} s ({ex.exact.solver}); plan/opt {ex.greedy_share:.1%}",
            )


def shares() -> None:
    print("\nGreedy ÷ optimum (K = 10, aged 75+; candidates on a grid)")
    cases = [
        ("E06000066", "Somerset (rural county)", 5.0, 3000.0, ("day_centre",)),
        ("E06000023", "Bristol (city)", 1.5, 600.0, None),
        ("E06000034", "Thurrock (mixed)", 2.0, 750.0, None),
    ]
    for code, label, radius, spacing, kinds in cases:
        data = load_council(code)
        prov = load_providers(SAMPLE, outline=data.outline()).accepted
        if kinds is None:
            prov = prov.iloc[:0]  # no records shipped for this council: everyone is beyond reach
        a = analyse(
            data, prov, AnalysisRequest(band="75plus", radius_km=radius, kinds=kinds or ("day_centre",), as_at=AS_AT)
        )
        cands = grid(data, spacing)
        t = time.perf_counter()
        try:
            plan = plan_sites(a, 10, candidates=cands, exact=True)
        except Exception as exc:  # noqa: BLE001 - report and go on to the next council
            print(f"  {label}: {exc}")
            continue
        total = time.perf_counter() - t
        greedy_only = plan.greedy_gain / plan.optimum
        line(
            f"{label}, {radius:g} km, {len(cands)} grid sites",
            f"{greedy_only:.2%} / {plan.greedy_share:.2%}",
            f"target >= 97%  (greedy alone / with swaps; optimum {plan.optimum:,.0f} people; "
            f"{plan.exact.n_demand} x {plan.exact.n_candidates}; "
            f"spopt {plan.exact.seconds_spopt:.1f} s of {total:.1f} s)",
        )


if __name__ == "__main__":
    somerset_times()
    if "--skip-shares" not in sys.argv:
        shares()
