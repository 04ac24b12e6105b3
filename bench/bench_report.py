"""Somerset hand-outs: time to build the deck (the issue's target: 30 s), the PDF and the PNGs.

Run: python bench/bench_report.py. Times are end to end from the provider file (load the
council, validate the sample, analyse, closures before/after, render), one cold run each, as a
user of `python -m gapmap report` would see them.
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
from gapmap.story import ReportInputs, before_after  # noqa: E402

TARGET_S = 30.0
SAMPLE = PACKAGE_ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"


def inputs(level: str) -> ReportInputs:
    data = load_council("E06000066")
    result = load_providers(SAMPLE, outline=data.outline())
    analysis = analyse(data, result.accepted, AnalysisRequest(band="75plus", as_at=date(2025, 6, 30), level=level))
    closures = before_after(analysis, date(2019, 1, 1), date(2025, 6, 30))
    return ReportInputs(analysis, illustrative=True, closures=closures)


def main() -> None:
    for level in ("ward", "lsoa"):
        for fmt, build in (("pptx", deck.build_pptx), ("pdf", deck.build_pdf), ("png", deck.build_pngs)):
            t = time.perf_counter()
            out = build(inputs(level))
            took = time.perf_counter() - t
            size = len(out) if isinstance(out, bytes) else sum(len(v) for v in out.values())
            flag = "ok" if took <= TARGET_S else "OVER"
            print(f"Somerset {level:5s} {fmt:4s}: {took:6.1f} s (target {TARGET_S:.0f} s) {flag}  {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
