"""Closures and change benchmarks, printed beside the targets (issue 13).

Run from the repository root::

    python bench/bench_timeline.py

- all frames: Somerset, 120 monthly frames (Jan 2016 – Dec 2025), every kind, 75+, 5 km, in
  one incremental pass (cost table included) — target ≤ 2 s in total;
- one slider step: what the server does when the slider moves on the page (look up the
  frame's figures in the cached timeline, pick its providers, move micro-providers for
  privacy (the public layer, displaced mode), build the frame's map and render its HTML) — target ≤ 300 ms;
- one closure: the impact of closing one day centre, given the "before" analysis (cached in
  the app) — target ≤ 100 ms. Both the day-centre-only and the all-kinds supply are timed.

Times are the best of several runs (wall clock); the CPU time of the best run is printed too,
since on a shared machine the wall clock includes waiting for a core.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _timing import best_of  # noqa: E402

from gapmap.analysis import AnalysisRequest, analyse, zones_for  # noqa: E402
from gapmap.closures import closure_impact  # noqa: E402
from gapmap.population import load_council  # noqa: E402
from gapmap.records import load_providers  # noqa: E402
from gapmap.replay import frame_layers  # noqa: E402
from gapmap.timeline import build_timeline  # noqa: E402

SAMPLE = ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"


def cpu_of(fn, repeat: int = 5) -> float:
    """Smallest process CPU time of ``repeat`` runs (seconds)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def line(name: str, seconds: float, cpu: float, target: float) -> None:
    """One result beside its target."""
    ok = "OK  " if seconds <= target else "SLOW"
    print(f"{ok} {name:<58} {seconds * 1000:8.1f} ms  (cpu {cpu * 1000:7.1f} ms)  target ≤ {target * 1000:.0f} ms")


def main() -> int:
    """Run the benchmarks."""
    data = load_council("E06000066")
    providers = load_providers(SAMPLE, outline=data.outline()).accepted
    load = os.getloadavg()[0]
    print(f"Somerset: {len(data.points):,} postcodes, {len(providers)} providers; load average {load:.1f}")

    def frames():
        return build_timeline(
            data, providers, start=date(2016, 1, 1), end=date(2025, 12, 1), step="month", band="75plus", radius_km=5
        )

    timeline = frames()
    assert len(timeline.dates) == 120
    line("120 monthly frames, all kinds (one incremental pass)", best_of(frames, 3), cpu_of(frames, 3), 2.0)

    zones = zones_for(data, "ward")
    outline = data.outline()
    secret = b"bench-key-not-secret-000000000000"  # any 32 bytes: timing only
    k = 60

    def slider_step():
        timeline.frame(k)
        layers, legend = frame_layers(timeline, k, outline, note="bench", privacy="displaced", secret=secret)
        return json.dumps([list(c) for c in layers]) + legend

    line("one slider step (figures, providers, map layers)", best_of(slider_step), cpu_of(slider_step), 0.3)

    for kinds, label in ((("day_centre",), "day centres"), (("micro_enterprise", "day_centre", "other"), "all kinds")):
        request = AnalysisRequest(band="75plus", radius_km=5, kinds=kinds, as_at=date(2024, 6, 30))
        before = analyse(data, providers, request, zones=zones)
        closing = before.supply.index[before.supply.kind == "day_centre"][0]
        after = before.supply.drop(index=[closing])

        def one_closure(before=before, after=after):
            return closure_impact(before, after)

        line(f"closure impact, one day centre ({label} count)", best_of(one_closure), cpu_of(one_closure), 0.1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
