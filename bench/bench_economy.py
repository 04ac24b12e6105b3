"""Local-economy timings: what one rerun of the Local economy page costs, beside a target.

Run: ``python bench/bench_economy.py``. Target (ours; the issue sets none): the economy's own
work on one page rerun (summary, per area, over time) under 0.3 s for Somerset, so changing an
assumption feels instant. Zones are cached by the page and are timed separately.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._timing import best_of  # noqa: E402
from gapmap.analysis import zones_for  # noqa: E402
from gapmap.economy import (  # noqa: E402
    EconomyParams,
    economy_by_area,
    economy_over_time,
    economy_summary,
    supply_of,
    yearly_dates,
)
from gapmap.population import load_council  # noqa: E402
from gapmap.records import load_providers  # noqa: E402

TARGET_S = 0.3


def main() -> None:
    """Print the timings."""
    data = load_council("E06000066")
    sample = ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"
    provs = load_providers(sample, outline=data.outline()).accepted
    params = EconomyParams(local_spend_share=0.4, local_respend_share=0.3)
    today = date(2026, 1, 1)
    kinds = ("micro_enterprise",)
    print(f"Somerset, {len(provs)} sample providers")
    for level, hex_size in (("ward", 1000.0), ("lsoa", 1000.0), ("hex", 500.0)):
        zones = zones_for(data, level, hex_size_m=hex_size)

        def rerun(zones=zones) -> None:
            supply = supply_of(provs, today, kinds)
            economy_summary(supply, params)
            economy_by_area(supply, zones.polygons, zones.population, params)
            economy_over_time(provs, yearly_dates(provs, today), params, kinds=kinds)

        t = best_of(rerun)
        print(
            f"  {level:5s} ({len(zones.polygons):5d} areas): page rerun {t * 1000:6.1f} ms "
            f"(target < {TARGET_S * 1000:.0f} ms) {'ok' if t < TARGET_S else 'SLOW'}"
        )


if __name__ == "__main__":
    main()
