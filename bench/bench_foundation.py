"""Foundation benchmarks: data build, council load, aggregation and map size.

Run from the repository root::

    python bench/bench_foundation.py [--skip-build]

Prints one line per figure. Times are the best of several runs (wall clock) after a warm-up,
except the data build, which runs once.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _timing import best_of  # noqa: E402

from gapmap.maps import Field, choropleth, map_bytes  # noqa: E402
from gapmap.population import load_council, population_by_area  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-build", action="store_true", help="do not time the data build")
    args = parser.parse_args()
    source = ROOT.parent / "shared" / "data"
    if not args.skip_build and source.exists():
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "scripts/build_data.py", "--out", tmp],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            print(f"data build (all England):           {time.perf_counter() - t:8.1f} s")
    size = sum(p.stat().st_size for p in (ROOT / "data").rglob("*") if p.is_file())
    print(f"shipped data/ size:                 {size / 2**20:8.1f} MiB")
    for code, name in (("E06000066", "Somerset"), ("E10000016", "Kent")):
        t = best_of(lambda code=code: load_council(code), repeat=3)
        data = load_council(code)
        print(f"load council {name:<10} ({len(data.points):>6} postcodes): {t * 1000:8.0f} ms")
        for level in ("ward", "lsoa", "msoa", "hex"):
            t = best_of(lambda level=level, data=data: population_by_area(data, level))
            print(f"  aggregate to {level:<5}                 {t * 1000:8.1f} ms")
    somerset = load_council("E06000066")
    for level in ("ward", "lsoa", "hex"):
        areas = population_by_area(somerset, level)
        m = choropleth(areas, Field("pop_65plus", "Aged 65+"), tooltip=[Field("pop_total", "All residents")])
        t = best_of(
            lambda areas=areas: choropleth(areas, Field("pop_65plus", "Aged 65+")).get_root().render(),
            repeat=3,
        )
        print(
            f"map HTML Somerset {level:<5} ({len(areas):>4} areas): {map_bytes(m) / 1024:8.0f} KiB, "
            f"built in {t * 1000:.0f} ms"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (this process):         {peak:8.0f} MiB")


if __name__ == "__main__":
    main()
