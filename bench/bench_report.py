"""Somerset hand-outs: time to build the deck (the issue's target: 30 s), the PDF and the PNGs.

Run: python bench/bench_report.py. Times are end to end from the provider file (load the
council, validate the sample, analyse, closures before/after, a 5-site recruitment plan, the
local economy, render every page), one cold run each, as `python -m gapmap report ... --before
2019-01-01 --after 2025-06-30 --sites 5` would see them. CPU time is printed too: on a shared
machine the wall-clock time includes waiting for a core.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gapmap import deck  # noqa: E402
from gapmap.analysis import AnalysisRequest, analyse  # noqa: E402
from gapmap.config import PACKAGE_ROOT  # noqa: E402
from gapmap.population import load_council  # noqa: E402
from gapmap.records import load_providers  # noqa: E402
from gapmap.siting import plan_sites  # noqa: E402
from gapmap.story import ReportInputs, before_after, economy_for, plan_from_siting  # noqa: E402

TARGET_S = 30.0
SAMPLE = PACKAGE_ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"


def inputs(level: str) -> ReportInputs:
    data = load_council("E06000066")
    result = load_providers(SAMPLE, outline=data.outline())
    analysis = analyse(data, result.accepted, AnalysisRequest(band="75plus", as_at=date(2025, 6, 30), level=level))
    closures = before_after(analysis, date(2019, 1, 1), date(2025, 6, 30))
    plan = plan_from_siting(plan_sites(analysis, 5))
    return ReportInputs(analysis, illustrative=True, closures=closures, plan=plan, economy=economy_for(analysis))


def main() -> None:
    for level in ("ward", "lsoa"):
        for fmt, build in (("pptx", deck.build_pptx), ("pdf", deck.build_pdf), ("png", deck.build_pngs)):
            t, cpu = time.perf_counter(), time.process_time()
            out = build(inputs(level))
            took, cpu = time.perf_counter() - t, time.process_time() - cpu
            size = len(out) if isinstance(out, bytes) else sum(len(v) for v in out.values())
            flag = "ok" if took <= TARGET_S else "OVER"
            print(
                f"Somerset {level:5s} {fmt:4s}: {took:6.1f} s wall, {cpu:5.1f} s CPU "
                f"(target {TARGET_S:.0f} s) {flag}  {size / 1e6:.1f} MB"
            )


if __name__ == "__main__":
    main()
